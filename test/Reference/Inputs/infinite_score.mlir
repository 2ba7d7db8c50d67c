// A score region that divides by zero: +inf has no softmax.
func.func @infinite_score(%q: tensor<1x1x3x4xf32>, %k: tensor<1x1x3x4xf32>, %v: tensor<1x1x3x4xf32>) -> tensor<1x1x3x4xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32> -> tensor<1x1x3x4xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %one = arith.constant 1.0 : f32
    %zero = arith.constant 0.0 : f32
    %inf = arith.divf %one, %zero : f32
    attn.yield %inf : f32
  }
  return %o : tensor<1x1x3x4xf32>
}
