// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/natten_1d_dilated.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/natten_1d_dilated.mlir > %t.once
// RUN: attn-opt %examples/natten_1d_dilated.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/natten_1d_dilated.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/natten_1d_dilated.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @natten_1d_dilated(
// CHECK: attn.attention {{.*}} {mask = #attn.neighborhood<grid = [4096], kernel = [7], dilation = [8]>} : tensor<?x8x4096x64xf32>, tensor<?x8x4096x64xf32>, tensor<?x8x4096x64xf32> -> tensor<?x8x4096x64xf32>
