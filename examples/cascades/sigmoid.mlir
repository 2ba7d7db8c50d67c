// Sigmoid attention (Ramapuram et al., "Theory, Analysis, and Best Practices
// for Sigmoid Self-Attention", 2024), causal:
//
//   O[b, h, i] = sum_{j <= i} sigmoid(s * Q[b, h, i] . K[b, g(h), j] + c) V[b, g(h), j]
//
// with s = 1/sqrt(64) and the bias c = -log(1024) the paper recommends for
// sequences of about n = 1024 tokens (c = -log(n)). Each key's weight is
// independent of the others: there is no maximum and no sum over the keys,
// so the running state is the numerator RNV alone, and the attn.attention
// vocabulary (softmax over the keys) cannot say it. Masked keys weigh 0,
// which a skipped key tile adds nothing to, so attn-sparsify can skip the
// tiles the causal mask empties. docs/systems.md, "Cascades beyond softmax".
func.func @sigmoid(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x8x?x64xbf16>, %v: tensor<?x8x?x64xbf16>) -> tensor<?x8x?x64xbf16> {
  %o = attn.cascade "sigmoid" ins(@Q[b, h, p, e] = %q : tensor<?x8x?x64xbf16>, @K[b, g, m, e] = %k : tensor<?x8x?x64xbf16>, @V[b, g, m, f] = %v : tensor<?x8x?x64xbf16>) -> tensor<?x8x?x64xbf16> {
    attn.partition m = m1 * 64 + m0
    attn.iterate m1 stop(m1 = M1) running(@RNV[b, h, p, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
      attn.einsum @BW[b, h, p, m1, m0] = select(mask<#attn.causal>[b, h, p, m1 * M0 + m0], div(1.0, add(1.0, exp(neg(add(@BQK[b, h, p, m1, m0], -6.931471805599453))))), 0.0)
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@BW[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@RNV[b, h, p, f, m1], @SLNV[b, h, p, f, m1])
    }
    attn.einsum @AV[b, h, p, f] = @RNV[b, h, p, f, M1]
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x8x?x64xbf16>
}
