// Gemma 2 9B local layer: causal sliding window W = 4096, logit soft-cap 50.0, 16 query / 8 KV heads, head dim 256, scale 1/sqrt(256) (query_pre_attn_scalar = 256), bf16.
func.func @gemma2_local(%q: tensor<?x16x?x256xbf16>, %k: tensor<?x8x?x256xbf16>, %v: tensor<?x8x?x256xbf16>) -> tensor<?x16x?x256xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 4096>, score_mod = #attn.softcap<50.0>, scale = 0.0625 : f32} : tensor<?x16x?x256xbf16>, tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16> -> tensor<?x16x?x256xbf16>
  return %o : tensor<?x16x?x256xbf16>
}
