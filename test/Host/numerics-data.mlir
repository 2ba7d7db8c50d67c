// Masks and score mods that read data operands: document ids and offsets,
// prefix lengths, routed block lists, i8 block masks, a broadcast bias, and
// custom regions reading a data operand (with a window attribute, so the
// attribute's tiles combine with a region that makes every tile partial).
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=24" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function doc_ids --batch 1 --seq-q 77 --seq-kv 77 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function doc_ids --batch 2 --seq-q 130 --seq-kv 130 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function doc_ids --batch 1 --seq-q 77 --seq-kv 77 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function doc_ids --batch 2 --seq-q 130 --seq-kv 130 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function doc_offsets --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function doc_offsets --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function doc_offsets --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function doc_offsets --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function doc_offsets_causal --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function doc_offsets_causal --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function doc_offsets_causal --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function doc_offsets_causal --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function prefix --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function prefix --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function prefix --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function prefix --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function block_list --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function block_list --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function block_list --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function block_list --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function block_mask --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function block_mask --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function block_mask --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function block_mask --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function bias --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function bias --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function bias --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function bias --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function regions --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check --allow-arbitrary-region-data
// RUN: attn-run %t.0.atnb --target host --function regions --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check --allow-arbitrary-region-data
// RUN: attn-run %t.1.atnb --target host --function regions --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check --allow-arbitrary-region-data
// RUN: attn-run %t.1.atnb --target host --function regions --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check --allow-arbitrary-region-data
// The output ends in the verdict; a FAIL also exits non-zero.
// RUN: attn-run %t.0.atnb --target host --function doc_ids --batch 1 --seq-q 9 --check | FileCheck %s
// CHECK: kernel doc_ids: B=1
// CHECK: max_rel_err={{[0-9.e+-]+}}
// CHECK-NEXT: PASS

func.func @doc_ids(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?x?xi32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @doc_offsets(%q: tensor<?x4x?x16xf16>, %k: tensor<?x2x?x16xf16>, %v: tensor<?x2x?x16xf16>, %d0: tensor<?xi64>) -> tensor<?x4x?x16xf16> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x4x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16> -> tensor<?x4x?x16xf16>
  return %o : tensor<?x4x?x16xf16>
}

func.func @doc_offsets_causal(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?xi32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?xi32>) {mask = #attn.documents<operand = 0, layout = offsets, causal = true>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}

func.func @prefix(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @block_list(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?x4x?x3xi32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x3xi32>) {mask = #attn.and<[#attn.causal, #attn.block_list<operand = 0, block_q = 16, block_kv = 8>]>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @block_mask(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?x4x?x?xi8>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x?xi8>) {mask = #attn.block_mask<operand = 0, block_q = 8, block_kv = 24>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @bias(%q: tensor<?x3x?x16xbf16>, %k: tensor<?x3x?x16xbf16>, %v: tensor<?x3x?x16xbf16>, %d0: tensor<1x3x?x?xf32>) -> tensor<?x3x?x16xbf16> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<1x3x?x?xf32>) {score_mod = #attn.bias<operand = 0>, mask = #attn.causal} : tensor<?x3x?x16xbf16>, tensor<?x3x?x16xbf16>, tensor<?x3x?x16xbf16> -> tensor<?x3x?x16xbf16>
  return %o : tensor<?x3x?x16xbf16>
}

func.func @regions(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<2x256xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<2x256xf32>) {mask = #attn.window<left = 30>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>, tensor<?x4x?xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c3 = arith.constant 3 : index
    %c0 = arith.constant 0 : index
    %r = arith.remui %j, %c3 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %last = arith.constant 255 : index
    %jj = arith.minsi %j, %last : index
    %x = tensor.extract %d0[%b, %jj] : tensor<2x256xf32>
    %t = arith.addf %s, %x : f32
    attn.yield %t : f32
  }
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}
