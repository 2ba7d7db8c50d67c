// The FuseMax paper's toy cascade: Y = A[k] * B[k] (summed over k), then
// Z[k] = Y * A[k]. A must be read in full to produce Y before Z can read A
// again, so the cascade makes 2 passes over k.
func.func @toy(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  %z = attn.cascade "toy" ins(@A[k] = %a : tensor<?xf32>, @B[k] = %b : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @Y[] = mul(@A[k], @B[k]) reduce(sum: k)
    attn.einsum @Z[k] = mul(@Y[], @A[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}
