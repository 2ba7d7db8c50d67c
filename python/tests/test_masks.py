"""attn.attention with every mask object and score mod, against a float64
NumPy reference written from docs/spec-language.md, at ragged sizes."""

import numpy as np
import pytest

import attn
import reference
from attn import masks, score_mods

B, HQ, HKV, E, F = 2, 4, 2, 32, 16


def qkv(rng, sq, skv, dtype=np.float32, e=E, f=F):
    return (rng.standard_normal((B, HQ, sq, e)).astype(dtype),
            rng.standard_normal((B, HKV, skv, e)).astype(dtype),
            rng.standard_normal((B, HKV, skv, f)).astype(dtype))


def check(rng, mask, keep, sq=45, skv=61, score_mod=None, score=None, scale=None,
          dtype=np.float32):
    q, k, v = qkv(rng, sq, skv, dtype)
    o, lse = attn.attention(q, k, v, mask=mask, score_mod=score_mod, scale=scale,
                            return_lse=True)
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    want_o, want_lse = reference.attention(q, k, v, keep(b, h, i, j) if keep else None,
                                           scale, score and (lambda s: score(s, b, h, i, j)))
    tolerance = reference.TOLERANCE[{np.float32: "f32", np.float16: "f16"}[dtype]]
    assert o.dtype == dtype and o.shape == (B, HQ, sq, F)
    assert reference.rel_err(o, want_o) < tolerance
    finite = np.isfinite(want_lse)
    assert np.array_equal(np.isfinite(lse), finite), "-inf LSE rows differ"
    assert reference.rel_err(lse[finite], want_lse[finite]) < tolerance


def doc_of(offsets, x):
    return np.searchsorted(offsets, x, side="right") - 1


def test_full_and_causal(rng):
    check(rng, None, None)
    check(rng, masks.causal(), lambda b, h, i, j: j <= i)


def test_window_and_combinations(rng):
    check(rng, masks.window(7), lambda b, h, i, j: (i - j < 7) & (j - i <= 0))
    check(rng, masks.window(5, right=3), lambda b, h, i, j: (i - j < 5) & (j - i <= 3))
    check(rng, masks.causal() & (masks.sinks(4) | masks.window(9)),
          lambda b, h, i, j: (j <= i) & ((j < 4) | ((i - j < 9) & (j <= i))))
    check(rng, masks.sinks(3), lambda b, h, i, j: j < 3, sq=20)


def test_half_precision(rng):
    check(rng, masks.causal() & masks.window(16), lambda b, h, i, j: (j <= i) & (i - j < 16),
          dtype=np.float16)


def test_prefix(rng):
    lengths = np.array([5, 17], np.int32)
    check(rng, masks.prefix(lengths), lambda b, h, i, j: (j <= i) | (j < lengths[b]))


def test_documents_ids_and_offsets(rng):
    s = 50
    ids = np.sort(rng.integers(0, 4, (B, s))).astype(np.int64)
    check(rng, masks.documents(ids), lambda b, h, i, j: ids[b, i] == ids[b, j], sq=s, skv=s)
    shared = np.repeat(np.arange(5, dtype=np.int32), 10)
    check(rng, masks.documents(shared, causal=True),
          lambda b, h, i, j: (shared[i] == shared[j]) & (j <= i), sq=s, skv=s)
    offsets = np.array([0, 7, 19, 40, s], np.int64)
    check(rng, masks.documents(offsets=offsets) & masks.causal(),
          lambda b, h, i, j: (doc_of(offsets, i) == doc_of(offsets, j)) & (j <= i), sq=s, skv=s)


