// RUN: attn-opt --attn-sparsify %s -split-input-file -verify-diagnostics
// RUN: not attn-opt --attn-sparsify="seq-q=64" %examples/fusemax/one_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not attn-opt --attn-online-softmax --attn-tile --attn-sparsify="count=true" %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// RUN: not attn-opt --attn-online-softmax --attn-tile --attn-sparsify="count=true seq-q=64 seq-kv=-1" %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// OPTION: error: attn-sparsify: seq-q and seq-kv are lengths to count at: they need count=true and must be >= 1, got seq-q=64 seq-kv=0
// DYNAMIC: error: attn-sparsify: cascade 'two_pass' has a dynamic length; pass seq-q=N to count its tiles
// NEGATIVE: error: attn-sparsify: seq-q and seq-kv must be in [1, 1073741824], got seq-q=64 seq-kv=-1

// The 1-pass cascade before attn-tile: its queries are not tiled.
func.func @untiled(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
  // expected-error @+1 {{attn-sparsify: cascade 'untiled': its queries are not tiled (the mask reads query index 'p'); run attn-tile first}}
  %o = attn.cascade "untiled" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf) {
      attn.einsum @BS[b, h, p, m1, m0] = select(mask<#attn.causal>[b, h, p, m1 * M0 + m0], @K[b, g(h), m1 * M0 + m0, e], -inf) reduce(max: e)
      attn.einsum @LM[b, h, p, m1] = @BS[b, h, p, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
    }
    attn.einsum @M[b, h, p] = @RM[b, h, p, M1]
    attn.cascade_yield @M[b, h, p]
  }
  return %o : tensor<?x4x?xf32>
}

// -----

// Without an iteration there are no key tiles to skip.
func.func @three_pass(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
  // expected-error @+1 {{attn-sparsify: cascade 'three_pass' is not in the tiled 1-pass form (one attn.iterate over the key tiles); run attn-online-softmax and attn-tile first}}
  %o = attn.cascade "three_pass" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
    attn.einsum @S[b, h, p, m] = select(mask<#attn.causal>[b, h, p, m], @K[b, g(h), m, e], -inf) reduce(max: e)
    attn.einsum @M[b, h, p] = @S[b, h, p, m] reduce(max: m)
    attn.cascade_yield @M[b, h, p]
  }
  return %o : tensor<?x4x?xf32>
}

// -----

// A mask that selects 0 into a running maximum: a skipped tile would not be
// neutral.
func.func @selects_zero(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
  %o = attn.cascade "selects_zero" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{attn-sparsify: cascade 'selects_zero': skipping a key tile where the mask keeps nothing would change running tensor @RM (a tile of dropped keys must leave every running tensor as it was: select -inf into a running maximum, or 0 into a sum)}}
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], @K[b, g(h), m1 * M0 + m0, e], 0.0) reduce(max: e)
      attn.einsum @LM[b, h, p1, p0, m1] = @BS[b, h, p1, p0, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @M[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @M[b, h, p1, p0]
  }
  return %o : tensor<?x4x?xf32>
}

// -----

// A mask test nested in other arithmetic: exp(-inf) = 0 would reach the
// running maximum.
func.func @nested_test(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
  %o = attn.cascade "nested_test" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{attn-sparsify: cascade 'nested_test': skipping a key tile where the mask keeps nothing would change running tensor @RM}}
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @BS[b, h, p1, p0, m1, m0] = exp(select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], @K[b, g(h), m1 * M0 + m0, e], -inf)) reduce(max: e)
      attn.einsum @LM[b, h, p1, p0, m1] = @BS[b, h, p1, p0, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @M[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @M[b, h, p1, p0]
  }
  return %o : tensor<?x4x?xf32>
}
