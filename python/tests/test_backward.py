"""Gradients on the host target without PyTorch: attn.attention_backward and
Kernel.backward (bundles compiled with grad=True) against a float64 NumPy
reference at ragged sizes, outputs poisoned; and the PyTorch autograd
formula's Python side through a stand-in torch module (CI has no PyTorch;
gpu_check.py runs the real one)."""

import sys
import types

import numpy as np
import pytest

import attn
import reference
from attn import masks, score_mods
from conftest import TorchLikeArray

B, HQ, HKV, E, F = 2, 4, 2, 16, 12
SPEC = """
func.func @f(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
"""


def random_problem(rng, sq, skv, hq=HQ, hkv=HKV):
    return tuple(rng.standard_normal(shape).astype(np.float32) for shape in (
        (B, hq, sq, E), (B, hkv, skv, E), (B, hkv, skv, F), (B, hq, sq, F)))


def poisoned(*shapes):
    return tuple(np.full(shape, np.nan, np.float32) for shape in shapes)


def check(rng, mask, keep, sq=21, skv=30, score_mod=None, score=None, score_grad=None,
          scale=None):
    q, k, v, do = random_problem(rng, sq, skv)
    o, lse = attn.attention(q, k, v, mask=mask, score_mod=score_mod, scale=scale,
                            return_lse=True)
    out = poisoned(q.shape, k.shape, v.shape)
    dq, dk, dv = attn.attention_backward(q, k, v, o, lse, do, mask=mask, score_mod=score_mod,
                                         scale=scale, out=out)
    assert all(x is y for x, y in zip((dq, dk, dv), out))
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    want = reference.attention_backward(q, k, v, do, keep(b, h, i, j) if keep else None, scale,
                                        score, score_grad)
    errors = [reference.rel_err(x, w) for x, w in zip((dq, dk, dv), want)]
    assert max(errors) < 1e-5, errors
    assert max(errors) > 0  # a float32 kernel is not exact: the check can fail
    # Allocated outputs: the same bits (the backward kernels are deterministic).
    again = attn.attention_backward(q, k, v, o, lse, do, mask=mask, score_mod=score_mod,
                                    scale=scale)
    assert all(np.array_equal(x, y) for x, y in zip(again, (dq, dk, dv)))


def test_causal_gqa(rng):
    check(rng, masks.causal(), lambda b, h, i, j: j <= i)


def test_sliding_window(rng):
    check(rng, masks.window(6, right=2), lambda b, h, i, j: (i - j < 6) & (j - i <= 2),
          sq=25, skv=27)


def test_documents(rng):
    ids = np.array([[0] * 7 + [1] * 10 + [2] * 6, [4] * 2 + [5] * 21], np.int32)
    check(rng, masks.documents(ids, causal=True),
          lambda b, h, i, j: (ids[b, i] == ids[b, j]) & (j <= i), sq=23, skv=23)


def test_softcap_and_scale(rng):
    c = 3.0
    check(rng, masks.causal(), lambda b, h, i, j: j <= i, score_mod=score_mods.softcap(c),
          score=lambda s: c * np.tanh(s / c), score_grad=lambda s: 1 - np.tanh(s / c) ** 2,
          scale=0.4)


def test_bfloat16(rng):
    q, k, v, do = (attn.bfloat16(x) for x in random_problem(rng, 26, 26))
    mask = masks.causal() & masks.window(9)
    o, lse = attn.attention(q, k, v, mask=mask, return_lse=True)
    grads = attn.attention_backward(q, k, v, o, lse, do, mask=mask)
    assert all(g.dtype == "bf16" for g in grads)  # RuntimeTensors: NumPy has no bfloat16
    b, h, i, j = reference.grid(B, HQ, 26, 26)
    want = reference.attention_backward(*(x.numpy() for x in (q, k, v, do)),
                                        (j <= i) & (i - j < 9))
    errors = [reference.rel_err(g.numpy(), w) for g, w in zip(grads, want)]
    assert max(errors) < 1e-2 and min(errors) > 0, errors


