"""Score modifications (docs/spec-language.md): soft-capping, ALiBi, an
additive bias, and score_mods traced from FlexAttention functions. A list
applies in order; `score` is the scaled score scale * q.k."""

import json
import math

from . import _expr
from ._expr import FLOAT, Data, Node

__all__ = ["ScoreMod", "softcap", "alibi", "bias", "compose"]

SCORE_REGION_HEADER = "^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):"


class _Softcap:
    data = ()

    def __init__(self, cap):
        self.cap = cap

    def render(self, index):
        return f"#attn.softcap<{_expr.float_literal(self.cap)}>"


class _Alibi:
    data = ()

    def __init__(self, max_bias):
        self.max_bias = max_bias

    def render(self, index):
        return f"#attn.alibi<max_bias = {_expr.float_literal(self.max_bias)}>"


class _Bias:
    def __init__(self, data):
        self.data = (data,)

    def render(self, index):
        return f"#attn.bias<operand = {index(self.data[0])}>"


class ScoreMod:
    """Attribute score mods applied in order, then at most one traced
    expression of the score (the op's `score { }` region)."""

    def __init__(self, attrs=(), node=None):
        self._attrs = list(attrs)
        self._node = node
        data = []
        for a in self._attrs:
            for d in a.data:
                if not any(d is f for f in data):
                    data.append(d)
        if node is not None:
            _expr.data_of(node, data)
        self.data = tuple(d.array for d in data)
        index = {id(d): n for n, d in enumerate(data)}
        self.desc = json.dumps({
            "attrs": [a.render(lambda d: f"${index[id(d)]}$") for a in self._attrs],
            "region": _expr.render_region(node, SCORE_REGION_HEADER,
                                          lambda d: f"%d${index[id(d)]}$") if node else None,
            "data": [d.describe() for d in data],
        }, sort_keys=True)

    def __repr__(self):
        d = json.loads(self.desc)
        return f"attn.ScoreMod({', '.join(d['attrs'] + (['score { ... }'] if d['region'] else []))})"


def softcap(cap):
    """cap * tanh(score / cap) (Gemma 2, Grok)."""
    cap = float(cap)
    if not (cap > 0 and math.isfinite(cap)):
        raise ValueError(f"softcap must be positive and finite, got {cap}")
    return ScoreMod([_Softcap(cap)])


def alibi(max_bias=8.0):
    """score - slope_h * (i - j), slope_h = 2^(-max_bias (h + 1) / Hq)."""
    max_bias = float(max_bias)
    if not (max_bias > 0 and math.isfinite(max_bias)):
        raise ValueError(f"alibi max_bias must be positive and finite, got {max_bias}")
    return ScoreMod([_Alibi(max_bias)])


def bias(tensor):
    """score + tensor[b, h, i, j]; tensor is [B or 1, Hq or 1, Sq, Skv],
    floats (a batch or head dimension of extent 1 is broadcast)."""
    shape = tuple(getattr(tensor, "shape", ()))
    static = [(d, 1) for d in (0, 1) if len(shape) == 4 and shape[d] == 1]
    data = Data(tensor, static=static)
    if data.dtype not in ("f16", "bf16", "f32", "f64"):
        raise TypeError(f"bias must hold floats, got {data.dtype}")
    if data.ndim != 4:
        raise ValueError(f"bias must have rank 4 ([B or 1, Hq or 1, Sq, Skv]), got {data.ndim}")
    return ScoreMod([_Bias(data)])


def _substitute(node, score, memo=None):
    """`node` with the score variable replaced by `score`."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if node.op == "var" and node.value == "score":
        result = score
    elif not node.args:
        result = node
    else:
        result = Node(node.op, [_substitute(a, score, memo) for a in node.args], node.kind,
                      node.value)
    memo[id(node)] = result
    return result


def compose(mods):
    """One ScoreMod applying `mods` (ScoreMod objects) in order."""
    attrs, node = [], None
    for mod in mods:
        if not isinstance(mod, ScoreMod):
            raise TypeError(f"score_mod entries must be attn score mods (attn.score_mods.*, "
                            f"attn.from_score_mod), got {type(mod).__name__}")
        if mod._attrs and node is not None:
            raise TypeError("softcap, alibi and bias apply before traced score_mods in a spec; "
                            "list them first")
        attrs.extend(mod._attrs)
        if mod._node is not None:
            node = mod._node if node is None else _substitute(mod._node, node)
    return ScoreMod(attrs, node)


def _match_softcap(n):
    """(cap, inner) for cap * tanh(inner / cap) (either operand order, or
    inner * (1 / cap)), else None."""
    if n.op != "mul" or n.kind != FLOAT:
        return None
    for c, t in (n.args, n.args[::-1]):
        if c.op == "const" and t.op == "tanh":
            inner = t.args[0]
            if inner.op == "truediv" and inner.args[1].op == "const" and \
                    inner.args[1].value == c.value:
                return c.value, inner.args[0]
            if inner.op == "mul":
                for x, k in (inner.args, inner.args[::-1]):
                    if k.op == "const" and c.value and k.value == 1.0 / c.value:
                        return c.value, x
    return None


def _match_bias(n):
    """(Data, inner) for inner + bias[b|0, h|0, i, j], else None."""
    if n.op != "add" or n.kind != FLOAT:
        return None
    for inner, r in (n.args, n.args[::-1]):
        if r.op != "read" or r.value.ndim != 4 or r.value.dtype not in ("f16", "bf16", "f32",
                                                                        "f64"):
            continue
        shape = tuple(r.value.array.shape)
        want = [("b", shape[0]), ("h", shape[1]), ("i", None), ("j", None)]
        ok = True
        for index, (name, extent) in zip(r.args, want):
            if index.op == "var" and index.value == name:
                continue
            if index.op == "const" and index.value == 0 and extent == 1:
                continue
            ok = False
        if ok:
            static = [(d, 1) for d in (0, 1) if shape[d] == 1]
            return Data(r.value.array, static=static), inner
    return None


def traced(node):
    """A ScoreMod for a traced score expression: softcap and bias chains
    applied directly to the score become attributes, anything else a region."""
    attrs = []
    n = node
    while True:
        if n.op == "var" and n.value == "score":
            return ScoreMod(list(reversed(attrs)))
        softcap_match = _match_softcap(n)
        if softcap_match is not None and softcap_match[0] > 0:
            attrs.append(_Softcap(softcap_match[0]))
            n = softcap_match[1]
            continue
        bias_match = _match_bias(n)
        if bias_match is not None:
            attrs.append(_Bias(bias_match[0]))
            n = bias_match[1]
            continue
        return ScoreMod([], node)
