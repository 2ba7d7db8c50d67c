// RUN: attn-opt --attn-defer-division %s | FileCheck %s
// RUN: attn-opt --attn-defer-division --attn-count-passes %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES
// RUN: attn-opt --attn-defer-division %examples/fusemax/three_pass.mlir | FileCheck %s --check-prefix=EXAMPLE
// RUN: attn-opt --attn-defer-division %examples/fusemax/three_pass.mlir | attn-opt --attn-count-passes -o /dev/null 2>&1 | FileCheck %s --check-prefix=EXAMPLE-PASSES
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-defer-division %examples/lse.mlir | FileCheck %s --check-prefix=TWICE

// The division moves after the contraction with V: SN and V give SNV.
// CHECK-LABEL: func.func @deferred
// CHECK: attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
// CHECK-NEXT: attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// CHECK-NEXT: attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p, f]
// CHECK-NOT: @A[
// PASSES: remark: cascade deferred: 2 passes over rank m
func.func @deferred(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.cascade "deferred" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
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

// When the probabilities are themselves a result, the division stays.
// CHECK-LABEL: func.func @kept
// CHECK: attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
// CHECK-NEXT: attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// PASSES: remark: cascade kept: 3 passes over rank m
func.func @kept(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?x?xf32>) {
  %o, %a = attn.cascade "kept" ins(@Q[b, h, p, e] = %q : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %k : tensor<?x4x?x8xf32>, @V[b, g, m, f] = %v : tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>, tensor<?x4x?x?xf32> {
    attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
    attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
    attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
    attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
    attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
    attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
    attn.cascade_yield @AV[b, h, p, f], @A[b, h, p, m]
  }
  return %o, %a : tensor<?x4x?x8xf32>, tensor<?x4x?x?xf32>
}

// EXAMPLE: attn.cascade "three_pass"
// EXAMPLE: attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
// EXAMPLE-NEXT: attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// EXAMPLE-NEXT: attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
// EXAMPLE-NEXT: attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
// EXAMPLE-PASSES: remark: cascade three_pass: 2 passes over rank m

// A second run finds nothing left to defer.
// TWICE: attn.einsum @SNV[b, h, p, f] = mul(@SN[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// TWICE-NEXT: attn.einsum @AV[b, h, p, f] = div_or_zero(@SNV[b, h, p, f], @SD[b, h, p])
// TWICE-NOT: @SNV_1
