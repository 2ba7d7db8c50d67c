// RUN: attn-opt --attn-online-softmax=tile-size=16 %examples/fusemax/two_pass.mlir | FileCheck %s
// RUN: attn-opt --attn-online-softmax=tile-size=16 --attn-count-passes %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES --implicit-check-not=remark
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax %examples/gemma2_local.mlir | FileCheck %s --check-prefix=GEMMA
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=7 %s | attn-opt | FileCheck %s --check-prefix=NAMES

// The hand-written 2-pass cascade becomes FuseMax's 1-pass cascade.
// CHECK: attn.cascade "two_pass"
// CHECK-NEXT: attn.partition m = m1 * 16 + m0
// CHECK-NEXT: attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, @RD[b, h, p, m1] = 0.0, @RNV[b, h, p, f, m1] = 0.0) {
// CHECK-NEXT: attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
// CHECK-NEXT: attn.einsum @BS[b, h, p, m1, m0] = select(mask<#attn.causal>[b, h, p, m1 * M0 + m0], @BQK[b, h, p, m1, m0], -inf)
// CHECK-NEXT: attn.einsum @LM[b, h, p, m1] = @BS[b, h, p, m1, m0] reduce(max: m0)
// CHECK-NEXT: attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
// CHECK-NEXT: attn.einsum @SLN[b, h, p, m1, m0] = exp_diff(@BS[b, h, p, m1, m0], @RM[b, h, p, m1 + 1])
// CHECK-NEXT: attn.einsum @SLD[b, h, p, m1] = @SLN[b, h, p, m1, m0] reduce(sum: m0)
// CHECK-NEXT: attn.einsum @SLNV[b, h, p, f, m1] = mul(@SLN[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
// CHECK-NEXT: attn.einsum @PRM[b, h, p, m1] = exp_diff(@RM[b, h, p, m1], @RM[b, h, p, m1 + 1])
// CHECK-NEXT: attn.einsum @RD[b, h, p, m1 + 1] = add(@SLD[b, h, p, m1], mul(@RD[b, h, p, m1], @PRM[b, h, p, m1]))
// CHECK-NEXT: attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@SLNV[b, h, p, f, m1], mul(@RNV[b, h, p, f, m1], @PRM[b, h, p, m1]))
// CHECK-NEXT: }
// CHECK-NEXT: attn.einsum @AV[b, h, p, f] = div_or_zero(@RNV[b, h, p, f, M1], @RD[b, h, p, M1])
// CHECK-NEXT: attn.einsum @LSE[b, h, p] = add(@RM[b, h, p, M1], log(@RD[b, h, p, M1]))
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]

// PASSES: remark: cascade two_pass: 1 passes over rank e
// PASSES: remark: cascade two_pass: 1 passes over rank m
// PASSES: remark: cascade two_pass: 1 passes over rank m1
// PASSES: remark: cascade two_pass: 2 passes over rank m0

// The default tile is 64 keys; score mods and masks are evaluated at the
// key m1 * M0 + m0.
// GEMMA: attn.partition m = m1 * 64 + m0
// GEMMA: attn.einsum @BS[b, h, p, m1, m0] = select(mask<#attn.window<left = 4096>>[b, h, p, m1 * M0 + m0], score_mod<#attn.softcap<5.000000e+01>>[b, h, p, m1 * M0 + m0](@BQK[b, h, p, m1, m0]), -inf)
// GEMMA: attn.cascade_yield @AV[b, h, p, f]

// Names already taken get a suffix (here a rank m1 and a tensor RM exist).
// NAMES: attn.partition m = m1_1 * 7 + m0
// NAMES: attn.iterate m1_1 stop(m1_1 = M1_1) running(@RM_1[b, h, p, m1_1] = -inf
func.func @taken(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %rm: tensor<?x?xf32>) -> tensor<?x2x?x4xf32> {
  %o = attn.cascade "taken" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>, @RM[b, m1] = %rm : tensor<?x?xf32>) -> tensor<?x2x?x4xf32> {
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
