// Custom mask regions written the way attn's FlexAttention tracer writes
// mask_mods (bench/flex_mods.py, at smaller sizes): kernels classify each
// (query tile, key tile) pair by interval evaluation of the region at run
// time, skip empty pairs and run no element rule on full ones. Numerics
// against the float64 reference at ragged sizes and two tilings.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=8" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=7 block-kv=32" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function s2_blocks --batch 2 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_blocks --batch 1 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function natten2d --batch 1 --seq-q 100 --seq-kv 100 --seed 2 --check
// RUN: attn-run %t.1.atnb --target host --function natten2d --batch 2 --seq-q 77 --seq-kv 131 --seed 3 --check
// RUN: attn-run %t.0.atnb --target host --function equal_documents --batch 2 --seq-q 77 --seq-kv 131 --seed 4 --check
// RUN: attn-run %t.1.atnb --target host --function equal_documents --batch 1 --seq-q 130 --seq-kv 67 --seed 5 --check
//
// The kernel evaluates the region on the tile's bounds in i64 (interval
// evaluation, dialect/lib/MaskRegionTiling.cpp), skips the copies and the
// products of tiles it rules out, and runs no element rule on tiles it keeps
// whole (in bounds).
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-q=16 block-kv=8" | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @__attn_host_equal_documents
// IR: scf.for {{.*}} iter_args
// IR: arith.divsi %{{.*}}, %{{.*}} : i64
// IR: %[[COPY:[0-9]+]] = arith.xori %{{.*}}, %true : i1
// IR-NEXT: scf.if %[[COPY]] {
// IR: arith.cmpi ne, %{{.*}}, %c0_i64{{.*}} : i64
// IR-NEXT: %[[EMPTY:[0-9]+]] = arith.andi %[[SINGLE:[0-9]+]], %{{.*}} : i1
// IR-NEXT: %[[FULL:[0-9]+]] = arith.andi %[[SINGLE]], %{{.*}} : i1
// IR: scf.if %[[EMPTY]] -> (f32
// IR: %[[WHOLE:[0-9]+]] = arith.andi %[[FULL]], %{{.*}} : i1
// IR: scf.if %[[WHOLE]] -> (f32
//
// The tiles the kernels visit, counted by the same evaluation on the C++
// side, at S = 131 with 16 x 8 tiles (9 x 17 = 153 pairs). A brute-force
// count over elements finds 37 and 41 non-empty tiles for s2_blocks (16 and
// 17 full), 48 for natten2d (two more cannot be ruled out by intervals) and
// 26 for equal_documents (3 full).
// RUN: attn-opt %s --attn-report-sparsity="seq-q=131 seq-kv=131 block-q=16 block-kv=8 heads=0,1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// REPORT: @s2_blocks op#0 head 0: visited 37/153 partial 21 full 16 kept 2982
// REPORT: @s2_blocks op#0 head 1: visited 41/153 partial 24 full 17 kept 3198
// REPORT: @natten2d op#0 head 0: visited 50/153 partial 50 full 0 kept 1179
// REPORT: @equal_documents op#0 head 0: visited 26/153 partial 23 full 3 kept 1566

// S2-Attention as block arithmetic: causal, and either within 2 blocks of 8
// of the query's block or a key block that is every 4th of its head.
func.func @s2_blocks(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %causal = arith.cmpi sge, %i, %j : index
    %qb = arith.divsi %i, %c8 : index
    %kb = arith.divsi %j, %c8 : index
    %distance = arith.subi %qb, %kb : index
    %local = arith.cmpi slt, %distance, %c2 : index
    %shifted = arith.addi %kb, %h : index
    %shifted1 = arith.addi %shifted, %c1 : index
    %phase = arith.remsi %shifted1, %c4 : index
    %strided = arith.cmpi eq, %phase, %c0 : index
    %either = arith.ori %local, %strided : i1
    %keep = arith.andi %causal, %either : i1
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}

// NATTEN 2-D on a 10 x 10 grid with a 3 x 3 kernel shifted at the borders:
// rows and columns by `//` and `%`, the centre clamped, distances by abs.
// Tokens past the grid (at 131) follow the same formula.
func.func @natten2d(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %c10 = arith.constant 10 : index
    %qi = arith.divsi %i, %c10 : index
    %qj = arith.remsi %i, %c10 : index
    %ki = arith.divsi %j, %c10 : index
    %kj = arith.remsi %j, %c10 : index
    %ci0 = arith.maxsi %qi, %c1 : index
    %ci = arith.minsi %ci0, %c8 : index
    %cj0 = arith.maxsi %qj, %c1 : index
    %cj = arith.minsi %cj0, %c8 : index
    %di = arith.subi %ki, %ci : index
    %ndi = arith.subi %c0, %di : index
    %adi = arith.maxsi %di, %ndi : index
    %dj = arith.subi %kj, %cj : index
    %ndj = arith.subi %c0, %dj : index
    %adj = arith.maxsi %dj, %ndj : index
    %rows = arith.cmpi sle, %adi, %c1 : index
    %cols = arith.cmpi sle, %adj, %c1 : index
    %keep = arith.andi %rows, %cols : i1
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}

// Causal documents of 24 tokens each (`//` on non-negative indices, which
// the tracer writes as arith.divsi).
func.func @equal_documents(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c24 = arith.constant 24 : index
    %qd = arith.divsi %i, %c24 : index
    %kd = arith.divsi %j, %c24 : index
    %same = arith.cmpi eq, %qd, %kd : index
    %causal = arith.cmpi sge, %i, %j : index
    %keep = arith.andi %same, %causal : i1
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}
