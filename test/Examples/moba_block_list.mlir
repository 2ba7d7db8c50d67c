// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/moba_block_list.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/moba_block_list.mlir > %t.once
// RUN: attn-opt %examples/moba_block_list.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/moba_block_list.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/moba_block_list.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @moba_block_list(
// CHECK-SAME: %[[BLOCKS:[a-z0-9]+]]: tensor<?x32x?x3xi32>
// CHECK: attn.attention {{.*}} data(%[[BLOCKS]] : tensor<?x32x?x3xi32>) {mask = #attn.and<[#attn.causal, #attn.block_list<operand = 0, block_q = 512, block_kv = 512>]>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