def test_bias_gradient(rng):
    """A bias broadcast over the batch, under a window: its gradient at the
    full shape [B, Hq, Sq, Skv], zero where the mask drops the score."""
    sq, skv = 11, 14
    q, k, v, do = random_problem(rng, sq, skv)
    table = rng.standard_normal((1, HQ, sq, skv)).astype(np.float32)
    mask, score_mod = masks.window(4), score_mods.bias(table)
    o, lse = attn.attention(q, k, v, mask=mask, score_mod=score_mod, return_lse=True)
    out = poisoned(q.shape, k.shape, v.shape, (B, HQ, sq, skv))
    grads = attn.attention_backward(q, k, v, o, lse, do, mask=mask, score_mod=score_mod, out=out)
    assert len(grads) == 4 and all(x is y for x, y in zip(grads, out))
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    keep = (i - j < 4) & (j <= i)
    want = reference.attention_backward(q, k, v, do, keep, bias=table)
    errors = [reference.rel_err(x, w) for x, w in zip(grads, want)]
    assert max(errors) < 1e-5 and min(errors) > 0, errors
    assert np.all(grads[3][np.broadcast_to(~keep, grads[3].shape)] == 0)


def test_two_bias_gradients_in_score_mod_order(rng):
    sq, skv = 6, 9
    q, k, v, do = random_problem(rng, sq, skv)
    first = rng.standard_normal((B, HQ, sq, skv)).astype(np.float32)
    second = rng.standard_normal((1, 1, sq, skv)).astype(np.float32)
    score_mod = [score_mods.bias(first), score_mods.bias(second)]
    o, lse = attn.attention(q, k, v, mask=masks.causal(), score_mod=score_mod, return_lse=True)
    dq, dk, dv, d_first, d_second = attn.attention_backward(q, k, v, o, lse, do,
                                                            mask=masks.causal(),
                                                            score_mod=score_mod)
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    *_, ds = reference.attention_backward(q, k, v, do, j <= i, bias=first + second)
    # Both biases add to the same score: each gradient is dS.
    assert reference.rel_err(d_first, ds) < 1e-5 and reference.rel_err(d_second, ds) < 1e-5


def test_kernel_backward_of_a_compiled_spec(rng):
    kernel = attn.compile(SPEC, grad=True, block_q=4, block_kv=8)
    assert kernel.grad_kernel.name == "f_grad"
    q, k, v = (rng.standard_normal(s).astype(np.float32)
               for s in ((1, 2, 11, 16), (1, 2, 14, 16), (1, 2, 14, 8)))
    do = rng.standard_normal((1, 2, 11, 8)).astype(np.float32)
    o, lse = kernel(q, k, v)  # grad=True: the forward also writes the LSE
    dq, dk, dv = kernel.backward((q, k, v), (o, lse), do, out=poisoned(q.shape, k.shape, v.shape))
    keep = np.arange(14)[None, :] <= np.arange(11)[:, None]
    want = reference.attention_backward(q, k, v, do, keep)
    assert max(reference.rel_err(x, w) for x, w in zip((dq, dk, dv), want)) < 1e-5


def test_backward_without_grad_kernel_says_to_compile_with_grad(rng):
    kernel = attn.compile(SPEC)
    assert kernel.grad_kernel is None
    q = np.ones((1, 2, 3, 16), np.float32)
    with pytest.raises(attn.KernelError, match=r"kernel 'f' has no backward kernel \('f_grad'\) "
                       r"in its bundle: compile the spec with grad=True"):
        kernel.backward((q, q, q[..., :8]), (q[..., :8],), q[..., :8])


def test_backward_argument_errors(rng):
    kernel = attn.compile(SPEC, grad=True, block_q=4, block_kv=8)  # options as above: one compile
    q, k, v = (rng.standard_normal(s).astype(np.float32)
               for s in ((1, 2, 5, 16), (1, 2, 5, 16), (1, 2, 5, 8)))
    o, lse = kernel(q, k, v)
    with pytest.raises(TypeError, match=r"takes the forward's 2 outputs \(o, lse\), got 1"):
        kernel.backward((q, k, v), (o,), o)
    with pytest.raises(TypeError, match=r"takes the forward's 3 inputs \(q, k, v\), got 2"):
        kernel.backward((q, k), (o, lse), o)
    with pytest.raises(attn.KernelError, match=r"argument 5 \('do'\) dimension 3 is 16, "
                       r"expected 8"):
        kernel.backward((q, k, v), (o, lse), q)


