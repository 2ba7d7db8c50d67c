"""attn.compile, kernel calls and their errors, on the host target."""

import re

import numpy as np
import pytest

import attn
import reference
from conftest import REPO

CAUSAL_F32 = """
func.func @causal(%q: tensor<?x4x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x16xf32>)
    -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal}
      : tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x16xf32>
      -> tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}
"""


def inputs(rng, b, sq, skv, dtype=np.float32, hq=4, hkv=2, e=32, f=16):
    return (rng.standard_normal((b, hq, sq, e)).astype(dtype),
            rng.standard_normal((b, hkv, skv, e)).astype(dtype),
            rng.standard_normal((b, hkv, skv, f)).astype(dtype))


def test_compile_signature_and_call(rng):
    kernel = attn.compile(CAUSAL_F32, targets="host")
    assert kernel.name == "causal" and kernel.targets == ["host"]
    assert [a.name for a in kernel.inputs] == ["q", "k", "v"]
    assert [a.name for a in kernel.outputs] == ["o", "lse"]
    assert kernel.outputs[1].dims == ((None, "B"), (4, None), (None, "Sq"))
    q, k, v = inputs(rng, 2, 37, 53)
    o, lse = kernel(q, k, v)
    assert isinstance(o, np.ndarray) and o.shape == (2, 4, 37, 16) and lse.dtype == np.float32
    keep = np.arange(53)[None, :] <= np.arange(37)[:, None]
    want_o, want_lse = reference.attention(q, k, v, keep)
    assert reference.rel_err(o, want_o) < 1e-5
    assert reference.rel_err(lse, want_lse) < 1e-5


def test_outputs_given_and_strided_inputs(rng):
    kernel = attn.compile(CAUSAL_F32, targets="host")
    q, k, v = inputs(rng, 1, 20, 20)
    wide = np.zeros((1, 4, 20, 64), np.float32)
    wide[..., :32] = q
    o = np.full((1, 4, 20, 16), np.nan, np.float32)
    lse = np.full((1, 4, 20), np.nan, np.float32)
    result = kernel(wide[..., :32], k, v, out=(o, lse))
    assert result[0] is o and result[1] is lse
    want_o, want_lse = reference.attention(q, k, v, np.tril(np.ones((20, 20), bool)))
    assert reference.rel_err(o, want_o) < 1e-5 and reference.rel_err(lse, want_lse) < 1e-5


def test_example_spec_from_path_bf16(rng):
    kernel = attn.compile(REPO / "examples" / "causal.mlir")
    x = [rng.standard_normal((1, 16, 33, 128)).astype(np.float32) for _ in range(3)]
    q, k, v = (attn.bfloat16(t) for t in x)
    o = kernel(q, k, v)
    assert isinstance(o, attn.RuntimeTensor) and o.dtype == "bf16" and o.shape == (1, 16, 33, 128)
    want, _ = reference.attention(q.numpy(), k.numpy(), v.numpy(),
                                  np.tril(np.ones((33, 33), bool)))
    assert reference.rel_err(o.numpy(), want) < 1e-2
    # A runtime-allocated tensor is itself a DLPack producer.
    again = kernel(q, k, v, out=o)
    assert again is o


def test_kernel_errors_carry_the_runtime_message(rng):
    kernel = attn.compile(CAUSAL_F32, targets="host")
    q, k, v = inputs(rng, 1, 8, 8)
    with pytest.raises(attn.KernelError) as error:
        kernel(q.astype(np.float16), k, v)
    assert error.value.status == "ATTN_ERROR_ARGUMENT_MISMATCH"
    assert "argument 0 ('q') has dtype (code 2, bits 16, lanes 1), expected f32" in str(error.value)
    with pytest.raises(attn.KernelError, match=r"dimension 3 is 31, expected 32"):
        kernel(q[..., :31].copy(), k, v)
    with pytest.raises(attn.KernelError, match=r"argument 1 \('k'\) dimension 0 \('B'\) is 2"):
        kernel(q, np.concatenate([k, k]), v)
    with pytest.raises(TypeError, match=r"takes 3 inputs \(q, k, v\), got 2"):
        kernel(q, k)
    with pytest.raises(TypeError, match=r"has 2 outputs \(o, lse\), out= gives 1"):
        kernel(q, k, v, out=np.empty((1, 4, 8, 16), np.float32))
    with pytest.raises(ValueError, match="stream= is for CUDA tensors"):
        kernel(q, k, v, stream=5)
    with pytest.raises(TypeError, match="expected a tensor with __dlpack__"):
        kernel(q, [1, 2], v)


def test_compile_errors_carry_diagnostics():
    bad = CAUSAL_F32.replace("#attn.causal", "#attn.window<left = 0>")
    with pytest.raises(attn.CompileError) as error:
        attn.compile(bad, targets="host", name="bad_window")
    assert "'#attn.window' left must be in [1," in str(error.value)
    assert re.search(r"bad_window:\d+:\d+: error", error.value.diagnostics)
    assert error.value.spec == bad
    with pytest.raises(attn.CompileError, match="expected"):
        attn.compile("func.func @f(", targets="host")
    with pytest.raises(attn.CompileError, match="unknown target 'sm_12'"):
        attn.compile(CAUSAL_F32, targets="sm_12")
    with pytest.raises(attn.CompileError, match="no such option|unknown"):
        attn.compile(CAUSAL_F32, targets="host", not_an_option=3)
    with pytest.raises(ValueError, match="option output cannot be given here"):
        attn.compile(CAUSAL_F32, targets="host", output="x.atnb")
    with pytest.raises(ValueError, match="values are single words"):
        attn.compile(CAUSAL_F32, targets="host", host_cpu="a b")
    with pytest.raises(ValueError, match="at least one target"):
        attn.compile(CAUSAL_F32, targets="")


