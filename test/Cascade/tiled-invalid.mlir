// RUN: attn-opt %s -split-input-file -verify-diagnostics

// The query index of a visit point must be partitioned.
func.func @untiled_query(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "untiled_query" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{'attn.iterate' op visit point [b, h, p, m1 * M0 + m0] needs a partitioned query index (p1 * P0 + p0), got p; run attn-tile first}}
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p, m1 * M0 + m0]) running(@RM[b, h, p, m1] = -inf) {
      attn.einsum @LM[b, h, p, m1] = select(mask<#attn.causal>[b, h, p, m1 * M0 + m0], @Q[b, h, p, e], -inf) reduce(max: e, m0)
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
    }
    attn.einsum @AV[b, h, p] = @RM[b, h, p, M1]
    attn.cascade_yield @AV[b, h, p]
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// The key index of a visit point must be tiled by the iterative rank.
func.func @wrong_key(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "wrong_key" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{'attn.iterate' op visit point [b, h, p1 * P0 + p0, m] needs the key index m1 * <tile> + <inner rank>, partitioned by the iterative rank, got m}}
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m]) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @LM[b, h, p1, p0, m1] = @Q[b, h, p1 * P0 + p0, e] reduce(max: e)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @AV[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @AV[b, h, p1, p0]
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// Tests of one clause share one point.
func.func @two_points(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "two_points" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{'attn.iterate' op visit clause tests the points [b, h, p1 * P0 + p0, m1 * M0 + m0] and [b, g(h), p1 * P0 + p0, m1 * M0 + m0]; its tests classify one (query tile, key tile) and must share one point}}
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], mask_region[b, g(h), p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @LM[b, h, p1, p0, m1] = @Q[b, h, p1 * P0 + p0, e] reduce(max: e)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @AV[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @AV[b, h, p1, p0]
  } mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi ule, %j, %i : index
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// Two mask attributes in one clause: combine them with #attn.and.
func.func @two_masks(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "two_masks" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{'attn.iterate' op lists two 'mask' tests in its visit clause; combine mask attributes with #attn.and}}
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], mask<#attn.window<left = 4>>[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @LM[b, h, p1, p0, m1] = @Q[b, h, p1 * P0 + p0, e] reduce(max: e)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @AV[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @AV[b, h, p1, p0]
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// A value is not a mask test.
func.func @not_a_test(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "not_a_test" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    // expected-error @+1 {{'attn.iterate' op visit clause lists 'exp'; it takes mask tests (mask<...>[...] or mask_region[...])}}
    attn.iterate m1 stop(m1 = M1) visit(exp(@Q[b, h, p1 * P0 + p0, e])) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @LM[b, h, p1, p0, m1] = @Q[b, h, p1 * P0 + p0, e] reduce(max: e)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @AV[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @AV[b, h, p1, p0]
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// Every Einsum of a visiting iteration carries the tile's batch, head and
// query-tile ranks; a per-key-tile Einsum does not.
func.func @no_query_tile(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "no_query_tile" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf) {
      // expected-error @+1 {{'attn.einsum' op does not carry rank h in its output, but its attn.iterate visits tiles: each point of a visiting Einsum must lie in one (batch, head, query tile)}}
      attn.einsum @KT[b, g, m1] = @K[b, g, m1 * M0 + m0, e] reduce(max: e, m0)
      attn.einsum @LM[b, h, p1, p0, m1] = @Q[b, h, p1 * P0 + p0, e] reduce(max: e)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1], @KT[b, g(h), m1])
    }
    attn.einsum @AV[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @AV[b, h, p1, p0]
  }
  return %o : tensor<?x2x?xf32>
}

// -----

// A yield of the partition parts must have them adjacent, outer first, to
// stand for the partitioned rank.
func.func @parts_swapped(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
  %o = attn.cascade "parts_swapped" ins(@Q[b, h, p, e] = %q : tensor<?x2x?x4xf32>, @K[b, g, m, e] = %k : tensor<?x2x?x4xf32>, @V[b, g, m, f] = %v : tensor<?x2x?x4xf32>) -> tensor<?x2x?xf32> {
    attn.partition p = p1 * 4 + p0
    attn.einsum @A[b, h, p0, p1] = @Q[b, h, p1 * P0 + p0, e] reduce(sum: e)
    // expected-error @+1 {{'attn.cascade_yield' op yields @A[b, h, p0, p1] with 4 dimension(s) as result #0 of type 'tensor<?x2x?xf32>'}}
    attn.cascade_yield @A[b, h, p0, p1]
  }
  return %o : tensor<?x2x?xf32>
}
