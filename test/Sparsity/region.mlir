// Custom mask regions are classified by evaluating them over the tile's
// index intervals.

// The dilated causal example (keep j <= i and (i - j) mod 2 == 0) at
// S = 1024, 128 x 128 tiles: above the diagonal `j <= i` is false on the
// whole tile (empty); on and below it the parity is unknown (partial), so
// the 36 causal tiles are visited and all partial. Kept elements, counted
// per element on partial tiles: sum_i (floor(i / 2) + 1) = 262656.
// RUN: attn-opt %examples/custom_region.mlir --attn-report-sparsity="seq-q=1024 seq-kv=1024 heads=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DILATED
// DILATED-NOT: remark
// DILATED: sparsity @custom_region op#0: mask none custom region Sq 1024 Skv 1024 tile 128x128 grid 8x8 batch-row 0
// DILATED-NEXT: sparsity @custom_region op#0 head 0: visited 36/64 partial 36 full 0 kept 262656 density 0.250488

// An affine region `j <= i` tiles exactly like #attn.causal: 36 visited, 8
// partial, 28 full, kept 1024 * 1025 / 2.
// RUN: attn-opt %s --attn-report-sparsity -o /dev/null 2>/dev/null | FileCheck %s
// RUN: attn-opt %s --attn-report-sparsity -o /dev/null 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// CHECK: sparsity @affine op#0 head 0: visited 36/64 partial 8 full 28 kept 524800 density 0.500488

// A region the interval evaluator does not model: a remark, every tile the
// attribute (a window of 256, tile t visits t - 2..t) keeps is partial and
// kept elements are unknown: 1 + 2 + 6 * 3 = 21 visited.
// REMARK: region.mlir:46:8: remark: custom mask region is not affine; every tile treated as partial
// REMARK: note: 'arith.sitofp' is not evaluated over index intervals
// CHECK: sparsity @opaque op#0: mask #attn.window<left = 256> and custom region Sq 1024 Skv 1024
// CHECK-NEXT: sparsity @opaque op#0 head 0: visited 21/64 partial 21 full 0 kept unknown density unknown tile-density unknown

// A region that does not read the head is classified once and reported
// for each head; one that reads it, per head: head 1 keeps j <= i - 128,
// 36 - 8 = 28 tiles visited, (1024 - 128) * 897 / 2 = 401856 kept.
// CHECK: sparsity @shared op#0 head 0: visited 36/64 partial 8 full 28 kept 524800 density 0.500488
// CHECK-NEXT: sparsity @shared op#0 head 1: visited 36/64 partial 8 full 28 kept 524800 density 0.500488
// CHECK: sparsity @per_head op#0 head 0: visited 36/64 partial 8 full 28 kept 524800 density 0.500488
// CHECK-NEXT: sparsity @per_head op#0 head 1: visited 28/64 partial 7 full 21 kept 401856 density 0.383240

func.func @affine(%q: tensor<1x1x1024x64xf32>, %k: tensor<1x1x1024x64xf32>, %v: tensor<1x1x1024x64xf32>) -> tensor<1x1x1024x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x1x1024x64xf32>, tensor<1x1x1024x64xf32>, tensor<1x1x1024x64xf32> -> tensor<1x1x1024x64xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi ule, %j, %i : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x1x1024x64xf32>
}

func.func @opaque(%q: tensor<1x1x1024x64xf32>, %k: tensor<1x1x1024x64xf32>, %v: tensor<1x1x1024x64xf32>) -> tensor<1x1x1024x64xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 256>} : tensor<1x1x1024x64xf32>, tensor<1x1x1024x64xf32>, tensor<1x1x1024x64xf32> -> tensor<1x1x1024x64xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %j64 = arith.index_cast %j : index to i64
    %jf = arith.sitofp %j64 : i64 to f32
    %limit = arith.constant 1.0e+3 : f32
    %keep = arith.cmpf olt, %jf, %limit : f32
    attn.yield %keep : i1
  }
  return %o : tensor<1x1x1024x64xf32>
}

func.func @shared(%q: tensor<1x2x1024x64xf32>, %k: tensor<1x2x1024x64xf32>, %v: tensor<1x2x1024x64xf32>) -> tensor<1x2x1024x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32> -> tensor<1x2x1024x64xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi ule, %j, %i : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x1024x64xf32>
}

func.func @per_head(%q: tensor<1x2x1024x64xf32>, %k: tensor<1x2x1024x64xf32>, %v: tensor<1x2x1024x64xf32>) -> tensor<1x2x1024x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32> -> tensor<1x2x1024x64xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c128 = arith.constant 128 : index
    %shift = arith.muli %h, %c128 : index
    %shifted = arith.addi %j, %shift : index
    %keep = arith.cmpi ule, %shifted, %i : index
    attn.yield %keep : i1
  }
  return %o : tensor<1x2x1024x64xf32>
}
