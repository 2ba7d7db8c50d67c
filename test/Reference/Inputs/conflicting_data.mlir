// One operand read both as document offsets and as prefix lengths.
func.func @conflicting_data(%q: tensor<2x2x2x8xf32>, %k: tensor<2x2x2x8xf32>, %v: tensor<2x2x2x8xf32>, %d: tensor<2xi32>) -> tensor<2x2x2x8xf32> {
  %o = attn.attention %q, %k, %v data(%d : tensor<2xi32>) {mask = #attn.and<[#attn.documents<operand = 0, layout = offsets>, #attn.prefix_lm<operand = 0>]>} : tensor<2x2x2x8xf32>, tensor<2x2x2x8xf32>, tensor<2x2x2x8xf32> -> tensor<2x2x2x8xf32>
  return %o : tensor<2x2x2x8xf32>
}
