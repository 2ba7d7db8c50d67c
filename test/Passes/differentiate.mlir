// RUN: attn-opt --attn-decompose --attn-differentiate %s | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-differentiate %s | attn-opt | FileCheck %s
// The tiled 1-pass cascade gives the same backward as the 3-pass one.
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax --attn-tile --attn-sparsify --attn-differentiate %s | FileCheck %s
// RUN: attn-opt --attn-differentiate %examples/cascades/sigmoid.mlir | FileCheck %s --check-prefix=SIGMOID
// RUN: attn-opt --attn-differentiate %examples/cascades/softmax_plus_one.mlir | FileCheck %s --check-prefix=PLUSONE

// GQA (4 query heads on 2), a window, a bias and a soft-cap: FlashAttention's
// backward with the soft-cap's derivative, dK and dV summed over each group
// of query heads, and the bias gradient (dQK, since the bias adds to QK).
// CHECK-LABEL: func.func @gemma_grad
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x8xbf16>, %[[K:.*]]: tensor<?x2x?x8xbf16>, %[[V:.*]]: tensor<?x2x?x16xbf16>, %[[BIAS:.*]]: tensor<?x4x?x?xf32>, %[[O:.*]]: tensor<?x4x?x16xbf16>, %[[LSE:.*]]: tensor<?x4x?xf32>, %[[DO:.*]]: tensor<?x4x?x16xbf16>) -> (tensor<?x4x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x16xbf16>, tensor<?x4x?x?xf32>)
// CHECK: %[[D:.*]] = attn.cascade "gemma_grad_delta" ins(@O[b, h, p, f] = %[[O]] : tensor<?x4x?x16xbf16>, @DO[b, h, p, f] = %[[DO]] : tensor<?x4x?x16xbf16>) -> tensor<?x4x?xf32> {
// CHECK-NEXT: attn.einsum @D[b, h, p] = mul(@DO[b, h, p, f], @O[b, h, p, f]) reduce(sum: f)
// CHECK: %[[KV:.*]]:2 = attn.cascade "gemma_grad_kv" ins(@Q[b, h, p, e] = %[[Q]] : {{.*}}, @K[b, g, m, e] = %[[K]] : {{.*}}, @V[b, g, m, f] = %[[V]] : {{.*}}, @DO[b, h, p, f] = %[[DO]] : {{.*}}, @LSE[b, h, p] = %[[LSE]] : {{.*}}, @D[b, h, p] = %[[D]] : tensor<?x4x?xf32>) data(%[[BIAS]] : tensor<?x4x?x?xf32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?x16xf32> {
// CHECK-NEXT: attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
// CHECK-NEXT: attn.einsum @S[b, h, p, m] = select(mask<#attn.window<left = 16>>[b, h, p, m], score_mod<#attn.softcap<5.000000e+01>>[b, h, p, m](score_mod<#attn.bias<operand = 0>>[b, h, p, m](@QK[b, h, p, m])), -inf)
// CHECK-NEXT: attn.einsum @P[b, h, p, m] = exp_diff(@S[b, h, p, m], @LSE[b, h, p])
// CHECK-NEXT: attn.einsum @DP[b, h, p, m] = mul(@DO[b, h, p, f], @V[b, g(h), m, f]) reduce(sum: f)
// CHECK-NEXT: attn.einsum @DS[b, h, p, m] = mul(@P[b, h, p, m], sub(@DP[b, h, p, m], @D[b, h, p]))
// CHECK-NEXT: attn.einsum @DQK[b, h, p, m] = mul(@DS[b, h, p, m], sub(1.0, mul(tanh(mul(score_mod<#attn.bias<operand = 0>>[b, h, p, m](@QK[b, h, p, m]), 0.02)), tanh(mul(score_mod<#attn.bias<operand = 0>>[b, h, p, m](@QK[b, h, p, m]), 0.02)))))
// CHECK-NEXT: attn.einsum @DV[b, h, m, f] = mul(@P[b, h, p, m], @DO[b, h, p, f]) reduce(sum: p)
// CHECK-NEXT: attn.einsum @DK[b, h, m, e] = mul(@DQK[b, h, p, m], @Q[b, h, p, e], 0.125) reduce(sum: p)
// CHECK-NEXT: attn.cascade_yield @DK[b, h, m, e], @DV[b, h, m, f]
// CHECK: %[[DK:.*]] = attn.cascade "gemma_grad_reduce_k" ins(@G[b, h, m, e] = %[[KV]]#0 : tensor<?x4x?x8xf32>) -> tensor<?x2x?x8xbf16> {
// CHECK-NEXT: attn.partition h = h1 * 2 + h0
// CHECK-NEXT: attn.einsum @GS[b, h1, m, e] = @G[b, h1 * H0 + h0, m, e] reduce(sum: h0)
// CHECK: %[[DV:.*]] = attn.cascade "gemma_grad_reduce_v" ins(@G[b, h, m, f] = %[[KV]]#1 : tensor<?x4x?x16xf32>) -> tensor<?x2x?x16xbf16> {
// CHECK: %[[QG:.*]]:2 = attn.cascade "gemma_grad_q" ins({{.*}}) data(%[[BIAS]] : tensor<?x4x?x?xf32>) -> tensor<?x4x?x8xbf16>, tensor<?x4x?x?xf32> {
// CHECK: attn.einsum @DQ[b, h, p, e] = mul(@DQK[b, h, p, m], @K[b, g(h), m, e], 0.125) reduce(sum: m)
// CHECK-NEXT: attn.einsum @DB0[b, h, p, m] = @DQK[b, h, p, m]
// CHECK-NEXT: attn.cascade_yield @DQ[b, h, p, e], @DB0[b, h, p, m]
// CHECK: return %[[QG]]#0, %[[DK]], %[[DV]], %[[QG]]#1
func.func @gemma(%q: tensor<?x4x?x8xbf16>, %k: tensor<?x2x?x8xbf16>, %v: tensor<?x2x?x16xbf16>, %bias: tensor<?x4x?x?xf32>) -> (tensor<?x4x?x16xbf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x4x?x?xf32>) {mask = #attn.window<left = 16>, score_mod = [#attn.bias<operand = 0>, #attn.softcap<50.0>], scale = 0.125 : f32} : tensor<?x4x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x16xbf16> -> tensor<?x4x?x16xbf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x16xbf16>, tensor<?x4x?xf32>
}

