"""Scalar expressions over (score, b, h, i, j) and data reads, and their MLIR
text for a spec's `mask { }` / `score { }` region.

Integers follow Python's semantics (floor division, modulo with the sign of
the divisor); the emitted code uses truncating arith.divsi/remsi where the
operands are provably non-negative and adds the correction elsewhere.
Floats are f32 in the region (the scores' type).
"""

import math

INT, BOOL, FLOAT = "int", "bool", "float"
_INF = math.inf


class Data:
    """A tensor a spec reads: a data operand. `view` "batch" presents a 1-D
    array as [B, S] (batch stride 0); `static` lists (dimension, extent)
    pairs written into the operand's type instead of `?`."""

    def __init__(self, array, view=None, static=()):
        from . import _dlpack
        ref = _dlpack.export(array)
        self.array = array
        self.dtype = ref.dtype
        self.ndim = len(ref.shape) + (1 if view == "batch" else 0)
        self.view = view
        self.static = tuple(static)
        if self.dtype not in ("f16", "bf16", "f32", "f64", "i32", "i64", "u8", "i1"):
            raise TypeError(f"data tensors must be f16, bf16, f32, f64, int32, int64, uint8 or "
                            f"bool, got {self.dtype}")

    def describe(self):
        return {"dtype": self.dtype, "ndim": self.ndim, "view": self.view,
                "static": [list(s) for s in self.static]}


class Node:
    """One expression node. op: var, score, const, read, cast, where, an
    arithmetic or comparison operator, or a unary function."""

    __slots__ = ("op", "args", "kind", "value", "lo", "hi")

    def __init__(self, op, args, kind, value=None):
        self.op = op
        self.args = tuple(args)
        self.kind = kind
        self.value = value
        self.lo, self.hi = _bounds(self)

    def __repr__(self):
        if self.op in ("var", "const"):
            return str(self.value)
        return f"{self.op}({', '.join(map(repr, self.args))})"


def _bounds(n):
    """Interval of an integer node's values (b, h, i, j are >= 0)."""
    if n.kind != INT:
        return -_INF, _INF
    if n.op == "var":
        return 0, _INF
    if n.op == "const":
        return n.value, n.value
    a = n.args
    if n.op == "add":
        return a[0].lo + a[1].lo, a[0].hi + a[1].hi
    if n.op == "sub":
        return a[0].lo - a[1].hi, a[0].hi - a[1].lo
    if n.op == "neg":
        return -a[0].hi, -a[0].lo
    if n.op == "mul":
        products = [x * y for x in (a[0].lo, a[0].hi) for y in (a[1].lo, a[1].hi)
                    if not (x == 0 and abs(y) == _INF) and not (y == 0 and abs(x) == _INF)]
        return (min(products), max(products)) if products else (-_INF, _INF)
    if n.op == "floordiv" and a[1].op == "const" and a[1].value > 0:
        c = a[1].value
        return (a[0].lo if a[0].lo == -_INF else a[0].lo // c,
                a[0].hi if a[0].hi == _INF else a[0].hi // c)
    if n.op == "mod" and a[1].op == "const" and a[1].value > 0:
        return 0, a[1].value - 1
    if n.op == "min":
        return min(a[0].lo, a[1].lo), min(a[0].hi, a[1].hi)
    if n.op == "max":
        return max(a[0].lo, a[1].lo), max(a[0].hi, a[1].hi)
    if n.op == "abs":
        if a[0].lo >= 0:
            return a[0].lo, a[0].hi
        return 0, max(-a[0].lo, a[0].hi)
    if n.op == "cast" and a[0].kind == BOOL:
        return 0, 1
    return -_INF, _INF


def var(name):
    return Node("var", (), FLOAT if name == "score" else INT, name)


def const(value):
    if isinstance(value, bool):
        return Node("const", (), BOOL, value)
    if isinstance(value, int):
        return Node("const", (), INT, value)
    return Node("const", (), FLOAT, float(value))


def read(data, indices):
    kind = BOOL if data.dtype == "i1" else FLOAT if data.dtype in ("f16", "bf16", "f32", "f64") \
        else INT
    return Node("read", indices, kind, data)


def cast(node, kind):
    """`node` as `kind` (bool -> int -> float, as Python promotes)."""
    if node.kind == kind:
        return node
    if node.op == "const":
        return const({INT: int, FLOAT: float, BOOL: bool}[kind](node.value))
    if kind == FLOAT and node.kind == BOOL:
        node = cast(node, INT)
    return Node("cast", (node,), kind)


def float_literal(x):
    """A float literal MLIR parses (it needs a '.'), exact for f32 values."""
    if math.isnan(x):
        return "0x7FC00000"
    if math.isinf(x):
        return "0x7F800000" if x > 0 else "0xFF800000"
    return f"{x:.9e}"


_INT_OPS = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli",
            "min": "arith.minsi", "max": "arith.maxsi", "and": "arith.andi",
            "or": "arith.ori", "xor": "arith.xori"}
