// What the NVIDIA backward kernels refuse (grad=true), each with its rule.
// RUN: attn-opt %s --split-input-file --attn-compile="targets=sm_90 grad=true" -verify-diagnostics -o /dev/null
// RUN: attn-opt %s --split-input-file --attn-compile="targets=sm_80 grad=true" -verify-diagnostics -o /dev/null
// The sm_90a (wgmma) kernel has no backward.
// RUN: not attn-opt %S/backward.mlir --attn-compile="targets=sm_90,sm_90a grad=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOPPER
// HOPPER: error: attn-compile: grad=true: the sm_90a kernel has no backward yet (@causal_grad); list sm_90 instead, whose mma.sync backward runs on sm_90 devices

// f32 inputs (the forward's 3xTF32 products have no backward yet).
func.func @f32(%q: tensor<?x2x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> (tensor<?x2x?x64xf32>, tensor<?x2x?xf32>) {
  // expected-error @below {{grad=true: the NVIDIA backward kernels need f16 or bf16 inputs, got 'f32'}}
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x2x?x64xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x64xf32>, tensor<?x2x?xf32>
}

// -----

// Head dimension 256.
func.func @wide(%q: tensor<?x2x?x256xbf16>, %k: tensor<?x2x?x256xbf16>, %v: tensor<?x2x?x256xbf16>) -> (tensor<?x2x?x256xbf16>, tensor<?x2x?xf32>) {
  // expected-error @below {{grad=true: the NVIDIA backward kernels support head dimensions 64 and 128, got 256}}
  %o, %lse = attn.attention %q, %k, %v : tensor<?x2x?x256xbf16>, tensor<?x2x?x256xbf16>, tensor<?x2x?x256xbf16> -> tensor<?x2x?x256xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x256xbf16>, tensor<?x2x?xf32>
}

// -----

// Head dimension 32 (f16: a row of 64 bytes is half a swizzle period).
func.func @narrow(%q: tensor<?x2x?x32xf16>, %k: tensor<?x2x?x32xf16>, %v: tensor<?x2x?x32xf16>) -> (tensor<?x2x?x32xf16>, tensor<?x2x?xf32>) {
  // expected-error @below {{head dimension E = 32 is not supported by the NVIDIA target for 'f16' inputs (supported: 64 128 256)}}
  %o, %lse = attn.attention %q, %k, %v : tensor<?x2x?x32xf16>, tensor<?x2x?x32xf16>, tensor<?x2x?x32xf16> -> tensor<?x2x?x32xf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x32xf16>, tensor<?x2x?xf32>
}
