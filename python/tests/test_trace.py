"""attn.from_mask_mod / from_score_mod on plain-Python and NumPy functions:
the recognised closed forms, regions, captured arrays, and the errors.

The reference evaluates the very same Python function on NumPy index grids,
so each check compares the traced spec with the function's own meaning."""

import json

import numpy as np
import pytest

import attn
import reference
from test_masks import B, F, HQ, qkv


def desc(mask):
    return json.loads(mask.desc)


def run(rng, mask_mod=None, score_mod=None, sq=45, skv=45, scale=None):
    q, k, v = qkv(rng, sq, skv)
    o = attn.attention(q, k, v, mask=mask_mod and attn.from_mask_mod(mask_mod),
                       score_mod=score_mod and attn.from_score_mod(score_mod), scale=scale)
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    keep = mask_mod(b, h, i, j) if mask_mod else None
    want, _ = reference.attention(q, k, v, keep, scale,
                                  score_mod and (lambda s: score_mod(s, b, h, i, j)))
    assert o.shape == (B, HQ, sq, F)
    assert reference.rel_err(o, want) < 1e-5


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding(window):
    def mask_mod(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (q_idx - kv_idx < window)
    return mask_mod


def test_closed_forms_become_attributes(rng):
    assert desc(attn.from_mask_mod(causal)) == {"attr": "#attn.causal", "region": None,
                                                "data": []}
    assert desc(attn.from_mask_mod(sliding(8)))["attr"] == "#attn.window<left = 8, right = 0>"
    band = attn.from_mask_mod(lambda b, h, q, k: (k - q <= 2) & (q - k <= 4))
    assert desc(band)["attr"] == "#attn.window<left = 5, right = 2>"
    streaming = attn.from_mask_mod(lambda b, h, q, k: (q >= k) & ((k < 4) | (q - k < 9)))
    assert desc(streaming)["attr"] == \
        "#attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 4>, " \
        "#attn.window<left = 9, right = 0>]>]>"
    run(rng, causal)
    run(rng, sliding(8), sq=40, skv=52)
    run(rng, lambda b, h, q, k: (k - q <= 2) & (q - k <= 4))
    run(rng, lambda b, h, q, k: (q >= k) & ((k < 4) | (q - k < 9)))


def test_documents_and_prefix_from_captured_arrays(rng):
    s = 48
    document_ids = np.repeat(np.arange(4), 12).astype(np.int64)

    def document_causal(b, h, q_idx, kv_idx):
        return (document_ids[q_idx] == document_ids[kv_idx]) & (q_idx >= kv_idx)
    traced = attn.from_mask_mod(document_causal)
    assert desc(traced)["attr"] == "#attn.documents<operand = $0$, layout = ids, causal = true>"
    assert desc(traced)["data"][0]["view"] == "batch"
    run(rng, document_causal, sq=s, skv=s)

    lengths = np.array([6, 30], np.int32)

    def prefix_lm(b, h, q_idx, kv_idx):
        return (kv_idx <= q_idx) | (kv_idx < lengths[b])
    assert desc(attn.from_mask_mod(prefix_lm))["attr"] == "#attn.prefix_lm<operand = $0$>"
    run(rng, prefix_lm, sq=40, skv=55)


def s2_like(local_blocks, stride, block=4):
    def mask_mod(b, h, q_idx, kv_idx):
        qb, kb = q_idx // block, kv_idx // block
        return (q_idx >= kv_idx) & (((qb - kb) < local_blocks) | ((kb + h + 1) % stride == 0))
    return mask_mod


def natten2d(side, kernel):
    r = kernel // 2

    def mask_mod(b, h, q_idx, kv_idx):
        qi, qj, ki, kj = q_idx // side, q_idx % side, kv_idx // side, kv_idx % side
        ci = np.clip(qi, r, side - 1 - r)
        cj = qj.clip(r, side - 1 - r)
        return (abs(ki - ci) <= r) & (np.abs(kj - cj) <= r)
    return mask_mod


def test_rules_outside_the_vocabulary_become_a_region(rng):
    s2 = attn.from_mask_mod(s2_like(2, 3))
    assert desc(s2)["attr"] == "#attn.causal" and desc(s2)["region"]
    run(rng, s2_like(2, 3), sq=70, skv=70)
    assert desc(attn.from_mask_mod(natten2d(7, 3)))["attr"] is None
    run(rng, natten2d(7, 3), sq=49, skv=49)


def test_python_integer_semantics(rng):
    # Floor division and modulo of negative values round toward -inf.
    def mask_mod(b, h, q_idx, kv_idx):
        d = kv_idx - q_idx
        return ((d // 3) % 2 == 0) | (d % -4 == -1) | (-7 // 2 + h == -4)
    run(rng, mask_mod, sq=30, skv=37)

    def selects(b, h, q_idx, kv_idx):
        return np.where(h % 2 == 0, q_idx >= kv_idx, (q_idx + kv_idx) % 5 != 1) ^ (b == 1)
    run(rng, selects, sq=25, skv=31)


def test_captured_array_read_in_a_region(rng):
    allowed = rng.integers(0, 2, (HQ, 4, 4)).astype(bool)
    allowed[:, :, 0] = True

    def mask_mod(b, h, q_idx, kv_idx):
        return allowed[h, q_idx % 4, kv_idx % 4]
    traced = attn.from_mask_mod(mask_mod)
    assert desc(traced)["region"] and desc(traced)["data"][0]["dtype"] == "i1"
    run(rng, mask_mod, sq=21, skv=26)

    offsets = np.array([3, -2, 0, 5], np.int32)  # a global read in a region

    def shifted(b, h, q_idx, kv_idx):
        return kv_idx <= q_idx + offsets[h]
    run(rng, shifted, sq=20, skv=24)


def test_traced_score_mods(rng):
    def softcap(score, b, h, q_idx, kv_idx):
        return 4.0 * np.tanh(score / 4.0)
    assert json.loads(attn.from_score_mod(softcap).desc)["attrs"] == ["#attn.softcap<4.000000000e+00>"]
    run(rng, causal, softcap)
    bias = rng.standard_normal((B, HQ, 45, 45)).astype(np.float32)

    def biased(score, b, h, q_idx, kv_idx):
        return score + bias[b, h, q_idx, kv_idx]
    assert json.loads(attn.from_score_mod(biased).desc)["attrs"] == ["#attn.bias<operand = $0$>"]
    run(rng, None, biased)

    def relative(score, b, h, q_idx, kv_idx):
        return np.where(q_idx >= kv_idx, score - 0.25 * (q_idx - kv_idx) / (h + 1),
                        score * 0.5) + np.exp(-abs(score))
    assert json.loads(attn.from_score_mod(relative).desc)["region"]
    run(rng, sliding(20), relative, sq=33, skv=40, scale=0.2)


def test_tracing_is_cached_per_function():
    assert attn.from_mask_mod(causal) is attn.from_mask_mod(causal)


@pytest.mark.parametrize("mask_mod, message", [
    (lambda b, h, q, k: q >= k if q > 3 else q < k, "as a Python bool"),
    (lambda b, h, q, k: (q >= k) and (q - k < 3), "as a Python bool"),
    (lambda b, h, q, k: q ** 2 > k, r"uses \*\* on a traced value"),
    (lambda b, h, q, k: np.sin(q) > 0, "calls numpy.sin, which attn cannot trace"),
    (lambda b, h, q, k: q - k, "returns a int, not a bool"),
    (lambda b, h, q, k: [1, 2, 3][q] > k, "as a Python int"),
    (lambda b, h, q, k: q.bit_length() > k, r"uses .bit_length on a traced value"),
    (lambda b, h, q, k: (q >= k) & (q - k), "mixes a bool and an integer"),
    (lambda b, h, q, k: q // 0 > k, "divides by zero"),
    (lambda b, h, q, k: q // (h + 1) > k, "divisor that is not a constant"),
    (lambda b, h, q, k: q % k > 1, "divisor that is not a constant"),
    (lambda b, h, q, k: q // -1 > k, "divides by -1"),
])
def test_untraceable_functions_name_the_operation(mask_mod, message):
    with pytest.raises(attn.TraceError, match=message):
        attn.from_mask_mod(mask_mod)


def test_captured_array_errors():
    ids = np.arange(10)
    with pytest.raises(attn.TraceError, match="slices a captured array"):
        attn.from_mask_mod(lambda b, h, q, k, ids=ids: ids[q:] == 1)
    with pytest.raises(attn.TraceError, match="reads index 12 of dimension 0 \\(extent 10\\)"):
        attn.from_mask_mod(lambda b, h, q, k, ids=ids: ids[12] == k)
    with pytest.raises(attn.TraceError, match="combines a whole array with a traced value"):
        attn.from_mask_mod(lambda b, h, q, k, ids=ids: (ids + q)[0] == k)
    with pytest.raises(attn.TraceError, match="indexes a 1-d captured array with 2 indices"):
        attn.from_mask_mod(lambda b, h, q, k, ids=ids: ids[q, k] == 1)
    with pytest.raises(attn.TraceError, match="returns a bool; a score_mod returns the new score"):
        attn.from_score_mod(lambda s, b, h, q, k: s > 0)
    with pytest.raises(TypeError, match="from_mask_mod needs a function, got int"):
        attn.from_mask_mod(3)