_FLOAT_OPS = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf",
              "truediv": "arith.divf", "min": "arith.minimumf", "max": "arith.maximumf"}
_FLOAT_FUNCS = {"tanh": "math.tanh", "exp": "math.exp", "exp2": "math.exp2",
                "log": "math.log", "sqrt": "math.sqrt", "abs": "math.absf",
                "neg": "arith.negf"}
_INT_CMP = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq", "ne": "ne"}
# Ordered comparisons, except != which holds for NaN as in Python.
_FLOAT_CMP = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq", "ne": "une"}
_MLIR_TYPES = {"f16": "f16", "bf16": "bf16", "f32": "f32", "f64": "f64", "i32": "i32",
               "i64": "i64", "u8": "i8", "i1": "i1"}


def data_type(data):
    """The MLIR tensor type of a data operand."""
    static = dict(data.static)
    shape = "x".join(str(static[d]) if d in static else "?" for d in range(data.ndim))
    return f"tensor<{shape + 'x' if shape else ''}{_MLIR_TYPES[data.dtype]}>"


class Emitter:
    """Writes one region's ops; structurally equal subexpressions are
    emitted once."""

    def __init__(self, data_name):
        self.lines = []
        self.by_id = {}
        self.by_structure = {}
        self.data_name = data_name  # Data -> "%dN"
        self.count = 0

    def _new(self, text):
        name = f"%t{self.count}"
        self.count += 1
        self.lines.append(f"{name} = {text}")
        return name

    def _const(self, value, kind):
        return self.emit(const(value) if kind != FLOAT else Node("const", (), FLOAT, value))

    def emit(self, n):
        known = self.by_id.get(id(n))
        if known is not None:
            return known[1]
        names = tuple(self.emit(a) for a in n.args)
        value = id(n.value) if n.op == "read" else (type(n.value), n.value)
        structure = (n.op, n.kind, value, names)
        name = self.by_structure.get(structure)
        if name is None:
            name = self._emit(n, names)
            self.by_structure[structure] = name
        # The node is kept so that its id is not reused while emitting.
        self.by_id[id(n)] = (n, name)
        return name

    @staticmethod
    def _type(kind):
        return {INT: "index", BOOL: "i1", FLOAT: "f32"}[kind]

    def _emit(self, n, a):
        op, kind = n.op, n.kind
        if op == "var":
            return {"score": "%s", "b": "%b", "h": "%h", "i": "%i", "j": "%j"}[n.value]
        if op == "const":
            if kind == BOOL:
                return self._new(f"arith.constant {'true' if n.value else 'false'}")
            if kind == INT:
                return self._new(f"arith.constant {n.value} : index")
            return self._new(f"arith.constant {float_literal(n.value)} : f32")
        if op == "read":
            return self._read(n, a)
        if op == "cast":
            if kind == INT:  # from bool
                return self._new(f"arith.index_castui {a[0]} : i1 to index")
            wide = self._new(f"arith.index_cast {a[0]} : index to i64")
            return self._new(f"arith.sitofp {wide} : i64 to f32")
        if op == "where":
            return self._new(f"arith.select {a[0]}, {a[1]}, {a[2]} : {self._type(kind)}")
        if op in _INT_CMP:
            if n.args[0].kind == FLOAT:
                return self._new(f"arith.cmpf {_FLOAT_CMP[op]}, {a[0]}, {a[1]} : f32")
            return self._new(f"arith.cmpi {_INT_CMP[op]}, {a[0]}, {a[1]} : "
                             f"{self._type(n.args[0].kind)}")
        if kind == FLOAT:
            if op in _FLOAT_FUNCS:
                return self._new(f"{_FLOAT_FUNCS[op]} {a[0]} : f32")
            return self._new(f"{_FLOAT_OPS[op]} {a[0]}, {a[1]} : f32")
        if kind == BOOL:
            if op == "not":
                return self._new(f"arith.xori {a[0]}, {self._const(True, BOOL)} : i1")
            return self._new(f"{_INT_OPS[op]} {a[0]}, {a[1]} : i1")
        # integers
        if op == "neg":
            return self._new(f"arith.subi {self._const(0, INT)}, {a[0]} : index")
        if op == "invert":
            return self._new(f"arith.xori {a[0]}, {self._const(-1, INT)} : index")
        if op == "abs":
            negated = self._new(f"arith.subi {self._const(0, INT)}, {a[0]} : index")
            return self._new(f"arith.maxsi {a[0]}, {negated} : index")
        if op in ("floordiv", "mod"):
            return self._division(n, a)
        return self._new(f"{_INT_OPS[op]} {a[0]}, {a[1]} : index")

    def _division(self, n, a):
        x, y = a
        quotient = n.op == "floordiv"
        base = self._new(f"arith.{'divsi' if quotient else 'remsi'} {x}, {y} : index")
        if n.args[0].lo >= 0 and n.args[1].lo > 0:
            return base
        # Python rounds toward -inf: correct truncation when the remainder is
        # non-zero and its sign differs from the divisor's.
        zero = self._const(0, INT)
        rem = base if not quotient else self._new(f"arith.remsi {x}, {y} : index")
        nonzero = self._new(f"arith.cmpi ne, {rem}, {zero} : index")
        rem_negative = self._new(f"arith.cmpi slt, {rem}, {zero} : index")
        y_negative = self._new(f"arith.cmpi slt, {y}, {zero} : index")
        signs_differ = self._new(f"arith.xori {rem_negative}, {y_negative} : i1")
        fix = self._new(f"arith.andi {nonzero}, {signs_differ} : i1")
        if quotient:
            less = self._new(f"arith.subi {base}, {self._const(1, INT)} : index")
            return self._new(f"arith.select {fix}, {less}, {base} : index")
        more = self._new(f"arith.addi {base}, {y} : index")
        return self._new(f"arith.select {fix}, {more}, {base} : index")

    def _read(self, n, a):
        data = n.value
        element = self._new(f"tensor.extract {self.data_name(data)}[{', '.join(a)}] : "
                            f"{data_type(data)}")
        t = _MLIR_TYPES[data.dtype]
        if n.kind == BOOL:
            return element
        if n.kind == INT:
            cast_op = "arith.index_castui" if data.dtype == "u8" else "arith.index_cast"
            return self._new(f"{cast_op} {element} : {t} to index")
        if t == "f32":
            return element
        if t == "f64":
            return self._new(f"arith.truncf {element} : f64 to f32")
        return self._new(f"arith.extf {element} : {t} to f32")


