// Schedules the NVIDIA kernel cannot run are rejected with the rule they
// break.
// RUN: attn-opt %s --verify-diagnostics --attn-compile="targets=sm_90 emit=gpu gpu-block-q=64 gpu-warps=8"
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=gpu gpu-block-q=128 gpu-warps=8 gpu-block-kv=16" 2>&1 | FileCheck %s --check-prefix=COPIES
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=gpu gpu-block-kv=24" 2>&1 | FileCheck %s --check-prefix=KV

// COPIES: NVIDIA key tiles of 16 rows cannot be split evenly into 16-byte copies over 256 threads; they need a multiple of 32 rows
// KV: NVIDIA block-kv must be a positive multiple of 16, got 24
func.func @small_heads(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  // expected-error @+1 {{NVIDIA tiles give each warp 16 query rows: block-q must be 16 * warps, got block-q = 64 and warps = 8}}
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
