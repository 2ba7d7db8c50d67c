// Additive attention bias (e.g. T5 relative-position bias, precomputed): s + bias[0, h, i, j] with bias [1, Hq, Sq, Skv] broadcast over the batch; 12 heads, head dim 64, f32.
func.func @bias(%q: tensor<?x12x?x64xf32>, %k: tensor<?x12x?x64xf32>, %v: tensor<?x12x?x64xf32>, %bias: tensor<1x12x?x?xf32>) -> tensor<?x12x?x64xf32> {
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x12x?x?xf32>) {score_mod = #attn.bias<operand = 0>, scale = 1.0 : f32} : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32> -> tensor<?x12x?x64xf32>
  return %o : tensor<?x12x?x64xf32>
}