def data_of(node, found=None):
    """The Data objects `node` reads, in order of first use."""
    found = [] if found is None else found
    stack = [node]
    seen = set()
    order = []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        stack.extend(reversed(n.args))
    for n in order:
        if n.op == "read" and not any(d is n.value for d in found):
            found.append(n.value)
    return found


def render_region(node, header, data_name):
    """A region body: `header` (the ^bb0 line), the ops, attn.yield."""
    emitter = Emitter(data_name)
    result = emitter.emit(node)
    kind = "i1" if node.kind == BOOL else "f32"
    if emitter.lines and emitter.lines[-1].startswith(f"{result} = tensor.extract"):
        # The host and NVIDIA emitters (host::inlineSpecRegion) replace region
        # reads after mapping the yield and crash on a yielded read: pass it
        # through an identity op.
        identity = "arith.xori" if kind == "i1" else "arith.addf"
        zero = "false" if kind == "i1" else "-0.000000000e+00 : f32"
        result = emitter._new(f"{identity} {result}, {emitter._new(f'arith.constant {zero}')}"
                              f"{' : i1' if kind == 'i1' else ' : f32'}")
    return [header] + ["  " + line for line in emitter.lines] + [f"  attn.yield {result} : {kind}"]


def evaluate(node, env, data_value):
    """Evaluates `node` with NumPy-style broadcasting (env maps var names to
    arrays or numbers; data_value(Data) gives an indexable array). Used to
    fold constants and by tests."""
    import numpy as np
    op, a = node.op, node.args
    if op == "var":
        return env[node.value]
    if op == "const":
        return node.value
    args = [evaluate(x, env, data_value) for x in a]
    if op == "read":
        return data_value(node.value)[tuple(np.asarray(i) for i in args)]
    if op == "cast":
        return np.asarray(args[0]).astype({INT: np.int64, FLOAT: np.float64}[node.kind])
    table = {
        "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
        "floordiv": np.floor_divide, "mod": np.mod, "min": np.minimum, "max": np.maximum,
        "and": np.logical_and if node.kind == BOOL else np.bitwise_and,
        "or": np.logical_or if node.kind == BOOL else np.bitwise_or,
        "xor": np.logical_xor if node.kind == BOOL else np.bitwise_xor,
        "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "eq": np.equal, "ne": np.not_equal, "neg": np.negative, "abs": np.abs,
        "not": np.logical_not, "invert": np.invert, "tanh": np.tanh, "exp": np.exp,
        "exp2": np.exp2, "log": np.log, "sqrt": np.sqrt,
        "where": np.where,
    }
    return table[op](*args)
