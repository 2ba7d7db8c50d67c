// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/lse.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/lse.mlir > %t.once
// RUN: attn-opt %examples/lse.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/lse.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/lse.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @lse(
// CHECK-SAME: -> (tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>)
// CHECK: %[[OUT:.*]], %[[LSE:.*]] = attn.attention {{.*}} {mask = #attn.causal} : tensor<?x16x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
// CHECK: return %[[OUT]], %[[LSE]] : tensor<?x16x?x128xbf16>, tensor<?x16x?xf32>
