// Specs the host target cannot compile get a diagnostic at the offending
// construct and a non-zero exit.
// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-compile="targets=host"

// expected-error@+1 {{@two must contain exactly one attn.attention or attn.cascade op to be compiled, found 2}}
func.func @two(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %a = attn.attention %q, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  %b = attn.attention %a, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %b : tensor<1x2x8x8xf32>
}

// -----

func.func @extra_op(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  // expected-error@+1 {{@extra_op may hold only one attn.attention or attn.cascade, constants and func.return to be compiled, but it holds 'arith.addf'}}
  %r = arith.addf %o, %o : tensor<1x2x8x8xf32>
  return %r : tensor<1x2x8x8xf32>
}

// -----

func.func @swapped(%k: tensor<1x2x8x8xf32>, %q: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error@+1 {{the query of the attention must be argument #0 of @swapped (compiled specs take query, key, value, data... in order)}}
  %o = attn.attention %q, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

func.func @lse_dropped(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %o, %lse = attn.attention %q, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>, tensor<1x2x8xf32>
  // expected-error@+1 {{@lse_dropped must return (output, lse) of its attention to be compiled}}
  return %o : tensor<1x2x8x8xf32>
}

// -----

// A custom region may read data operands only element by element; the
// verifier refuses anything else before any target sees it.
func.func @region_slice(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %t: tensor<8xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error@+1 {{'score' region uses 'tensor.extract_slice', which the float64 reference cannot evaluate}}
  %o = attn.attention %q, %k, %v data(%t : tensor<8xf32>) : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slice = tensor.extract_slice %t[0] [1] [1] : tensor<8xf32> to tensor<1xf32>
    %c0 = arith.constant 0 : index
    %x = tensor.extract %slice[%c0] : tensor<1xf32>
    %r = arith.addf %s, %x : f32
    attn.yield %r : f32
  }
  return %o : tensor<1x2x8x8xf32>
}

// -----

// Bundles describe no 16-bit integers.
// expected-error@+1 {{argument 'data0' has element type 'i16', which bundles cannot describe (f16, bf16, f32, f64, i1, i8, i32, i64)}}
func.func @narrow_ids(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>, %ids: tensor<1x8xi16>) -> tensor<1x2x8x8xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<1x8xi16>) {mask = #attn.documents<operand = 0>} : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

// Kernel names become bundle identifiers.
// expected-error@+1 {{@a.b cannot name a bundle kernel: use letters, digits and '_' (not starting with a digit)}}
func.func @"a.b"(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
  return %o : tensor<1x2x8x8xf32>
}

// -----

// Sizes the rules tie together must agree: the ids make Sq = 6, the bias
// rows 5.
func.func @ids_mismatch(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %ids: tensor<1x6xi32>, %bias: tensor<1x2x5x?xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error@+1 {{cannot be compiled: '#attn.bias' needs dimension 2 of 'data1' (5) to equal the query length Sq (6)}}
  %o = attn.attention %q, %k, %v data(%ids, %bias : tensor<1x6xi32>, tensor<1x2x5x?xf32>) {mask = #attn.documents<operand = 0>, score_mod = #attn.bias<operand = 1>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}