# --- the PyTorch autograd formula, through a stand-in torch ------------------

class _Ctx:
    """What register_autograd's ctx offers the formula."""

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors


def test_autograd_formula_runs_the_backward_kernel(stand_in_torch, rng):
    from attn import _torch
    _torch.register()
    forward = stand_in_torch["attn::attention"]
    setup_context, backward = stand_in_torch["attn::attention.autograd"]
    q, k, v, do = (x.view(TorchLikeArray) for x in random_problem(rng, 13, 18))
    mask, score = attn.as_mask(masks.window(5)), attn.as_score_mod(None)
    inputs = (q, k, v, [], [], mask.desc, score.desc, None, False, True)
    # What PyTorch would hand setup_context: tensors.
    output = [x.view(TorchLikeArray) for x in forward(*inputs)]
    assert len(output) == 2  # grad: the LSE too, for the backward
    ctx = _Ctx()
    setup_context(ctx, inputs, output)
    assert ctx.non_differentiable[0] is output[1]
    # dO as autograd may pass it: not row-major.
    strided_do = np.asfortranarray(do).view(TorchLikeArray)
    grads = backward(ctx, [strided_do, None])
    assert len(grads) == len(inputs) and grads[3:] == ([], [], None, None, None, None, None)
    b, h, i, j = reference.grid(B, HQ, 13, 18)
    want = reference.attention_backward(q, k, v, do, (i - j < 5) & (j - i <= 0))
    assert max(reference.rel_err(x, w) for x, w in zip(grads[:3], want)) < 1e-5


def test_autograd_formula_sums_the_bias_gradient_to_the_bias(stand_in_torch, rng):
    from attn import _torch
    _torch.register()
    forward = stand_in_torch["attn::attention"]
    setup_context, backward = stand_in_torch["attn::attention.autograd"]
    sq, skv = 9, 12
    q, k, v, do = (x.view(TorchLikeArray) for x in random_problem(rng, sq, skv))
    table = rng.standard_normal((1, 1, sq, skv)).astype(np.float32).view(TorchLikeArray)
    mask, score = attn.as_mask(masks.causal()), attn.as_score_mod(score_mods.bias(table))
    inputs = (q, k, v, [], list(score.data), mask.desc, score.desc, None, False, True)
    output = [x.view(TorchLikeArray) for x in forward(*inputs)]
    ctx = _Ctx()
    setup_context(ctx, inputs, output)
    grads = backward(ctx, [do, None])
    (d_table,) = grads[4]
    assert d_table.shape == table.shape  # summed over the batch and heads
    b, h, i, j = reference.grid(B, HQ, sq, skv)
    want = reference.attention_backward(q, k, v, do, j <= i, bias=table)
    assert reference.rel_err(d_table, want[3].sum((0, 1), keepdims=True)) < 1e-5
    assert max(reference.rel_err(x, w) for x, w in zip(grads[:3], want)) < 1e-5


def test_autograd_formula_without_the_backward_kernel(stand_in_torch, rng):
    from attn import _torch
    _torch.register()
    forward = stand_in_torch["attn::attention"]
    setup_context, backward = stand_in_torch["attn::attention.autograd"]
    q, k, v, _ = (x.view(TorchLikeArray) for x in random_problem(rng, 4, 4))
    mask, score = attn.as_mask(None), attn.as_score_mod(None)
    inputs = (q, k, v, [], [], mask.desc, score.desc, None, False, False)
    ctx = _Ctx()
    setup_context(ctx, inputs, forward(*inputs))
    with pytest.raises(RuntimeError, match="ran without its backward kernel"):
        backward(ctx, [q, None])


