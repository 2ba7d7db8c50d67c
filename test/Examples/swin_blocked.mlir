// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/swin_blocked.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/swin_blocked.mlir > %t.once
// RUN: attn-opt %examples/swin_blocked.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/swin_blocked.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/swin_blocked.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @swin_blocked(
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: tensor<1x3x3136x3136xf32>
// CHECK: attn.attention {{.*}} data(%[[BIAS]] : tensor<1x3x3136x3136xf32>) {mask = #attn.neighborhood<grid = [56, 56], kernel = [7, 7], stride = [7, 7]>, score_mod = #attn.bias<operand = 0>} : tensor<?x3x3136x32xf32>, tensor<?x3x3136x32xf32>, tensor<?x3x3136x32xf32> -> tensor<?x3x3136x32xf32>
