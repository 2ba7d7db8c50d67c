// The specs the runtime's backward tests (backward_test.cpp) compile with
// attn-opt at build time: once with grad=true (forward kernel `f` writing O
// and the LSE, backward kernel `f_grad`) and once without (no `f_grad`).
// Tiles of 4 queries and 8 keys (set by CMake) at the tests' ragged sizes.

// GQA (4 query heads on 2), causal; the spec returns O alone, grad=true adds the LSE.
func.func @causal_gqa(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x12xf32>) -> tensor<?x4x?x12xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// A sliding window (i - j < 5, j - i <= 2) under a soft-cap, with a scale.
func.func @window_softcap(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 5, right = 2>, score_mod = [#attn.softcap<2.0>], scale = 0.5 : f32} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

// Packed documents (ids [B, S], a data operand), causal inside each.
func.func @documents(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// bf16 inputs and outputs (f32 LSE).
func.func @causal_bf16(%q: tensor<?x2x?x32xbf16>, %k: tensor<?x2x?x32xbf16>, %v: tensor<?x2x?x32xbf16>) -> tensor<?x2x?x32xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x2x?x32xbf16>
  return %o : tensor<?x2x?x32xbf16>
}

// A learned bias [1, Hq, Sq, Skv] (broadcast over the batch), causal: its
// gradient ddata0 is written at [B, Hq, Sq, Skv].
func.func @causal_bias(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %bias: tensor<1x2x?x?xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x2x?x?xf32>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
