"""Mask objects: the spec language's mask attributes (docs/spec-language.md),
composable with & and |, and masks traced from FlexAttention mask_mods.

    attn.masks.causal() & attn.masks.window(1024)
    attn.masks.documents(ids) & attn.masks.causal()
    attn.masks.sinks(4) | attn.masks.window(1020)

A mask is a tree of And/Or over leaves that are either attributes or traced
expressions. Rendering puts the attribute part in the op's `mask = ...` and
the expressions in a `mask { }` region, which the op ANDs with it.
"""

import json
import re

from . import _expr
from ._expr import BOOL, INT, Data, Node

__all__ = ["Mask", "causal", "window", "sinks", "prefix", "documents", "s2", "shifted_groups",
           "star_anchor", "neighborhood", "block_list", "block_mask", "full"]


def _positive(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


# --- attribute leaves ---------------------------------------------------------

class _Attr:
    """One mask attribute. render(index) gets the data operand numbers."""

    data = ()

    def render(self, index):
        raise NotImplementedError

    def expr(self):
        """The rule as a traced expression, for OR-ing with traced rules; None
        where the attribute has no simple element form here."""
        return None


def _var(name):
    return _expr.var(name)


def _node(op, *args, kind=None):
    kind = kind or (BOOL if op in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or") else INT)
    return Node(op, args, kind)


class _Causal(_Attr):
    def render(self, index):
        return "#attn.causal"

    def expr(self):
        return _node("le", _var("j"), _var("i"))


class _Window(_Attr):
    def __init__(self, left, right):
        self.left, self.right = left, right

    def render(self, index):
        return f"#attn.window<left = {self.left}, right = {self.right}>"

    def expr(self):
        d = _node("sub", _var("i"), _var("j"))
        return _node("and", _node("lt", d, _expr.const(self.left)),
                     _node("le", _node("sub", _var("j"), _var("i")), _expr.const(self.right)))


class _Sinks(_Attr):
    def __init__(self, count):
        self.count = count

    def render(self, index):
        return f"#attn.sinks<count = {self.count}>"

    def expr(self):
        return _node("lt", _var("j"), _expr.const(self.count))


class _PrefixLM(_Attr):
    def __init__(self, lengths):
        self.data = (lengths,)

    def render(self, index):
        return f"#attn.prefix_lm<operand = {index(self.data[0])}>"

    def expr(self):
        return _node("or", _node("le", _var("j"), _var("i")),
                     _node("lt", _var("j"), _expr.read(self.data[0], (_var("b"),))))


class _Documents(_Attr):
    def __init__(self, data, layout, causal):
        self.data = (data,)
        self.layout, self.causal = layout, causal

    def render(self, index):
        return (f"#attn.documents<operand = {index(self.data[0])}, layout = {self.layout}, "
                f"causal = {'true' if self.causal else 'false'}>")

    def expr(self):
        if self.layout != "ids":
            return None
        ids = self.data[0]
        same = _node("eq", _expr.read(ids, (_var("b"), _var("i"))),
                     _expr.read(ids, (_var("b"), _var("j"))))
        return _node("and", same, _node("le", _var("j"), _var("i"))) if self.causal else same


class _Plain(_Attr):
    """An attribute written as text, with no data."""

    def __init__(self, text):
        self.text = text

    def render(self, index):
        return self.text


class _Blocks(_Attr):
    def __init__(self, kind, data, block_q, block_kv):
        self.kind, self.data = kind, (data,)
        self.block_q, self.block_kv = block_q, block_kv

    def render(self, index):
        return (f"#attn.{self.kind}<operand = {index(self.data[0])}, block_q = {self.block_q}, "
                f"block_kv = {self.block_kv}>")


# --- trees ------------------------------------------------------------------

class _And:
    def __init__(self, children):
        self.children = children


class _Or:
    def __init__(self, children):
        self.children = children


class _Expr:
    def __init__(self, node):
        self.node = node


def _combine(cls, a, b):
    children = []
    for t in (a, b):
        children.extend(t.children if isinstance(t, cls) else [t])
    return cls(children)


def _has_expr(tree):
    if isinstance(tree, _Expr):
        return True
    if isinstance(tree, (_And, _Or)):
        return any(_has_expr(c) for c in tree.children)
    return False


def _to_expr(tree):
    if isinstance(tree, _Expr):
        return tree.node
    if isinstance(tree, (_And, _Or)):
        op = "and" if isinstance(tree, _And) else "or"
        nodes = [_to_expr(c) for c in tree.children]
        result = nodes[0]
        for n in nodes[1:]:
            result = _node(op, result, n)
        return result
    node = tree.expr()
    if node is None:
        raise TypeError(f"{tree.render(lambda d: 0)} cannot be combined with | with a traced "
                        "mask_mod rule; write the whole rule in one mask_mod, or combine the "
                        "traced rule with & only")
    return node


def _render_attr(tree, index):
    if isinstance(tree, _And):
        parts = [_render_attr(c, index) for c in tree.children]
        return parts[0] if len(parts) == 1 else f"#attn.and<[{', '.join(parts)}]>"
    if isinstance(tree, _Or):
        parts = [_render_attr(c, index) for c in tree.children]
        return parts[0] if len(parts) == 1 else f"#attn.or<[{', '.join(parts)}]>"
    return tree.render(index)


def _split(tree):
    """(attribute tree or None, region expression or None): the top-level
    AND's attribute-only children go into the attribute."""
    children = tree.children if isinstance(tree, _And) else [tree]
    attrs, exprs = [], []
    for c in children:
        (exprs if _has_expr(c) else attrs).append(c)
    attr = None if not attrs else attrs[0] if len(attrs) == 1 else _And(attrs)
    region = None
    for e in exprs:
        node = _to_expr(e)
        region = node if region is None else _node("and", region, node)
    return attr, region


def _attr_data(tree, found):
    if isinstance(tree, (_And, _Or)):
        for c in tree.children:
            _attr_data(c, found)
    elif not isinstance(tree, _Expr):
        for d in tree.data:
            if not any(d is f for f in found):
                found.append(d)
    return found


MASK_REGION_HEADER = "^bb0(%b: index, %h: index, %i: index, %j: index):"


class Mask:
    """A mask rule. Combine with & (both keep) and | (either keeps).

    `data` lists the tensors the rule reads (passed to the kernel as data
    operands) and `desc` is its spec fragment with data operands numbered in
    that order ($N$ placeholders), what the PyTorch op carries."""

    def __init__(self, tree):
        self._tree = tree
        attr, region = _split(tree) if tree is not None else (None, None)
        data = _attr_data(attr, []) if attr is not None else []
        if region is not None:
            _expr.data_of(region, data)
        self.data = tuple(d.array for d in data)
        index = {id(d): n for n, d in enumerate(data)}
        self.desc = json.dumps({
            "attr": _render_attr(attr, lambda d: f"${index[id(d)]}$") if attr else None,
            "region": _expr.render_region(region, MASK_REGION_HEADER,
                                          lambda d: f"%d${index[id(d)]}$") if region else None,
            "data": [d.describe() for d in data],
        }, sort_keys=True)

    def __and__(self, other):
        if not isinstance(other, Mask):
            return NotImplemented
        if self._tree is None or other._tree is None:
            return other if self._tree is None else self
        return Mask(_combine(_And, self._tree, other._tree))

    def __or__(self, other):
        if not isinstance(other, Mask):
            return NotImplemented
        if self._tree is None or other._tree is None:
            return full()
        if _has_expr(self._tree) or _has_expr(other._tree):
            return Mask(_Expr(_to_expr(_Or([self._tree, other._tree]))))
        return Mask(_combine(_Or, self._tree, other._tree))

    def __invert__(self):
        raise TypeError("attn masks have no complement (~); write the rule you want kept, or "
                        "trace it with attn.from_mask_mod")

    def __bool__(self):
        raise TypeError("an attn mask has no truth value; combine masks with & and |, not "
                        "'and'/'or'")

    def __repr__(self):
        d = json.loads(self.desc)
        attr = d["attr"] and re.sub(r"\$(\d+)\$", r"\1", d["attr"])
        parts = [p for p in (attr, "mask { ... }" if d["region"] else None) if p]
        return f"attn.Mask({' and '.join(parts) or 'full'})"


def full():
    """Every key is kept (no mask)."""
    return Mask(None)


def causal():
    """j <= i."""
    return Mask(_Causal())


def window(left, right=0):
    """Keeps i - j < left and j - i <= right: `left` keys up to and including
    the query, and `right` after it (right=0 is a causal sliding window)."""
    return Mask(_Window(_positive("left", left), _positive("right", right, 0)))


def sinks(count):
    """The first `count` keys (attention sinks): j < count."""
    return Mask(_Sinks(_positive("count", count)))


def _integer_data(name, array, ndims, view=None):
    data = Data(array, view=view)
    if data.dtype not in ("i32", "i64"):
        raise TypeError(f"{name} must hold int32 or int64 values, got {data.dtype}")
    if data.ndim not in ndims:
        raise ValueError(f"{name} must have rank {' or '.join(map(str, ndims))}, got "
                         f"{data.ndim - (1 if view else 0)}")
    return data


def prefix(lengths):
    """Prefix-LM: j <= i or j < lengths[b]; `lengths` is an int tensor [B]."""
    return Mask(_PrefixLM(_integer_data("prefix lengths", lengths, (1,))))


def documents(ids=None, *, offsets=None, causal=False):
    """Packed documents: keeps keys of the query's document (and j <= i when
    causal). Give either `ids`, the document id of every token ([B, S], or
    [S] shared by the batch), or `offsets`, the start of every document and
    the total length ([N + 1], shared by the batch)."""
    if (ids is None) == (offsets is None):
        raise TypeError("documents() takes either ids or offsets=")
    if ids is not None:
        rank = len(getattr(ids, "shape", ()))
        data = _integer_data("document ids", ids, (2,), view="batch" if rank == 1 else None)
        return Mask(_Documents(data, "ids", bool(causal)))
    return Mask(_Documents(_integer_data("document offsets", offsets, (1,)), "offsets",
                           bool(causal)))


def s2(block=64, local=16, stride=8, offset=0, dense_heads=0, homo_head=False):
    """S2-Attention (DKernel): j <= i and (blk(i) - blk(j) < local or
    (blk(j) + g * sigma + offset) mod stride == 0), docs/spec-language.md."""
    _positive("block", block), _positive("local", local, 0), _positive("stride", stride)
    _positive("offset", offset, 0), _positive("dense_heads", dense_heads, 0)
    return Mask(_Plain(f"#attn.s2<block = {block}, local = {local}, stride = {stride}, "
                       f"offset = {offset}, dense_heads = {dense_heads}, "
                       f"homo_head = {'true' if homo_head else 'false'}>"))


def shifted_groups(group):
    """LongLoRA: causal inside groups of `group` tokens, shifted by group/2
    for the upper half of the heads."""
    if _positive("group", group, 2) % 2:
        raise ValueError(f"group must be even, got {group}")
    return Mask(_Plain(f"#attn.shifted_groups<group = {group}>"))


def star_anchor(block):
    """Star Attention phase 1: the query's block (causal) plus the first."""
    return Mask(_Plain(f"#attn.star_anchor<block = {_positive('block', block)}>"))


def neighborhood(grid, kernel, dilation=None, stride=None, causal=None):
    """NATTEN / GNA neighborhood attention on a row-major grid (the sequence
    length is the grid's volume)."""
    grid, kernel = list(grid), list(kernel)
    if not grid:
        raise ValueError("neighborhood() needs a grid of rank >= 1")
    fields = [("grid", grid), ("kernel", kernel)]
    for name, values in (("dilation", dilation), ("stride", stride)):
        if values is not None:
            fields.append((name, list(values)))
    for name, values in fields:
        if len(values) != len(grid):
            raise ValueError(f"neighborhood {name} has {len(values)} entries, the grid "
                             f"{len(grid)}")
        for v in values:
            _positive(f"neighborhood {name} entries", v)
    text = ", ".join(f"{n} = [{', '.join(map(str, v))}]" for n, v in fields)
    if causal is not None:
        flags = list(causal)
        if len(flags) != len(grid):
            raise ValueError(f"neighborhood causal has {len(flags)} entries, the grid "
                             f"{len(grid)}")
        text += f", causal = [{', '.join('true' if c else 'false' for c in flags)}]"
    return Mask(_Plain(f"#attn.neighborhood<{text}>"))


def block_list(blocks, block_q=128, block_kv=128):
    """Block-sparse routing (MoBA): key block j // block_kv is kept when it is
    listed in blocks[b, h, i // block_q, :] ([B, Hq, ceil(Sq/block_q), K],
    int; negative entries are padding)."""
    data = _integer_data("block list", blocks, (4,))
    return Mask(_Blocks("block_list", data, _positive("block_q", block_q),
                        _positive("block_kv", block_kv)))


def block_mask(mask, block_q=128, block_kv=64):
    """A block mask (SpargeAttn): keeps (i, j) when
    mask[b, h, i // block_q, j // block_kv] is non-zero
    ([B, Hq, ceil(Sq/block_q), ceil(Skv/block_kv)], int, uint8 or bool)."""
    data = Data(mask)
    if data.dtype not in ("i32", "i64", "u8", "i1"):
        raise TypeError(f"block mask must hold int32, int64, uint8 or bool values, got "
                        f"{data.dtype}")
    if data.ndim != 4:
        raise ValueError(f"block mask must have rank 4, got {data.ndim}")
    return Mask(_Blocks("block_mask", data, _positive("block_q", block_q),
                        _positive("block_kv", block_kv)))


# --- recognising traced rules -------------------------------------------------

def _linear(n):
    """{i: a, j: b, 1: c} when n = a*i + b*j + c, else None."""
    if n.op == "const" and n.kind == INT:
        return {"i": 0, "j": 0, 1: n.value}
    if n.op == "var" and n.value in ("i", "j"):
        form = {"i": 0, "j": 0, 1: 0}
        form[n.value] = 1
        return form
    if n.op in ("add", "sub") and n.kind == INT:
        x, y = _linear(n.args[0]), _linear(n.args[1])
        if x is None or y is None:
            return None
        sign = 1 if n.op == "add" else -1
        return {k: x[k] + sign * y[k] for k in x}
    if n.op == "neg":
        x = _linear(n.args[0])
        return None if x is None else {k: -v for k, v in x.items()}
    if n.op == "mul":
        x, y = _linear(n.args[0]), _linear(n.args[1])
        if x is None or y is None:
            return None
        for p, q in ((x, y), (y, x)):
            if p["i"] == p["j"] == 0:
                return {k: p[1] * v for k, v in q.items()}
    return None


_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}


def _constraint(n):
    """("band", lo, hi) bounding d = i - j, or ("sinks", count), for a
    comparison of linear forms; else None."""
    if n.op not in _FLIP or n.args[0].kind != INT:
        return None
    x, y = _linear(n.args[0]), _linear(n.args[1])
    if x is None or y is None:
        return None
    form = {k: x[k] - y[k] for k in x}  # form op 0
    op = n.op
    if form["i"] == 1 and form["j"] == -1 or form["i"] == -1 and form["j"] == 1:
        if form["i"] == -1:
            form, op = {k: -v for k, v in form.items()}, _FLIP[op]
        c = -form[1]  # d op c
        bounds = {"lt": (None, c - 1), "le": (None, c), "gt": (c + 1, None), "ge": (c, None),
                  "eq": (c, c)}.get(op)
        return None if bounds is None else ("band",) + bounds
    if form["i"] == 0 and abs(form["j"]) == 1:
        if form["j"] == -1:
            form, op = {k: -v for k, v in form.items()}, _FLIP[op]
        c = -form[1]  # j op c
        count = {"lt": c, "le": c + 1}.get(op)
        return ("sinks", count) if count is not None and count >= 1 else None
    return None


def _flatten(n, op):
    if n.op == op and n.kind == BOOL:
        return _flatten(n.args[0], op) + _flatten(n.args[1], op)
    return [n]


def _documents(n):
    """documents<ids> for ids[i] == ids[j] or ids[b, i] == ids[b, j]."""
    if n.op != "eq" or n.args[0].kind != INT:
        return None
    x, y = n.args
    if x.op != "read" or y.op != "read" or x.value is not y.value:
        return None
    data = x.value
    ix, iy = [a.value if a.op == "var" else None for a in x.args], \
        [a.value if a.op == "var" else None for a in y.args]
    if sorted([ix[-1], iy[-1]]) != ["i", "j"]:
        return None
    if data.ndim == 1:
        return _Documents(Data(data.array, view="batch"), "ids", False)
    if data.ndim == 2 and ix[0] == iy[0] == "b":
        return _Documents(Data(data.array), "ids", False)
    return None


def _prefix(terms):
    """prefix_lm for {j <= i, j < lengths[b]} (the two terms of an OR)."""
    if len(terms) != 2:
        return None
    for causal_term, other in (terms, terms[::-1]):
        if _constraint(causal_term) != ("band", 0, None):
            continue
        n = other
        if n.op == "gt":
            n = Node("lt", (n.args[1], n.args[0]), BOOL)
        if n.op == "lt" and n.args[0].op == "var" and n.args[0].value == "j" and \
                n.args[1].op == "read" and n.args[1].value.ndim == 1 and \
                n.args[1].args[0].op == "var" and n.args[1].args[0].value == "b" and \
                n.args[1].value.dtype in ("i32", "i64"):
            return _PrefixLM(n.args[1].value)
    return None


def _and_node(nodes):
    result = nodes[0]
    for n in nodes[1:]:
        result = _node("and", result, n)
    return result


def recognize(node, causal_context=False):
    """A mask tree for a traced rule: the closed forms of the spec language
    become attributes (so tiles are classified at compile time); the rest
    stays an expression for a `mask { }` region."""
    if node.op == "const":
        if node.value:
            return None
        raise ValueError("the mask_mod keeps no key at all")
    if node.op == "or" and node.kind == BOOL:
        terms = _flatten(node, "or")
        prefix_attr = _prefix(terms)
        if prefix_attr is not None:
            return prefix_attr
        parts = [recognize(t, causal_context) for t in terms]
        if any(p is None or _has_expr(p) for p in parts):
            return _Expr(node)
        return _Or(parts)
    terms = _flatten(node, "and")
    lo = hi = None
    band_terms, attrs, rest = [], [], []
    for t in terms:
        c = _constraint(t)
        if c is not None and c[0] == "band":
            band_terms.append(t)
            lo = c[1] if lo is None else c[1] if c[1] is not None and c[1] > lo else lo
            hi = c[2] if hi is None else c[2] if c[2] is not None and c[2] < hi else hi
        elif c is not None:
            attrs.append(_Sinks(c[1]))
        else:
            attrs.append(t)
    causal_context = causal_context or (lo is not None and lo >= 0)
    band = []
    if lo is None and hi is None:
        pass
    elif lo == 0 and hi is None:
        band = [_Causal()]
    elif lo is not None and hi is not None and lo <= 0 <= hi:
        band = [_Window(hi + 1, -lo)]
    elif lo is None and hi is not None and hi >= 0 and causal_context:
        band = [_Window(hi + 1, 0)]  # j <= i holds around it
    else:
        rest.extend(band_terms)
    result = list(band)
    for t in attrs:
        if isinstance(t, _Attr):
            result.append(t)
            continue
        documents_attr = _documents(t)
        if documents_attr is not None:
            result.append(documents_attr)
            continue
        sub = recognize(t, causal_context) if t.op == "or" else None
        if sub is not None and not _has_expr(sub):
            result.append(sub)
        else:
            rest.append(t)
    # documents AND causal: the attribute's own causal flag.
    if any(isinstance(a, _Causal) for a in result):
        docs = [a for a in result if isinstance(a, _Documents) and not a.causal]
        if docs:
            docs[0].causal = True
            result = [a for a in result if not isinstance(a, _Causal)]
    if rest:
        result.append(_Expr(_and_node(rest)))
    if not result:
        return None
    return result[0] if len(result) == 1 else _And(result)


def traced(node):
    """A Mask for a traced bool expression."""
    return Mask(recognize(node))
