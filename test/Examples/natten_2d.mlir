// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/natten_2d.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/natten_2d.mlir > %t.once
// RUN: attn-opt %examples/natten_2d.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/natten_2d.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/natten_2d.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @natten_2d(
// Default dilation, stride and causal lists are not printed.
// CHECK: attn.attention {{.*}} {mask = #attn.neighborhood<grid = [128, 128], kernel = [13, 13]>} : tensor<?x8x16384x64xf16>, tensor<?x8x16384x64xf16>, tensor<?x8x16384x64xf16> -> tensor<?x8x16384x64xf16>
