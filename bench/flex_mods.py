"""FlexAttention-style mask_mods and score_mods for the benchmark cases
(equivalents of ../shared/bench/anchors.py's, written here). They use only
operators and tensor methods, so they run on PyTorch tensors (FlexAttention,
under vmap) and trace on attn's proxies without PyTorch (the precompile step
on the compiler machine)."""


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding(window):
    def mask_mod(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (q_idx - kv_idx < window)
    mask_mod.__name__ = f"sliding{window}"
    return mask_mod


def equal_documents(length, n):
    """n causal documents of equal length packed in `length` tokens."""
    size = length // n

    def mask_mod(b, h, q_idx, kv_idx):
        return (q_idx // size == kv_idx // size) & (q_idx >= kv_idx)
    return mask_mod


def s2_heads(local_blocks, stride, block=64):
    """S2-style: causal, the local blocks plus every stride-th block, offset
    by the head."""
    def mask_mod(b, h, q_idx, kv_idx):
        qb, kb = q_idx // block, kv_idx // block
        return (q_idx >= kv_idx) & (((qb - kb) < local_blocks) | ((kb + h + 1) % stride == 0))
    mask_mod.per_head = True
    return mask_mod


def natten2d(side, kernel):
    """NATTEN 2-D on a side x side grid: a kernel x kernel window shifted (not
    shrunk) at the borders."""
    r = kernel // 2

    def mask_mod(b, h, q_idx, kv_idx):
        qi, qj, ki, kj = q_idx // side, q_idx % side, kv_idx // side, kv_idx % side
        ci, cj = qi.clamp(r, side - 1 - r), qj.clamp(r, side - 1 - r)
        return ((ki - ci).abs() <= r) & ((kj - cj).abs() <= r)
    return mask_mod


def softcap(cap):
    def score_mod(score, b, h, q_idx, kv_idx):
        return cap * (score / cap).tanh()
    return score_mod
