// NATTEN 3-D neighborhood attention over video: grid 16x32x32 (T, H, W; Sq = Skv = 16384), kernel 5x7x7, dilation 1x2x2, causal in time only; 12 heads, head dim 128, bf16.
func.func @natten_3d(%q: tensor<?x12x16384x128xbf16>, %k: tensor<?x12x16384x128xbf16>, %v: tensor<?x12x16384x128xbf16>) -> tensor<?x12x16384x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [16, 32, 32], kernel = [5, 7, 7], dilation = [1, 2, 2], causal = [true, false, false]>} : tensor<?x12x16384x128xbf16>, tensor<?x12x16384x128xbf16>, tensor<?x12x16384x128xbf16> -> tensor<?x12x16384x128xbf16>
  return %o : tensor<?x12x16384x128xbf16>
}
