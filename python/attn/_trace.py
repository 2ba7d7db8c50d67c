"""Symbolic tracing of FlexAttention-style mask_mod / score_mod functions.

The function is called once on proxy objects standing for b, h, q_idx and
kv_idx (and the score); every operation on them records an expression node
(_expr.Node) instead of computing, so nothing is ever evaluated over S x S.
Arrays the function captures (closure variables, globals, default arguments)
are replaced by proxies whose indexing records a data read; PyTorch tensors
reached otherwise are caught through __torch_function__.
"""

import functools
import math
import numbers
import operator
import types

from . import _expr
from ._expr import BOOL, FLOAT, INT, Node
from .errors import TraceError

_SUPPORTED = ("+, -, *, /, //, %, comparisons, &, |, ^, ~, abs, min/max (torch.minimum, "
              "np.maximum, ...), where, clamp, and for scores tanh, exp, exp2, log, sqrt")


def _is_array(obj):
    return not isinstance(obj, (Proxy, DataProxy)) and hasattr(obj, "__dlpack__") \
        and hasattr(obj, "shape")


class Proxy:
    """A traced scalar: an expression over b, h, i, j (and the score)."""

    __slots__ = ("node", "tracer")
    __array_priority__ = 1000  # NumPy defers to our reflected operators

    def __init__(self, node, tracer):
        self.node = node
        self.tracer = tracer

    # -- errors that name the operation ---------------------------------------
    def __bool__(self):
        raise TraceError(
            f"{self.tracer.what} uses a traced value as a Python bool (if, while, and, or, not, "
            "or a chained comparison such as a < b < c); write the logic with &, |, ~ and where")

    def __index__(self):
        raise TraceError(
            f"{self.tracer.what} uses a traced value as a Python int (an index into a list or "
            "an array attn cannot see, range(), ...); index captured tensors directly (closure "
            "variables, globals or default arguments), or pass them to attn.masks")

    __int__ = __float__ = __index__

    def __iter__(self):
        raise TraceError(f"{self.tracer.what} iterates over a traced value")

    def __getattr__(self, name):
        if name.startswith("__"):  # protocol probes (NumPy, PyTorch) must see a plain miss
            raise AttributeError(name)
        raise TraceError(f"{self.tracer.what} uses .{name} on a traced value, which attn does "
                         f"not support (supported: {_SUPPORTED})")

    # -- arithmetic -----------------------------------------------------------
    def _binary(self, op, other, reflected=False):
        return self.tracer.binary(op, other, self) if reflected else \
            self.tracer.binary(op, self, other)

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("sub", o)
    def __rsub__(self, o): return self._binary("sub", o, True)
    def __mul__(self, o): return self._binary("mul", o)
    def __rmul__(self, o): return self._binary("mul", o, True)
    def __truediv__(self, o): return self._binary("truediv", o)
    def __rtruediv__(self, o): return self._binary("truediv", o, True)
    def __floordiv__(self, o): return self._binary("floordiv", o)
    def __rfloordiv__(self, o): return self._binary("floordiv", o, True)
    def __mod__(self, o): return self._binary("mod", o)
    def __rmod__(self, o): return self._binary("mod", o, True)
    def __and__(self, o): return self._binary("and", o)
    def __rand__(self, o): return self._binary("and", o, True)
    def __or__(self, o): return self._binary("or", o)
    def __ror__(self, o): return self._binary("or", o, True)
    def __xor__(self, o): return self._binary("xor", o)
    def __rxor__(self, o): return self._binary("xor", o, True)
    def __lt__(self, o): return self._binary("lt", o)
    def __le__(self, o): return self._binary("le", o)
    def __gt__(self, o): return self._binary("gt", o)
    def __ge__(self, o): return self._binary("ge", o)
    def __eq__(self, o): return self._binary("eq", o)
    def __ne__(self, o): return self._binary("ne", o)
    def __neg__(self): return self.tracer.unary("neg", self)
    def __pos__(self): return self
    def __abs__(self): return self.tracer.unary("abs", self)
    def __invert__(self): return self.tracer.unary("invert", self)

    def __pow__(self, o):
        raise TraceError(f"{self.tracer.what} uses ** on a traced value (supported: {_SUPPORTED})")

    __rpow__ = __lshift__ = __rshift__ = __rlshift__ = __rrshift__ = __matmul__ = __pow__

    __hash__ = None

    # -- tensor-style methods (torch.Tensor's names) ---------------------------
    def abs(self): return self.tracer.unary("abs", self)
    def tanh(self): return self.tracer.unary("tanh", self)
    def exp(self): return self.tracer.unary("exp", self)
    def exp2(self): return self.tracer.unary("exp2", self)
    def log(self): return self.tracer.unary("log", self)
    def sqrt(self): return self.tracer.unary("sqrt", self)
    def neg(self): return self.tracer.unary("neg", self)
    def logical_not(self): return self.tracer.unary("not", self.tracer.to_bool(self))
    def logical_and(self, o): return self.tracer.logical("and", self, o)
    def logical_or(self, o): return self.tracer.logical("or", self, o)
    def minimum(self, o): return self._binary("min", o)
    def maximum(self, o): return self._binary("max", o)

    def clamp(self, min=None, max=None):
        return self.tracer.clamp(self, min, max)

    clip = clamp

    @property
    def device(self):
        # FlexAttention's noop_mask builds torch.ones((), device=b.device).
        return None

    def to(self, *args, **kwargs):
        return self  # dtype changes of indices do not change the rule

    long = int64 = int32 = lambda self: self

    # -- NumPy and PyTorch functions -----------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            raise TraceError(f"{self.tracer.what} calls numpy.{ufunc.__name__}.{method} on a "
                             "traced value")
        return self.tracer.call(f"numpy.{ufunc.__name__}", _NUMPY_UFUNCS.get(ufunc.__name__),
                                inputs)

    def __array_function__(self, func, types_, args, kwargs):
        return self.tracer.call(f"numpy.{func.__name__}", _NUMPY_FUNCTIONS.get(func.__name__),
                                args, kwargs)

    @classmethod
    def __torch_function__(cls, func, types_, args=(), kwargs=None):
        kwargs = kwargs or {}
        tracer = next(x.tracer for x in _flatten(args, kwargs) if isinstance(x, Proxy))
        name = getattr(func, "__name__", str(func))
        if name == "__getitem__" and not isinstance(args[0], Proxy):
            return tracer.read(args[0], args[1])
        return tracer.call(f"torch.{name}", _TORCH.get(name), args, kwargs)


