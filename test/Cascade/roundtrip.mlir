// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s
// RUN: attn-opt %examples/fusemax/one_pass.mlir | attn-opt | FileCheck %s --check-prefix=ONE

// CHECK-LABEL: func.func @rules
// CHECK: attn.cascade "rules" ins(@Q[b, h, p, e] = %{{.*}} : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %{{.*}} : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %{{.*}} : tensor<?x2x?x8xf32>) data(%{{.*}} : tensor<?xi32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> {
// CHECK-NEXT: attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.3535533905932738) reduce(sum: e)
// CHECK-NEXT: attn.einsum @S[b, h, p, m] = select(mask<#attn.prefix_lm<operand = 0>>[b, h, p, m], select(mask_region[b, h, p, m], score_region[b, h, p, m](score_mod<#attn.alibi>[b, h, p, m](score_mod<#attn.softcap<3.000000e+01>>[b, h, p, m](@QK[b, h, p, m]))), -inf), -inf)
// CHECK-NEXT: attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
// CHECK-NEXT: attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
// CHECK-NEXT: attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
// CHECK-NEXT: attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
// CHECK-NEXT: attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// CHECK-NEXT: attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
// CHECK-NEXT: } mask {
// CHECK: tensor.extract
// CHECK: attn.yield %{{.*}} : i1
// CHECK-NEXT: } score {
// CHECK: attn.yield %{{.*}} : f32
func.func @rules(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %prefix: tensor<?xi32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.cascade "rules" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x8xf32>) data(%prefix : tensor<?xi32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.35355339059327379) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = select(mask<#attn.prefix_lm<operand = 0>>[b, h, p, m], select(mask_region[b, h, p, m], score_region[b, h, p, m](score_mod<#attn.alibi>[b, h, p, m](score_mod<#attn.softcap<30.0>>[b, h, p, m](@QK[b, h, p, m]))), -inf), -inf)
    attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  } mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %length = tensor.extract %prefix[%b] : tensor<?xi32>
    %limit = arith.index_cast %length : i32 to index
    %keep = arith.cmpi ult, %j, %limit : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %half = arith.constant 5.000000e-01 : f32
    %scaled = arith.mulf %s, %half : f32
    attn.yield %scaled : f32
  }
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Constants read back as the same doubles; every map action parses.
// CHECK-LABEL: func.func @actions
// CHECK: attn.einsum @X[k] = add(sub(@A[k], 1.5), mul(@A[k], 2.0, -0.1), max(@A[k], inf, -inf), min(@A[k], 1.0e-300))
// CHECK-NEXT: attn.einsum @Y[k] = div(neg(exp(@X[k])), tanh(log(@A[k])))
// CHECK-NEXT: attn.einsum @Z[] = @Y[k] reduce(max: k)
func.func @actions(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "actions" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.einsum @X[k] = add(sub(@A[k], 1.5), mul(@A[k], 2, -0.1), max(@A[k], inf, -inf), min(@A[k], 1.0e-300))
    attn.einsum @Y[k] = div(neg(exp(@X[k])), tanh(log(@A[k])))
    attn.einsum @Z[] = @Y[k] reduce(max: k)
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// ONE: attn.partition m = m1 * 32 + m0
// ONE-NEXT: attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, @RD[b, h, p, m1] = 0.0, @RNV[b, h, p, f, m1] = 0.0) {
// ONE-NEXT: attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
// ONE: attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
// ONE: attn.einsum @AV[b, h, p, f] = div_or_zero(@RNV[b, h, p, f, M1], @RD[b, h, p, M1])
