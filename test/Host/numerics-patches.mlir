// Neighborhood attention on N-dimensional patch tiles (docs/sparsity.md,
// "Patch tiles in the kernels") against the float64 reference, at grids
// that no patch divides: 2-D (with an LSE), 2-D strided, 2-D dilated with a
// causal dimension, 3-D with dilation, a causal dimension and GQA, Swin
// windows (stride = kernel) with a relative-position bias that reads the
// token indices; 1-D stays in sequence order. The report lines check that
// the kernels do run on patches.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=12 block-kv=12" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.2.atnb block-q=16 block-kv=8" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function nat_2d --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_2d --batch 1 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_2d_strided --batch 1 --seed 2 --check
// RUN: attn-run %t.1.atnb --target host --function nat_2d_strided --batch 1 --seed 3 --check
// RUN: attn-run %t.0.atnb --target host --function nat_2d_dilated_causal --batch 2 --seed 4 --check
// RUN: attn-run %t.1.atnb --target host --function nat_2d_dilated_causal --batch 1 --seed 5 --check
// RUN: attn-run %t.0.atnb --target host --function nat_3d --batch 1 --seed 6 --check
// RUN: attn-run %t.1.atnb --target host --function nat_3d --batch 1 --seed 7 --check
// RUN: attn-run %t.0.atnb --target host --function swin --batch 1 --seed 8 --check
// RUN: attn-run %t.1.atnb --target host --function swin --batch 1 --seed 9 --check
// RUN: attn-run %t.0.atnb --target host --function nat_1d --batch 1 --seed 10 --check
// Key tiles half the query tiles: key patches of their own shape.
// RUN: attn-run %t.2.atnb --target host --function nat_2d --batch 1 --seed 11 --check
// RUN: attn-run %t.2.atnb --target host --function nat_2d_dilated_causal --batch 1 --seed 12 --check
// RUN: attn-run %t.2.atnb --target host --function nat_3d --batch 1 --seed 13 --check
// RUN: attn-run %t.2.atnb --target host --function swin --batch 1 --seed 14 --check
// RUN: attn-opt %s --attn-report-sparsity="block-q=16 block-kv=16 heads=0" -o /dev/null | FileCheck %s --check-prefix=TILES16
// RUN: attn-opt %s --attn-report-sparsity="block-q=12 block-kv=12 heads=0" -o /dev/null | FileCheck %s --check-prefix=TILES12
// RUN: attn-opt %s --attn-report-sparsity="block-q=16 block-kv=8 heads=0" -o /dev/null | FileCheck %s --check-prefix=TILES16X8
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-q=16 block-kv=16" | FileCheck %s --check-prefix=LOOPS

// TILES16: @nat_2d op#0: kernel tiles: patch 4x4 visited
// TILES16: @nat_2d_strided op#0: kernel tiles: patch
// TILES16: @nat_2d_dilated_causal op#0: kernel tiles: patch
// TILES16: @nat_3d op#0: kernel tiles: patch
// TILES16: @swin op#0: kernel tiles: patch
// TILES16: @nat_1d op#0: kernel tiles: sequence order
// TILES12: @nat_2d op#0: kernel tiles: patch
// TILES12: @nat_2d_strided op#0: kernel tiles: patch
// TILES12: @nat_2d_dilated_causal op#0: kernel tiles: patch
// TILES12: @nat_3d op#0: kernel tiles: patch
// TILES12: @swin op#0: kernel tiles: patch
// TILES16X8: @nat_2d op#0: kernel tiles: patch {{[0-9x]+}} keys {{[0-9x]+}} visited
// TILES16X8: @nat_2d_dilated_causal op#0: kernel tiles: patch
// TILES16X8: @nat_3d op#0: kernel tiles: patch
// TILES16X8: @swin op#0: kernel tiles: patch

