// What the backward kernels (attn-compile grad=true) do not compile yet gets
// a diagnostic naming it and a non-zero exit, never a kernel computing
// something else.
// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-compile="targets=host grad=true"

// attn-run --gradients needs a bundle with a backward kernel.
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: not attn-run %t.atnb --target host --check --gradients --batch 1 --seq-q 4 2>&1 | FileCheck %s --check-prefix=NO-GRAD
// NO-GRAD: error: bundle {{.*}} has no kernel with a backward kernel <name>_grad; compile it with --attn-compile="targets=host grad=true ..."

// The backward of a softmax reads the forward's LSE: a hand-written softmax
// cascade must return it (an attn.attention gets it added, test/Host/backward.mlir).
func.func @no_lse(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  // expected-error@+1 {{backward: the backward of softmax attention reads the forward's log-sum-exp: return it as the cascade's second result (attn.attention ... -> (o, lse))}}
  %o = attn.cascade "no_lse" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x16xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x16xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.25) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x16xf32>
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
