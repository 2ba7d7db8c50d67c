// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/sliding_window_1024.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/sliding_window_1024.mlir > %t.once
// RUN: attn-opt %examples/sliding_window_1024.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/sliding_window_1024.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/sliding_window_1024.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @sliding_window_1024(
// CHECK: attn.attention {{.*}} {mask = #attn.window<left = 1024>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
