// Gradients of learned biases in the backward kernels (attn-compile
// grad=true, docs/backward.md): for each data operand `data<N>` a spec reads
// through #attn.bias, <name>_grad also writes `ddata<N>` [B, Hq, Sq, Skv] =
// dS * dS/dbias, straight from the dS tile of the dQ phase (each (query,
// key) pair once, no atomics). Elements of tiles the kernel skips and masked
// elements are 0: attn-run poisons every output with NaN before each run,
// so an element left unwritten fails the check against the float64
// interpreter's @<name>_grad. Tiles of 4 queries and 8 keys at ragged sizes.
// RUN: attn-opt %s --attn-compile="targets=host grad=true block-q=4 block-kv=8 output=%t.atnb" -o /dev/null
// RUN: attn-run %t.atnb --target host --check --gradients --function causal_bias --batch 2 --seq-q 21 --seq-kv 19 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function window_bias_chain --batch 1 --seq-q 30 --seq-kv 27 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function gqa_bias --batch 2 --seq-q 13 --seq-kv 22 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function documents_bias --batch 1 --seq-q 29 --seq-kv 29 | FileCheck %s --check-prefix=DOCS
// RUN: attn-run %t.atnb --target host --check --gradients --function two_biases --batch 2 --seq-q 11 --seq-kv 17 | FileCheck %s --check-prefix=TWO
// RUN: attn-run %t.atnb --target host --check --gradients --function causal_bias_bf16 --batch 1 --seq-q 37 --seq-kv 41 | FileCheck %s --check-prefix=BF16
// CHECK: o: rel_err=
// CHECK-NEXT: dq: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dk: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dv: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: ddata0: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: backward runs bit-identical: yes
// CHECK: PASS
// DOCS: dv: rel_err={{[0-9.]+e-0[6-9]$}}
// DOCS-NEXT: ddata1: rel_err={{[0-9.]+e-0[6-9]$}}
// DOCS-NEXT: backward runs bit-identical: yes
// DOCS: PASS
// TWO: dv: rel_err={{[0-9.]+e-0[6-9]$}}
// TWO-NEXT: ddata1: rel_err={{[0-9.]+e-0[6-9]$}}
// TWO-NEXT: ddata0: rel_err={{[0-9.]+e-0[6-9]$}}
// TWO-NEXT: backward runs bit-identical: yes
// TWO: PASS
// BF16: ddata0: rel_err={{0\.00[0-9]+$}}
// BF16-NEXT: backward runs bit-identical: yes
// BF16: (tolerance 0.01)
// BF16-NEXT: PASS

// The float64 reference of the bias gradient is itself checked against
// central finite differences of sum(O * dO).
// RUN: attn-run %s --target ref --gradients --function window_bias_chain --batch 1 --seq-q 9 --seq-kv 7 | FileCheck %s --check-prefix=FD
// FD: ddata0: norm={{.*}} fd_rel_err=
// FD: PASS

// The kernel's signature: the gradient at the full per-score shape, whatever
// the operand broadcasts (the caller sums the broadcast dimensions).
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// INFO-LABEL: kernel window_bias_chain_grad
// INFO: ddata0 output tensor f32 [B, 2, Sq, Skv]

func.func @causal_bias(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %bias: tensor<?x2x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x2x?x?xf32>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>, scale = 0.25 : f32} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @dense_bias(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %bias: tensor<?x2x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x2x?x?xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

// A bias broadcast over the batch, under a window, then soft-capped (so
// dS/dbias = 1 - tanh(s / c)^2 is not 1) with ALiBi.
func.func @window_bias_chain(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %bias: tensor<1x2x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<1x2x?x?xf32>) {mask = #attn.window<left = 6, right = 3>, score_mod = [#attn.bias<operand = 0>, #attn.softcap<3.0>, #attn.alibi]} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

// GQA (6 query heads on 2): the bias and its gradient are per query head.
func.func @gqa_bias(%q: tensor<?x6x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>, %bias: tensor<?x6x?x?xf32>) -> (tensor<?x6x?x8xf32>, tensor<?x6x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x6x?x?xf32>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x6x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x6x?x8xf32>, tensor<?x6x?xf32>
  return %o, %lse : tensor<?x6x?x8xf32>, tensor<?x6x?xf32>
}

// Documents by ids (data0) and a bias (data1): the gradient is ddata1.
func.func @documents_bias(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %ids: tensor<?x?xi32>, %bias: tensor<1x1x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%ids, %bias : tensor<?x?xi32>, tensor<1x1x?x?xf32>) {mask = #attn.documents<layout = ids, operand = 0>, score_mod = #attn.bias<operand = 1>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

// Two biases, one under the soft-cap: one gradient each, in the order
// @two_biases_grad returns them (the order the score mods read them).
func.func @two_biases(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %b0: tensor<?x2x?x?xf32>, %b1: tensor<1x2x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%b0, %b1 : tensor<?x2x?x?xf32>, tensor<1x2x?x?xf32>) {mask = #attn.causal, score_mod = [#attn.bias<operand = 0>, #attn.softcap<5.0>, #attn.bias<operand = 1>]} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @causal_bias_bf16(%q: tensor<?x2x?x32xbf16>, %k: tensor<?x2x?x32xbf16>, %v: tensor<?x2x?x32xbf16>, %bias: tensor<?x2x?x?xbf16>) -> (tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x2x?x?xbf16>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>
}
