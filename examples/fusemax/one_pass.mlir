// FuseMax's 1-pass cascade (FlashAttention-2's algorithm), written by hand:
// the same causal GQA attention as three_pass.mlir. The key rank m is
// partitioned into tiles of M0 = 32 keys (the last tile is shorter when 32
// does not divide M) and the tile index m1 is iterative: the running
// maximum RM, denominator RD and numerator RNV carry each tile's result to
// the next, rescaled by PRM. `attn-count-passes` finds 1 pass over m.
func.func @attention(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>) {
  %o, %lse = attn.cascade "one_pass" ins(@Q[b, h, p, e] = %q : tensor<?x8x?x64xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x64xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32>, tensor<?x8x?xf32> {
    attn.partition m = m1 * 32 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, @RD[b, h, p, m1] = 0.0, @RNV[b, h, p, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
      attn.einsum @BS[b, h, p, m1, m0] = select(mask<#attn.causal>[b, h, p, m1 * M0 + m0], @BQK[b, h, p, m1, m0], -inf)
      attn.einsum @LM[b, h, p, m1] = @BS[b, h, p, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
      attn.einsum @SLN[b, h, p, m1, m0] = exp_diff(@BS[b, h, p, m1, m0], @RM[b, h, p, m1 + 1])
      attn.einsum @SLD[b, h, p, m1] = @SLN[b, h, p, m1, m0] reduce(sum: m0)
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@SLN[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @PRM[b, h, p, m1] = exp_diff(@RM[b, h, p, m1], @RM[b, h, p, m1 + 1])
      attn.einsum @RD[b, h, p, m1 + 1] = add(@SLD[b, h, p, m1], mul(@RD[b, h, p, m1], @PRM[b, h, p, m1]))
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@SLNV[b, h, p, f, m1], mul(@RNV[b, h, p, f, m1], @PRM[b, h, p, m1]))
    }
    attn.einsum @AV[b, h, p, f] = div_or_zero(@RNV[b, h, p, f, M1], @RD[b, h, p, M1])
    attn.einsum @LSE[b, h, p] = add(@RM[b, h, p, M1], log(@RD[b, h, p, M1]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  }
  return %o, %lse : tensor<?x8x?x64xf32>, tensor<?x8x?xf32>
}
