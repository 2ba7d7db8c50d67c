// RUN: attn-opt --attn-online-softmax=tile-size=16 --attn-tile=block-q=32 %examples/fusemax/two_pass.mlir | FileCheck %s
// RUN: attn-opt --attn-online-softmax=tile-size=16 --attn-tile=block-q=32 %examples/fusemax/two_pass.mlir | attn-opt | FileCheck %s
// RUN: attn-opt --attn-online-softmax=tile-size=16 --attn-tile=block-q=32 --attn-count-passes %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES --implicit-check-not=remark
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax --attn-tile="block-q=128 block-kv=32" %examples/gemma2_local.mlir | FileCheck %s --check-prefix=GEMMA
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=7 --attn-tile=block-q=5 %s | FileCheck %s --check-prefix=NAMES

// The 1-pass cascade tiled over queries: every tensor over p is stored over
// (p1, p0), the query and the mask read position p1 * P0 + p0, the single
// iteration over the key tiles and its running tensors stay, and the results
// yield (p1, p0) as their p dimension.
// CHECK-LABEL: func.func @attention
// CHECK: attn.cascade "two_pass"
// CHECK-NEXT: attn.partition p = p1 * 32 + p0
// CHECK-NEXT: attn.partition m = m1 * 16 + m0
// CHECK-NEXT: attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p1, p0, m1] = -inf, @RD[b, h, p1, p0, m1] = 0.0, @RNV[b, h, p1, p0, f, m1] = 0.0) {
// CHECK-NEXT: attn.einsum @BQK[b, h, p1, p0, m1, m0] = mul(@Q[b, h, p1 * P0 + p0, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
// CHECK-NEXT: attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], @BQK[b, h, p1, p0, m1, m0], -inf)
// CHECK-NEXT: attn.einsum @LM[b, h, p1, p0, m1] = @BS[b, h, p1, p0, m1, m0] reduce(max: m0)
// CHECK-NEXT: attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
// CHECK-NEXT: attn.einsum @SLN[b, h, p1, p0, m1, m0] = exp_diff(@BS[b, h, p1, p0, m1, m0], @RM[b, h, p1, p0, m1 + 1])
// CHECK-NEXT: attn.einsum @SLD[b, h, p1, p0, m1] = @SLN[b, h, p1, p0, m1, m0] reduce(sum: m0)
// CHECK-NEXT: attn.einsum @SLNV[b, h, p1, p0, f, m1] = mul(@SLN[b, h, p1, p0, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
// CHECK-NEXT: attn.einsum @PRM[b, h, p1, p0, m1] = exp_diff(@RM[b, h, p1, p0, m1], @RM[b, h, p1, p0, m1 + 1])
// CHECK-NEXT: attn.einsum @RD[b, h, p1, p0, m1 + 1] = add(@SLD[b, h, p1, p0, m1], mul(@RD[b, h, p1, p0, m1], @PRM[b, h, p1, p0, m1]))
// CHECK-NEXT: attn.einsum @RNV[b, h, p1, p0, f, m1 + 1] = add(@SLNV[b, h, p1, p0, f, m1], mul(@RNV[b, h, p1, p0, f, m1], @PRM[b, h, p1, p0, m1]))
// CHECK-NEXT: }
// CHECK-NEXT: attn.einsum @AV[b, h, p1, p0, f] = div_or_zero(@RNV[b, h, p1, p0, f, M1], @RD[b, h, p1, p0, M1])
// CHECK-NEXT: attn.einsum @LSE[b, h, p1, p0] = add(@RM[b, h, p1, p0, M1], log(@RD[b, h, p1, p0, M1]))
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p1, p0, f], @LSE[b, h, p1, p0]

// Tiling queries adds no pass over the keys: still 1 over m and m1 (2 over
// m0: the tile maximum, then the numerators), and none over p.
// PASSES: remark: cascade two_pass: 1 passes over rank e
// PASSES: remark: cascade two_pass: 1 passes over rank m
// PASSES: remark: cascade two_pass: 1 passes over rank m1
// PASSES: remark: cascade two_pass: 2 passes over rank m0

// block-kv re-chooses the key tile; score mods read the tiled query position.
// GEMMA-LABEL: func.func @gemma2_local
// GEMMA: attn.partition p = p1 * 128 + p0
// GEMMA-NEXT: attn.partition m = m1 * 32 + m0
// GEMMA: attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.window<left = 4096>>[b, h, p1 * P0 + p0, m1 * M0 + m0], score_mod<#attn.softcap<5.000000e+01>>[b, h, p1 * P0 + p0, m1 * M0 + m0](@BQK[b, h, p1, p0, m1, m0]), -inf)
// GEMMA: attn.cascade_yield @AV[b, h, p1, p0, f]

// Rank names already taken get a suffix (an input names ranks p1 and p0).
// NAMES-LABEL: func.func @taken
// NAMES: attn.partition p = p1_2 * 5 + p0_2
// NAMES: attn.cascade_yield @AV[b, h, p1_2, p0_2, f]
func.func @taken(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %x: tensor<?x?xf32>) -> tensor<?x2x?x4xf32> {
  %o = attn.cascade "taken" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>, @X[p1, p0] = %x : tensor<?x?xf32>) -> tensor<?x2x?x4xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x4xf32>
}
