// NATTEN 1-D dilated neighborhood attention: 4096 tokens, kernel 7, dilation 8, stride 1, non-causal; 8 heads, head dim 64, f32.
func.func @natten_1d_dilated(%q: tensor<?x8x4096x64xf32>, %k: tensor<?x8x4096x64xf32>, %v: tensor<?x8x4096x64xf32>) -> tensor<?x8x4096x64xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4096], kernel = [7], dilation = [8]>} : tensor<?x8x4096x64xf32>, tensor<?x8x4096x64xf32>, tensor<?x8x4096x64xf32> -> tensor<?x8x4096x64xf32>
  return %o : tensor<?x8x4096x64xf32>
}
