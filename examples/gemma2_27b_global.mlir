// Gemma 2 27B global layer: causal, logit soft-cap 50.0, 32 query / 16 KV heads, head dim 128, scale 1/sqrt(144) = 1/12 (query_pre_attn_scalar = 144), bf16.
func.func @gemma2_27b_global(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = [#attn.softcap<50.0>], scale = 0.0833333358 : f32} : tensor<?x32x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
