// One function per mask kind and score mod, at sizes where each rule matters
// (4 query / 2 KV heads, head dim 8); run with small B, Sq and Skv.

// Causal.
func.func @causal(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Two-sided window.
func.func @window(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 5, right = 2>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Attention sinks plus a causal window.
func.func @sinks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 3>, #attn.window<left = 4>]>]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Prefix-LM with per-batch prefix lengths.
func.func @prefix_lm(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?xi32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Causal packed documents by ids (Sq = Skv).
func.func @documents_ids(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x?xi32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?x?xi32>) {mask = #attn.documents<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Bidirectional packed documents by offsets.
func.func @documents_offsets(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?xi64>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// S2-Attention with an offset and one dense KV head.
func.func @s2(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.s2<block = 4, local = 2, stride = 3, offset = 1, dense_heads = 1>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// LongLoRA shifted groups.
func.func @shifted_groups(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 6>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Star Attention: local block plus the anchor block.
func.func @star_anchor(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 5>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Routed key blocks per query block.
func.func @block_list(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x4x?x?xi32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x?xi32>) {mask = #attn.block_list<operand = 0, block_q = 4, block_kv = 3>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// A 0/1 block mask.
func.func @block_mask(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x4x?x?xi8>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x?xi8>) {mask = #attn.block_mask<operand = 0, block_q = 4, block_kv = 8>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// Soft-capping, then ALiBi, under a causal mask.
func.func @softcap_alibi(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = [#attn.softcap<1.5>, #attn.alibi<max_bias = 4.0>], scale = 0.7 : f32} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// An additive bias broadcast over the batch.
func.func @bias(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<1x4x?x?xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<1x4x?x?xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// A causal window attribute AND a mask region, and a score region reading a
// per-head offset operand.
func.func @regions(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<4xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<4xf32>) {mask = #attn.window<left = 6>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c3 = arith.constant 3 : index
    %c0 = arith.constant 0 : index
    %r = arith.remui %j, %c3 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %x = tensor.extract %d0[%h] : tensor<4xf32>
    %r = arith.addf %s, %x : f32
    attn.yield %r : f32
  }
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// A 4x5 neighborhood: causal rows, dilated and strided columns.
func.func @neighborhood(%q: tensor<?x4x20x8xf32>, %k: tensor<?x2x20x8xf32>, %v: tensor<?x2x20x8xf32>) -> (tensor<?x4x20x8xf32>, tensor<?x4x20xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4, 5], kernel = [3, 2], dilation = [1, 2], stride = [1, 2], causal = [true, false]>} : tensor<?x4x20x8xf32>, tensor<?x2x20x8xf32>, tensor<?x2x20x8xf32> -> tensor<?x4x20x8xf32>, tensor<?x4x20xf32>
  return %o, %lse : tensor<?x4x20x8xf32>, tensor<?x4x20xf32>
}
