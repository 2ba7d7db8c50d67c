// What the backward kernels (attn-compile grad=true) do not compile yet gets
// a diagnostic naming it and a non-zero exit, never a kernel computing
// something else.
// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-compile="targets=host grad=true"

// The backward of a softmax reads the forward's LSE: the spec must return it.
func.func @no_lse(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error@+1 {{backward: the backward of softmax attention reads the forward's log-sum-exp: return it as the cascade's second result (attn.attention ... -> (o, lse))}}
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// -----

// The gradient of a bias (a per-score result) has no kernel yet.
// expected-error@+1 {{grad=true: @bias reads a float data operand through #attn.bias, whose gradient the backward kernels do not compute yet}}
func.func @bias(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %b: tensor<?x2x?x?xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%b : tensor<?x2x?x?xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

// -----

// A score the backward cannot differentiate (a maximum) is attn-differentiate's
// error.
func.func @max_scores(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  // expected-error@+1 {{backward: cannot differentiate 'max' of the scores (its derivative selects an operand by comparison, which a map cannot say)}}
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %zero = arith.constant 0.0 : f32
    %clamped = arith.maximumf %s, %zero : f32
    attn.yield %clamped : f32
  }
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
