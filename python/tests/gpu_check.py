"""The attn Python package on PyTorch CUDA tensors, against a float64
reference, F.scaled_dot_product_attention and FlexAttention, for every mask
object, for FlexAttention mask_mods equivalent to the anchors'
(../shared/bench/anchors.py: causal, sliding window, documents, S2, NATTEN
2-D, soft-capping), inside torch.compile, on a side stream, and the README's
snippets. Gradients: autograd through attn.attention (its backward kernels)
against float64 autograd and autograd through SDPA and FlexAttention, for
causal, sliding window, documents and soft-cap, eager and under
torch.compile, on CUDA tensors where the bundle has a CUDA backward kernel
and on CPU tensors (the host target) otherwise; the report says which.

GPU machines have no compiler, so the bundles are compiled here first:

    /usr/bin/python3 python/tests/gpu_check.py precompile DIR     # here
    python3 python/tests/gpu_check.py run DIR [REPORT.md]         # GPU machine

`precompile` builds every spec the run needs for sm_90 (and the README's CPU
snippets' host bundles for x86-64-v3) into DIR/cache; `run` needs
ATTN_LIBRARY_DIR (the runtime, e.g. an MLIR-free build's lib/) and uses that
cache only. The report ends with "N passed, M failed"; exit status 1 on any
failure.
"""

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(REPO / "bench"))

B, HQ, HKV, S, D = 2, 8, 2, 1000, 128
os.environ["ATTN_CUDA_TARGETS"] = "sm_90"   # the same specs on both machines
os.environ["ATTN_HOST_CPU"] = "x86-64-v3"   # host bundles that run on the GPU machine

import numpy as np  # noqa: E402

import attn  # noqa: E402
from attn import masks, score_mods  # noqa: E402
from flex_mods import causal, equal_documents, natten2d, s2_heads, sliding, softcap  # noqa: E402


