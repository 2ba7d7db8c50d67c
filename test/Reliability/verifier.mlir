// Issue 16: parameters no target computes exactly, unbounded static extents
// and region ops without a defined result are refused by the verifier, with
// the parameter, its value and the allowed range.
// RUN: attn-opt %s -split-input-file -verify-diagnostics

func.func @window_left_int64_max(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.window' left must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 9223372036854775807}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 9223372036854775807>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @window_left_beyond_32_bits(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.window' left must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 4294967297}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 4294967297>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @window_right_wraps(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.window' right must be in [0, 1073741824] (2^30, the longest sequence a target indexes), got 9223372036854775807}}
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 3, right = 9223372036854775807>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @s2_stride(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.s2' stride must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 4611686018427387904}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 4, local = 1, stride = 4611686018427387904>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @s2_offset_in_or(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+2 {{'#attn.s2' offset must be in [0, 1073741824] (2^30, the longest sequence a target indexes), got 9223372036854775806}}
  // expected-error @+1 {{failed to parse Attn_OrAttr parameter 'masks'}}
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.causal, #attn.s2<block = 4, stride = 2, offset = 9223372036854775806>]>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @s2_local(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.s2' local must be in [0, 1073741824] (2^30, the longest sequence a target indexes), got 9223372036854775807}}
  %o = attn.attention %q, %k, %v {mask = #attn.s2<local = 9223372036854775807>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @sinks_count(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.sinks' count must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 2147483648}}
  %o = attn.attention %q, %k, %v {mask = #attn.sinks<count = 2147483648>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @block_list_block_q(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %l: tensor<1x2x?x4xi32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.block_list' block_q must be in [1, 1073741824] (2^30, the longest sequence a target indexes), got 9223372036854775807}}
  %o = attn.attention %q, %k, %v data(%l : tensor<1x2x?x4xi32>) {mask = #attn.block_list<operand = 0, block_q = 9223372036854775807>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @neighborhood_volume(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'#attn.neighborhood' grid volume must be at most 1073741824 (2^30, the longest sequence a target indexes)}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [65536, 65536], kernel = [3, 3]>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @huge_heads(%q: tensor<1x9223372036854775807x?x8xf32>, %k: tensor<1x1x?x8xf32>, %v: tensor<1x1x?x8xf32>) -> tensor<1x9223372036854775807x?x8xf32> {
  // expected-error @+1 {{static query heads Hq must be in [1, 65536], got 9223372036854775807}}
  %o = attn.attention %q, %k, %v : tensor<1x9223372036854775807x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32> -> tensor<1x9223372036854775807x?x8xf32>
  return %o : tensor<1x9223372036854775807x?x8xf32>
}

// -----

func.func @zero_batch(%q: tensor<0x2x?x8xf32>, %k: tensor<0x2x?x8xf32>, %v: tensor<0x2x?x8xf32>) -> tensor<0x2x?x8xf32> {
  // expected-error @+1 {{static batch size B must be in [1, 1073741824], got 0}}
  %o = attn.attention %q, %k, %v : tensor<0x2x?x8xf32>, tensor<0x2x?x8xf32>, tensor<0x2x?x8xf32> -> tensor<0x2x?x8xf32>
  return %o : tensor<0x2x?x8xf32>
}

// -----

func.func @zero_keys(%q: tensor<1x2x5x8xf32>, %k: tensor<1x2x0x8xf32>, %v: tensor<1x2x0x8xf32>) -> tensor<1x2x5x8xf32> {
  // expected-error @+1 {{static key sequence length Skv must be in [1, 1073741824], got 0}}
  %o = attn.attention %q, %k, %v : tensor<1x2x5x8xf32>, tensor<1x2x0x8xf32>, tensor<1x2x0x8xf32> -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}

// -----

func.func @huge_query_length(%q: tensor<1x2x2147483648x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x2147483648x8xf32> {
  // expected-error @+1 {{static query sequence length Sq must be in [1, 1073741824], got 2147483648}}
  %o = attn.attention %q, %k, %v : tensor<1x2x2147483648x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x2147483648x8xf32>
  return %o : tensor<1x2x2147483648x8xf32>
}

// -----

// INT64_MIN / -1 was undefined behaviour in kernels and defined in the
// reference: signed division by -1 is refused.
func.func @divsi_by_minus_one(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'mask' region: 'arith.divsi' by -1 overflows for the most negative value; use arith.subi from 0 instead}}
  %o = attn.attention %q, %k, %v : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %min = arith.constant -9223372036854775808 : index
    %m1 = arith.constant -1 : index
    %x = arith.divsi %min, %m1 : index
    %keep = arith.cmpi slt, %j, %x : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @divisor_not_constant(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'mask' region: the divisor of 'arith.remui' must be a constant (division by zero is undefined, so only constant divisors are accepted)}}
  %o = attn.attention %q, %k, %v : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %r = arith.remui %i, %j : index
    %c0 = arith.constant 0 : index
    %keep = arith.cmpi eq, %r, %c0 : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @divide_by_zero(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'mask' region: 'arith.divui' divides by zero}}
  %o = attn.attention %q, %k, %v : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %r = arith.divui %i, %c0 : index
    %keep = arith.cmpi eq, %r, %c0 : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x?x8xf32>
}

// -----

// Shifts (poison past the width) and other ops the reference cannot
// evaluate are refused, so every accepted region can be checked.
func.func @shift_in_region(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'mask' region uses 'arith.shli', which the float64 reference cannot evaluate (allowed: scalar arith and math ops on integers, index and floats, select, tensor.extract and tensor.dim of data operands)}}
  %o = attn.attention %q, %k, %v : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %s = arith.shli %i, %j : index
    %keep = arith.cmpi slt, %j, %s : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @scale_without_type(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: f32 attribute, written with its type as in `scale = 0.125 : f32` (a bare 0.125 is f64)}}
  %o = attn.attention %q, %k, %v {scale = 0.125} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @misspelled_mask(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{unknown attn attribute '#attn.windw' (did you mean '#attn.window'?); masks: #attn.causal, #attn.window}}
  %o = attn.attention %q, %k, %v {mask = #attn.windw<left = 4>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @nested_too_deep(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+2 {{#attn.and / #attn.or nested more than 32 levels deep}}
  // expected-error @+1 {{failed to parse}}
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.and<[#attn.causal, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>, #attn.causal]>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}
