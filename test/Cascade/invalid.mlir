// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Reading a tensor that no Einsum defines.
func.func @undefined(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "undefined" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op reads undefined tensor @B}}
    attn.einsum @Z[k] = mul(@A[k], @B[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}

// -----

// Two Einsums that read each other.
func.func @cycle(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "cycle" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op @X reads @Y, which reads @X: the Einsums form a cycle}}
    attn.einsum @X[k] = add(@A[k], @Y[k])
    attn.einsum @Y[k] = exp(@X[k])
    attn.cascade_yield @Y[k]
  }
  return %z : tensor<?xf32>
}

// -----

// An Einsum that reads its own output outside an iteration.
func.func @self_cycle(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "self_cycle" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op @X reads itself, which forms a cycle; a recurrence needs attn.iterate with a running tensor}}
    attn.einsum @X[k] = add(@A[k], @X[k])
    attn.cascade_yield @X[k]
  }
  return %z : tensor<?xf32>
}

// -----

// A definition listed after its use, without a cycle.
func.func @misordered(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "misordered" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op reads @Y before its definition; list Einsums in dependence order}}
    attn.einsum @X[k] = exp(@Y[k])
    attn.einsum @Y[k] = exp(@A[k])
    attn.cascade_yield @X[k]
  }
  return %z : tensor<?xf32>
}

// -----

// Too few indices for the tensor's ranks.
func.func @index_count(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "index_count" ins(@A[i, k] = %a : tensor<?x?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op reads @A[k] with 1 indices but @A has 2 dimensions [i, k]}}
    attn.einsum @Z[k] = exp(@A[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}

// -----

// Ranks named in the wrong positions.
func.func @rank_mismatch(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %z = attn.cascade "rank_mismatch" ins(@A[i, k] = %a : tensor<?x?xf32>) -> tensor<?x?xf32> {
    // expected-error @+1 {{'attn.einsum' op reads @A[k, i]: index #0 is rank k but dimension #0 of @A is rank i}}
    attn.einsum @Z[i, k] = exp(@A[k, i])
    attn.cascade_yield @Z[i, k]
  }
  return %z : tensor<?x?xf32>
}

// -----

// One rank, two static extents.
// expected-error @+2 {{'attn.cascade' op rank k has extent 4 in input #0 (dimension 0) but 5 in input #1 (dimension 0)}}
func.func @extent_mismatch(%a: tensor<4xf32>, %b: tensor<5xf32>) -> tensor<4xf32> {
  %z = attn.cascade "extent_mismatch" ins(@A[k] = %a : tensor<4xf32>, @B[k] = %b : tensor<5xf32>) -> tensor<4xf32> {
    attn.einsum @Z[k] = mul(@A[k], @B[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<4xf32>
}

// -----

// A binding that names fewer ranks than the input has dimensions.
// expected-error @+2 {{'attn.cascade' op binding @A[k] names 1 rank(s) but input #0 has type 'tensor<?x?xf32>'}}
func.func @binding_rank(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %z = attn.cascade "binding_rank" ins(@A[k] = %a : tensor<?x?xf32>) -> tensor<?x?xf32> {
    attn.cascade_yield @A[k]
  }
  return %z : tensor<?x?xf32>
}

// -----

// A rank absent from the output must be reduced.
func.func @missing_reduce(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "missing_reduce" ins(@A[i, k] = %a : tensor<?x?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op uses ranks [k] that are absent from its output @Z[i]; add reduce(sum: ...) or reduce(max: ...)}}
    attn.einsum @Z[i] = @A[i, k]
    attn.cascade_yield @Z[i]
  }
  return %z : tensor<?xf32>
}

// -----

// The reduce clause must list exactly the reduced ranks.
func.func @wrong_reduce(%a: tensor<?x?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "wrong_reduce" ins(@A[i, k] = %a : tensor<?x?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'attn.einsum' op reduce lists [i] but the ranks used by its map and absent from its output are [k]}}
    attn.einsum @Z[i] = @A[i, k] reduce(sum: i)
    attn.cascade_yield @Z[i]
  }
  return %z : tensor<?xf32>
}

// -----

