// RUN: attn-opt --attn-tile %s -split-input-file -verify-diagnostics
// RUN: not attn-opt --attn-online-softmax --attn-tile=block-q=0 %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not attn-opt --attn-online-softmax --attn-tile="block-q=16 block-kv=-4" %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=SIZE-KV
// SIZE: error: attn-tile: block-q must be >= 1 and block-kv >= 1 (or 0 to keep the key tile), got block-q=0 block-kv=0
// SIZE-KV: error: attn-tile: block-q must be >= 1 and block-kv >= 1 (or 0 to keep the key tile), got block-q=16 block-kv=-4

// The 2-pass cascade has no iteration over key tiles to tile queries for.
func.func @two_pass(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  // expected-error @+1 {{attn-tile: cascade 'two_pass' is not in the 1-pass form (one attn.iterate over the key tiles of rank m); run attn-defer-division and attn-online-softmax first}}
  %o = attn.cascade "two_pass" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
    attn.cascade_yield @AV[b, h, p, f]
  }
  return %o : tensor<?x4x?x8xf32>
}

// -----

// Tiling twice: the query rank is already partitioned.
func.func @tiled(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
  // expected-error @+1 {{attn-tile: cascade 'tiled' already partitions its query rank p (into p1 * 8 + p0)}}
  %o = attn.cascade "tiled" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?xf32> {
    attn.partition p = p1 * 8 + p0
    attn.partition m = m1 * 8 + m0
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p1, p0, m1] = -inf) {
      attn.einsum @LM[b, h, p1, p0, m1] = mul(@Q[b, h, p1 * P0 + p0, e], @K[b, g(h), m1 * M0 + m0, e]) reduce(max: e, m0)
      attn.einsum @RM[b, h, p1, p0, m1 + 1] = max(@RM[b, h, p1, p0, m1], @LM[b, h, p1, p0, m1])
    }
    attn.einsum @M[b, h, p1, p0] = @RM[b, h, p1, p0, M1]
    attn.cascade_yield @M[b, h, p1, p0]
  }
  return %o : tensor<?x4x?xf32>
}

// -----

// A cascade that is not attention (no query, key and value inputs).
func.func @toy(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{attn-tile: cascade 'toy' is not an attention cascade: its first three inputs must be the query, key and value, of rank 4 each}}
  %z = attn.cascade "toy" ins(@A[k] = %a : tensor<?xf32>, @B[k] = %b : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @Y[] = mul(@A[k], @B[k]) reduce(sum: k)
    attn.einsum @Z[k] = mul(@Y[], @A[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}
