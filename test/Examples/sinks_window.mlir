// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/sinks_window.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir > %t.once
// RUN: attn-opt %examples/sinks_window.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/sinks_window.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/sinks_window.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @sinks_window(
// CHECK: attn.attention {{.*}} {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 4>, #attn.window<left = 1020>]>]>} : tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16>, tensor<?x32x?x128xf16> -> tensor<?x32x?x128xf16>