// A partition whose tile size is zero never covers its rank.
func.func @zero_tile(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "zero_tile" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    // expected-error @+1 {{'attn.partition' op tile size must be >= 1, got 0: the partitions of k would never cover it and an iteration over k1 would never terminate}}
    attn.partition k = k1 * 0 + k0
    attn.einsum @Z[] = @A[k] reduce(sum: k)
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// A recurrence that writes m1 + 0 never advances the iteration.
func.func @no_progress(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "no_progress" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
      // expected-error @+1 {{'attn.einsum' op the recurrence of @R writes @R[k1 + 0], which does not advance the iterative rank by one: it must write k1 + 1, or the iteration over k1 would not progress towards its stop condition}}
      attn.einsum @R[k1 + 0] = add(@R[k1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// A recurrence that steps backwards never reaches the stop condition.
func.func @backwards(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "backwards" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
      // expected-error @+1 {{the recurrence of @R writes @R[k1 - 1], which does not advance the iterative rank by one}}
      attn.einsum @R[k1 - 1] = add(@R[k1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// The stop condition must be the end of the iterative rank.
func.func @wrong_stop(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "wrong_stop" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    // expected-error @+1 {{'attn.iterate' op stops at k1 = K; the stop condition must be k1 = K1, the end of rank k1, or the iteration would not terminate there}}
    attn.iterate k1 stop(k1 = K) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
      attn.einsum @R[k1 + 1] = add(@R[k1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// A running tensor that no recurrence updates is undefined after m1 = 0.
func.func @no_recurrence(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "no_recurrence" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    // expected-error @+1 {{'attn.iterate' op running tensor @R has no recurrence: the body must define @R at k1 + 1}}
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// A recurrence that reads its own new value.
func.func @recurrence_cycle(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "recurrence_cycle" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
      // expected-error @+1 {{'attn.einsum' op the recurrence of @R reads its own result @R[k1 + 1], which forms a cycle}}
      attn.einsum @R[k1 + 1] = add(@R[k1 + 1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// After the iteration, a running tensor is read at its final index.
func.func @running_outside(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "running_outside" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0)
      attn.einsum @R[k1 + 1] = add(@R[k1], @L[k1])
    }
    // expected-error @+1 {{'attn.einsum' op reads running tensor @R[k1] outside its iteration: after attn.iterate k1 it is read at its final index K1}}
    attn.einsum @Z[k1] = @R[k1]
    attn.cascade_yield @Z[k1]
  }
  return %z : tensor<?xf32>
}

// -----

// Each iteration sees one k1, so it cannot reduce over k1.
func.func @reduce_iterative(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "reduce_iterative" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      // expected-error @+1 {{'attn.einsum' op cannot reduce over k1 inside attn.iterate k1: each iteration sees one k1}}
      attn.einsum @L[k1] = @A[k1 * K0 + k0] reduce(sum: k0, k1)
      attn.einsum @R[k1 + 1] = add(@R[k1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// Inside an iteration, outputs carry the iterative rank.
func.func @drops_iterative(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "drops_iterative" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      // expected-error @+1 {{'attn.einsum' op writes @L[] inside attn.iterate k1: the output must carry the iterative rank k1, or each iteration would overwrite it}}
      attn.einsum @L[] = @A[k1 * K0 + k0] reduce(sum: k0)
      attn.einsum @R[k1 + 1] = add(@R[k1], @L[])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// A partitioned index needs the partition.
func.func @unpartitioned(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "unpartitioned" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    // expected-error @+1 {{'attn.einsum' op reads @A[k1 * K0 + k0]: index #0 needs 'attn.partition k = k1 * <tile> + k0' before it, for dimension #0 of @A (rank k)}}
    attn.einsum @Z[] = @A[k1 * K0 + k0] reduce(sum: k1, k0)
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// The head map needs a number of query heads divisible by the KV heads.
func.func @head_map(%q: tensor<2x3x8x4xf32>, %k: tensor<2x2x8x4xf32>) -> tensor<2x3x8x8xf32> {
  %s = attn.cascade "head_map" ins(@Q[b, h, p, e] = %q : tensor<2x3x8x4xf32>, @K[b, g, m, e] = %k : tensor<2x2x8x4xf32>) -> tensor<2x3x8x8xf32> {
    // expected-error @+1 {{'attn.einsum' op reads @K[b, g(h), m, e]: the head map g(h) needs static extents with h a multiple of g}}
    attn.einsum @S[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.cascade_yield @S[b, h, p, m]
  }
  return %s : tensor<2x3x8x8xf32>
}

// -----

// A mask rule sees (b, h, i, j) of an attention: it needs query, key, value.
func.func @mask_without_attention(%a: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %z = attn.cascade "mask_without_attention" ins(@A[p, m] = %a : tensor<?x?xf32>) -> tensor<?x?xf32> {
    // expected-error @+1 {{'attn.einsum' op uses 'mask', which evaluates an attention rule at (b, h, i, j): the cascade's first three inputs must be the query, key and value, of rank 4 each}}
    attn.einsum @Z[p, m] = select(mask<#attn.causal>[p, p, p, m], @A[p, m], -inf)
    attn.cascade_yield @Z[p, m]
  }
  return %z : tensor<?x?xf32>
}

// -----

func.func @not_a_condition(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
  %s = attn.cascade "not_a_condition" ins(@Q[b, h, p, e] = %q : tensor<1x2x8x4xf32>, @K[b, g, m, e] = %k : tensor<1x2x8x4xf32>, @V[b, g, m, f] = %v : tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    // expected-error @+1 {{'attn.einsum' op the first operand of 'select' must be a mask test (mask<...>[...] or mask_region[...]), got @QK[b, h, p, m]}}
    attn.einsum @S[b, h, p, m] = select(@QK[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.cascade_yield @S[b, h, p, m]
  }
  return %s : tensor<1x2x8x8xf32>
}

// -----

func.func @missing_region(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
  %s = attn.cascade "missing_region" ins(@Q[b, h, p, e] = %q : tensor<1x2x8x4xf32>, @K[b, g, m, e] = %k : tensor<1x2x8x4xf32>, @V[b, g, m, f] = %v : tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    // expected-error @+1 {{'attn.einsum' op uses 'mask_region' but the cascade has no mask region}}
    attn.einsum @S[b, h, p, m] = select(mask_region[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.cascade_yield @S[b, h, p, m]
  }
  return %s : tensor<1x2x8x8xf32>
}

// -----

func.func @not_a_mask(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
  %s = attn.cascade "not_a_mask" ins(@Q[b, h, p, e] = %q : tensor<1x2x8x4xf32>, @K[b, g, m, e] = %k : tensor<1x2x8x4xf32>, @V[b, g, m, f] = %v : tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    // expected-error @+1 {{'attn.einsum' op 'mask' needs a mask attribute such as #attn.causal, got #attn.softcap<5.000000e+01>}}
    attn.einsum @S[b, h, p, m] = select(mask<#attn.softcap<50.0>>[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.cascade_yield @S[b, h, p, m]
  }
  return %s : tensor<1x2x8x8xf32>
}

// -----

// A data mask checks its operand against the cascade, as on attn.attention.
// expected-error @+2 {{'#attn.documents' reads data operand #0 but the op has 0 data operand(s)}}
func.func @mask_data(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
  %s = attn.cascade "mask_data" ins(@Q[b, h, p, e] = %q : tensor<1x2x8x4xf32>, @K[b, g, m, e] = %k : tensor<1x2x8x4xf32>, @V[b, g, m, f] = %v : tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
    attn.einsum @S[b, h, p, m] = select(mask<#attn.documents<operand = 0>>[b, h, p, m], @QK[b, h, p, m], -inf)
    attn.cascade_yield @S[b, h, p, m]
  }
  return %s : tensor<1x2x8x8xf32>
}

// -----

func.func @redefined(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "redefined" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @X[k] = exp(@A[k])
    // expected-error @+1 {{'attn.einsum' op defines @X, which is already defined}}
    attn.einsum @X[k] = neg(@A[k])
    attn.cascade_yield @X[k]
  }
  return %z : tensor<?xf32>
}

// -----

func.func @yield_count(%a: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %y, %z = attn.cascade "yield_count" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32> {
    attn.einsum @X[k] = exp(@A[k])
    // expected-error @+1 {{'attn.cascade_yield' op yields 1 tensor(s) but the cascade has 2 result(s)}}
    attn.cascade_yield @X[k]
  }
  return %y, %z : tensor<?xf32>, tensor<?xf32>
}

// -----

func.func @yield_shape(%a: tensor<4xf32>) -> tensor<5xf32> {
  %z = attn.cascade "yield_shape" ins(@A[k] = %a : tensor<4xf32>) -> tensor<5xf32> {
    attn.einsum @X[k] = exp(@A[k])
    // expected-error @+1 {{'attn.cascade_yield' op yields @X[k] as result #0 of type 'tensor<5xf32>', but rank k has extent 4}}
    attn.cascade_yield @X[k]
  }
  return %z : tensor<5xf32>
}

// -----

func.func @arity(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "arity" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'exp' takes 1 operand(s), got 2}}
    attn.einsum @X[k] = exp(@A[k], @A[k])
    attn.cascade_yield @X[k]
  }
  return %z : tensor<?xf32>
}

// -----

func.func @unknown_action(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "unknown_action" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{unknown map action 'sqrt'}}
    attn.einsum @X[k] = sqrt(@A[k])
    attn.cascade_yield @X[k]
  }
  return %z : tensor<?xf32>
}

// -----

func.func @tiled_spelling(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "tiled_spelling" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    // expected-error @+1 {{expected the extent of the inner rank after 'k1 *' (as in 'k1 * M0 + m0'); tile sizes are declared by attn.partition}}
    attn.einsum @Z[] = @A[k1 * 4 + k0] reduce(sum: k1, k0)
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

func.func @tiled_extent(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "tiled_extent" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    // expected-error @+1 {{expected 'k1 * K0 + k0': the tile size of a partitioned index is the extent of its inner rank, got 'K1'}}
    attn.einsum @Z[] = @A[k1 * K1 + k0] reduce(sum: k1, k0)
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

// Inside its iteration, a running tensor has no final value yet.
func.func @final_inside(%a: tensor<?xf32>) -> tensor<f32> {
  %z = attn.cascade "final_inside" ins(@A[k] = %a : tensor<?xf32>) -> tensor<f32> {
    attn.partition k = k1 * 4 + k0
    attn.iterate k1 stop(k1 = K1) running(@R[k1] = 0.0) {
      // expected-error @+1 {{'attn.einsum' op reads running tensor @R[K1] at index #0; inside attn.iterate k1 it is read at k1 (current value) or k1 + 1 (next value)}}
      attn.einsum @L[k1] = add(@A[k1 * K0 + k0], @R[K1]) reduce(sum: k0)
      attn.einsum @R[k1 + 1] = add(@R[k1], @L[k1])
    }
    attn.einsum @Z[] = @R[K1]
    attn.cascade_yield @Z[]
  }
  return %z : tensor<f32>
}

// -----

func.func @foreign_op(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "foreign_op" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{'arith.constant' op cannot appear in an attn.cascade body, which holds attn.partition, attn.einsum, attn.iterate and attn.cascade_yield}}
    %c = arith.constant 1.0 : f32
    attn.cascade_yield @A[k]
  }
  return %z : tensor<?xf32>
}

// -----

// A rank name must be lower case: upper case spells an extent.
func.func @upper_rank(%a: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "upper_rank" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    // expected-error @+1 {{expected a rank name (lower-case identifier), got 'K'}}
    attn.partition K = k1 * 4 + k0
    attn.cascade_yield @A[k]
  }
  return %z : tensor<?xf32>
}

// -----

// Custom regions have attn.attention's signatures.
// expected-error @+2 {{'attn.cascade' op 'mask' region must take (b, h, i, j : index), got ('index', 'index', 'index')}}
func.func @region_signature(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.cascade "region_signature" ins(@Q[b, h, p, e] = %q : tensor<1x2x8x4xf32>, @K[b, g, m, e] = %k : tensor<1x2x8x4xf32>, @V[b, g, m, f] = %v : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
    attn.cascade_yield @Q[b, h, p, e]
  } mask {
  ^bb0(%b: index, %h: index, %i: index):
    %t = arith.constant true
    attn.yield %t : i1
  }
  return %o : tensor<1x2x8x4xf32>
}
