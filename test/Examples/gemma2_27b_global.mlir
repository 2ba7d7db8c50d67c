// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/gemma2_27b_global.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/gemma2_27b_global.mlir > %t.once
// RUN: attn-opt %examples/gemma2_27b_global.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/gemma2_27b_global.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/gemma2_27b_global.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @gemma2_27b_global(
// The one-element score_mod array stays an array.
// CHECK: attn.attention {{.*}} {mask = #attn.causal, scale = 0.0833333358 : f32, score_mod = [#attn.softcap<5.000000e+01>]} : tensor<?x32x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x32x?x128xbf16>
