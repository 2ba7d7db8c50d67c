// Swin-T stage 1 window attention as blocked neighborhood attention: 56x56 grid (Sq = Skv = 3136), 7x7 windows (stride = kernel = 7), relative-position bias [1, Hq, Sq, Skv] added; 3 heads, head dim 32, f32.
func.func @swin_blocked(%q: tensor<?x3x3136x32xf32>, %k: tensor<?x3x3136x32xf32>, %v: tensor<?x3x3136x32xf32>, %relative_bias: tensor<1x3x3136x3136xf32>) -> tensor<?x3x3136x32xf32> {
  %o = attn.attention %q, %k, %v data(%relative_bias : tensor<1x3x3136x3136xf32>) {mask = #attn.neighborhood<grid = [56, 56], kernel = [7, 7], stride = [7, 7]>, score_mod = #attn.bias<operand = 0>} : tensor<?x3x3136x32xf32>, tensor<?x3x3136x32xf32>, tensor<?x3x3136x32xf32> -> tensor<?x3x3136x32xf32>
  return %o : tensor<?x3x3136x32xf32>
}
