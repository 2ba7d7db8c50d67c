// One case per diagnostic of attn.attention and the mask / score-mod
// attributes: every malformed spec is rejected with a precise message.
// RUN: attn-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Ranks and element types
//===----------------------------------------------------------------------===//

func.func @query_rank(%q: tensor<2x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{query must have rank 4 ([B, H, S, D]), got 'tensor<2x64x32xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @key_rank(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32x1xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{key must have rank 4 ([B, H, S, D]), got 'tensor<2x2x64x32x1xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32x1xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @value_rank(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<f32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{value must have rank 4 ([B, H, S, D]), got 'tensor<f32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<f32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @output_rank(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<16x64x32xf32> {
  // expected-error @+1 {{output must have rank 4 ([B, H, S, D]), got 'tensor<16x64x32xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<16x64x32xf32>
  return %o : tensor<16x64x32xf32>
}

// -----

func.func @unranked_query(%q: tensor<*xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<*xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @query_element_type(%q: tensor<2x8x64x32xf64>, %k: tensor<2x2x64x32xf64>, %v: tensor<2x2x64x32xf64>) -> tensor<2x8x64x32xf64> {
  // expected-error @+1 {{query element type must be f16, bf16 or f32, got 'f64'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf64>, tensor<2x2x64x32xf64>, tensor<2x2x64x32xf64> -> tensor<2x8x64x32xf64>
  return %o : tensor<2x8x64x32xf64>
}

// -----

func.func @integer_query(%q: tensor<2x8x64x32xi8>, %k: tensor<2x2x64x32xi8>, %v: tensor<2x2x64x32xi8>) -> tensor<2x8x64x32xi8> {
  // expected-error @+1 {{query element type must be f16, bf16 or f32, got 'i8'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xi8>, tensor<2x2x64x32xi8>, tensor<2x2x64x32xi8> -> tensor<2x8x64x32xi8>
  return %o : tensor<2x8x64x32xi8>
}

// -----

func.func @key_element_type(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x2x64x32xf16>, %v: tensor<2x2x64x32xbf16>) -> tensor<2x8x64x32xbf16> {
  // expected-error @+1 {{key element type 'f16' differs from the query element type 'bf16'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xbf16>, tensor<2x2x64x32xf16>, tensor<2x2x64x32xbf16> -> tensor<2x8x64x32xbf16>
  return %o : tensor<2x8x64x32xbf16>
}

// -----

func.func @value_element_type(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x2x64x32xbf16>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xbf16> {
  // expected-error @+1 {{value element type 'f32' differs from the query element type 'bf16'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xbf16>, tensor<2x2x64x32xbf16>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xbf16>
  return %o : tensor<2x8x64x32xbf16>
}

// -----

func.func @output_element_type(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x2x64x32xbf16>, %v: tensor<2x2x64x32xbf16>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{output element type 'f32' differs from the query element type 'bf16'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xbf16>, tensor<2x2x64x32xbf16>, tensor<2x2x64x32xbf16> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

//===----------------------------------------------------------------------===//
// Static heads and head dimensions
//===----------------------------------------------------------------------===//

// -----

func.func @dynamic_query_heads(%q: tensor<2x?x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x?x64x32xf32> {
  // expected-error @+1 {{query heads must be static, got 'tensor<2x?x64x32xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x?x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x?x64x32xf32>
  return %o : tensor<2x?x64x32xf32>
}

// -----

func.func @dynamic_key_heads(%q: tensor<2x8x64x32xf32>, %k: tensor<2x?x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{key heads must be static, got 'tensor<2x?x64x32xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x?x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @dynamic_value_heads(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x?x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{value heads must be static, got 'tensor<2x?x64x32xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x?x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @dynamic_query_head_dim(%q: tensor<2x8x64x?xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{query head dimension must be static, got 'tensor<2x8x64x?xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x?xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @dynamic_key_head_dim(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x?xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{key head dimension must be static, got 'tensor<2x2x64x?xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x?xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @dynamic_value_head_dim(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x?xf32>) -> tensor<2x8x64x?xf32> {
  // expected-error @+1 {{value head dimension must be static, got 'tensor<2x2x64x?xf32>'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x?xf32> -> tensor<2x8x64x?xf32>
  return %o : tensor<2x8x64x?xf32>
}

//===----------------------------------------------------------------------===//
// Sizes that must agree
//===----------------------------------------------------------------------===//

// -----

func.func @batch_query_key(%q: tensor<2x8x64x32xf32>, %k: tensor<3x2x64x32xf32>, %v: tensor<3x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{batch size mismatch: query has 2 but key has 3}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<3x2x64x32xf32>, tensor<3x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @batch_key_value(%q: tensor<?x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<3x2x64x32xf32>) -> tensor<?x8x64x32xf32> {
  // expected-error @+1 {{batch size mismatch: key has 2 but value has 3}}
  %o = attn.attention %q, %k, %v : tensor<?x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<3x2x64x32xf32> -> tensor<?x8x64x32xf32>
  return %o : tensor<?x8x64x32xf32>
}

// -----

// The key's dynamic batch must not hide a query/value disagreement.
func.func @batch_query_value(%q: tensor<2x8x64x32xf32>, %k: tensor<?x2x64x32xf32>, %v: tensor<3x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{batch size mismatch: query has 2 but value has 3}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<?x2x64x32xf32>, tensor<3x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @kv_heads(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x4x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{KV head count mismatch: key has 2 but value has 4}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x4x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @key_value_sequence(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x65x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{key sequence length mismatch: key has 64 but value has 65}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x65x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @head_dim_qk(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x16xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{head dimension E mismatch: query has 32 but key has 16}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x16xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @zero_heads(%q: tensor<2x0x64x32xf32>, %k: tensor<2x0x64x32xf32>, %v: tensor<2x0x64x32xf32>) -> tensor<2x0x64x32xf32> {
  // expected-error @+1 {{head counts must be >= 1, got Hq = 0 and Hkv = 0}}
  %o = attn.attention %q, %k, %v : tensor<2x0x64x32xf32>, tensor<2x0x64x32xf32>, tensor<2x0x64x32xf32> -> tensor<2x0x64x32xf32>
  return %o : tensor<2x0x64x32xf32>
}

// -----

func.func @heads_not_multiple(%q: tensor<2x6x64x32xf32>, %k: tensor<2x4x64x32xf32>, %v: tensor<2x4x64x32xf32>) -> tensor<2x6x64x32xf32> {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %o = attn.attention %q, %k, %v : tensor<2x6x64x32xf32>, tensor<2x4x64x32xf32>, tensor<2x4x64x32xf32> -> tensor<2x6x64x32xf32>
  return %o : tensor<2x6x64x32xf32>
}

// -----

func.func @zero_head_dim(%q: tensor<2x8x64x0xf32>, %k: tensor<2x2x64x0xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{head dimensions must be >= 1}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x0xf32>, tensor<2x2x64x0xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @output_head_dim(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x16xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{output type 'tensor<2x8x64x32xf32>' must be [B, Hq, Sq, F] = [2, 8, 64, 16]}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x16xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

// A static output size where the query's is dynamic is a mismatch too.
func.func @output_static_sequence(%q: tensor<?x8x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>) -> tensor<?x8x64x32xf32> {
  // expected-error @+1 {{output type 'tensor<?x8x64x32xf32>' must be [B, Hq, Sq, F] = [?, 8, ?, 32]}}
  %o = attn.attention %q, %k, %v : tensor<?x8x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x8x64x32xf32>
  return %o : tensor<?x8x64x32xf32>
}

// -----

func.func @lse_element_type(%q: tensor<2x8x64x32xbf16>, %k: tensor<2x2x64x32xbf16>, %v: tensor<2x2x64x32xbf16>) -> tensor<2x8x64xbf16> {
  // expected-error @+1 {{lse element type must be f32, got 'bf16'}}
  %o, %lse = attn.attention %q, %k, %v : tensor<2x8x64x32xbf16>, tensor<2x2x64x32xbf16>, tensor<2x2x64x32xbf16> -> tensor<2x8x64x32xbf16>, tensor<2x8x64xbf16>
  return %lse : tensor<2x8x64xbf16>
}

// -----

func.func @lse_shape(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x1xf32> {
  // expected-error @+1 {{lse type 'tensor<2x8x64x1xf32>' must have the query's [B, Hq, Sq] shape}}
  %o, %lse = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>, tensor<2x8x64x1xf32>
  return %lse : tensor<2x8x64x1xf32>
}

//===----------------------------------------------------------------------===//
// Scale, mask and score_mod attributes on the op
//===----------------------------------------------------------------------===//

// -----

func.func @zero_scale(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{scale must be positive and finite, got 0}}
  %o = attn.attention %q, %k, %v {scale = 0.0 : f32} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @infinite_scale(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{scale must be positive and finite, got INF}}
  %o = attn.attention %q, %k, %v {scale = 0x7F800000 : f32} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @f64_scale(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: f32 attribute, written with its type as in `scale = 0.125 : f32` (a bare 0.125 is f64)}}
  %o = attn.attention %q, %k, %v {scale = 0.125 : f64} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @mask_not_a_mask(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' must be a mask attribute such as #attn.causal, got 3 : i32}}
  %o = attn.attention %q, %k, %v {mask = 3 : i32} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_mod_as_mask(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' must be a mask attribute such as #attn.causal, got #attn.softcap<5.000000e+01>}}
  %o = attn.attention %q, %k, %v {mask = #attn.softcap<50.0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_mod_not_a_score_mod(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'score_mod' must be a score-mod attribute (#attn.softcap, #attn.alibi, #attn.bias) or an array of them, got #attn.causal}}
  %o = attn.attention %q, %k, %v {score_mod = [#attn.alibi, #attn.causal]} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @empty_score_mod(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'score_mod' array must not be empty}}
  %o = attn.attention %q, %k, %v {score_mod = []} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

//===----------------------------------------------------------------------===//
// Attribute parameters
//===----------------------------------------------------------------------===//

// -----

func.func @window_left(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.window' left must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 0}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @window_right(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.window' right must be in [0, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 4, right = -1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @sinks_count(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.sinks' count must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.sinks<count = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_block(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' block must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_local(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' local must be in [0, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<local = -1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_stride(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' stride must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<stride = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_offset(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' offset must be in [0, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<offset = -3>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_dense_heads_negative(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' dense_heads must be >= 0, got -1}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<dense_heads = -1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_dense_heads_too_many(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.s2' dense_heads = 3 exceeds the 2 KV heads}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<dense_heads = 3>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @s2_homo_head_not_bool(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{expected 'true' or 'false'}}
  // expected-error @+1 {{failed to parse Attn_S2Attr parameter 'homo_head' which is to be a `bool`}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<homo_head = 1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @shifted_groups_odd(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.shifted_groups' group must be even and >= 2, got 7}}
  %o = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 7>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @star_anchor_block(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.star_anchor' block must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_empty_grid(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid must have at least one dimension}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [], kernel = []>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_kernel_length(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' kernel has 1 entries but the grid has 2 dimensions}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_causal_length(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' causal has 3 entries but the grid has 2 dimensions}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3], causal = [true, false, false]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_grid_extent(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid dimension 1 must be >= 1, got 0}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 0], kernel = [3, 3]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_kernel_extent(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' kernel in dimension 0 must be >= 1, got 0}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [0, 3]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_kernel_exceeds_grid(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' kernel 9 (dilation 1) does not fit grid dimension 1 of size 8}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 9]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

// kernel * dilation = 12 > 8: the smallest dilation group has only 2 tokens.
func.func @neighborhood_dilated_kernel_exceeds_grid(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' kernel 3 (dilation 4) does not fit grid dimension 0 of size 8}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3], dilation = [4, 1]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_dilation(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' dilation in dimension 1 must be >= 1, got 0}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3], dilation = [1, 0]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_stride(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' stride in dimension 0 must be >= 1, got -2}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3], stride = [-2, 1]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_stride_exceeds_kernel(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' stride 4 exceeds the kernel 3 in dimension 1}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3], stride = [1, 4]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_volume_overflow(%q: tensor<2x8x?x32xf32>, %k: tensor<2x2x?x32xf32>, %v: tensor<2x2x?x32xf32>) -> tensor<2x8x?x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid volume must be at most 1073741824}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4294967296, 4294967296], kernel = [3, 3]>} : tensor<2x8x?x32xf32>, tensor<2x2x?x32xf32>, tensor<2x2x?x32xf32> -> tensor<2x8x?x32xf32>
  return %o : tensor<2x8x?x32xf32>
}

// -----

func.func @neighborhood_volume_query(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x?x32xf32>, %v: tensor<2x2x?x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid volume 72 does not equal the query sequence length 64}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 9], kernel = [3, 3]>} : tensor<2x8x64x32xf32>, tensor<2x2x?x32xf32>, tensor<2x2x?x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @neighborhood_volume_key(%q: tensor<2x8x?x32xf32>, %k: tensor<2x2x128x32xf32>, %v: tensor<2x2x128x32xf32>) -> tensor<2x8x?x32xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid volume 64 does not equal the key sequence length 128}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3]>} : tensor<2x8x?x32xf32>, tensor<2x2x128x32xf32>, tensor<2x2x128x32xf32> -> tensor<2x8x?x32xf32>
  return %o : tensor<2x8x?x32xf32>
}

// -----

func.func @block_list_block_q(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %list: tensor<2x8x1x4xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.block_list' block_q must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v data(%list : tensor<2x8x1x4xi32>) {mask = #attn.block_list<operand = 0, block_q = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @block_mask_block_kv(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %keep: tensor<2x8x1x1xi8>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.block_mask' block_kv must be in [1, 1073741824]}}
  %o = attn.attention %q, %k, %v data(%keep : tensor<2x8x1x1xi8>) {mask = #attn.block_mask<operand = 0, block_kv = -64>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @and_one_mask(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.and' needs at least 2 masks, got 1}}
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @or_one_mask(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.or' needs at least 2 masks, got 1}}
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.sinks<count = 4>]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @combinator_of_non_mask(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{expected a mask attribute such as #attn.causal, got #attn.alibi}}
  // expected-error @+1 {{failed to parse Attn_AndAttr parameter 'masks' which is to be a `::llvm::ArrayRef<::mlir::attn::MaskAttrInterface>`}}
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.alibi]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @softcap_negative(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.softcap' cap must be positive and finite, got -5.000000e+01}}
  %o = attn.attention %q, %k, %v {score_mod = #attn.softcap<-50.0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @alibi_max_bias(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.alibi' max_bias must be positive and finite, got 0.000000e+00}}
  %o = attn.attention %q, %k, %v {score_mod = [#attn.softcap<30.0>, #attn.alibi<max_bias = 0.0>]} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

//===----------------------------------------------------------------------===//
// Data operands
//===----------------------------------------------------------------------===//

// -----

func.func @operand_out_of_range(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %prefix: tensor<2xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.prefix_lm' reads data operand #1 but the op has 1 data operand(s)}}
  %o = attn.attention %q, %k, %v data(%prefix : tensor<2xi32>) {mask = #attn.prefix_lm<operand = 1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @operand_negative(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %prefix: tensor<2xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{data operand index must be in [0, 4294967295], got -1}}
  // expected-error @+1 {{failed to parse Attn_PrefixLMAttr parameter 'operand' which is to be a `unsigned`}}
  %o = attn.attention %q, %k, %v data(%prefix : tensor<2xi32>) {mask = #attn.prefix_lm<operand = -1>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @mask_operand_float(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %ids: tensor<2x64xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.documents' must have a signless integer element type, got 'f32'}}
  %o = attn.attention %q, %k, %v data(%ids : tensor<2x64xf32>) {mask = #attn.documents<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @bias_operand_integer(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %bias: tensor<2x8x64x64xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.bias' must have a float element type, got 'i32'}}
  %o = attn.attention %q, %k, %v data(%bias : tensor<2x8x64x64xi32>) {score_mod = #attn.bias<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @prefix_operand_rank(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %prefix: tensor<2x1xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.prefix_lm' must have rank 1 ([B]), got rank 2}}
  %o = attn.attention %q, %k, %v data(%prefix : tensor<2x1xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @prefix_operand_batch(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %prefix: tensor<3xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.prefix_lm': dimension 0 is 3 but must be 2 (B)}}
  %o = attn.attention %q, %k, %v data(%prefix : tensor<3xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @block_list_query_blocks(%q: tensor<2x8x300x32xf32>, %k: tensor<2x2x300x32xf32>, %v: tensor<2x2x300x32xf32>, %list: tensor<2x8x2x4xi32>) -> tensor<2x8x300x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.block_list': dimension 2 is 2 but must be 3 (ceil(Sq / block_q))}}
  %o = attn.attention %q, %k, %v data(%list : tensor<2x8x2x4xi32>) {mask = #attn.block_list<operand = 0>} : tensor<2x8x300x32xf32>, tensor<2x2x300x32xf32>, tensor<2x2x300x32xf32> -> tensor<2x8x300x32xf32>
  return %o : tensor<2x8x300x32xf32>
}

// -----

func.func @block_mask_rank(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %keep: tensor<8x1x1xi8>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.block_mask' must have rank 4 ([B, Hq, ceil(Sq / block_q), ceil(Skv / block_kv)]), got rank 3}}
  %o = attn.attention %q, %k, %v data(%keep : tensor<8x1x1xi8>) {mask = #attn.block_mask<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

// Bias broadcasts over size-1 batch and head dimensions, but not over others.
func.func @bias_heads(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %bias: tensor<1x2x64x64xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.bias': dimension 1 is 2 but must be 8 (Hq or 1)}}
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x2x64x64xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @bias_key_length(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %bias: tensor<2x8x64x32xbf16>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.bias': dimension 3 is 32 but must be 64 (Skv)}}
  %o = attn.attention %q, %k, %v data(%bias : tensor<2x8x64x32xbf16>) {score_mod = #attn.bias<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @documents_ids_lengths(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x128x32xf32>, %v: tensor<2x2x128x32xf32>, %ids: tensor<2x64xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.documents' with layout ids needs Sq == Skv, got Sq = 64 and Skv = 128}}
  %o = attn.attention %q, %k, %v data(%ids : tensor<2x64xi32>) {mask = #attn.documents<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x128x32xf32>, tensor<2x2x128x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @documents_offsets_too_short(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %starts: tensor<1xi64>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'#attn.documents' offsets operand must hold at least 2 entries, got 1}}
  %o = attn.attention %q, %k, %v data(%starts : tensor<1xi64>) {mask = #attn.documents<operand = 0, layout = offsets>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

// Errors in a combinator's operands are found.
func.func @nested_operand_error(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %starts: tensor<5xi64>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #0 of '#attn.documents' must have rank 2 ([B, S]), got rank 1}}
  %o = attn.attention %q, %k, %v data(%starts : tensor<5xi64>) {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 4>, #attn.documents<operand = 0>]>]>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @unused_data_operand(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %ids: tensor<2x64xi32>, %bias: tensor<2x8x64x64xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{data operand #1 is not read by the mask, the score mod or a region}}
  %o = attn.attention %q, %k, %v data(%ids, %bias : tensor<2x64xi32>, tensor<2x8x64x64xf32>) {mask = #attn.documents<operand = 0>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

//===----------------------------------------------------------------------===//
// Custom regions
//===----------------------------------------------------------------------===//

// -----

func.func @mask_region_arguments(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' region must take (b, h, i, j : index), got ('index', 'index', 'index')}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%h: index, %i: index, %j: index):
    %c = arith.cmpi ule, %j, %i : index
    attn.yield %c : i1
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_region_arguments(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'score' region must take (s : f32, b, h, i, j : index), got ('f16', 'index', 'index', 'index', 'index')}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> score {
  ^bb0(%s: f16, %b: index, %h: index, %i: index, %j: index):
    %e = arith.extf %s : f16 to f32
    attn.yield %e : f32
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @mask_region_yield_type(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' region must yield one 'i1', got ('index')}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    attn.yield %j : index
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_region_yield_count(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'score' region must yield one 'f32', got ('f32', 'f32')}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %s, %s : f32, f32
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @mask_region_without_terminator(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{block with no terminator}}
    %c = arith.cmpi ule, %j, %i : index
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_region_empty(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{empty block: expect at least a terminator}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @region_foreign_terminator(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi ule, %j, %i : index
    // expected-error @+1 {{'func.return' op expects parent op 'func.func'}}
    func.return %c : i1
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @yield_outside_attention() {
  // expected-error @+1 {{'attn.yield' op expects parent op}}
  attn.yield
}

// -----

func.func @region_two_blocks(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{region #0 ('mask_region') failed to verify constraint: region with at most 1 blocks}}
  %o = "attn.attention"(%q, %k, %v) ({
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi ule, %j, %i : index
    attn.yield %c : i1
  ^bb1:
    %t = arith.constant true
    attn.yield %t : i1
  }, {}) : (tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

// A mask must not depend on the query's contents: regions read only their
// arguments, data operands and constants.
func.func @mask_region_reads_query(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' region may read only its arguments, data operands and constants, but operand #0 of 'tensor.extract' is defined outside the region}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %x = tensor.extract %q[%b, %h, %i, %c0] : tensor<2x8x64x32xf32>
    %zero = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %x, %zero : f32
    attn.yield %c : i1
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @score_region_reads_outer_value(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %temperature: f32) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'score' region may read only its arguments, data operands and constants, but operand #1 of 'arith.divf' is defined outside the region}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %r = arith.divf %s, %temperature : f32
    attn.yield %r : f32
  }
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func private @keep(index, index) -> i1

func.func @mask_region_side_effect(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{'mask' region must be free of side effects, but 'func.call' may have some}}
  %o = attn.attention %q, %k, %v : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = func.call @keep(%i, %j) : (index, index) -> i1
    attn.yield %c : i1
  }
  return %o : tensor<2x8x64x32xf32>
}

//===----------------------------------------------------------------------===//
// Attribute syntax
//===----------------------------------------------------------------------===//

// -----

func.func @unknown_mnemonic(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{unknown attn attribute '#attn.diagonal'; masks: #attn.causal, #attn.window, #attn.sinks, #attn.prefix_lm, #attn.documents, #attn.s2, #attn.shifted_groups, #attn.star_anchor, #attn.neighborhood, #attn.block_list, #attn.block_mask, #attn.and, #attn.or; score mods: #attn.softcap, #attn.alibi, #attn.bias}}
  %o = attn.attention %q, %k, %v {mask = #attn.diagonal} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @bool_parameter(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %ids: tensor<2x64xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{expected 'true' or 'false'}}
  // expected-error @+1 {{failed to parse Attn_DocumentsAttr parameter 'causal' which is to be a `bool`}}
  %o = attn.attention %q, %k, %v data(%ids : tensor<2x64xi32>) {mask = #attn.documents<operand = 0, causal = yes>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @unknown_layout(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>, %ids: tensor<2x64xi32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{expected one of [ids, offsets] for how a documents operand encodes packed sequences, got: lengths}}
  // expected-error @+1 {{failed to parse Attn_DocumentsAttr parameter 'layout' which is to be a `::mlir::attn::DocumentLayout`}}
  %o = attn.attention %q, %k, %v data(%ids : tensor<2x64xi32>) {mask = #attn.documents<operand = 0, layout = lengths>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @unknown_parameter(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{duplicate or unknown struct parameter name: width}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<width = 8>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @missing_parameter(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+1 {{struct is missing required parameter: left}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<right = 8>} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}

// -----

func.func @word_softcap(%q: tensor<2x8x64x32xf32>, %k: tensor<2x2x64x32xf32>, %v: tensor<2x2x64x32xf32>) -> tensor<2x8x64x32xf32> {
  // expected-error @+2 {{expected a number such as 30.0, got "thirty"}}
  // expected-error @+1 {{failed to parse Attn_SoftcapAttr parameter 'cap' which is to be a `::llvm::APFloat`}}
  %o = attn.attention %q, %k, %v {score_mod = #attn.softcap<"thirty">} : tensor<2x8x64x32xf32>, tensor<2x2x64x32xf32>, tensor<2x2x64x32xf32> -> tensor<2x8x64x32xf32>
  return %o : tensor<2x8x64x32xf32>
}
