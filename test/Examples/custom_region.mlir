// The example parses, verifies and keeps its key attributes and types
// through a print/parse cycle; textual, generic and bytecode round trips print
// identically.
// RUN: attn-opt %examples/custom_region.mlir | attn-opt | FileCheck %s
// RUN: attn-opt %examples/custom_region.mlir > %t.once
// RUN: attn-opt %examples/custom_region.mlir | attn-opt > %t.twice
// RUN: attn-opt -mlir-print-op-generic %examples/custom_region.mlir | attn-opt > %t.generic
// RUN: attn-opt -emit-bytecode %examples/custom_region.mlir | attn-opt > %t.bytecode
// RUN: diff %t.once %t.twice
// RUN: diff %t.once %t.generic
// RUN: diff %t.once %t.bytecode

// CHECK-LABEL: func.func @custom_region(
// CHECK: attn.attention {{.*}} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16> mask {
// CHECK-NEXT: ^bb0(%[[B:.*]]: index, %[[H:.*]]: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : index
// CHECK: %[[PAST:.*]] = arith.cmpi ule, %[[J]], %[[I]] : index
// CHECK: %[[DIST:.*]] = arith.subi %[[I]], %[[J]] : index
// CHECK: %[[PARITY:.*]] = arith.remui %[[DIST]], %[[TWO]] : index
// CHECK: %[[EVEN:.*]] = arith.cmpi eq, %[[PARITY]], %[[ZERO]] : index
// CHECK: %[[KEEP:.*]] = arith.andi %[[PAST]], %[[EVEN]] : i1
// CHECK: attn.yield %[[KEEP]] : i1
// CHECK-NEXT: } score {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %[[SI:.*]]: index, %[[SJ:.*]]: index):
// CHECK: %[[SLOPE:.*]] = arith.constant 6.250000e-02 : f32
// CHECK: %[[SDIST:.*]] = arith.subi %[[SI]], %[[SJ]] : index
// CHECK: %[[PENALTY:.*]] = arith.mulf %{{.*}}, %[[SLOPE]] : f32
// CHECK: %[[RESULT:.*]] = arith.subf %[[S]], %[[PENALTY]] : f32
// CHECK: attn.yield %[[RESULT]] : f32
// CHECK-NEXT: }