def _flatten(args, kwargs):
    for x in list(args) + list(kwargs.values()):
        if isinstance(x, (list, tuple)):
            yield from x
        else:
            yield x


class DataProxy:
    """Stands for a captured array during tracing: indexing it with traced
    values reads a data operand."""

    def __init__(self, array, tracer):
        self._array = array
        self._tracer = tracer
        self.shape = tuple(array.shape)
        self.ndim = len(self.shape)
        self.dtype = array.dtype
        self.device = getattr(array, "device", None)

    def __getitem__(self, index):
        return self._tracer.read(self._array, index)

    def __len__(self):
        return self.shape[0]

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise TraceError(f"{self._tracer.what} uses .{name} of a captured array; attn only "
                         "reads captured arrays by indexing them with traced values")


_NUMPY_UFUNCS = {
    "add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "truediv",
    "divide": "truediv", "floor_divide": "floordiv", "remainder": "mod", "mod": "mod",
    "minimum": "min", "maximum": "max", "fmin": "min", "fmax": "max", "absolute": "abs",
    "negative": "neg", "logical_and": "land", "logical_or": "lor", "logical_xor": "lxor",
    "logical_not": "lnot", "bitwise_and": "and", "bitwise_or": "or", "bitwise_xor": "xor",
    "invert": "invert", "less": "lt", "less_equal": "le", "greater": "gt",
    "greater_equal": "ge", "equal": "eq", "not_equal": "ne", "tanh": "tanh", "exp": "exp",
    "exp2": "exp2", "log": "log", "sqrt": "sqrt",
}
_NUMPY_FUNCTIONS = {"where": "where", "clip": "clamp"}
_TORCH = dict(_NUMPY_UFUNCS)
_TORCH.update({
    "where": "where", "clamp": "clamp", "clip": "clamp", "abs": "abs", "sub": "sub",
    "mul": "mul", "div": "truediv", "neg": "neg", "eq": "eq", "ne": "ne", "lt": "lt",
    "le": "le", "gt": "gt", "ge": "ge", "floor_divide": "floordiv", "remainder": "mod",
    "fmod": None, "__and__": "and", "__or__": "or", "__xor__": "xor", "__invert__": "invert",
    "__add__": "add", "__radd__": "radd", "__sub__": "sub", "__rsub__": "rsub",
    "__mul__": "mul", "__rmul__": "rmul", "__truediv__": "truediv",
    "__rtruediv__": "rtruediv", "__floordiv__": "floordiv", "__rfloordiv__": "rfloordiv",
    "__mod__": "mod", "__rmod__": "rmod", "__rand__": "rand", "__ror__": "ror",
    "__rxor__": "rxor", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__eq__": "eq", "__ne__": "ne", "__neg__": "neg", "__abs__": "abs", "sigmoid": "sigmoid",
    "logical_not": "lnot", "logical_and": "land", "logical_or": "lor",
})


