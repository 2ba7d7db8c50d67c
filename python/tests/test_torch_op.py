"""The torch.library op's Python side without PyTorch (CI has none): a stand-in
`torch` module records what attn._torch registers, and the registered op is
called on NumPy arrays, which the host target runs. The GPU check
(gpu_check.py) runs the real op under torch.compile."""

import numpy as np

import attn
import reference
from conftest import TorchLikeArray


def test_registered_op_runs_the_kernel(stand_in_torch, rng):
    from attn import _torch
    op = _torch.register()
    assert stand_in_torch["attn::attention"] is op and op.fake is not None
    assert stand_in_torch["attn::attention_backward"].fake is not None
    assert "attn::attention.autograd" in stand_in_torch
    q = rng.standard_normal((1, 2, 19, 16)).astype(np.float32).view(TorchLikeArray)
    k = rng.standard_normal((1, 2, 23, 16)).astype(np.float32).view(TorchLikeArray)
    v = rng.standard_normal((1, 2, 23, 16)).astype(np.float32).view(TorchLikeArray)
    mask = attn.as_mask(attn.masks.causal())
    score = attn.as_score_mod(None)
    o, lse = op(q, k, v, [], [], mask.desc, score.desc, None, True, False)
    keep = np.arange(23)[None, :] <= np.arange(19)[:, None]
    want_o, want_lse = reference.attention(q, k, v, keep)
    assert reference.rel_err(o, want_o) < 1e-5
    assert reference.rel_err(lse, want_lse) < 1e-5
