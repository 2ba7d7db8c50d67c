// The FuseMax pass counts of the hand-written cascades in examples/fusemax/
// and of the paper's toy cascade (issue: "Einsum cascades").
// RUN: attn-opt --attn-count-passes %examples/fusemax/three_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=THREE --implicit-check-not=remark
// RUN: attn-opt --attn-count-passes %examples/fusemax/two_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=TWO --implicit-check-not=remark
// RUN: attn-opt --attn-count-passes %examples/fusemax/one_pass.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=ONE --implicit-check-not=remark
// RUN: attn-opt --attn-count-passes %examples/fusemax/toy.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=TOY --implicit-check-not=remark
// RUN: attn-opt --attn-count-passes %s -verify-diagnostics -o /dev/null

// THREE: remark: cascade three_pass: 1 passes over rank e
// THREE: remark: cascade three_pass: 3 passes over rank m

// TWO: remark: cascade two_pass: 1 passes over rank e
// TWO: remark: cascade two_pass: 2 passes over rank m

// The key rank m is read once; inside each tile, m0 is read twice (the
// tile's maximum, then the numerators), which FuseMax keeps on chip.
// ONE: remark: cascade one_pass: 1 passes over rank e
// ONE: remark: cascade one_pass: 1 passes over rank m
// ONE: remark: cascade one_pass: 1 passes over rank m1
// ONE: remark: cascade one_pass: 2 passes over rank m0

// TOY: remark: cascade toy: 2 passes over rank k

// A reduction followed by a read of a tensor not read before: no fiber is
// read twice, so one pass.
func.func @fresh_tensor(%a: tensor<?xf32>, %c: tensor<?xf32>) -> tensor<?xf32> {
  // expected-remark @+1 {{cascade fresh_tensor: 1 passes over rank k}}
  %z = attn.cascade "fresh_tensor" ins(@A[k] = %a : tensor<?xf32>, @C[k] = %c : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @X[] = @A[k] reduce(sum: k)
    attn.einsum @Z[k] = mul(@X[], @C[k])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}

// Reading A through exp(A) still reads A in full before Z reads it again.
func.func @through_map(%a: tensor<?xf32>) -> tensor<?xf32> {
  // expected-remark @+1 {{cascade through_map: 2 passes over rank k}}
  %z = attn.cascade "through_map" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    attn.einsum @E[k] = exp(@A[k])
    attn.einsum @X[] = @E[k] reduce(sum: k)
    attn.einsum @Z[k] = div(@A[k], @X[])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}

// Two independent re-reads happen in the same second pass.
func.func @parallel(%a: tensor<?xf32>, %b: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  // expected-remark @+1 {{cascade parallel: 2 passes over rank k}}
  %y, %z = attn.cascade "parallel" ins(@A[k] = %a : tensor<?xf32>, @B[k] = %b : tensor<?xf32>) -> tensor<?xf32>, tensor<?xf32> {
    attn.einsum @X[] = @A[k] reduce(max: k)
    attn.einsum @W[] = @B[k] reduce(max: k)
    attn.einsum @Y[k] = sub(@A[k], @X[])
    attn.einsum @Z[k] = sub(@B[k], @W[])
    attn.cascade_yield @Y[k], @Z[k]
  }
  return %y, %z : tensor<?xf32>, tensor<?xf32>
}

// Partitioning alone does not remove passes: a maximum over both parts
// still completes a traversal of k before A is read again.
func.func @partitioned(%a: tensor<?xf32>) -> tensor<?xf32> {
  // expected-remark @+3 {{cascade partitioned: 2 passes over rank k}}
  // expected-remark @+2 {{cascade partitioned: 2 passes over rank hi}}
  // expected-remark @+1 {{cascade partitioned: 2 passes over rank lo}}
  %z = attn.cascade "partitioned" ins(@A[k] = %a : tensor<?xf32>) -> tensor<?xf32> {
    attn.partition k = hi * 8 + lo
    attn.einsum @X[] = @A[hi * LO + lo] reduce(max: hi, lo)
    attn.einsum @Z[k] = sub(@A[k], @X[])
    attn.cascade_yield @Z[k]
  }
  return %z : tensor<?xf32>
}
