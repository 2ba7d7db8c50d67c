// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/bias.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/bias.mlir > %t.once
// RUN: attn-opt %examples/bias.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/bias.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/bias.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @bias(
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: tensor<1x12x?x?xf32>
// CHECK: attn.attention {{.*}} data(%[[BIAS]] : tensor<1x12x?x?xf32>) {scale = 1.000000e+00 : f32, score_mod = #attn.bias<operand = 0>} : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32> -> tensor<?x12x?x64xf32>
