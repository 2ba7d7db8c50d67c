// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// A tiled, sparsified 1-pass cascade: the query rank is partitioned
// (p = p1 * 16 + p0), the results yield (p1, p0) as their p dimension, and
// the iteration over the key tiles visits only the tiles the mask tests keep.
// CHECK-LABEL: func.func @tiled
// CHECK: attn.partition p = p1 * 16 + p0
// CHECK-NEXT: attn.partition m = m1 * 8 + m0
// CHECK-NEXT: attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], mask_region[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf, @RD[b, h, p1, p0, m1] = 0.0, @RNV[b, h, p1, p0, f, m1] = 0.0) {
// CHECK-NEXT: attn.einsum @BQK[b, h, p1, p0, m1, m0] = mul(@Q[b, h, p1 * P0 + p0, e], @K[b, g(h), m1 * M0 + m0, e], 0.5) reduce(sum: e)
// CHECK-NEXT: attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], select(mask_region[b, h, p1 * P0 + p0, m1 * M0 + m0], @BQK[b, h, p1, p0, m1, m0], -inf), -inf)
// CHECK: attn.cascade_yield @AV[b, h, p1, p0, f], @LSE[b, h, p1, p0]
func.func @tiled(%q: tensor<?x4x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> (tensor<?x4x?x4xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.cascade "tiled" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x4x?x4xf32>, tensor<?x4x?xf32> {
    attn.partition p = p1 * 16 + p0
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], mask_region[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf, @RD[b, h, p1, p0, m1] = 0.0, @RNV[b, h, p1, p0, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p1, p0, m1, m0] = mul(@Q[b, h, p1 * P0 + p0, e], @K[b, g(h), m1 * M0 + m0, e], 0.5) reduce(sum: e)
      attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], select(mask_region[b, h, p1 * P0 + p0, m1 * M0 + m0], @BQK[b, h, p1, p0, m1, m0], -inf), -inf)
      attn.einsum @LM[b, h, p1, p0, m1] = @BS[b, h, p1, p0, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
      attn.einsum @SLN[b, h, p1, p0, m1, m0] = exp_diff(@BS[b, h, p1, p0, m1, m0], @RM[b, h, p1, p0, m1 + 1])
      attn.einsum @SLD[b, h, p1, p0, m1] = @SLN[b, h, p1, p0, m1, m0] reduce(sum: m0)
      attn.einsum @SLNV[b, h, p1, p0, f, m1] = mul(@SLN[b, h, p1, p0, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @PRM[b, h, p1, p0, m1] = exp_diff(@RM[b, h, p1, p0, m1], @RM[b, h, p1, p0, m1 + 1])
      attn.einsum @RD[b, h, p1, p0, m1 + 1] = add(@SLD[b, h, p1, p0, m1], mul(@RD[b, h, p1, p0, m1], @PRM[b, h, p1, p0, m1]))
      attn.einsum @RNV[b, h, p1, p0, f, m1 + 1] = add(@SLNV[b, h, p1, p0, f, m1], mul(@RNV[b, h, p1, p0, f, m1], @PRM[b, h, p1, p0, m1]))
    }
    attn.einsum @AV[b, h, p1, p0, f] = div_or_zero(@RNV[b, h, p1, p0, f, M1], @RD[b, h, p1, p0, M1])
    attn.einsum @LSE[b, h, p1, p0] = add(@RM[b, h, p1, p0, M1], log(@RD[b, h, p1, p0, M1]))
    attn.cascade_yield @AV[b, h, p1, p0, f], @LSE[b, h, p1, p0]
  } mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c4 = arith.constant 4 : index
    %lo = arith.subi %i, %c4 : index
    %keep = arith.cmpi sge, %j, %lo : index
    attn.yield %keep : i1
  }
  return %o, %lse : tensor<?x4x?x4xf32>, tensor<?x4x?xf32>
}
