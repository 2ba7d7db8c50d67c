// Cascades the tiled schedule cannot run get a diagnostic naming the Einsum
// that does not fit and why (codegen/schedule/TileProgram.cpp).
// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-compile="targets=host emit=host-loops"

// The schedule has no stage before the loop over the key tiles.
func.func @early(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.cascade "early" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{cannot lower cascade 'early': Einsum @QS does not fit the tiled schedule: it is computed before the iteration over the key tiles, and the schedule has no such stage}}
    attn.einsum @QS[b, h, p, e] = mul(@Q[b, h, p, e], 2.0)
    attn.iterate m1 stop(m1 = M1) running(@RNV[b, h, p, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@QS[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: e)
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@BQK[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@RNV[b, h, p, f, m1], @SLNV[b, h, p, f, m1])
    }
    attn.einsum @AV[b, h, p, f] = @RNV[b, h, p, f, M1]
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x8xf32>
}

// -----

// A reduction over the head dimension that is not a product of Q and K.
func.func @not_a_product(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.cascade "not_a_product" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) running(@RNV[b, h, p, f, m1] = 0.0) {
      // expected-error @+1 {{cannot lower cascade 'not_a_product': Einsum @BQK does not fit the tiled schedule: a reduction to a per-score tensor [p0, m0] must be a product `mul(A, B, constants...) reduce(sum: ...)` on the matrix unit}}
      attn.einsum @BQK[b, h, p, m1, m0] = add(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: e)
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@BQK[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@RNV[b, h, p, f, m1], @SLNV[b, h, p, f, m1])
    }
    attn.einsum @AV[b, h, p, f] = @RNV[b, h, p, f, M1]
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x8xf32>
}

// -----

// A tensor of the tile over the head dimension: neither per row, per score
// nor per output element.
func.func @per_feature(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.cascade "per_feature" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) running(@RNV[b, h, p, f, m1] = 0.0) {
      // expected-error @+1 {{cannot lower cascade 'per_feature': Einsum @KS does not fit the tiled schedule: tensor @KS has ranks [b, h, p1, p0, e, m1]; the schedule keeps, per (b, h, p1, m1), per-row [p0], per-score [p0, m0] and per-output [p0, f] tensors only}}
      attn.einsum @KS[b, h, p, e, m1] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: m0)
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: e)
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@BQK[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@RNV[b, h, p, f, m1], @SLNV[b, h, p, f, m1])
    }
    attn.einsum @AV[b, h, p, f] = @RNV[b, h, p, f, M1]
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x8xf32>
}

// -----

// A row reduction over the head dimension too: only the tile's keys are
// reduced outside the products.
func.func @row_over_e(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.cascade "row_over_e" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, @RNV[b, h, p, f, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: e)
      // expected-error @+1 {{cannot lower cascade 'row_over_e': Einsum @LM does not fit the tiled schedule: a per-row reduction must reduce over m0 alone}}
      attn.einsum @LM[b, h, p, m1] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(max: e, m0)
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
      attn.einsum @SLNV[b, h, p, f, m1] = mul(@BQK[b, h, p, m1, m0], @V[b, g(h), m1 * M0 + m0, f]) reduce(sum: m0)
      attn.einsum @RNV[b, h, p, f, m1 + 1] = add(@RNV[b, h, p, f, m1], @SLNV[b, h, p, f, m1])
    }
    attn.einsum @AV[b, h, p, f] = @RNV[b, h, p, f, M1]
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x2x?x8xf32>
}
