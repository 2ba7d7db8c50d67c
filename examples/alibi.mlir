// ALiBi (BLOOM-style), causal: s - slope_h * (i - j) with slope_h = 2^(-8 (h + 1) / 32); 32 heads, head dim 128, bf16.
func.func @alibi(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x32x?x128xbf16>, %v: tensor<?x32x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.alibi} : tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
