// FuseMax's deferred-division cascade, written by hand: the same causal GQA
// attention as three_pass.mlir, but the division by SD moves after the
// contraction with V (F * P divisions instead of M * P). SD and SNV read
// SN in the same traversal of m, so `attn-count-passes` finds 2 passes.
func.func @attention(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>) {
  %o, %lse = attn.cascade "two_pass" ins(@Q[b, h, p, e] = %q : tensor<?x8x?x64xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x64xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32>, tensor<?x8x?xf32> {
    // Pass 1 over m.
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = select(mask<#attn.causal>[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
    // Pass 2 over m.
    attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    // No traversal of m.
    attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
    attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  }
  return %o, %lse : tensor<?x8x?x64xf32>, tensor<?x8x?xf32>
}
