"""Times the anchors of a benchmark case on the GPU machine: FlexAttention
(compiled, with its block mask built by a compiled create_block_mask) and
PyTorch SDPA's cuDNN, FlashAttention-2 and memory-efficient backends, forward
or backward, with grouped-query heads where Hq != Hkv.

The backward is timed alone: one forward builds the autograd graph, then
torch.autograd.grad(out, (q, k, v), dO, retain_graph=True) is what
triton.testing.do_bench repeats (median).

Used by bench/backward.py and bench/run.py (for the cases that
../shared/bench/anchors.py does not cover: other head dimensions, GQA)."""

import torch
import torch.nn.functional as F
import triton.testing
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

import torch._dynamo

torch._dynamo.config.cache_size_limit = 4096
torch._dynamo.config.accumulated_cache_size_limit = 4096

SDPA_BACKENDS = (("sdpa_cudnn", SDPBackend.CUDNN_ATTENTION),
                 ("sdpa_flash", SDPBackend.FLASH_ATTENTION),
                 ("sdpa_mem_eff", SDPBackend.EFFICIENT_ATTENTION))

_flex = torch.compile(flex_attention, dynamic=False)
_block_mask = torch.compile(create_block_mask)


def median_ms(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def kept_fraction(mask_mod, heads, seq, device="cuda"):
    """Exact fraction of (h, i, j) a mask_mod keeps (batch row 0), counted on
    the GPU in query blocks so that no S x S tensor is materialised."""
    keys = torch.arange(seq, device=device)
    kept = 0
    zero = torch.zeros((), dtype=torch.int64, device=device)
    for h in range(heads):
        head = torch.tensor(h, device=device)
        for start in range(0, seq, 1024):
            queries = torch.arange(start, min(seq, start + 1024), device=device)
            kept += int(mask_mod(zero, head, queries[:, None], keys[None, :]).sum())
    return kept / (heads * seq * seq)


def _inputs(batch, q_heads, kv_heads, seq, head_dim, grad):
    def tensor(heads):
        return torch.randn(batch, heads, seq, head_dim, device="cuda",
                           dtype=torch.bfloat16, requires_grad=grad)
    return tensor(q_heads), tensor(kv_heads), tensor(kv_heads)


def _timed(forward, q, k, v, backward):
    if not backward:
        forward()
        return median_ms(forward)
    out = forward()
    d_out = torch.randn_like(out)
    step = lambda: torch.autograd.grad(out, (q, k, v), d_out, retain_graph=True)
    step()
    return median_ms(step)


def time_anchors(batch, q_heads, kv_heads, seq, head_dim, mask_mod=None,
                 score_mod=None, sdpa=None, backward=False, flex=True, log=None):
    """{impl: ms} for FlexAttention (unless `flex` is false: its compilation
    is most of the time) and, when `sdpa` is "full" or "causal", the SDPA
    backends; {impl + "_err": message} for one that fails."""
    q, k, v = _inputs(batch, q_heads, kv_heads, seq, head_dim, backward)
    gqa = q_heads != kv_heads
    results = {}
    try:
        if not flex:
            raise RuntimeError("not timed (--no-flex)")
        block_mask = None
        if mask_mod is not None:
            heads = q_heads if getattr(mask_mod, "per_head", False) else None
            block_mask = _block_mask(mask_mod, None, heads, seq, seq, device="cuda")
        forward = lambda: _flex(q, k, v, block_mask=block_mask, score_mod=score_mod,
                                enable_gqa=gqa)
        results["flex"] = _timed(forward, q, k, v, backward)
    except Exception as error:  # one anchor failing must not hide the others
        results["flex_err"] = str(error)[:200]
    if sdpa is not None:
        for name, backend in SDPA_BACKENDS:
            try:
                with sdpa_kernel(backend):
                    forward = lambda: F.scaled_dot_product_attention(
                        q, k, v, is_causal=(sdpa == "causal"), enable_gqa=gqa)
                    results[name] = _timed(forward, q, k, v, backward)
            except Exception as error:
                results[name + "_err"] = str(error)[:200]
    if log is not None:
        log.write(f"anchors B={batch} Hq={q_heads} Hkv={kv_heads} S={seq} D={head_dim} "
                  f"backward={backward}: {results}\n")
    del q, k, v
    torch.cuda.empty_cache()
    return results
