// Multi-query attention (Falcon-7B shape), causal: 71 query heads, 1 KV head (Hkv = 1), head dim 64, f16.
func.func @mqa(%q: tensor<?x71x?x64xf16>, %k: tensor<?x1x?x64xf16>, %v: tensor<?x1x?x64xf16>) -> tensor<?x71x?x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x71x?x64xf16>, tensor<?x1x?x64xf16>, tensor<?x1x?x64xf16> -> tensor<?x71x?x64xf16>
  return %o : tensor<?x71x?x64xf16>
}
