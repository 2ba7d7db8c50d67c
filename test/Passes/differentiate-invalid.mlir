// RUN: attn-opt --attn-differentiate %s -split-input-file -verify-diagnostics

// The pass reads cascades: specs are decomposed first.
// expected-error @+1 {{'func.func' op holds attn.attention: run attn-decompose before attn-differentiate}}
func.func @spec(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// Softmax attention's backward reads P = exp(S - LSE): the forward must
// return its log-sum-exp.
func.func @no_lse(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{backward: the backward of softmax attention reads the forward's log-sum-exp: return it as the cascade's second result (attn.attention ... -> (o, lse))}}
  %o = attn.cascade "no_lse" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// A second result that is not the log-sum-exp of the softmax O divides by.
func.func @wrong_lse(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  // expected-error @+1 {{backward: the second result @GM must be the log-sum-exp add(@GM, log(@SD)) of the softmax the output divides by}}
  %o, %m = attn.cascade "wrong_lse" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f], @GM[b, h, p]
  }
  return %o, %m : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// -----

// A score region whose derivative needs a value computed from the indices
// (s * (i - j)): a map cannot read it.
func.func @score_region(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  // expected-error @+1 {{backward: cannot differentiate the score region: the derivative by the score needs a value computed from the indices or data operands, which a map cannot read}}
  %o, %lse = attn.cascade "score_region" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = score_region[b, h, p, m](@QK[b, h, p, m])
    attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %d = arith.subi %i, %j : index
    %d64 = arith.index_cast %d : index to i64
    %df = arith.sitofp %d64 : i64 to f32
    %r = arith.mulf %s, %df : f32
    attn.yield %r : f32
  }
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// -----

// max(QK, 0) selects an operand by comparison.
func.func @relu_weights(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{backward: cannot differentiate 'max' of the scores (its derivative selects an operand by comparison, which a map cannot say)}}
  %o = attn.cascade "relu" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.einsum @W[b, h, p, m] = max(@QK[b, h, p, m], 0.0)
    attn.einsum @AV[b, h, p, f] = mul(@W[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// The weights depend on a reduction other than Q.K (a normalisation the
// backward would have to differentiate through).
func.func @normalized(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{backward: the scores depend on @SQ, a reduction that is not the query-key product; only element-wise functions of Q.K differentiate}}
  %o = attn.cascade "normalized" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.einsum @SQ[b, h, p] = @QK[b, h, p, m] reduce(sum: m)
    attn.einsum @W[b, h, p, m] = div(@QK[b, h, p, m], @SQ[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@W[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// V read by two Einsums.
func.func @two_value_reads(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{backward: the value @V must be read once, by a sum over the keys of one weight tensor times V (and constants)}}
  %o = attn.cascade "two_reads" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.einsum @AV[b, h, p, f] = mul(@QK[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @AV2[b, h, p, f] = mul(@QK[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @O[b, h, p, f] = add(@AV[b, h, p, f], @AV2[b, h, p, f])
    attn.cascade_yield @O[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// Not attention: two inputs.
func.func @toy(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<f32> {
  // expected-error @+1 {{backward: differentiates attention cascades: three inputs, the query, key and value, of rank 4 each}}
  %y = attn.cascade "toy" ins(@A[k] = %a : tensor<?xf32>, @B[k] = %b : tensor<?xf32>) -> tensor<f32> {
    attn.einsum @Y[] = mul(@A[k], @B[k]) reduce(sum: k)
    attn.cascade_yield @Y[]
  }
  return %y : tensor<f32>
}

// -----

// A comparison of the score inside the score region.
func.func @region_compare(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  // expected-error @+1 {{backward: cannot differentiate the score region: 'arith.cmpf' of the score has no derivative here}}
  %o, %lse = attn.cascade "region_compare" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = score_region[b, h, p, m](@QK[b, h, p, m])
    attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
    attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %zero = arith.constant 0.0 : f32
    %positive = arith.cmpf ogt, %s, %zero : f32
    %r = arith.select %positive, %s, %zero : f32
    attn.yield %r : f32
  }
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}
