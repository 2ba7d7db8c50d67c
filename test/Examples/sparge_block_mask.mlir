// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/sparge_block_mask.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/sparge_block_mask.mlir > %t.once
// RUN: attn-opt %examples/sparge_block_mask.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/sparge_block_mask.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/sparge_block_mask.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @sparge_block_mask(
// CHECK-SAME: %[[KEEP:[a-z0-9]+]]: tensor<?x24x?x?xi8>
// Query blocks 128 and key blocks 64 are the defaults.
// CHECK: attn.attention {{.*}} data(%[[KEEP]] : tensor<?x24x?x?xi8>) {mask = #attn.block_mask<operand = 0>} : tensor<?x24x?x64xf16>, tensor<?x24x?x64xf16>, tensor<?x24x?x64xf16> -> tensor<?x24x?x64xf16>
