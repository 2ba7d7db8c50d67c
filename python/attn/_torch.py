"""The PyTorch ops torch.ops.attn.attention and torch.ops.attn.attention_backward:
torch.library custom ops with fake (meta) implementations, so that
torch.compile keeps attn calls in its graph, and an autograd formula
(torch.library.register_autograd) that runs the spec's backward kernel. Also
the torch.autograd.Function behind kernels of attn.compile(..., grad=True).
Imported only when PyTorch tensors are used."""

import threading
from typing import List, Optional

import torch

# The functions, not the module: the package's `attention` name is the
# high-level function, which shadows the submodule of the same name.
from .attention import (bias_operands as _bias_operands, run as _run_attention,
                        run_backward as _run_backward)

TORCH_DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
                "f64": torch.float64, "i32": torch.int32, "i64": torch.int64,
                "u8": torch.uint8, "i1": torch.bool}

_lock = threading.Lock()
_op = None


def _detached(tensors):
    # PyTorch refuses to export tensors that require grad through DLPack.
    return [t.detach() for t in tensors]


def _sum_to(gradient, shape):
    """A [B, Hq, Sq, Skv] bias gradient summed over the dimensions a bias of
    `shape` broadcasts (extent 1)."""
    dims = tuple(d for d in range(len(shape)) if shape[d] == 1 and gradient.shape[d] != 1)
    return gradient.sum(dim=dims, keepdim=True) if dims else gradient


def register():
    """Defines attn::attention and attn::attention_backward once per process."""
    global _op
    with _lock:
        if _op is not None:
            return _op
        if not hasattr(torch.library, "custom_op"):
            raise RuntimeError(f"attn's PyTorch op needs torch.library.custom_op (PyTorch >= "
                               f"2.4); this is PyTorch {torch.__version__}")

        # grad: compile the spec with its backward kernel (attn-compile
        # grad=true); the op then returns the LSE too, which the backward reads.
        @torch.library.custom_op("attn::attention", mutates_args=())
        def attention_op(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         mask_data: List[torch.Tensor], score_data: List[torch.Tensor],
                         mask: str, score: str, scale: Optional[float],
                         return_lse: bool, grad: bool) -> List[torch.Tensor]:
            q, k, v = _detached((q, k, v))
            result = _run_attention(q, k, v, _detached(mask_data), _detached(score_data), mask,
                                    score, scale, return_lse or grad, grad=grad)
            return list(result) if return_lse or grad else [result]

        @attention_op.register_fake
        def _(q, k, v, mask_data, score_data, mask, score, scale, return_lse, grad):
            o = q.new_empty((q.shape[0], q.shape[1], q.shape[2], v.shape[3]))
            if not (return_lse or grad):
                return [o]
            return [o, q.new_empty((q.shape[0], q.shape[1], q.shape[2]), dtype=torch.float32)]

        @torch.library.custom_op("attn::attention_backward", mutates_args=())
        def attention_backward_op(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                  mask_data: List[torch.Tensor], score_data: List[torch.Tensor],
                                  o: torch.Tensor, lse: torch.Tensor, do: torch.Tensor,
                                  mask: str, score: str,
                                  scale: Optional[float]) -> List[torch.Tensor]:
            q, k, v, o, lse, do = _detached((q, k, v, o, lse, do))
            # Gradients arrive in any layout (expanded, transposed); the
            # kernel reads dO row-major.
            return list(_run_backward(q, k, v, _detached(mask_data), _detached(score_data),
                                      mask, score, scale, o, lse, do.contiguous()))

        @attention_backward_op.register_fake
        def _(q, k, v, mask_data, score_data, o, lse, do, mask, score, scale):
            scores = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
            return [q.new_empty(q.shape), k.new_empty(k.shape), v.new_empty(v.shape)] + \
                [score_data[n].new_empty(scores) for n in _bias_operands(score)]

        torch.library.register_autograd("attn::attention", _attention_backward,
                                        setup_context=_attention_setup_context)
        _op = attention_op
        return _op


def _attention_setup_context(ctx, inputs, output):
    q, k, v, mask_data, score_data, mask, score, scale, return_lse, grad = inputs
    ctx.compiled_backward = grad
    ctx.data_counts = (len(mask_data), len(score_data))
    ctx.descs = (mask, score, scale)
    if grad:
        o, lse = output
        # The LSE output carries no gradient (the backward kernels take dO only).
        ctx.mark_non_differentiable(lse)
        ctx.save_for_backward(q, k, v, *mask_data, *score_data, o, lse)


