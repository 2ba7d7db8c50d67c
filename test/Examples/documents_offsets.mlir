// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/documents_offsets.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/documents_offsets.mlir > %t.once
// RUN: attn-opt %examples/documents_offsets.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/documents_offsets.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/documents_offsets.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @documents_offsets(
// CHECK-SAME: %[[STARTS:[a-z0-9]+]]: tensor<?xi64>
// CHECK: attn.attention {{.*}} data(%[[STARTS]] : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16> -> tensor<?x12x?x64xf16>
