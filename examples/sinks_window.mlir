// StreamingLLM attention sinks + window: keep j <= i and (j < 4 or i - j < 1020), a 1024-entry cache; Llama 2 7B: 32 heads, head dim 128, f16.
func.func @sinks_window(%q: tensor<?x32x?x128xf16>, %k: tensor<?x32x?x128xf16>, %v: tensor<?x32x?x128xf16>) -> tensor<?x32x?x128xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 4>, #attn.window<left = 1020>]>]>} : tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16> -> tensor<?x32x?x128xf16>
  return %o : tensor<?x32x?x128xf16>
}
