// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/prefix_lm.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/prefix_lm.mlir > %t.once
// RUN: attn-opt %examples/prefix_lm.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/prefix_lm.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/prefix_lm.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @prefix_lm(
// CHECK-SAME: %[[PREFIX:[a-z0-9]+]]: tensor<?xi32>
// CHECK: attn.attention {{.*}} data(%[[PREFIX]] : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x8x?x256xbf16>, tensor<?x1x?x256xbf16>, tensor<?x1x?x256xbf16> -> tensor<?x8x?x256xbf16>