def _recording_autograd(monkeypatch):
    """A stand-in torch.Tensor class and torch.autograd.Function that runs
    forward at apply() and records (Function, ctx) for the test to call
    backward."""
    torch = sys.modules["torch"]
    recorded = []

    class Function:  # apply() as autograd runs it: forward now, backward later
        @classmethod
        def apply(cls, *args):
            ctx = _Ctx()
            recorded.append((cls, ctx))
            return cls.forward(ctx, *args)

    class Tensor(TorchLikeArray):
        requires_grad = False
        device = "cpu"

    dtypes = {"f32": np.float32}
    monkeypatch.setattr(torch, "Tensor", Tensor)
    monkeypatch.setattr(torch, "autograd", types.SimpleNamespace(Function=Function))
    monkeypatch.setattr(torch, "is_grad_enabled", lambda: True, raising=False)
    monkeypatch.setattr(torch, "empty", lambda shape, dtype, device: np.empty(
        shape, dtypes[dtype]).view(Tensor), raising=False)
    return Tensor, recorded


def test_kernel_autograd_function(stand_in_torch, monkeypatch, rng):
    """Kernel.__call__ on tensors that require grad goes through
    KernelFunction; its backward runs the `_grad` kernel."""
    Tensor, recorded = _recording_autograd(monkeypatch)
    kernel = attn.compile(SPEC, grad=True, block_q=4, block_kv=8)
    q, k, v = (rng.standard_normal(s).astype(np.float32).view(Tensor)
               for s in ((2, 2, 9, 16), (2, 2, 13, 16), (2, 2, 13, 8)))
    do = np.asfortranarray(rng.standard_normal((2, 2, 9, 8)).astype(np.float32)).view(Tensor)
    q.requires_grad = True
    o, lse = kernel(q, k, v)
    (function, ctx), = recorded
    assert function.__name__ == "KernelFunction" and ctx.non_differentiable == (lse,)
    grads = function.backward(ctx, do, None)
    assert grads[:3] == (None, None, None) and len(grads) == 6
    keep = np.arange(13)[None, :] <= np.arange(9)[:, None]
    want = reference.attention_backward(q, k, v, do, keep)
    assert max(reference.rel_err(x, w) for x, w in zip(grads[3:], want)) < 1e-5
    with pytest.raises(ValueError, match="out= cannot be used with inputs that require grad"):
        kernel(q, k, v, out=(o, lse))


BIAS_SPEC = """
func.func @f(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>, %bias: tensor<1x2x?x?xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x2x?x?xf32>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
"""


def test_kernel_autograd_function_with_a_bias(stand_in_torch, monkeypatch, rng):
    """The bias operand of a compiled spec gets its gradient (the kernel's
    ddata0, [B, Hq, Sq, Skv]) summed to its own shape [1, Hq, Sq, Skv]."""
    Tensor, recorded = _recording_autograd(monkeypatch)
    kernel = attn.compile(BIAS_SPEC, grad=True, block_q=4, block_kv=8)
    assert [a.name for a in kernel.grad_kernel.outputs] == ["dq", "dk", "dv", "ddata0"]
    q, k, v, table = (rng.standard_normal(s).astype(np.float32).view(Tensor)
                      for s in ((2, 2, 9, 16), (2, 2, 13, 16), (2, 2, 13, 8), (1, 2, 9, 13)))
    do = rng.standard_normal((2, 2, 9, 8)).astype(np.float32).view(Tensor)
    table.requires_grad = True
    o, lse = kernel(q, k, v, table)
    (function, ctx), = recorded
    grads = function.backward(ctx, do, None)
    assert len(grads) == 7 and grads[6].shape == (1, 2, 9, 13)
    keep = np.arange(13)[None, :] <= np.arange(9)[:, None]
    want = reference.attention_backward(q, k, v, do, keep, bias=table)
    assert max(reference.rel_err(x, w) for x, w in zip(grads[3:6], want)) < 1e-5
    assert reference.rel_err(grads[6], want[3].sum(0, keepdims=True)) < 1e-5
