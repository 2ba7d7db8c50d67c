// Soft-capping's tanh: with f16/bf16 inputs it is the one-instruction
// tanh.approx.f32 (relative error about 2^-11, below the rounding of the
// inputs and of P); with f32 inputs it keeps the ex2.approx form of
// tanh.mlir (about 2e-6), so that f32 results stay within 1e-5.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s

// CHECK-LABEL: // attn: kernel softcap_bf16
// CHECK: tanh.approx.f32
// CHECK: ex2.approx.f32
// CHECK-LABEL: // attn: kernel softcap_f32
// CHECK-NOT: tanh.approx
// CHECK: ex2.approx.f32
// CHECK-NOT: tanh.approx
func.func @softcap_bf16(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.softcap<50.0>} : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
func.func @softcap_f32(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.softcap<50.0>} : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}
