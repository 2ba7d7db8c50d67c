"""Test setup: the libraries of the build under test ($ATTN_LIBRARY_DIR, set
by CTest) and a private cache for the session."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

if not os.environ.get("ATTN_LIBRARY_DIR"):
    raise RuntimeError("set ATTN_LIBRARY_DIR to the build's lib/ folder (ctest does)")
_cache = tempfile.mkdtemp(prefix="attn-test-cache-")
os.environ["ATTN_CACHE_DIR"] = _cache


@pytest.fixture
def rng(request):
    import zlib

    import numpy as np
    # Fresh inputs per test, reproducible from the test's name.
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


class _StandInOp:
    def __init__(self, fn):
        self.fn, self.fake = fn, None

    def __call__(self, *args):
        return self.fn(*args)

    def register_fake(self, fn):
        self.fake = fn
        return fn


class TorchLikeArray(__import__("numpy").ndarray):
    """A NumPy array with the torch.Tensor methods attn's ops call."""

    def detach(self):
        return self

    def contiguous(self):
        import numpy as np
        return np.ascontiguousarray(self).view(TorchLikeArray)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, dim=None, keepdim=False,
            **kwargs):  # torch's dim/keepdim as well as NumPy's axis/keepdims
        import numpy as np
        return np.ndarray.sum(self, axis=axis if dim is None else dim, dtype=dtype, out=out,
                              keepdims=keepdims or keepdim, **kwargs)


@pytest.fixture
def stand_in_torch(monkeypatch):
    """A stand-in `torch` module (CI has no PyTorch) recording what
    attn._torch registers: {op name: op, op name + ".autograd": (setup_context,
    backward)}. NumPy arrays are not its tensors, so the ops run the host
    target on them."""
    import types

    import numpy as np
    torch = types.ModuleType("torch")
    torch.__version__ = "0.0-stand-in"
    torch.Tensor = type("Tensor", (), {})
    torch.float16, torch.bfloat16, torch.float32 = "f16", "bf16", "f32"
    torch.float64, torch.int32, torch.int64, torch.uint8, torch.bool = \
        "f64", "i32", "i64", "u8", "i1"
    torch.zeros_like = np.zeros_like
    torch.autograd = types.SimpleNamespace(Function=object)
    registered = {}

    def custom_op(name, mutates_args):
        assert mutates_args == ()

        def wrap(fn):
            registered[name] = _StandInOp(fn)
            return registered[name]
        return wrap

    def register_autograd(name, backward, setup_context):
        registered[name + ".autograd"] = (setup_context, backward)
    torch.library = types.SimpleNamespace(custom_op=custom_op, register_autograd=register_autograd)
    torch.ops = types.SimpleNamespace(attn=types.SimpleNamespace(
        attention_backward=lambda *args: [  # tensors, as torch's op returns them
            x.view(TorchLikeArray) for x in registered["attn::attention_backward"](*args)]))
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.delitem(sys.modules, "attn._torch", raising=False)
    import attn
    monkeypatch.delattr(attn, "_torch", raising=False)  # imported afresh, on the stand-in
    return registered
