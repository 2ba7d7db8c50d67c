// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/causal.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/causal.mlir > %t.once
// RUN: attn-opt %examples/causal.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/causal.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/causal.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @causal(
// CHECK: attn.attention {{.*}} {mask = #attn.causal} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>{{$}}
