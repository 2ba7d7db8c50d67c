// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/natten_3d.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/natten_3d.mlir > %t.once
// RUN: attn-opt %examples/natten_3d.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/natten_3d.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/natten_3d.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @natten_3d(
// CHECK: attn.attention {{.*}} {mask = #attn.neighborhood<grid = [16, 32, 32], kernel = [5, 7, 7], dilation = [1, 2, 2], causal = [true, false, false]>} : tensor<?x12x16384x128xbf16>, tensor<?x12x16384x128xbf16>, tensor<?x12x16384x128xbf16> -> tensor<?x12x16384x128xbf16>
