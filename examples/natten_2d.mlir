// NATTEN 2-D neighborhood attention: 128x128 grid (Sq = Skv = 16384), kernel 13x13, dilation 1, stride 1, non-causal; 8 heads, head dim 64, f16.
func.func @natten_2d(%q: tensor<?x8x16384x64xf16>, %k: tensor<?x8x16384x64xf16>, %v: tensor<?x8x16384x64xf16>) -> tensor<?x8x16384x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [128, 128], kernel = [13, 13]>} : tensor<?x8x16384x64xf16>, tensor<?x8x16384x64xf16>, tensor<?x8x16384x64xf16> -> tensor<?x8x16384x64xf16>
  return %o : tensor<?x8x16384x64xf16>
}
