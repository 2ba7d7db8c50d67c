// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/mqa.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/mqa.mlir > %t.once
// RUN: attn-opt %examples/mqa.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/mqa.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/mqa.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @mqa(
// CHECK: attn.attention {{.*}} {mask = #attn.causal} : tensor<?x71x?x64xf16>, tensor<?x1x?x64xf16>, tensor<?x1x?x64xf16> -> tensor<?x71x?x64xf16>{{$}}