// Each query patch reads its visits from the table; sequence order does not.
// LOOPS-DAG: memref.global "private" constant @__attn_patches___attn_host_nat_2d_offsets : memref<81xi32>
// LOOPS-DAG: memref.global "private" constant @__attn_patches___attn_host_swin_entries
// LOOPS-NOT: @__attn_patches___attn_host_nat_1d
// LOOPS-LABEL: func.func @__attn_host_nat_2d(
// LOOPS: memref.get_global @__attn_patches___attn_host_nat_2d_offsets
// LOOPS: memref.get_global @__attn_patches___attn_host_nat_2d_entries

func.func @nat_2d(%q: tensor<?x2x1110x16xf32>, %k: tensor<?x1x1110x16xf32>, %v: tensor<?x1x1110x16xf32>) -> (tensor<?x2x1110x16xf32>, tensor<?x2x1110xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [30, 37], kernel = [7, 9]>} : tensor<?x2x1110x16xf32>, tensor<?x1x1110x16xf32>, tensor<?x1x1110x16xf32> -> tensor<?x2x1110x16xf32>, tensor<?x2x1110xf32>
  return %o, %lse : tensor<?x2x1110x16xf32>, tensor<?x2x1110xf32>
}

func.func @nat_2d_strided(%q: tensor<?x2x621x16xf16>, %k: tensor<?x2x621x16xf16>, %v: tensor<?x2x621x16xf16>) -> tensor<?x2x621x16xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [23, 27], kernel = [5, 7], stride = [2, 3]>} : tensor<?x2x621x16xf16>, tensor<?x2x621x16xf16>, tensor<?x2x621x16xf16> -> tensor<?x2x621x16xf16>
  return %o : tensor<?x2x621x16xf16>
}

func.func @nat_2d_dilated_causal(%q: tensor<?x2x437x16xbf16>, %k: tensor<?x2x437x16xbf16>, %v: tensor<?x2x437x16xbf16>) -> tensor<?x2x437x16xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [19, 23], kernel = [5, 3], dilation = [2, 1], causal = [true, false]>} : tensor<?x2x437x16xbf16>, tensor<?x2x437x16xbf16>, tensor<?x2x437x16xbf16> -> tensor<?x2x437x16xbf16>
  return %o : tensor<?x2x437x16xbf16>
}

func.func @nat_3d(%q: tensor<?x2x630x16xf32>, %k: tensor<?x1x630x16xf32>, %v: tensor<?x1x630x16xf32>) -> tensor<?x2x630x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [7, 9, 10], kernel = [3, 5, 3], dilation = [1, 1, 2], causal = [false, true, false]>} : tensor<?x2x630x16xf32>, tensor<?x1x630x16xf32>, tensor<?x1x630x16xf32> -> tensor<?x2x630x16xf32>
  return %o : tensor<?x2x630x16xf32>
}

func.func @swin(%q: tensor<?x2x546x16xf32>, %k: tensor<?x2x546x16xf32>, %v: tensor<?x2x546x16xf32>, %bias: tensor<1x2x546x546xf32>) -> tensor<?x2x546x16xf32> {
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x2x546x546xf32>) {mask = #attn.neighborhood<grid = [21, 26], kernel = [7, 7], stride = [7, 7]>, score_mod = #attn.bias<operand = 0>} : tensor<?x2x546x16xf32>, tensor<?x2x546x16xf32>, tensor<?x2x546x16xf32> -> tensor<?x2x546x16xf32>
  return %o : tensor<?x2x546x16xf32>
}

func.func @nat_1d(%q: tensor<?x2x250x16xf32>, %k: tensor<?x2x250x16xf32>, %v: tensor<?x2x250x16xf32>) -> tensor<?x2x250x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [250], kernel = [9]>} : tensor<?x2x250x16xf32>, tensor<?x2x250x16xf32>, tensor<?x2x250x16xf32> -> tensor<?x2x250x16xf32>
  return %o : tensor<?x2x250x16xf32>
}
