// Specs the NVIDIA kernel emitter cannot lower are rejected with a
// diagnostic that names what is unsupported.
// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-compile="targets=sm_90 emit=gpu"

func.func @f32_inputs(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  // expected-error @+1 {{f32 inputs are not supported by the NVIDIA target yet; use f16 or bf16}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

func.func @head_dim_32(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> tensor<?x4x?x32xbf16> {
  // expected-error @+1 {{head dimension E = 32 is not supported by the NVIDIA target (supported: 64, 128, 256)}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %o : tensor<?x4x?x32xbf16>
}

// -----

func.func @value_dim_96(%q: tensor<?x4x?x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x96xf16>) -> tensor<?x4x?x96xf16> {
  // expected-error @+1 {{head dimension F = 96 is not supported by the NVIDIA target (supported: 64, 128, 256)}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x96xf16> -> tensor<?x4x?x96xf16>
  return %o : tensor<?x4x?x96xf16>
}
