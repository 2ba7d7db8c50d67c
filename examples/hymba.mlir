// Hymba local layer: M = 128 meta tokens + window W = 1024: keep j <= i and (j < 128 or i - j <= 1024); Hymba-1.5B: 25 query / 5 KV heads, head dim 64, bf16.
func.func @hymba(%q: tensor<?x25x?x64xbf16>, %k: tensor<?x5x?x64xbf16>, %v: tensor<?x5x?x64xbf16>) -> tensor<?x25x?x64xbf16> {
  // i - j <= W is the window attribute's i - j < W + 1.
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 128>, #attn.window<left = 1025>]>]>} : tensor<?x25x?x64xbf16>, tensor<?x5x?x64xbf16>, tensor<?x5x?x64xbf16> -> tensor<?x25x?x64xbf16>
  return %o : tensor<?x25x?x64xbf16>
}
