"""The PyTorch op torch.ops.attn.attention: a torch.library custom op with a
fake (meta) implementation, so that torch.compile keeps attn calls in its
graph. Imported only when PyTorch tensors are used."""

import threading
from typing import List, Optional

import torch

# The function, not the module: the package's `attention` name is the
# high-level function, which shadows the submodule of the same name.
from .attention import run as _run_attention

TORCH_DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
                "f64": torch.float64, "i32": torch.int32, "i64": torch.int64,
                "u8": torch.uint8, "i1": torch.bool}

_lock = threading.Lock()
_op = None


def register():
    """Defines attn::attention once per process."""
    global _op
    with _lock:
        if _op is not None:
            return _op
        if not hasattr(torch.library, "custom_op"):
            raise RuntimeError(f"attn's PyTorch op needs torch.library.custom_op (PyTorch >= "
                               f"2.4); this is PyTorch {torch.__version__}")

        @torch.library.custom_op("attn::attention", mutates_args=())
        def attention_op(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         mask_data: List[torch.Tensor], score_data: List[torch.Tensor],
                         mask: str, score: str, scale: Optional[float],
                         return_lse: bool) -> List[torch.Tensor]:
            result = _run_attention(q, k, v, mask_data, score_data, mask, score, scale,
                                    return_lse)
            return list(result) if return_lse else [result]

        @attention_op.register_fake
        def _(q, k, v, mask_data, score_data, mask, score, scale, return_lse):
            o = q.new_empty((q.shape[0], q.shape[1], q.shape[2], v.shape[3]))
            if not return_lse:
                return [o]
            return [o, q.new_empty((q.shape[0], q.shape[1], q.shape[2]), dtype=torch.float32)]

        _op = attention_op
        return _op


def attention(q, k, v, mask, score, scale, return_lse):
    for name, tensors in (("mask", mask.data), ("score_mod", score.data)):
        for t in tensors:
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"the {name} reads a {type(t).__name__}; with PyTorch inputs its "
                                "tensors must be PyTorch tensors (on q's device)")
    outputs = torch.ops.attn.attention(q, k, v, list(mask.data), list(score.data), mask.desc,
                                       score.desc, scale, return_lse)
    return (outputs[0], outputs[1]) if return_lse else outputs[0]
