// Neighborhood attention on small grids: 1-D plain, strided causal and
// dilated; 2-D with strides; 2-D and 3-D with dilation and a causal
// dimension. The key-tile band comes from the outermost grid dimension.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=24" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function nat_1d --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_1d --batch 2 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_1d_causal --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_1d_causal --batch 2 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_1d_dilated --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_1d_dilated --batch 2 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_2d --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_2d --batch 2 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_2d_dilated --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_2d_dilated --batch 2 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function nat_3d --batch 2 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function nat_3d --batch 2 --seed 1 --check
// The output ends in the verdict; a FAIL also exits non-zero.
// RUN: attn-run %t.0.atnb --target host --function nat_1d --batch 1 --check | FileCheck %s
// CHECK: kernel nat_1d: B=1
// CHECK: max_rel_err={{[0-9.e+-]+}}
// CHECK-NEXT: PASS

func.func @nat_1d(%q: tensor<?x4x90x16xf32>, %k: tensor<?x2x90x16xf32>, %v: tensor<?x2x90x16xf32>) -> tensor<?x4x90x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [90], kernel = [7]>} : tensor<?x4x90x16xf32>, tensor<?x2x90x16xf32>, tensor<?x2x90x16xf32> -> tensor<?x4x90x16xf32>
  return %o : tensor<?x4x90x16xf32>
}

func.func @nat_1d_causal(%q: tensor<?x4x90x16xf32>, %k: tensor<?x2x90x16xf32>, %v: tensor<?x2x90x16xf32>) -> tensor<?x4x90x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [90], kernel = [9], stride = [3], causal = [true]>} : tensor<?x4x90x16xf32>, tensor<?x2x90x16xf32>, tensor<?x2x90x16xf32> -> tensor<?x4x90x16xf32>
  return %o : tensor<?x4x90x16xf32>
}

func.func @nat_1d_dilated(%q: tensor<?x4x90x16xf16>, %k: tensor<?x2x90x16xf16>, %v: tensor<?x2x90x16xf16>) -> tensor<?x4x90x16xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [90], kernel = [5], dilation = [4]>} : tensor<?x4x90x16xf16>, tensor<?x2x90x16xf16>, tensor<?x2x90x16xf16> -> tensor<?x4x90x16xf16>
  return %o : tensor<?x4x90x16xf16>
}

func.func @nat_2d(%q: tensor<?x4x99x16xf32>, %k: tensor<?x2x99x16xf32>, %v: tensor<?x2x99x16xf32>) -> tensor<?x4x99x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [9, 11], kernel = [3, 5], stride = [1, 2]>} : tensor<?x4x99x16xf32>, tensor<?x2x99x16xf32>, tensor<?x2x99x16xf32> -> tensor<?x4x99x16xf32>
  return %o : tensor<?x4x99x16xf32>
}

func.func @nat_2d_dilated(%q: tensor<?x4x99x16xbf16>, %k: tensor<?x2x99x16xbf16>, %v: tensor<?x2x99x16xbf16>) -> tensor<?x4x99x16xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [9, 11], kernel = [4, 3], dilation = [2, 1], causal = [true, false]>} : tensor<?x4x99x16xbf16>, tensor<?x2x99x16xbf16>, tensor<?x2x99x16xbf16> -> tensor<?x4x99x16xbf16>
  return %o : tensor<?x4x99x16xbf16>
}

func.func @nat_3d(%q: tensor<?x2x144x16xf32>, %k: tensor<?x1x144x16xf32>, %v: tensor<?x1x144x16xf32>) -> tensor<?x2x144x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4, 6, 6], kernel = [3, 3, 3], dilation = [1, 2, 2], causal = [true, false, false]>} : tensor<?x2x144x16xf32>, tensor<?x1x144x16xf32>, tensor<?x1x144x16xf32> -> tensor<?x2x144x16xf32>
  return %o : tensor<?x2x144x16xf32>
}
