"""The torch.library op's Python side without PyTorch (CI has none): a stand-in
`torch` module records what attn._torch registers, and the registered op is
called on NumPy arrays, which the host target runs. The GPU check
(gpu_check.py) runs the real op under torch.compile."""

import sys
import types

import numpy as np
import pytest

import attn
import reference


class _StandInOp:
    def __init__(self, fn):
        self.fn, self.fake = fn, None

    def __call__(self, *args):
        return self.fn(*args)

    def register_fake(self, fn):
        self.fake = fn
        return fn


@pytest.fixture
def stand_in_torch(monkeypatch):
    torch = types.ModuleType("torch")
    torch.__version__ = "0.0-stand-in"
    torch.Tensor = type("Tensor", (), {})  # NumPy arrays are not torch tensors
    torch.float16, torch.bfloat16, torch.float32 = "f16", "bf16", "f32"
    torch.float64, torch.int32, torch.int64, torch.uint8, torch.bool = \
        "f64", "i32", "i64", "u8", "i1"
    registered = {}

    def custom_op(name, mutates_args):
        assert mutates_args == ()

        def wrap(fn):
            registered[name] = _StandInOp(fn)
            return registered[name]
        return wrap
    torch.library = types.SimpleNamespace(custom_op=custom_op)
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.delitem(sys.modules, "attn._torch", raising=False)
    return registered


def test_registered_op_runs_the_kernel(stand_in_torch, rng):
    from attn import _torch
    op = _torch.register()
    assert stand_in_torch["attn::attention"] is op and op.fake is not None
    q = rng.standard_normal((1, 2, 19, 16)).astype(np.float32)
    k = rng.standard_normal((1, 2, 23, 16)).astype(np.float32)
    v = rng.standard_normal((1, 2, 23, 16)).astype(np.float32)
    mask = attn.as_mask(attn.masks.causal())
    score = attn.as_score_mod(None)
    o, lse = op(q, k, v, [], [], mask.desc, score.desc, None, True)
    keep = np.arange(23)[None, :] <= np.arange(19)[:, None]
    want_o, want_lse = reference.attention(q, k, v, keep)
    assert reference.rel_err(o, want_o) < 1e-5
    assert reference.rel_err(lse, want_lse) < 1e-5
