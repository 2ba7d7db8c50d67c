// attn-run --target ref prints the bound sizes, the shapes and statistics of
// the result; the same seed gives the same run, another seed another one.

// window<left = 1> keeps only j == i: with Sq = 10 and Skv = 6, queries 6..9
// keep nothing, 4 rows per (b, h): 2 * 4 * 4 = 32 of 80.
// RUN: attn-run %S/Inputs/diagonal.mlir --target ref --batch 2 --seq-q 10 --seq-kv 6 --seed 3 | FileCheck %s --check-prefix=DIAGONAL
// DIAGONAL: function @diagonal: B=2 Hq=4 Hkv=2 Sq=10 Skv=6 E=8 F=8
// DIAGONAL-NEXT: inputs: q[2, 4, 10, 8] k[2, 2, 6, 8] v[2, 2, 6, 8]
// DIAGONAL-NEXT: outputs: o[2, 4, 10, 8] lse[2, 4, 10]
// DIAGONAL-NEXT: mean_abs_o={{[0-9.e+-]+}} max_abs_o={{[0-9.e+-]+}}
// DIAGONAL-NEXT: fully_masked_rows=32 of 80
// DIAGONAL-NEXT: nan_count=0

// --seq-kv defaults to --seq-q; a static size may be omitted.
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 1 --seq-q 5 | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: function @small_causal: B=1 Hq=4 Hkv=2 Sq=5 Skv=5 E=8 F=8
// RUN: attn-run %S/Inputs/grid_full.mlir --target ref --batch 3 | FileCheck %s --check-prefix=STATIC
// RUN: attn-run %S/Inputs/grid_full.mlir --target ref --batch 3 --seq-q 20 --seq-kv 20 | FileCheck %s --check-prefix=STATIC
// STATIC: function @grid_full: B=3 Hq=4 Hkv=2 Sq=20 Skv=20 E=8 F=8

// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 9 --seed 11 > %t.a
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 9 --seed 11 > %t.b
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 9 --seed 12 > %t.c
// RUN: diff %t.a %t.b
// RUN: not diff %t.a %t.c
