"""attn from Python: compile attention specs and run them on PyTorch, NumPy
or any DLPack tensors (docs/python.md).

    import attn
    o = attn.attention(q, k, v, mask=attn.masks.causal() & attn.masks.window(1024))
    o = attn.attention(q, k, v, mask=attn.from_mask_mod(my_mask_mod))
    kernel = attn.compile(open("spec.mlir").read(), targets="host")
"""

import sys as _sys

from . import masks, score_mods
from .attention import (as_mask, as_score_mod, attention, attention_backward, build_spec,
                        flex_attention, from_mask_mod, from_score_mod, prepare)
from .errors import (AttnError, CacheError, CompileError, CompilerUnavailable, KernelError,
                     LibraryNotFound, TraceError)
from .kernel import (BFloat16Array, Bundle, Kernel, RuntimeTensor, bfloat16, compile,
                     compiler_version, load)
from ._cache import cache_dir
from .masks import Mask
from .score_mods import ScoreMod

__version__ = "0.1"

__all__ = [
    "attention", "attention_backward", "flex_attention", "prepare", "compile", "load",
    "from_mask_mod", "from_score_mod",
    "masks", "score_mods", "Mask", "ScoreMod", "Kernel", "Bundle", "RuntimeTensor",
    "BFloat16Array", "bfloat16",
    "build_spec", "as_mask", "as_score_mod", "cache_dir", "compiler_version", "AttnError",
    "CacheError", "CompileError", "CompilerUnavailable", "KernelError", "LibraryNotFound",
    "TraceError",
]

# torch.compile must find the op registered before it traces a call; when
# PyTorch is already loaded register it now (else at the first eager call).
if "torch" in _sys.modules:
    from .attention import torch_ops as _torch_ops
    _torch_ops()
