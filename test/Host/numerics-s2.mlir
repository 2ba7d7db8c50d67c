// S2-Attention per-head strided shards: the local band plus each head's
// strided blocks, for block sizes that span whole key tiles (one or two per
// block) and that straddle them; GQA, MQA, dense heads, homo_head, offsets.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=16 block-kv=8" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.2.atnb block-q=7 block-kv=32" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function s2 --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2 --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2 --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2 --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2 --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2 --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// RUN: attn-run %t.0.atnb --target host --function s2_small_blocks --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2_small_blocks --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_small_blocks --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2_small_blocks --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2_small_blocks --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2_small_blocks --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// RUN: attn-run %t.0.atnb --target host --function s2_homo --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2_homo --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_homo --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2_homo --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2_homo --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2_homo --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// RUN: attn-run %t.0.atnb --target host --function s2_local0 --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2_local0 --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_local0 --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2_local0 --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2_local0 --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2_local0 --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// RUN: attn-run %t.0.atnb --target host --function s2_window --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2_window --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_window --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2_window --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2_window --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2_window --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// RUN: attn-run %t.0.atnb --target host --function s2_mqa --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function s2_mqa --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function s2_mqa --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function s2_mqa --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.2.atnb --target host --function s2_mqa --batch 1 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.2.atnb --target host --function s2_mqa --batch 2 --seq-q 130 --seq-kv 67 --seed 2 --check
// The output ends in the verdict; a FAIL also exits non-zero.
// RUN: attn-run %t.0.atnb --target host --function s2 --batch 1 --seq-q 9 --check | FileCheck %s
// CHECK: kernel s2: B=1
// CHECK: max_rel_err={{[0-9.e+-]+}}
// CHECK-NEXT: PASS

func.func @s2(%q: tensor<?x6x?x16xf32>, %k: tensor<?x3x?x16xf32>, %v: tensor<?x3x?x16xf32>) -> tensor<?x6x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 16, local = 2, stride = 3, offset = 1, dense_heads = 1>} : tensor<?x6x?x16xf32>, tensor<?x3x?x16xf32>, tensor<?x3x?x16xf32> -> tensor<?x6x?x16xf32>
  return %o : tensor<?x6x?x16xf32>
}

func.func @s2_small_blocks(%q: tensor<?x8x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 8, local = 1, stride = 2>} : tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}

func.func @s2_homo(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 16, local = 1, stride = 4, homo_head = true>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @s2_local0(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 16, local = 0, stride = 2>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @s2_window(%q: tensor<?x6x?x16xf32>, %k: tensor<?x3x?x16xf32>, %v: tensor<?x3x?x16xf32>) -> tensor<?x6x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.window<left = 70>, #attn.s2<block = 16, local = 1, stride = 3>]>} : tensor<?x6x?x16xf32>, tensor<?x3x?x16xf32>, tensor<?x3x?x16xf32> -> tensor<?x6x?x16xf32>
  return %o : tensor<?x6x?x16xf32>
}

func.func @s2_mqa(%q: tensor<?x5x?x40xbf16>, %k: tensor<?x1x?x40xbf16>, %v: tensor<?x1x?x24xbf16>) -> (tensor<?x5x?x24xbf16>, tensor<?x5x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.s2<block = 8, local = 2, stride = 3>} : tensor<?x5x?x40xbf16>, tensor<?x1x?x40xbf16>, tensor<?x1x?x24xbf16> -> tensor<?x5x?x24xbf16>, tensor<?x5x?xf32>
  return %o, %lse : tensor<?x5x?x24xbf16>, tensor<?x5x?xf32>
}
