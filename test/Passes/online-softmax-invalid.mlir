// RUN: attn-opt --attn-online-softmax %s -split-input-file -verify-diagnostics
// RUN: not attn-opt --attn-online-softmax=tile-size=0 %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: error: attn-online-softmax: tile-size must be >= 1, got 0

// The 3-pass cascade divides by SD before the contraction: that division
// re-reads SN after its sum, which no running tensor can express.
func.func @three_pass(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.cascade "three_pass" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    // expected-error @+1 {{attn-online-softmax: @A traverses m but is neither computed per key before the maximum @GM, nor exp_diff(@QK, @GM), nor a sum over m of that numerator times per-key factors; run attn-defer-division first if it divides by such a sum}}
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// Without a maximum there is no softmax to make online.
func.func @toy(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{attn-online-softmax: cascade toy has no maximum over a single rank (GM = max_m S) to turn into a running maximum}}
  %z = attn.cascade "toy" ins(@A[k] = %a : tensor<?xf32>, @B[k] = %b : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @Y[] = mul(@A[k], @B[k]) reduce(sum: k)
    attn.einsum @Z[k] = mul(@Y[], @A[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}

// -----

// A maximum without exp_diff numerators summed over its rank.
func.func @no_numerator(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{attn-online-softmax: cascade no_numerator has no exp_diff(@A, @X) summed over k}}
  %z = attn.cascade "no_numerator" ins(@A[p, k] = %a : tensor<?x?xf32>) -> tensor<?xf32> {
    attn.einsum @X[p] = @A[p, k] reduce(max: k)
    attn.cascade_yield @X[p]
  }
  return %z : tensor<?xf32>
}

// -----

// Running the rewrite twice: the second finds an iteration already there.
func.func @again(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> tensor<?x8x?xf32> {
  // expected-error @+1 {{attn-online-softmax: cascade again already partitions or iterates a rank}}
  %o = attn.cascade "again" ins(@Q[b, h, p, e] = %q : tensor<?x8x?x64xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x64xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x64xf32>) -> tensor<?x8x?xf32> {
    attn.partition m = m1 * 32 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, @RD[b, h, p, m1] = 0.0) {
      attn.einsum @BQK[b, h, p, m1, m0] = mul(@Q[b, h, p, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(sum: e)
      attn.einsum @LM[b, h, p, m1] = @BQK[b, h, p, m1, m0] reduce(max: m0)
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
      attn.einsum @SLN[b, h, p, m1, m0] = exp_diff(@BQK[b, h, p, m1, m0], @RM[b, h, p, m1 + 1])
      attn.einsum @SLD[b, h, p, m1] = @SLN[b, h, p, m1, m0] reduce(sum: m0)
      attn.einsum @PRM[b, h, p, m1] = exp_diff(@RM[b, h, p, m1], @RM[b, h, p, m1 + 1])
      attn.einsum @RD[b, h, p, m1 + 1] = add(@SLD[b, h, p, m1], mul(@RD[b, h, p, m1], @PRM[b, h, p, m1]))
    }
    attn.einsum @X[b, h, p] = log(@RD[b, h, p, M1])
    attn.cascade_yield @X[b, h, p]
  }
  return %o : tensor<?x8x?xf32>
}
