// ptxas accepts the patch-tiled 2-D neighborhood kernel of patches.mlir for
// sm_80 and sm_90, and the bundle launches one block per query patch.
// REQUIRES: ptxas
// RUN: attn-opt %S/patches.mlir --attn-compile="targets=sm_80,sm_90 output=%t.atnb report-resources" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: attn-bundle-info %t.atnb | FileCheck %s

// REPORT: kernel nat_2d sm_80: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}
// REPORT: kernel nat_2d sm_90: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}

// CHECK-LABEL: kernel nat_2d
// CHECK: sm_80 cubin
// CHECK-NEXT: grid = (72, 4, B)
// CHECK: sm_90 cubin
// CHECK-NEXT: grid = (72, 4, B)