class Tracer:
    def __init__(self, what):
        self.what = what  # "mask_mod 'name'" for messages
        self.data = {}    # id(array) -> _expr.Data

    def lift(self, x):
        """A Node for a Proxy or a Python/NumPy/PyTorch scalar constant."""
        if isinstance(x, Proxy):
            return x.node
        if isinstance(x, bool):
            return _expr.const(x)
        if isinstance(x, numbers.Integral):
            return _expr.const(int(x))
        if isinstance(x, numbers.Real):
            return _expr.const(float(x))
        if isinstance(x, DataProxy) or (_is_array(x) and len(x.shape) > 0):
            raise TraceError(f"{self.what} combines a whole array with a traced value; index it "
                             "with traced values instead")
        if hasattr(x, "dtype") and hasattr(x, "item") and tuple(getattr(x, "shape", (1,))) == ():
            # NumPy bool scalars, 0-d arrays and 0-d tensors: their value.
            return _expr.const(x.item())
        raise TraceError(f"{self.what} uses a {type(x).__name__} with a traced value; attn "
                         "traces Python numbers, captured arrays indexed by traced values and "
                         f"{_SUPPORTED}")

    def wrap(self, node):
        return Proxy(node, self)

    def to_bool(self, x):
        node = self.lift(x)
        if node.kind != BOOL:
            raise TraceError(f"{self.what} applies a logical operation to a "
                             f"{node.kind} value; compare it first")
        return node

    def binary(self, op, x, y):
        a, b = self.lift(x), self.lift(y)
        if op in ("and", "or", "xor"):
            if (a.kind == BOOL) != (b.kind == BOOL):
                raise TraceError(f"{self.what} mixes a bool and an integer in &, | or ^; "
                                 "compare the integer first")
            if FLOAT in (a.kind, b.kind):
                raise TraceError(f"{self.what} applies &, | or ^ to a float")
            return self.wrap(self.node(op, a, b))
        if op in ("lt", "le", "gt", "ge", "eq", "ne"):
            kind = _common(a, b, allow_bool=op in ("eq", "ne"))
            return self.wrap(self.node(op, _expr.cast(a, kind), _expr.cast(b, kind), kind=BOOL))
        if op == "truediv":
            return self.wrap(self.node(op, _expr.cast(a, FLOAT), _expr.cast(b, FLOAT)))
        kind = _common(a, b)
        if kind == FLOAT and op in ("floordiv", "mod"):
            raise TraceError(f"{self.what} uses {'//' if op == 'floordiv' else '%'} on floats")
        return self.wrap(self.node(op, _expr.cast(a, kind), _expr.cast(b, kind)))

    def unary(self, op, x):
        a = self.lift(x)
        if op == "invert" and a.kind == BOOL:
            op = "not"
        elif op in ("tanh", "exp", "exp2", "log", "sqrt", "sigmoid"):
            a = _expr.cast(a, FLOAT)
        elif a.kind == BOOL and op != "not":
            raise TraceError(f"{self.what} applies {op} to a bool")
        if op == "sigmoid":  # 1 / (1 + exp(-x))
            one = _expr.const(1.0)
            return self.wrap(self.node("truediv", one, self.node(
                "add", one, self.node("exp", self.node("neg", a)))))
        return self.wrap(self.node(op, a))

    def logical(self, op, x, y):
        return self.wrap(self.node(op, self.to_bool(x), self.to_bool(y)))

    def clamp(self, x, lo, hi):
        result = x if isinstance(x, Proxy) else self.wrap(self.lift(x))
        if lo is not None:
            result = self.binary("max", result, lo)
        if hi is not None:
            result = self.binary("min", result, hi)
        return result

    def where(self, condition, x, y):
        c = self.to_bool(condition)
        a, b = self.lift(x), self.lift(y)
        kind = _common(a, b, allow_bool=True)
        return self.wrap(self.node("where", c, _expr.cast(a, kind), _expr.cast(b, kind),
                                   kind=kind))

    def call(self, name, op, args, kwargs=None):
        """A NumPy or PyTorch function applied to traced values."""
        kwargs = {k: v for k, v in (kwargs or {}).items() if not (k == "out" and v is None)}
        if op is None:
            raise TraceError(f"{self.what} calls {name}, which attn cannot trace "
                             f"(supported: {_SUPPORTED})")
        if op == "clamp":
            lo = args[1] if len(args) > 1 else kwargs.pop("min", kwargs.pop("a_min", None))
            hi = args[2] if len(args) > 2 else kwargs.pop("max", kwargs.pop("a_max", None))
            args = args[:1]
        if kwargs:
            raise TraceError(f"{self.what} calls {name} with keyword arguments "
                             f"{sorted(kwargs)}, which attn does not trace")
        if op == "clamp":
            return self.clamp(args[0], lo, hi)
        if op == "where":
            if len(args) != 3:
                raise TraceError(f"{self.what} calls {name} with {len(args)} arguments; attn "
                                 "traces where(condition, x, y)")
            return self.where(*args)
        if op in ("land", "lor", "lxor"):
            return self.logical({"land": "and", "lor": "or", "lxor": "xor"}[op], *args)
        if op == "lnot":
            return self.wrap(self.node("not", self.to_bool(args[0])))
        if op.startswith("r") and op[1:] in _BINARY:  # reflected dunder from torch
            return self.binary(op[1:], args[1], args[0])
        if op in _BINARY:
            return self.binary(op, *args)
        return self.unary(op, args[0])

    def node(self, op, *args, kind=None):
        if kind is None:
            kind = args[0].kind if op not in ("lt", "le", "gt", "ge", "eq", "ne") else BOOL
        if all(a.op == "const" for a in args):
            return _fold(op, args, kind)
        if op in ("floordiv", "mod") and kind != FLOAT:
            # The spec language accepts only constant integer divisors: a
            # traced one could be zero (or make INT_MIN / -1) on some element.
            if args[1].op != "const":
                raise TraceError(f"{self.what} uses {'//' if op == 'floordiv' else '%'} with a "
                                 "divisor that is not a constant (only constant divisors are "
                                 "supported: a traced one could be zero)")
            if args[1].value == 0:
                raise TraceError(f"{self.what} divides by zero")
            if args[1].value == -1:
                raise TraceError(f"{self.what} divides by -1 (write the negation instead)")
        return Node(op, args, kind)

    def read(self, array, index):
        """A read of `array` (captured) at a traced index."""
        if not isinstance(index, tuple):
            index = (index,)
        ndim = len(array.shape)
        if len(index) != ndim:
            raise TraceError(f"{self.what} indexes a {ndim}-d captured array with "
                             f"{len(index)} indices; attn reads single elements")
        nodes = []
        for position, i in enumerate(index):
            if isinstance(i, slice) or i is None or i is Ellipsis:
                raise TraceError(f"{self.what} slices a captured array; attn reads single "
                                 "elements")
            node = self.lift(i)
            if node.kind != INT:
                raise TraceError(f"{self.what} indexes a captured array with a {node.kind}")
            if node.op == "const" and not 0 <= node.value < array.shape[position]:
                raise TraceError(f"{self.what} reads index {node.value} of dimension "
                                 f"{position} (extent {array.shape[position]}); negative and "
                                 "out-of-range indices are not supported")
            nodes.append(node)
        data = self.data.get(id(array))
        if data is None:
            data = self.data[id(array)] = _expr.Data(array)
        return self.wrap(_expr.read(data, nodes))


