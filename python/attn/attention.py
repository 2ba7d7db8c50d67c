"""attn.attention: write the spec for tensors and masks, compile it once
(cached), and run it."""

import json
import os
import re
import sys
import weakref

from . import _dlpack, _trace, kernel as _kernel, masks as _masks, score_mods as _score_mods
from ._expr import float_literal

# The NVIDIA targets the compiler supports, newest first; a device runs the
# newest one its compute capability reaches (PTX is forward compatible).
_CHIPS = (((9, 0), "sm_90"), ((8, 0), "sm_80"))
_FLOAT_DTYPES = ("f16", "bf16", "f32")
_MLIR_ELEMENT = {"f16": "f16", "bf16": "bf16", "f32": "f32", "f64": "f64", "i32": "i32",
                 "i64": "i64", "u8": "i8", "i1": "i1"}


def _placeholders(text, offset):
    return re.sub(r"\$(\d+)\$", lambda m: str(int(m.group(1)) + offset), text)


def _data_type(desc):
    static = {d: e for d, e in desc["static"]}
    dims = "".join(f"{static.get(d, '?')}x" for d in range(desc["ndim"]))
    return f"tensor<{dims}{_MLIR_ELEMENT[desc['dtype']]}>"


def build_spec(q, k, v, mask_desc, score_desc, scale=None, return_lse=False):
    """The spec text for q, k, v given as (dtype, shape) pairs ([B, H, S, D]),
    a Mask's desc and a ScoreMod's desc. B and the sequence lengths stay
    dynamic, so one spec serves every batch and length."""
    (qt, qs), (kt, ks), (vt, vs) = q, k, v
    for name, shape in (("q", qs), ("k", ks), ("v", vs)):
        if len(shape) != 4:
            raise ValueError(f"{name} must be [B, H, S, D], got shape {list(shape)}")
    if qt not in _FLOAT_DTYPES:
        raise TypeError(f"q must be float16, bfloat16 or float32, got {qt}")
    if kt != qt or vt != qt:
        raise TypeError(f"q, k and v must have one dtype, got {qt}, {kt}, {vt}")
    hq, e, hkv, f = qs[1], qs[3], ks[1], vs[3]
    if ks[3] != e:
        raise ValueError(f"q and k must have one head dimension, got {e} and {ks[3]}")
    if vs[1] != hkv or vs[2] != ks[2]:
        raise ValueError(f"k {list(ks)} and v {list(vs)} must agree in heads and length")
    if len({qs[0], ks[0], vs[0]}) != 1:
        raise ValueError(f"q, k and v must have one batch size, got {qs[0]}, {ks[0]}, {vs[0]}")
    if hkv < 1 or hq % hkv:
        raise ValueError(f"query heads ({hq}) must be a multiple of key/value heads ({hkv})")
    mask, score = json.loads(mask_desc), json.loads(score_desc)
    offset = len(mask["data"])
    data = mask["data"] + score["data"]
    tq, tk, tv = (f"tensor<?x{h}x?x{d}x{qt}>" for h, d in ((hq, e), (hkv, e), (hkv, f)))
    to, tl = f"tensor<?x{hq}x?x{f}x{qt}>", f"tensor<?x{hq}x?xf32>"
    data_types = [_data_type(d) for d in data]
    params = [f"%q: {tq}", f"%k: {tk}", f"%v: {tv}"] + \
        [f"%d{n}: {t}" for n, t in enumerate(data_types)]
    attrs = []
    if mask["attr"]:
        attrs.append(f"mask = {_placeholders(mask['attr'], 0)}")
    mods = [_placeholders(a, offset) for a in score["attrs"]]
    if mods:
        attrs.append(f"score_mod = {mods[0] if len(mods) == 1 else '[' + ', '.join(mods) + ']'}")
    if scale is not None:
        attrs.append(f"scale = {float_literal(float(scale))} : f32")
    results = f"{to}, {tl}" if return_lse else to
    lines = [f"func.func @attention({', '.join(params)}) -> ({results}) {{"]
    operands = "%q, %k, %v"
    if data:
        operands += " data(" + ", ".join(f"%d{n}" for n in range(len(data))) + " : " + \
            ", ".join(data_types) + ")"
    names = "%o, %lse" if return_lse else "%o"
    op = f"  {names} = attn.attention {operands}"
    if attrs:
        op += " {" + ", ".join(attrs) + "}"
    op += f" : {tq}, {tk}, {tv} -> {results}"
    regions = []
    if mask["region"]:
        regions.append(("mask", [_placeholders(x, 0) for x in mask["region"]]))
    if score["region"]:
        regions.append(("score", [_placeholders(x, offset) for x in score["region"]]))
    for keyword, body in regions:
        op += f" {keyword} {{\n" + "\n".join("  " + x for x in body) + "\n  }"
    lines.append(op)
    lines.append(f"  return {names} : {results}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def cuda_targets(device_id, torch=None):
    """The NVIDIA target attn.attention compiles for a device: $ATTN_CUDA_TARGETS
    if set, else the newest supported target the device's compute capability
    reaches (from PyTorch), else every supported target."""
    env = os.environ.get("ATTN_CUDA_TARGETS")
    if env:
        return env
    if torch is None:
        return ",".join(sorted(chip for _, chip in _CHIPS))
    capability = tuple(torch.cuda.get_device_capability(device_id))
    for minimum, chip in _CHIPS:
        if capability >= minimum:
            return chip
    raise RuntimeError(f"CUDA device {device_id} has compute capability "
                       f"{capability[0]}.{capability[1]}; attn generates code for sm_80 and newer")


def _batched(array, batch):
    """A 1-D array of ids seen as [B, S] without copying (batch stride 0)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(array, torch.Tensor):
        return array.unsqueeze(0).expand(batch, array.shape[0])
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(array, numpy.ndarray):
        return numpy.lib.stride_tricks.as_strided(array, (batch, array.shape[0]),
                                                  (0, array.strides[0]))
    ref = _dlpack.export(array)
    return ref.view((batch, ref.shape[0]), (0, ref.strides[0] if ref.strides else 1))


def _kernel_for(metadata, device, mask_desc, score_desc, scale, return_lse, torch=None,
                grad=False):
    """The compiled kernel for q, k, v metadata ((dtype, shape) each) on a
    device ("cpu", or ("cuda", ordinal)). With grad, the bundle also holds
    its backward kernel (attn-compile grad=true) and the kernel returns the
    LSE."""
    spec = build_spec(*metadata, mask_desc, score_desc, scale, return_lse or grad)
    if device == "cpu":
        targets = "host"
    else:
        targets = cuda_targets(device[1], torch)
    options = {"grad": True} if grad else {}
    return _kernel.load_bundle(spec, _kernel.options_string(targets, options), "attention") \
        .kernel("attention")


def _prepared(q, k, v, mask_data, score_data, mask_desc, score_desc, scale, return_lse, grad):
    """(kernel, data operands) for these tensors: the spec compiled once."""
    refs = [_dlpack.export(x) for x in (q, k, v)]
    device_type, device_id = refs[0].device
    if device_type not in (_dlpack.CPU, _dlpack.CUDA):
        raise ValueError(f"attn runs on CPU and CUDA tensors, not on "
                         f"{_dlpack.DEVICE_NAMES.get(device_type, device_type)}")
    device = "cpu" if device_type == _dlpack.CPU else ("cuda", device_id)
    kernel = _kernel_for([(r.dtype, r.shape) for r in refs], device, mask_desc, score_desc,
                         scale, return_lse, _kernel._torch_if_tensor(q), grad)
    descs = json.loads(mask_desc)["data"] + json.loads(score_desc)["data"]
    arrays = list(mask_data) + list(score_data)
    if len(arrays) != len(descs):
        raise ValueError(f"the mask and score mods read {len(descs)} tensors, got {len(arrays)}")
    batch = refs[0].shape[0]
    data = [_batched(a, batch) if d["view"] == "batch" else a for a, d in zip(arrays, descs)]
    return kernel, data


def run(q, k, v, mask_data, score_data, mask_desc, score_desc, scale=None, return_lse=False,
        out=None, grad=False):
    """Compiles (once) and runs the spec for these tensors; the implementation
    behind attn.attention and the PyTorch op. With grad, the kernel comes from
    the bundle that also holds the backward, and returns (O, LSE)."""
    kernel, data = _prepared(q, k, v, mask_data, score_data, mask_desc, score_desc, scale,
                             return_lse, grad)
    return kernel(q, k, v, *data, out=out)


_BIAS_OPERAND = re.compile(r"#attn\.bias<operand = \$(\d+)\$>")


def bias_operands(score_desc):
    """The positions in a ScoreMod's data of the tensors it adds as biases
    (#attn.bias), ascending: the tensors the backward kernel computes a
    gradient of."""
    found = {int(m.group(1)) for attr in json.loads(score_desc)["attrs"]
             for m in _BIAS_OPERAND.finditer(attr)}
    return sorted(found)


def run_backward(q, k, v, mask_data, score_data, mask_desc, score_desc, scale, o, lse, do,
                 out=None):
    """(dQ, dK, dV, dBias...) from the spec's backward kernel, one dBias
    [B, Hq, Sq, Skv] per bias tensor in the order of bias_operands(); the
    implementation behind attn.attention_backward and the PyTorch op's
    autograd formula."""
    kernel, data = _prepared(q, k, v, mask_data, score_data, mask_desc, score_desc, scale,
                             True, True)
    grad = kernel.grad_kernel
    if grad is None:  # Kernel.backward says to compile with grad
        return kernel.backward((q, k, v, *data), (o, lse), do, out=out)
    # The kernel names the gradient of data operand N `ddata<N>` and orders
    # them as the score mods read them; callers get them in data order.
    names = ["dq", "dk", "dv"] + [f"ddata{len(mask_data) + n}"
                                  for n in bias_operands(score_desc)]
    if out is not None and len(out) == len(names):
        given = dict(zip(names, out))
        out = [given.get(a.name) for a in grad.outputs]
    results = kernel.backward((q, k, v, *data), (o, lse), do, out=out)
    by_name = dict(zip((a.name for a in grad.outputs), results))
    return tuple(by_name[name] for name in names)


# Built once: torch.compile traces attention() and must not have to trace
# the construction of these (json.dumps).
_FULL = _masks.full()
_NO_SCORE_MOD = _score_mods.ScoreMod()
_torch_ops = None  # attn._torch once PyTorch tensors were seen (or torch was loaded)


def as_mask(mask):
    """A Mask from None, a Mask, a mask_mod function, or a FlexAttention
    BlockMask (its mask_mod is traced; attn classifies blocks itself)."""
    if mask is None:
        return _FULL
    if isinstance(mask, _masks.Mask):
        return mask
    mask_mod = getattr(mask, "mask_mod", None)
    if callable(mask_mod):
        return from_mask_mod(mask_mod)
    if callable(mask):
        return from_mask_mod(mask)
    raise TypeError(f"mask must be an attn mask (attn.masks.*), a mask_mod function or a "
                    f"FlexAttention BlockMask, got {type(mask).__name__}")


def as_score_mod(score_mod):
    if score_mod is None:
        return _NO_SCORE_MOD
    if isinstance(score_mod, _score_mods.ScoreMod):
        return score_mod
    if isinstance(score_mod, (list, tuple)):
        return _score_mods.compose([as_score_mod(m) for m in score_mod])
    if callable(score_mod):
        return from_score_mod(score_mod)
    raise TypeError(f"score_mod must be an attn score mod (attn.score_mods.*), a score_mod "
                    f"function or a list of them, got {type(score_mod).__name__}")


_traced_masks = weakref.WeakKeyDictionary()
_traced_scores = weakref.WeakKeyDictionary()


def _cached(table, fn, make):
    try:
        found = table.get(fn)
    except TypeError:  # not weakly referenceable: trace every time
        return make()
    if found is None:
        found = make()
        table[fn] = found
    return found


def from_mask_mod(mask_mod):
    """A Mask from a FlexAttention mask_mod(b, h, q_idx, kv_idx) -> bool,
    traced symbolically: closed forms (causal, sliding windows, sinks,
    documents from an ids tensor, prefix-LM) become spec attributes, the rest
    a mask region; captured tensors become data operands."""
    return _cached(_traced_masks, mask_mod,
                   lambda: _masks.traced(_trace.trace(mask_mod, "mask")))


def from_score_mod(score_mod):
    """A ScoreMod from a FlexAttention score_mod(score, b, h, q_idx, kv_idx),
    traced symbolically (soft-capping and a bias tensor become attributes)."""
    return _cached(_traced_scores, score_mod,
                   lambda: _score_mods.traced(_trace.trace(score_mod, "score")))


def attention(q, k, v, mask=None, score_mod=None, scale=None, return_lse=False):
    """Attention over q [B, Hq, Sq, E], k [B, Hkv, Skv, E], v [B, Hkv, Skv, F]
    (PyTorch, NumPy or any DLPack tensors; f16, bf16 or f32) with an attn
    mask (attn.masks.*, a mask_mod function or a FlexAttention BlockMask) and
    score mods. Returns O [B, Hq, Sq, F], and LSE [B, Hq, Sq] (f32) too when
    return_lse. Runs on the tensors' device (PyTorch: on the current CUDA
    stream); PyTorch tensors go through the torch.ops.attn.attention op,
    which torch.compile keeps in its graph. Differentiable: with PyTorch
    tensors that require grad (and grad enabled), the spec is compiled with
    its backward kernel and autograd runs it (dQ, dK, dV; the LSE output has
    no gradient); attention_backward() is the same for other tensors."""
    mask, score = as_mask(mask), as_score_mod(score_mod)
    ops = _torch_ops
    if ops is None and "torch" in sys.modules:
        ops = torch_ops()
    if ops is not None and isinstance(q, ops.torch.Tensor):
        return ops.attention(q, k, v, mask, score, scale, return_lse)
    return run(q, k, v, mask.data, score.data, mask.desc, score.desc, scale, return_lse)


def attention_backward(q, k, v, o, lse, do, mask=None, score_mod=None, scale=None, out=None):
    """Gradients (dQ, dK, dV) of attention(q, k, v, mask, score_mod, scale) for
    its O and LSE (from attention(..., return_lse=True)) and dO, the gradient
    of O, from the spec's backward kernel (compiled once, with grad=true):
    for NumPy and other DLPack tensors. A score_mod adding bias tensors
    (score_mods.bias) adds one gradient per bias, in the order the score mod
    lists them, at the full shape [B, Hq, Sq, Skv] (sum it over the
    dimensions the bias broadcasts). PyTorch tensors that require grad get
    this through autograd. `out` takes (dq, dk, dv, dbias...) to write into."""
    mask, score = as_mask(mask), as_score_mod(score_mod)
    return run_backward(q, k, v, mask.data, score.data, mask.desc, score.desc, scale, o, lse,
                        do, out=out)


def torch_ops():
    """attn._torch with torch.ops.attn.attention registered."""
    global _torch_ops
    from . import _torch
    _torch.register()
    _torch_ops = _torch
    return _torch


def prepare(q, k, v, mask=None, score_mod=None, scale=None, return_lse=False, device=None,
            grad=False):
    """Compiles (or finds in the cache) what attention() would run, without
    running it, and returns the kernel: e.g. to fill a cache for another
    machine. q, k, v are tensors or (dtype, shape) pairs ("bf16",
    (B, H, S, D)); device is "cpu" or "cuda" (then $ATTN_CUDA_TARGETS or
    every supported NVIDIA target), else the tensors'. grad: what a call
    with inputs that require grad runs (the bundle with the backward)."""
    mask, score = as_mask(mask), as_score_mod(score_mod)
    metadata = []
    for x in (q, k, v):
        if isinstance(x, tuple):
            metadata.append((x[0], tuple(x[1])))
        else:
            ref = _dlpack.export(x)
            metadata.append((ref.dtype, ref.shape))
    if device is None:
        device_type, device_id = _dlpack.device_of(q)
        device = "cpu" if device_type == _dlpack.CPU else ("cuda", device_id)
    elif device == "cuda":
        device = ("cuda", 0)
    elif device != "cpu":
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    torch = None if device == "cpu" or isinstance(q, tuple) else _kernel._torch_if_tensor(q)
    return _kernel_for(metadata, device, mask.desc, score.desc, scale, return_lse, torch, grad)


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False):
    """FlexAttention's signature on attn: block_mask may be a FlexAttention
    BlockMask (from create_block_mask; attn uses its mask_mod), a mask_mod
    function or an attn mask."""
    hq, hkv = query.shape[1], key.shape[1]
    if hq != hkv and not enable_gqa:
        raise ValueError(f"query has {hq} heads and key {hkv}; pass enable_gqa=True for "
                         "grouped-query attention")
    return attention(query, key, value, mask=block_mask, score_mod=score_mod, scale=scale,
                     return_lse=return_lse)
