// Issue 16: what the verifier accepts at the edges of the new bounds, and
// numbers written as integers where a float is expected.
// RUN: attn-opt %s | FileCheck %s

// CHECK-LABEL: func.func @edges
// CHECK: #attn.window<left = 1073741824, right = 1073741824>
// CHECK: #attn.softcap<3.000000e+01>
func.func @edges(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 1073741824, right = 1073741824>, score_mod = #attn.softcap<30>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// CHECK-LABEL: func.func @nested_32
func.func @nested_32(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.causal, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}
