// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/hymba.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/hymba.mlir > %t.once
// RUN: attn-opt %examples/hymba.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/hymba.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/hymba.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @hymba(
// CHECK: attn.attention {{.*}} {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 128>, #attn.window<left = 1025>]>]>} : tensor<?x25x?x64xbf16>, tensor<?x5x?x64xbf16>, tensor<?x5x?x64xbf16> -> tensor<?x25x?x64xbf16>