def _attention_backward(ctx, grads):
    mask_count, score_count = ctx.data_counts
    if not ctx.compiled_backward:
        raise RuntimeError("attn.attention ran without its backward kernel: neither q, k, v "
                           "nor a bias tensor required grad when it ran (mask tensors get no "
                           "gradient)")
    saved = ctx.saved_tensors
    q, k, v = saved[:3]
    mask_data = list(saved[3:3 + mask_count])
    score_data = list(saved[3 + mask_count:3 + mask_count + score_count])
    o, lse = saved[-2:]
    do = grads[0] if grads[0] is not None else torch.zeros_like(o)
    mask, score, scale = ctx.descs
    dq, dk, dv, *dbias = torch.ops.attn.attention_backward(q, k, v, mask_data, score_data, o,
                                                           lse, do, mask, score, scale)
    # Bias tensors get their gradient at their own shape; other score-mod
    # data and the mask's get none.
    score_grads = [None] * score_count
    for n, gradient in zip(_bias_operands(score), dbias):
        score_grads[n] = _sum_to(gradient, score_data[n].shape)
    # One gradient per input of attn::attention (none for strings, flags).
    return (dq, dk, dv, [None] * mask_count, score_grads, None, None, None, None, None)


def attention(q, k, v, mask, score, scale, return_lse):
    for name, tensors in (("mask", mask.data), ("score_mod", score.data)):
        for t in tensors:
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"the {name} reads a {type(t).__name__}; with PyTorch inputs its "
                                "tensors must be PyTorch tensors (on q's device)")
    grad = torch.is_grad_enabled() and (
        q.requires_grad or k.requires_grad or v.requires_grad or
        any(t.requires_grad for t in score.data))
    outputs = torch.ops.attn.attention(q, k, v, list(mask.data), list(score.data), mask.desc,
                                       score.desc, scale, return_lse, grad)
    return (outputs[0], outputs[1]) if return_lse else outputs[0]


class KernelFunction(torch.autograd.Function):
    """A kernel of attn.compile on PyTorch tensors that require grad: the
    forward launches it, the backward its `<name>_grad` kernel (bundles
    compiled with grad=True) on the saved inputs and outputs."""

    @staticmethod
    def forward(ctx, kernel, stream, target, *inputs):
        plain = [x.detach() if isinstance(x, torch.Tensor) else x for x in inputs]
        result = kernel._launch(plain, None, stream, target)
        outputs = result if isinstance(result, tuple) else (result,)
        ctx.kernel, ctx.stream, ctx.target = kernel, stream, target
        ctx.tensor_inputs = [isinstance(x, torch.Tensor) for x in inputs]
        ctx.scalars = [None if t else x for x, t in zip(inputs, ctx.tensor_inputs)]
        ctx.save_for_backward(*[x for x in plain if isinstance(x, torch.Tensor)], *outputs)
        # Only o has a gradient: the backward kernels take dO alone.
        ctx.mark_non_differentiable(*[x for x, a in zip(outputs, kernel.outputs)
                                      if a.name != "o"])
        return result

    @staticmethod
    def backward(ctx, *grads):
        kernel = ctx.kernel
        # Saved outputs come back attached to the graph; DLPack wants them detached.
        saved = _detached(ctx.saved_tensors)
        count = len(kernel.outputs)
        tensors, outputs = iter(saved[:len(saved) - count]), saved[len(saved) - count:]
        inputs = [next(tensors) if t else x for x, t in zip(ctx.scalars, ctx.tensor_inputs)]
        index = next(i for i, a in enumerate(kernel.outputs) if a.name == "o")
        do = grads[index] if grads[index] is not None else torch.zeros_like(outputs[index])
        gradients = kernel.backward(inputs, outputs, do.detach().contiguous(),
                                    stream=ctx.stream, target=ctx.target)
        # The backward kernel's output `d<name>` is the gradient of input
        # `<name>`: q, k, v, and data operands added as biases, whose
        # [B, Hq, Sq, Skv] gradient is summed to the operand's shape.
        by_name = {a.name[1:]: g for a, g in zip(kernel.grad_kernel.outputs, gradients)}
        return (None, None, None) + tuple(
            None if a.name not in by_name else
            by_name[a.name] if a.name in ("q", "k", "v") else _sum_to(by_name[a.name], x.shape)
            for a, x in zip(kernel.inputs, inputs))


def differentiable_call(kernel, inputs, stream, target):
    """kernel(*inputs) recorded for autograd (inputs that require grad)."""
    return KernelFunction.apply(kernel, stream, target, *inputs)