def test_several_functions_need_a_name():
    second = CAUSAL_F32.replace("@causal", "@other")
    with pytest.raises(ValueError, match=r"holds kernels \['causal', 'other'\]"):
        attn.compile(CAUSAL_F32 + second, targets="host")
    assert attn.compile(CAUSAL_F32 + second, targets="host", function="other").name == "other"


def test_compile_options_reach_the_compiler(rng):
    kernel = attn.compile(CAUSAL_F32, targets="host", block_q=16, block_kv=8, opt_level=1)
    q, k, v = inputs(rng, 1, 29, 29)
    o, _ = kernel(q, k, v)
    want, _ = reference.attention(q, k, v, np.tril(np.ones((29, 29), bool)))
    assert reference.rel_err(o, want) < 1e-5
    with pytest.raises(attn.CompileError, match="opt-level must be 0 to 3, got 7"):
        attn.compile(CAUSAL_F32, targets="host", opt_level=7)


def test_load_a_bundle_file(tmp_path, rng):
    kernel = attn.compile(CAUSAL_F32, targets="host")
    bundle = attn._cache.lookup_any(kernel.spec, "host-cpu=native targets=host")[0]
    path = tmp_path / "causal.atnb"
    path.write_bytes(bundle)
    loaded = attn.load(path).kernel()
    assert loaded.name == "causal"
    with pytest.raises(attn.KernelError, match="ATTN_ERROR_INVALID_BUNDLE"):
        attn.load(bundle[:-3] + b"xyz")


def test_compiler_version_names_the_build():
    assert re.fullmatch(r"attn-compiler \S+ \(build [0-9a-f]{40}\)", attn.compiler_version())


def test_compiler_c_api_contract():
    import ctypes
    lib = attn._lib.compiler()
    result = ctypes.c_void_p()
    assert lib.attn_compile(None, 0, b"targets=host", None, ctypes.byref(result)) == 1
    assert lib.attn_compilation_diagnostics(result) == b"error: attn_compile: spec is NULL\n"
    assert lib.attn_compilation_bundle(result, None) is None
    lib.attn_compilation_free(result)
    spec = CAUSAL_F32.encode()
    for options in (b"targets=host output=x.atnb", b"targets=host emit=host-llvm",
                    b'targets=host host-cpu="a b" report-resources'):
        assert lib.attn_compile(spec, len(spec), options, None, ctypes.byref(result)) == 1
        assert b"is attn-opt's: the C API returns the bundle itself" in \
            lib.attn_compilation_diagnostics(result)
        lib.attn_compilation_free(result)
    assert lib.attn_compile(spec, len(spec), b"targets=host", None, None) == 1
    assert lib.attn_compile(spec, len(spec), b"targets=host", b"named",
                            ctypes.byref(result)) == 0
    size = ctypes.c_size_t()
    data = ctypes.string_at(lib.attn_compilation_bundle(result, ctypes.byref(size)), size.value)
    lib.attn_compilation_free(result)
    assert data[4:8] == b"ATNB" and attn.load(data).spec_name == "named"
    assert lib.attn_compiler_host_cpu().split()[0]


DOCUMENT_IDS = """
func.func @documents(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
                     %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>)
      {mask = #attn.documents<operand = 0, layout = ids, causal = true>}
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
"""


def test_documents_key_summary_prepared_by_the_call(rng):
    """mask_prep="kernel": the call runs documents_prep into the summary
    input itself; the output matches the scanning kernel's and the reference."""
    prepared = attn.compile(DOCUMENT_IDS, targets="host", mask_prep="kernel", block_q=16, block_kv=16)
    scanning = attn.compile(DOCUMENT_IDS, targets="host", block_q=16, block_kv=16)
    assert [a.name for a in prepared.inputs] == ["q", "k", "v", "data0", "data0_summary"]
    q, k, v = inputs(rng, 2, 150, 150, hq=2, hkv=2, e=16, f=16)
    ids = np.stack([np.arange(150) * 5 // 150, (np.arange(150) // 7) % 3]).astype(np.int32)
    o = prepared(q, k, v, ids)
    assert reference.rel_err(o, scanning(q, k, v, ids)) < 1e-6
    for b in range(2):
        keep = (ids[b][:, None] == ids[b][None, :]) & np.tril(np.ones((150, 150), bool))
        want, _ = reference.attention(q[b:b + 1], k[b:b + 1], v[b:b + 1], keep)
        assert reference.rel_err(o[b:b + 1], want) < 1e-5
    summary = np.empty((2, 3, 2), np.int32)
    prepared.bundle.kernel("documents_prep")(ids, out=summary)
    assert summary[0].tolist() == [[0, 2], [2, 4], [4, 4]]
