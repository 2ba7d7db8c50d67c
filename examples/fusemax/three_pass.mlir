// FuseMax's 3-pass cascade (what PyTorch eager does), written by hand:
// causal attention with 8 query heads sharing 2 KV heads (GQA, g(h) = h / 4),
// head dim 64, scale 1/8, returning O and LSE. `attn-count-passes` finds
// 3 passes over the key rank m: GM, then SN and SD, then A and AV each need
// the previous traversal of m to have finished.
func.func @attention(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>) {
  %o, %lse = attn.cascade "three_pass" ins(@Q[b, h, p, e] = %q : tensor<?x8x?x64xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x64xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32>, tensor<?x8x?xf32> {
    // Pass 1 over m: scores, masked, and their maximum per query.
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = select(mask<#attn.causal>[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
    // Pass 2: numerators and their sum (exp_diff gives 0, not NaN, on rows
    // that keep no key).
    attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    // Pass 3: normalise, then weight the values.
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  }
  return %o, %lse : tensor<?x8x?x64xf32>, tensor<?x8x?xf32>
}
