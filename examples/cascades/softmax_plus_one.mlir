// Softmax with one added to the denominator ("off-by-one" softmax, E. Miller,
// "Attention Is Off By One", 2023), causal, returning the log-sum-exp too:
//
//   P[b, h, i, j] = exp(S[b, h, i, j]) / (1 + sum_{j' <= i} exp(S[b, h, i, j']))
//   O = P V,   LSE[b, h, i] = log(1 + sum_{j <= i} exp(S[b, h, i, j]))
//
// so that a head can attend to nothing (every weight near 0). It is softmax
// over the keys plus one virtual key whose score is 0 and whose value is 0:
// the running maximum starts at that key's score, 0, instead of -inf, and
// the running denominator at its term exp(0 - 0) = 1. Starting RM at 0 also
// keeps exp(-RM) from overflowing the way 1 + sum exp(S) would for large
// scores. The recurrences are FuseMax's 1-pass ones unchanged.
// docs/systems.md, "Cascades beyond softmax".
func.func @softmax_plus_one(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>) {
  %o, %lse = attn.cascade "softmax_plus_one" ins(@Q[b, h, p, e] = %q : tensor<?x16x?x128xbf16>, @K[b, g, m, e] = %k : tensor<?x4x?x128xbf16>, @V[b, g, m, f] = %v : tensor<?x4x?x128xbf16>) -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32> {
    attn.partition m = m1 * 64 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = 0.0, @RD[b, h, p, m1] = 1.0, @RNV[b, h, p, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e], 0.08838834764831843) reduce(sum: e)
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
  return %o, %lse : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
}
