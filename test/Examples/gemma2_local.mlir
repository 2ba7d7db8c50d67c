// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/gemma2_local.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/gemma2_local.mlir > %t.once
// RUN: attn-opt %examples/gemma2_local.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/gemma2_local.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/gemma2_local.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @gemma2_local(
// CHECK: attn.attention {{.*}} {mask = #attn.window<left = 4096>, scale = 6.250000e-02 : f32, score_mod = #attn.softcap<5.000000e+01>} : tensor<?x16x?x256xbf16>, tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16> -> tensor<?x16x?x256xbf16>