_BINARY = {"add", "sub", "mul", "truediv", "floordiv", "mod", "min", "max", "and", "or",
           "xor", "lt", "le", "gt", "ge", "eq", "ne"}


def _common(a, b, allow_bool=False):
    kinds = {a.kind, b.kind}
    if FLOAT in kinds:
        return FLOAT
    if kinds == {BOOL}:
        return BOOL if allow_bool else INT
    return INT


def _fold(op, args, kind):
    values = [a.value for a in args]
    python = {
        "add": operator.add, "sub": operator.sub, "mul": operator.mul,
        "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
        "min": min, "max": max, "and": operator.and_, "or": operator.or_,
        "xor": operator.xor, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
        "ge": operator.ge, "eq": operator.eq, "ne": operator.ne, "neg": operator.neg,
        "abs": abs, "not": operator.not_, "invert": operator.invert, "tanh": math.tanh,
        "exp": math.exp, "exp2": lambda x: 2.0 ** x, "log": math.log, "sqrt": math.sqrt,
        "where": lambda c, x, y: x if c else y,
    }[op]
    value = python(*values)
    return _expr.const(bool(value) if kind == BOOL else float(value) if kind == FLOAT
                       else int(value))


def _substituted(fn, tracer):
    """`fn` with the arrays it captures replaced by DataProxy objects: closure
    cells, default arguments and the globals its code names."""
    if isinstance(fn, functools.partial):
        inner = _substituted(fn.func, tracer)
        swap = lambda x: DataProxy(x, tracer) if _is_array(x) else x  # noqa: E731
        return functools.partial(inner, *map(swap, fn.args),
                                 **{k: swap(v) for k, v in fn.keywords.items()})
    if not isinstance(fn, types.FunctionType):
        return fn

    def swap(x):
        return DataProxy(x, tracer) if _is_array(x) and len(x.shape) > 0 else x

    closure = None
    if fn.__closure__:
        closure = tuple(types.CellType(swap(c.cell_contents)) if _has(c) else c
                        for c in fn.__closure__)
    names = _global_names(fn.__code__)
    replaced = {n: swap(fn.__globals__[n]) for n in names
                if n in fn.__globals__ and _is_array(fn.__globals__[n])}
    globals_ = dict(fn.__globals__, **replaced) if replaced else fn.__globals__
    copy = types.FunctionType(fn.__code__, globals_, fn.__name__,
                              tuple(map(swap, fn.__defaults__)) if fn.__defaults__ else None,
                              closure)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def _has(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _global_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def _name_of(fn):
    return getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "") \
        or type(fn).__name__


def trace(fn, kind):
    """The expression `fn` computes: kind "mask" calls fn(b, h, q_idx, kv_idx)
    and returns a bool Node; "score" calls fn(score, b, h, q_idx, kv_idx)
    and returns a float Node."""
    if not callable(fn):
        raise TypeError(f"from_{kind}_mod needs a function, got {type(fn).__name__}")
    what = f"{kind}_mod '{_name_of(fn)}'"
    tracer = Tracer(what)
    names = ("b", "h", "i", "j") if kind == "mask" else ("score", "b", "h", "i", "j")
    args = [Proxy(_expr.var(n), tracer) for n in names]
    result = _substituted(fn, tracer)(*args)
    node = tracer.lift(result) if not isinstance(result, Proxy) else result.node
    if kind == "mask":
        if node.kind != BOOL:
            raise TraceError(f"{what} returns a {node.kind}, not a bool (a mask_mod returns "
                             "whether (b, h, q_idx, kv_idx) is kept)")
        return node
    if node.kind == BOOL:
        raise TraceError(f"{what} returns a bool; a score_mod returns the new score")
    return _expr.cast(node, FLOAT)
