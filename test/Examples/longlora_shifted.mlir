// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/longlora_shifted.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/longlora_shifted.mlir > %t.once
// RUN: attn-opt %examples/longlora_shifted.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/longlora_shifted.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/longlora_shifted.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @longlora_shifted(
// CHECK: attn.attention {{.*}} {mask = #attn.shifted_groups<group = 2048>} : tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16> -> tensor<?x32x?x128xbf16>
