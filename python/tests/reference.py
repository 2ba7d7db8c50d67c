"""A float64 attention reference in NumPy for the tests, written from
docs/spec-language.md and independent of the package under test."""

import numpy as np


def attention(q, k, v, keep=None, scale=None, score=None):
    """O and LSE for q [B, Hq, Sq, E], k/v [B, Hkv, Skv, *]; keep is a bool
    array broadcasting to [B, Hq, Sq, Skv]; score(s) modifies scaled scores."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = np.einsum("bhie,bhje->bhij", q, k) * (scale if scale is not None
                                               else 1 / np.sqrt(q.shape[-1]))
    if score is not None:
        s = score(s)
    if keep is not None:
        s = np.where(np.broadcast_to(keep, s.shape), s, -np.inf)
    m = s.max(-1, keepdims=True)
    finite = np.isfinite(m)
    p = np.where(finite, np.exp(s - np.where(finite, m, 0)), 0)
    total = p.sum(-1, keepdims=True)
    o = np.einsum("bhij,bhjf->bhif", p / np.where(total > 0, total, 1), v)
    lse = np.where(total[..., 0] > 0, np.log(np.where(total[..., 0] > 0, total[..., 0], 1))
                   + np.where(finite[..., 0], m[..., 0], 0), -np.inf)
    return o, lse


def rel_err(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert not np.isnan(got).any(), "NaN in the output"
    return np.linalg.norm(got - want) / np.linalg.norm(want)


def grid(b, h, sq, skv):
    """Broadcastable index arrays b, h, i, j."""
    return (np.arange(b)[:, None, None, None], np.arange(h)[None, :, None, None],
            np.arange(sq)[None, None, :, None], np.arange(skv)[None, None, None, :])


TOLERANCE = {"f32": 1e-5, "f16": 1e-2, "bf16": 1e-2}


def attention_backward(q, k, v, do, keep=None, scale=None, score=None, score_grad=None,
                       bias=None):
    """(dQ, dK, dV) in float64 for the attention() above and dO; score_grad(s)
    is d score(s) / ds at the scaled scores s. GQA sums dK, dV over each
    group's query heads. With a bias (added to the scaled scores, broadcast),
    also dBias = dS at [B, Hq, Sq, Skv]."""
    q, k, v, do = (np.asarray(x, dtype=np.float64) for x in (q, k, v, do))
    group = q.shape[1] // k.shape[1]
    kr, vr = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    scale = scale if scale is not None else 1 / np.sqrt(q.shape[-1])
    raw = np.einsum("bhie,bhje->bhij", q, kr) * scale
    if bias is not None:
        raw = raw + np.asarray(bias, dtype=np.float64)
    s = score(raw) if score is not None else raw
    if keep is not None:
        s = np.where(np.broadcast_to(keep, s.shape), s, -np.inf)
    m = s.max(-1, keepdims=True)
    p = np.exp(s - np.where(np.isfinite(m), m, 0))
    total = p.sum(-1, keepdims=True)
    p = p / np.where(total > 0, total, 1)
    o = np.einsum("bhij,bhjf->bhif", p, vr)
    dv = np.einsum("bhij,bhif->bhjf", p, do)
    dp = np.einsum("bhif,bhjf->bhij", do, vr)
    ds = p * (dp - (do * o).sum(-1, keepdims=True))
    if score_grad is not None:
        ds = ds * score_grad(raw)
    dq = np.einsum("bhij,bhje->bhie", ds, kr) * scale
    dk = np.einsum("bhij,bhie->bhje", ds, q) * scale

    def fold(x):  # [B, Hq, ...] -> [B, Hkv, ...]: sum over each group
        return x.reshape(x.shape[0], x.shape[1] // group, group, *x.shape[2:]).sum(2)
    if bias is not None:
        return dq, fold(dk), fold(dv), ds
    return dq, fold(dk), fold(dv)
