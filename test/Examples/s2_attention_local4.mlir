// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/s2_attention_local4.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/s2_attention_local4.mlir > %t.once
// RUN: attn-opt %examples/s2_attention_local4.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/s2_attention_local4.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/s2_attention_local4.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @s2_attention_local4(
// CHECK: attn.attention {{.*}} {mask = #attn.s2<local = 4, dense_heads = 2>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