// Sigmoid attention: element-wise weights, no LSE and no D; the derivative
// of the sigmoid written as arithmetic, zero where the mask drops the key.
// SIGMOID-LABEL: func.func @sigmoid_grad
// SIGMOID-SAME: -> (tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>)
// SIGMOID-NOT: grad_delta
// SIGMOID: attn.cascade "sigmoid_grad_kv"
// SIGMOID: attn.einsum @S[b, h, p, m] = select(mask<#attn.causal>[b, h, p, m], div(1.0, add(1.0, exp(neg(add(@QK[b, h, p, m], -6.931471805599453))))), 0.0)
// SIGMOID-NEXT: attn.einsum @DP[b, h, p, m] = mul(@DO[b, h, p, f], @V[b, g(h), m, f]) reduce(sum: f)
// SIGMOID-NEXT: attn.einsum @DQK[b, h, p, m] = mul(@DP[b, h, p, m], select(mask<#attn.causal>[b, h, p, m], neg(div(mul(exp(neg(add(@QK[b, h, p, m], -6.931471805599453))), -1.0), mul(add(1.0, exp(neg(add(@QK[b, h, p, m], -6.931471805599453)))), add(1.0, exp(neg(add(@QK[b, h, p, m], -6.931471805599453))))))), 0.0))
// SIGMOID-NEXT: attn.einsum @DV[b, h, m, f] = mul(@S[b, h, p, m], @DO[b, h, p, f]) reduce(sum: p)
// SIGMOID: attn.cascade "sigmoid_grad_q"
// SIGMOID-NOT: reduce_k

// Off-by-one softmax: the running maximum and sum start at 0 and 1, which the
// saved LSE already holds, so the backward is softmax's.
// PLUSONE-LABEL: func.func @softmax_plus_one_grad
// PLUSONE: attn.cascade "softmax_plus_one_grad_delta"
// PLUSONE: attn.einsum @P[b, h, p, m] = exp_diff(@S[b, h, p, m], @LSE[b, h, p])
// PLUSONE: attn.einsum @DS[b, h, p, m] = mul(@P[b, h, p, m], sub(@DP[b, h, p, m], @D[b, h, p]))
// PLUSONE: attn.cascade "softmax_plus_one_grad_reduce_k"
// PLUSONE-NEXT: attn.partition h = h1 * 4 + h0
// PLUSONE: attn.cascade "softmax_plus_one_grad_q"
