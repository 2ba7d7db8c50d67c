// Causal written as a score region that drops future keys with -inf.
func.func @small_causal_score_drop(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %future = arith.cmpi ugt, %j, %i : index
    %minus_inf = arith.constant 0xFF800000 : f32
    %r = arith.select %future, %minus_inf, %s : f32
    attn.yield %r : f32
  }
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}
