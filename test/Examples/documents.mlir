// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/documents.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/documents.mlir > %t.once
// RUN: attn-opt %examples/documents.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/documents.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/documents.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @documents(
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: tensor<?x?xi32>
// layout = ids and causal = true are the defaults.
// CHECK: attn.attention {{.*}} data(%[[IDS]] : tensor<?x?xi32>) {mask = #attn.documents<operand = 0>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