def test_s2(rng):
    block, local, stride, offset = 4, 2, 3, 1

    def keep(b, h, i, j):
        g = h // (HQ // HKV)
        sigma = max(1, stride // HQ)
        vertical = (j // block + g * sigma + offset) % stride == 0
        return (j <= i) & ((i // block - j // block < local) | vertical)
    check(rng, masks.s2(block=block, local=local, stride=stride, offset=offset), keep,
          sq=70, skv=70)


def test_shifted_groups_and_star_anchor(rng):
    def shifted(b, h, i, j):
        shift = np.where(h < HQ // 2, 0, 4)
        return (j <= i) & ((i + shift) // 8 == (j + shift) // 8)
    check(rng, masks.shifted_groups(8), shifted)
    check(rng, masks.star_anchor(10),
          lambda b, h, i, j: ((j // 10 == i // 10) & (j <= i)) | (j // 10 == 0))


def test_neighborhood_2d(rng):
    side, kernel, r = 7, 3, 1

    def keep(b, h, i, j):
        qi, qj, ki, kj = i // side, i % side, j // side, j % side
        ci, cj = np.clip(qi, r, side - 1 - r), np.clip(qj, r, side - 1 - r)
        return (np.abs(ki - ci) <= r) & (np.abs(kj - cj) <= r)
    check(rng, masks.neighborhood([side, side], [kernel, kernel]), keep, sq=49, skv=49)


def test_block_list_and_block_mask(rng):
    sq, skv, bq, bkv = 45, 61, 16, 8
    listed = rng.integers(-1, -(-skv // bkv), (B, HQ, -(-sq // bq), 3)).astype(np.int32)

    def keep_list(b, h, i, j):
        # listed[b, h, i // bq] is [B, Hq, Sq, 1, K]; compare with each key's block.
        return np.any(listed[b, h, i // bq] == (j // bkv)[..., None], -1)
    check(rng, masks.block_list(listed, block_q=bq, block_kv=bkv), keep_list, sq=sq, skv=skv)
    blocks = rng.integers(0, 2, (B, HQ, -(-sq // bq), -(-skv // bkv))).astype(np.uint8)
    check(rng, masks.block_mask(blocks, block_q=bq, block_kv=bkv),
          lambda b, h, i, j: blocks[b, h, i // bq, j // bkv] != 0, sq=sq, skv=skv)


def test_score_mods_and_scale(rng):
    check(rng, masks.causal(), lambda b, h, i, j: j <= i, score_mod=score_mods.softcap(2.5),
          score=lambda s, b, h, i, j: 2.5 * np.tanh(s / 2.5))
    check(rng, masks.causal(), lambda b, h, i, j: j <= i, score_mod=score_mods.alibi(4.0),
          score=lambda s, b, h, i, j: s - 2.0 ** (-4.0 * (h + 1) / HQ) * (i - j))
    bias = rng.standard_normal((1, HQ, 45, 61)).astype(np.float32)
    check(rng, None, None, score_mod=[score_mods.bias(bias), score_mods.softcap(3.0)],
          score=lambda s, b, h, i, j: 3.0 * np.tanh((s + bias) / 3.0), scale=0.3)


def test_one_compile_serves_every_length(rng):
    mask = masks.causal() & masks.window(12)
    before = len(attn.kernel._loaded)
    for sq in (5, 33, 64):
        check(rng, mask, lambda b, h, i, j: (j <= i) & (i - j < 12), sq=sq, skv=sq + 3)
    assert len(attn.kernel._loaded) - before <= 1


def test_mask_argument_errors():
    with pytest.raises(ValueError, match="left must be >= 1, got 0"):
        masks.window(0)
    with pytest.raises(TypeError, match="left must be an int, got float"):
        masks.window(3.5)
    with pytest.raises(ValueError, match="group must be even, got 5"):
        masks.shifted_groups(5)
    with pytest.raises(TypeError, match="either ids or offsets="):
        masks.documents()
    with pytest.raises(TypeError, match="document ids must hold int32 or int64 values, got f32"):
        masks.documents(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="prefix lengths must have rank 1, got 2"):
        masks.prefix(np.zeros((2, 2), np.int32))
    with pytest.raises(ValueError, match="neighborhood kernel has 1 entries, the grid 2"):
        masks.neighborhood([4, 4], [3])
    with pytest.raises(TypeError, match="no complement"):
        ~masks.causal()
    with pytest.raises(TypeError, match="no truth value"):
        masks.causal() and masks.sinks(2)
    with pytest.raises(ValueError, match="softcap must be positive and finite, got -1.0"):
        score_mods.softcap(-1)
    with pytest.raises(TypeError, match="list them first"):
        attn.as_score_mod([attn.from_score_mod(lambda s, b, h, i, j: s * 2), score_mods.softcap(3)])


def test_shape_errors(rng):
    q, k, v = qkv(rng, 8, 8)
    with pytest.raises(ValueError, match=r"must be \[B, H, S, D\], got shape \[4, 8, 32\]"):
        attn.attention(q[0], k, v)
    with pytest.raises(TypeError, match="one dtype, got f32, f16, f32"):
        attn.attention(q, k.astype(np.float16), v)
    with pytest.raises(ValueError, match=r"query heads \(4\) must be a multiple of key/value "
                                         r"heads \(3\)"):
        attn.attention(q, np.concatenate([k, k[:, :1]], 1), np.concatenate([v, v[:, :1]], 1))
    with pytest.raises(attn.KernelError, match="ATTN_ERROR_ARGUMENT_MISMATCH"):
        attn.attention(q, k, v, mask=masks.prefix(np.zeros(3, np.int32)))


def test_prepare_compiles_for_a_gpu_without_one(monkeypatch):
    monkeypatch.delenv("ATTN_CUDA_TARGETS", raising=False)
    shape = ("bf16", (1, 8, 1, 64))
    kernel = attn.prepare(shape, shape, shape, mask=masks.causal(), device="cuda")
    assert kernel.targets == ["sm_80", "sm_90"]
    assert {kind for _, kind in kernel.binaries} <= {"ptx", "cubin"}
    monkeypatch.setenv("ATTN_CUDA_TARGETS", "sm_90")
    assert attn.prepare(shape, shape, shape, mask=masks.causal(), device="cuda").targets == \
        ["sm_90"]
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'tpu'"):
        attn.prepare(shape, shape, shape, device="tpu")