def cases(arr):
    """(name, dtype, (B, Hq, Hkv, S, D), attn mask, attn score mod, FlexAttention
    mask_mod, FlexAttention score_mod). `arr` turns a NumPy array into the
    array type of the run (NumPy here, a CUDA tensor there)."""
    rng = np.random.default_rng(7)
    shape = (B, HQ, HKV, S, D)
    ids2 = arr(np.sort(rng.integers(0, 5, (B, S))).astype(np.int32))
    ids1 = arr(np.repeat(np.arange(8), -(-S // 8))[:S].astype(np.int64))
    offsets_np = np.array([0, 100, 350, 351, 700, S], np.int64)
    offsets, token_doc = arr(offsets_np), arr(
        (np.searchsorted(offsets_np, np.arange(S), side="right") - 1).astype(np.int64))
    lengths = arr(np.array([37, 600], np.int32))
    bq, bkv = 128, 64
    listed = arr(rng.integers(-1, -(-S // bkv), (B, HQ, -(-S // bq), 4)).astype(np.int32))
    blocks = arr(rng.integers(0, 2, (B, HQ, -(-S // bq), -(-S // bkv))).astype(np.uint8))
    bias = arr(rng.standard_normal((1, HQ, S, S)).astype(np.float32))
    group = HQ // HKV

    def s2_keep(b, h, i, j, block=64, local=16, stride=8):
        g = h // group
        vertical = (j // block + g * max(1, stride // HQ)) % stride == 0
        return (j <= i) & ((i // block - j // block < local) | vertical)

    def shifted(b, h, i, j, g=128):
        shift = (h >= HQ // 2) * (g // 2)
        return (j <= i) & ((i + shift) // g == (j + shift) // g)

    yield ("full", "bf16", shape, None, None, None, None)
    yield ("causal", "bf16", shape, masks.causal(), None, causal, None)
    yield ("causal f16 D64", "f16", (B, HQ, HKV, S, 64), masks.causal(), None, causal, None)
    yield ("causal f32 D64", "f32", (B, HQ, HKV, S, 64), masks.causal(), None, causal, None)
    yield ("window 256", "bf16", shape, masks.window(256), None, sliding(256), None)
    yield ("window 128 right 64", "bf16", shape, masks.window(128, right=64), None,
           lambda b, h, q, k: (q - k < 128) & (k - q <= 64), None)
    yield ("sinks 4 | window 256, causal", "bf16", shape,
           masks.causal() & (masks.sinks(4) | masks.window(256)), None,
           lambda b, h, q, k: (q >= k) & ((k < 4) | (q - k < 256)), None)
    yield ("prefix", "bf16", shape, masks.prefix(lengths), None,
           lambda b, h, q, k: (k <= q) | (k < lengths[b]), None)
    yield ("documents ids [B, S]", "bf16", shape, masks.documents(ids2), None,
           lambda b, h, q, k: ids2[b, q] == ids2[b, k], None)
    yield ("documents ids [S], causal", "bf16", shape, masks.documents(ids1, causal=True), None,
           lambda b, h, q, k: (ids1[q] == ids1[k]) & (q >= k), None)
    yield ("documents offsets", "bf16", shape, masks.documents(offsets=offsets), None,
           lambda b, h, q, k: token_doc[q] == token_doc[k], None)
    yield ("s2 (block 64, local 16, stride 8)", "bf16", shape, masks.s2(), None, s2_keep, None)
    yield ("shifted groups 128", "bf16", shape, masks.shifted_groups(128), None, shifted, None)
    yield ("star anchor 128", "bf16", shape, masks.star_anchor(128), None,
           lambda b, h, q, k: ((k // 128 == q // 128) & (k <= q)) | (k // 128 == 0), None)
    yield ("neighborhood 32x32 k7", "bf16", (B, HQ, HKV, 1024, D),
           masks.neighborhood([32, 32], [7, 7]), None, natten2d(32, 7), None)
    yield ("block list", "bf16", shape, masks.block_list(listed, block_q=bq, block_kv=bkv), None,
           lambda b, h, q, k: (listed[b, h, q // bq] == k // bkv).any(), None)
    yield ("block mask", "bf16", shape, masks.block_mask(blocks, block_q=bq, block_kv=bkv), None,
           lambda b, h, q, k: blocks[b, h, q // bq, k // bkv] != 0, None)
    yield ("causal + softcap 30", "bf16", shape, masks.causal(), score_mods.softcap(30.0),
           causal, softcap(30.0))
    yield ("alibi", "bf16", shape, masks.causal(), score_mods.alibi(), causal,
           lambda s, b, h, q, k: s - (2.0 ** (-8.0 * (h + 1) / HQ)) * (q - k))
    yield ("bias", "bf16", shape, None, score_mods.bias(bias), None,
           lambda s, b, h, q, k: s + bias[0, h, q, k])
    # The anchors' mask_mods, traced by attn.from_mask_mod.
    n = 2048
    anchor = (2, 16, 16, n, D)
    yield ("anchor causal", "bf16", anchor, causal, None, causal, None)
    yield ("anchor sliding 1024", "bf16", anchor, sliding(1024), None, sliding(1024), None)
    yield ("anchor docs 8", "bf16", anchor, equal_documents(n, 8), None, equal_documents(n, 8),
           None)
    yield ("anchor s2 l4 v8", "bf16", anchor, s2_heads(4, 8), None, s2_heads(4, 8), None)
    yield ("anchor natten2d 32x32 k13", "bf16", (2, 16, 16, 1024, D), natten2d(32, 13), None,
           natten2d(32, 13), None)
    yield ("anchor sliding 512 + softcap 50", "bf16", anchor, sliding(512), softcap(50.0),
           sliding(512), softcap(50.0))


def grad_cases(arr, shape):
    """(name, dtype, attn mask, attn score mod, FlexAttention mask_mod,
    FlexAttention score_mod) of the gradient checks, at `shape` (B, Hq, Hkv,
    S, D)."""
    b, s = shape[0], shape[3]
    ids = arr(np.sort(np.random.default_rng(5).integers(0, 4, (b, s))).astype(np.int32))
    yield ("causal", "bf16", masks.causal(), None, causal, None)
    yield ("causal f32", "f32", masks.causal(), None, causal, None)
    yield ("sliding window 256", "bf16", masks.causal() & masks.window(256), None,
           sliding(256), None)
    yield ("documents, causal", "bf16", masks.documents(ids, causal=True), None,
           lambda b, h, q, k: (ids[b, q] == ids[b, k]) & (q >= k), None)
    yield ("causal + softcap 30", "bf16", masks.causal(), score_mods.softcap(30.0), causal,
           softcap(30.0))


# Gradient checks: on the GPU at the forward checks' shape where the CUDA
# backward exists, else on the CPU (host backward kernels) at a smaller one.
GRAD_SHAPES = {"cuda": (B, HQ, HKV, S, D), "cpu": (1, 4, 2, 333, 64)}
# The README's training snippet, as a spec: (dtype, shape, mask, device).
README_TRAIN = [("bf16", (2, 4, 4, 512, 64), masks.causal() & masks.window(256), "cuda")]


def metadata(dtype, shape):
    b, hq, hkv, s, d = shape
    return (dtype, (b, hq, s, d)), (dtype, (b, hkv, s, d)), (dtype, (b, hkv, s, d))


# The torch.compile check's cases (by name).
COMPILED = ("causal", "documents ids [B, S]", "anchor s2 l4 v8")
# README torch snippets, as specs: (dtype, shape, mask, score mod).
README_TORCH = [
    ("bf16", (2, 16, 16, 4096, 128), lambda arr: masks.causal() & masks.window(1024), None),
    ("f16", (1, 8, 8, 4096, 64),
     lambda arr: attn.from_mask_mod(_readme_documents(arr(np.arange(4096) // 1024))),
     softcap(30.0)),
]


def _readme_documents(document_ids):
    def document_causal(b, h, q_idx, kv_idx):
        return (document_ids[q_idx] == document_ids[kv_idx]) & (q_idx >= kv_idx)
    return document_causal


def precompile(folder):
    folder = Path(folder)
    os.environ["ATTN_CACHE_DIR"] = str(folder / "cache")
    started = time.time()
    count = 0
    for name, dtype, shape, mask, score, _, _ in cases(lambda a: a):
        attn.prepare(*metadata(dtype, shape), mask=mask, score_mod=score, device="cuda")
        count += 1
        if name in COMPILED:
            attn.prepare(*metadata(dtype, shape), mask=mask, score_mod=score, device="cuda",
                         return_lse=True)
    for dtype, shape, mask, score in README_TORCH:
        attn.prepare(*metadata(dtype, shape), mask=mask(lambda a: a), score_mod=score,
                     device="cuda")
        count += 1
    # Backward bundles (grad=true): for the GPU where the NVIDIA target
    # compiles them, and always for the CPU (host), which the run falls back to.
    for device, shape in GRAD_SHAPES.items():
        for name, dtype, mask, score, _, _ in grad_cases(lambda a: a, shape):
            try:
                attn.prepare(*metadata(dtype, shape), mask=mask, score_mod=score, device=device,
                             grad=True)
                count += 1
            except attn.CompileError as error:
                print(f"no {device} backward for '{name}': {str(error).splitlines()[0]}")
    for dtype, shape, mask, device in README_TRAIN:
        attn.prepare(*metadata(dtype, shape), mask=mask, device=device, grad=True)
        count += 1
    # The README's CPU snippets compile their own host bundles.
    for code in re.findall(r"<!-- snippet: cpu -->\s*```\w*\n(.*?)```",
                           (REPO / "README.md").read_text(), re.S):
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                       env=dict(os.environ, PYTHONPATH=str(HERE.parent)))
        count += 1
    print(f"precompiled {count} specs into {folder / 'cache'} in {time.time() - started:.1f} s")


# --- the GPU run ------------------------------------------------------------

def reference(q, k, v, keep, score_mod):
    """float64 attention; rows that keep nothing are 0."""
    import torch
    q, k, v = (x.double() for x in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    s = torch.einsum("bhie,bhje->bhij", q, k) / math.sqrt(q.shape[-1])
    if score_mod is not None:
        b, h, i, j = (torch.arange(n, device=q.device).view(shape) for n, shape in (
            (s.shape[0], (-1, 1, 1, 1)), (s.shape[1], (1, -1, 1, 1)),
            (s.shape[2], (1, 1, -1, 1)), (s.shape[3], (1, 1, 1, -1))))
        s = score_mod(s, b, h, i, j)
    if keep is not None:
        s = s.masked_fill(~keep, -math.inf)
    p = torch.softmax(s, -1).nan_to_num(0.0)
    return torch.einsum("bhij,bhjf->bhif", p, v)


def rel_err(x, ref):
    return ((x.double() - ref).norm() / ref.norm()).item()


def cuda_backward_exists(dtype, shape, mask, score):
    """Whether the cache holds a bundle with a CUDA backward kernel for this
    case (NVIDIA targets compile grad=true)."""
    try:
        kernel = attn.prepare(*metadata(dtype, shape), mask=mask, score_mod=score,
                              device="cuda", grad=True)
    except attn.CompileError:  # CompilerUnavailable: not in the cache
        return False
    return kernel.grad_kernel is not None and any(
        t.startswith("sm_") for t in kernel.grad_kernel.targets)


def check_gradients(report, torch, F, flex, create_mask, create_block_mask):
    """Autograd through attn against float64 autograd through the reference
    (and SDPA's and FlexAttention's errors for comparison); twice, for
    bit-identical gradients; and once under torch.compile."""
    dtypes = {"bf16": torch.bfloat16, "f32": torch.float32}
    probe = GRAD_SHAPES["cuda"]
    probe_cases = grad_cases(lambda a: torch.from_numpy(a).to("cuda"), probe)
    on_cuda = {name: cuda_backward_exists(dtype, probe, mask, score)
               for name, dtype, mask, score, _, _ in probe_cases}
    for device in ("cuda", "cpu"):
        shape = GRAD_SHAPES[device]
        b, hq, hkv, s, d = shape
        gen = torch.Generator(device=device).manual_seed(13)
        arr = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
        for name, dtype, mask, score, mask_mod, flex_score in grad_cases(arr, shape):
            if on_cuda[name] != (device == "cuda"):
                continue
            label = f"gradients {name} on {device}" + (
                "" if device == "cuda" else " (host target: no CUDA backward kernel in the cache)")
            tolerance = 1e-5 if dtype == "f32" else 1e-2
            try:
                q = torch.randn(b, hq, s, d, device=device, dtype=dtypes[dtype], generator=gen)
                k, v = (torch.randn(b, hkv, s, d, device=device, dtype=dtypes[dtype],
                                    generator=gen) for _ in range(2))
                do = torch.randn(b, hq, s, d, device=device, dtype=dtypes[dtype], generator=gen)
                leaves = [x.clone().requires_grad_() for x in (q, k, v)]
                grads = torch.autograd.grad(attn.attention(*leaves, mask=mask, score_mod=score),
                                            leaves, do)
                again = torch.autograd.grad(attn.attention(*leaves, mask=mask, score_mod=score),
                                            leaves, do)
                keep = create_mask(mask_mod, b, hq, s, s, device=device)
                wide = [x.double().requires_grad_() for x in (q, k, v)]
                ref = torch.autograd.grad(reference(*wide, keep, flex_score), wide, do.double())
                errors = {"attn": max(rel_err(g, r) for g, r in zip(grads, ref))}
                others = {}
                if flex_score is None:
                    others["sdpa"] = lambda x, y, z: F.scaled_dot_product_attention(
                        x, y.repeat_interleave(hq // hkv, 1), z.repeat_interleave(hq // hkv, 1),
                        attn_mask=keep)
                block_mask = create_block_mask(mask_mod, b, hq, s, s, device=device)
                others["flex"] = lambda x, y, z: flex(x, y, z, score_mod=flex_score,
                                                      block_mask=block_mask, enable_gqa=True)
                for other, fn in others.items():
                    try:
                        leaves = [x.clone().requires_grad_() for x in (q, k, v)]
                        theirs = torch.autograd.grad(fn(*leaves), leaves, do)
                        errors[other] = max(rel_err(g, r) for g, r in zip(theirs, ref))
                    except Exception as error:  # shown, not judged: attn is under test
                        print(f"note: {other} backward on {device}: {type(error).__name__}: "
                              f"{str(error)[:200]}")
                identical = all(torch.equal(x, y) for x, y in zip(grads, again))
                report.add(label, errors["attn"] < tolerance and identical,
                           "max over dq, dk, dv: " +
                           ", ".join(f"{k_} {e:.2e}" for k_, e in errors.items()) +
                           f" (tolerance {tolerance:g}); two runs bit-identical: "
                           f"{'yes' if identical else 'NO'}")
                if name == "causal":
                    check_compiled_gradients(report, torch, device, q, k, v, do, mask, grads)
            except Exception as error:  # a failure of one case must not hide the others
                report.add(label, False, f"{type(error).__name__}: {str(error)[:300]}")


def check_compiled_gradients(report, torch, device, q, k, v, do, mask, eager):
    """The autograd formula under torch.compile(fullgraph=True): the same
    kernels, so the same gradients as eager."""
    label = f"torch.compile(fullgraph=True) gradients, causal, on {device}"
    mask = attn.as_mask(mask)  # built outside the compiled function
    # aot_eager on the CPU: AOTAutograd traces the op and its autograd
    # formula without needing Inductor's C++ toolchain there.
    compiled = torch.compile(lambda q, k, v: attn.attention(q, k, v, mask=mask), fullgraph=True,
                             backend="inductor" if device == "cuda" else "aot_eager")
    try:
        leaves = [x.clone().requires_grad_() for x in (q, k, v)]
        grads = torch.autograd.grad(compiled(*leaves), leaves, do)
        error = max(rel_err(g, e.double()) for g, e in zip(grads, eager))
        report.add(label, error < 1e-3, f"relative difference to eager {error:.2e}")
    except Exception as error:
        report.add(label, False, f"{type(error).__name__}: {str(error)[:300]}")


class Report:
    def __init__(self):
        self.rows, self.passed, self.failed = [], 0, 0

    def add(self, name, ok, detail):
        # Mask names such as "sinks 4 | window 256" must not split the table's cells.
        cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731
        self.rows.append(f"| {cell(name)} | {'PASS' if ok else 'FAIL'} | {cell(detail)} |")
        self.passed += ok
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def run(folder, report_path):
    import torch
    import torch.nn.functional as F
    from torch.nn.attention.flex_attention import create_block_mask, create_mask, flex_attention

    os.environ["ATTN_CACHE_DIR"] = str(Path(folder) / "cache")
    if attn.compiler_version() is not None:
        print("note: a compiler library was found; specs missing from the cache get compiled")
    torch.backends.cuda.matmul.allow_tf32 = False
    # Eager FlexAttention: the same semantics without compiling one kernel per
    # mask (which would cost minutes); bench/compare.py times the compiled one.
    flex = flex_attention
    dev = "cuda"
    arr = lambda a: torch.from_numpy(a).to(dev)  # noqa: E731
    report = Report()
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
    gen = torch.Generator(device=dev).manual_seed(11)
    built = {}
    for name, dtype, shape, mask, score, mask_mod, flex_score in cases(arr):
        b, hq, hkv, s, d = shape
        q = torch.randn(b, hq, s, d, device=dev, dtype=dtypes[dtype], generator=gen)
        k, v = (torch.randn(b, hkv, s, d, device=dev, dtype=dtypes[dtype], generator=gen)
                for _ in range(2))
        tolerance = 1e-5 if dtype == "f32" else 1e-2
        try:
            o = attn.attention(q, k, v, mask=mask, score_mod=score)
            torch.cuda.synchronize()
            keep = create_mask(mask_mod, b, hq, s, s, device=dev) if mask_mod else None
            ref = reference(q, k, v, keep, flex_score)
            errors = {"attn": rel_err(o, ref)}
            block_mask = create_block_mask(mask_mod, b, hq, s, s, device=dev) if mask_mod else None
            kwargs = {"enable_gqa": True} if hq != hkv else {}
            errors["flex"] = rel_err(flex(q, k, v, score_mod=flex_score, block_mask=block_mask,
                                          **kwargs), ref)
            if flex_score is None and keep is not None and keep.any(-1).all():
                errors["sdpa"] = rel_err(F.scaled_dot_product_attention(
                    q, k.repeat_interleave(hq // hkv, 1), v.repeat_interleave(hq // hkv, 1),
                    attn_mask=keep), ref)
            elif flex_score is None and keep is None:
                errors["sdpa"] = rel_err(F.scaled_dot_product_attention(
                    q, k, v, enable_gqa=hq != hkv), ref)
            ok = errors["attn"] < tolerance
            report.add(name, ok, ", ".join(f"{k_} {e:.2e}" for k_, e in errors.items())
                       + f" (tolerance {tolerance:g})")
            built[name] = (q, k, v, mask, score, o)
        except Exception as error:  # a failure of one case must not hide the others
            report.add(name, False, f"{type(error).__name__}: {str(error)[:300]}")

    # PyTorch-function spellings trace to the same specs (so the cache serves them).
    torch_natten = _torch_natten(torch, 32, 13)
    same = attn.from_mask_mod(torch_natten).desc == attn.from_mask_mod(natten2d(32, 13)).desc
    same &= attn.from_score_mod(lambda s, b, h, q, k: 50.0 * torch.tanh(s / 50.0)).desc == \
        attn.from_score_mod(softcap(50.0)).desc
    report.add("torch.clamp / torch.tanh spellings trace like the method spellings", same, "")

    for name in COMPILED:
        if name not in built:
            continue
        q, k, v, mask, score, eager = built[name]
        # Masks are traced outside the compiled function, as create_block_mask is.
        mask, score = attn.as_mask(mask), attn.as_score_mod(score)
        try:
            compiled = torch.compile(lambda q, k, v: attn.attention(
                q, k, v, mask=mask, score_mod=score, return_lse=True), fullgraph=True)
            o, lse = compiled(q, k, v)
            torch.cuda.synchronize()
            error = rel_err(o, eager.double())
            report.add(f"torch.compile(fullgraph=True): {name}", error < 1e-3 and
                       lse.shape == q.shape[:3] and bool(torch.isfinite(lse).all()),
                       f"relative difference to eager {error:.2e}")
        except Exception as error:
            report.add(f"torch.compile(fullgraph=True): {name}", False,
                       f"{type(error).__name__}: {str(error)[:300]}")

    check_gradients(report, torch, F, flex, create_mask, create_block_mask)

    q, k, v, mask, score, eager = built.get("causal", (None,) * 6)
    if q is not None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            o = attn.attention(q, k, v, mask=mask)
        torch.cuda.current_stream().wait_stream(side)
        report.add("current stream (a side stream)", torch.equal(o, eager), "")
        try:
            attn.attention(q, k.cpu(), v, mask=mask)
            report.add("tensors on two devices are refused", False, "no error")
        except Exception as error:
            report.add("tensors on two devices are refused",
                       isinstance(error, attn.KernelError) and "kDLCPU" in str(error),
                       f"{type(error).__name__}: {str(error)[:200]}")

    for kind in ("torch", "torch-train", "cpu"):
        for n, code in enumerate(re.findall(r"<!-- snippet: " + kind + r" -->\s*```\w*\n(.*?)```",
                                            (REPO / "README.md").read_text(), re.S)):
            try:
                exec(compile(code, f"README {kind} snippet {n + 1}", "exec"), {})
                report.add(f"README {kind} snippet {n + 1}", True, "")
            except Exception as error:
                report.add(f"README {kind} snippet {n + 1}", False,
                           f"{type(error).__name__}: {str(error)[:300]}")

    text = ["# attn Python package on the GPU", "",
            f"{torch.cuda.get_device_name()}, PyTorch {torch.__version__}, "
            f"{time.strftime('%Y-%m-%d')}; errors are relative to a float64 reference "
            "(attn's must be under the tolerance; FlexAttention's and SDPA's are shown for "
            "comparison).", "", "| check | result | details |", "|---|---|---|"] + report.rows
    text += ["", f"{report.passed} passed, {report.failed} failed"]
    Path(report_path).write_text("\n".join(text) + "\n")
    print(f"{report.passed} passed, {report.failed} failed")
    return report.failed == 0


def _torch_natten(torch, side, kernel):
    r = kernel // 2

    def mask_mod(b, h, q_idx, kv_idx):
        qi, qj, ki, kj = q_idx // side, q_idx % side, kv_idx // side, kv_idx % side
        ci = torch.clamp(qi, r, side - 1 - r)
        cj = torch.clamp(qj, r, side - 1 - r)
        return ((ki - ci).abs() <= r) & ((kj - cj).abs() <= r)
    return mask_mod


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("precompile", "run"):
        sys.exit(__doc__)
    if sys.argv[1] == "precompile":
        precompile(sys.argv[2])
    else:
        out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
            os.environ.get("OUT", "."), "python-gpu-check.md")
        sys.exit(0 if run(sys.argv[2], out) else 1)
