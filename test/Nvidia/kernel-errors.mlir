// Specs the NVIDIA kernel emitter cannot lower are rejected with a
// diagnostic that names what is unsupported.
// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-compile="targets=sm_90 emit=gpu"

// f32 rows of 32 elements fill a swizzle period (128 bytes); 16-bit ones do not.
func.func @f32_head_dim_96(%q: tensor<?x4x?x96xf32>, %k: tensor<?x4x?x96xf32>, %v: tensor<?x4x?x96xf32>) -> tensor<?x4x?x96xf32> {
  // expected-error @+1 {{head dimension E = 96 is not supported by the NVIDIA target for 'f32' inputs (supported: 32 64 128 256)}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x96xf32>, tensor<?x4x?x96xf32>, tensor<?x4x?x96xf32> -> tensor<?x4x?x96xf32>
  return %o : tensor<?x4x?x96xf32>
}

// -----

func.func @head_dim_32(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> tensor<?x4x?x32xbf16> {
  // expected-error @+1 {{head dimension E = 32 is not supported by the NVIDIA target for 'bf16' inputs (supported: 64 128 256)}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %o : tensor<?x4x?x32xbf16>
}

// -----

func.func @value_dim_96(%q: tensor<?x4x?x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x96xf16>) -> tensor<?x4x?x96xf16> {
  // expected-error @+1 {{head dimension F = 96 is not supported by the NVIDIA target for 'f16' inputs (supported: 64 128 256)}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x96xf16> -> tensor<?x4x?x96xf16>
  return %o : tensor<?x4x?x96xf16>
}
