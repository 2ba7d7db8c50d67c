// Masks whose kernels visit listed key tiles or test partial tiles against
// per-row key bands, against the float64 reference at ragged sizes: block
// lists alone and under `and` with blocks that straddle key tiles (block_kv
// 12 on tiles of 8) or hold several (block_kv 4), and band masks combined.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=8" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=16" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function list_straddling --batch 2 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function list_straddling --batch 1 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function list_small_blocks --batch 2 --seq-q 77 --seq-kv 131 --seed 2 --check
// RUN: attn-run %t.1.atnb --target host --function list_small_blocks --batch 1 --seq-q 130 --seq-kv 67 --seed 3 --check
// RUN: attn-run %t.0.atnb --target host --function list_window --batch 2 --seq-q 101 --seq-kv 101 --seed 4 --check
// RUN: attn-run %t.1.atnb --target host --function list_window --batch 1 --seq-q 64 --seq-kv 99 --seed 5 --check
// RUN: attn-run %t.0.atnb --target host --function bands --batch 2 --seq-q 77 --seq-kv 131 --seed 6 --check
// RUN: attn-run %t.1.atnb --target host --function bands --batch 1 --seq-q 130 --seq-kv 67 --seed 7 --check
// RUN: attn-run %t.0.atnb --target host --function offsets_window --batch 2 --seq-q 77 --seq-kv 131 --seed 8 --check
// RUN: attn-run %t.1.atnb --target host --function offsets_window --batch 1 --seq-q 130 --seq-kv 67 --seed 9 --check

func.func @list_straddling(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d0: tensor<?x2x?x2xi64>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x2x?x2xi64>) {mask = #attn.block_list<operand = 0, block_q = 7, block_kv = 12>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @list_small_blocks(%q: tensor<?x2x?x16xf32>, %k: tensor<?x1x?x16xf32>, %v: tensor<?x1x?x16xf32>, %d0: tensor<?x2x?x3xi32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%d0 : tensor<?x2x?x3xi32>) {mask = #attn.block_list<operand = 0, block_q = 32, block_kv = 4>} : tensor<?x2x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @list_window(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x2x?x16xbf16>, %v: tensor<?x2x?x16xbf16>, %d0: tensor<?x2x?x4xi32>) -> tensor<?x2x?x16xbf16> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x2x?x4xi32>) {mask = #attn.and<[#attn.window<left = 40, right = 7>, #attn.block_list<operand = 0, block_q = 16, block_kv = 8>]>} : tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16> -> tensor<?x2x?x16xbf16>
  return %o : tensor<?x2x?x16xbf16>
}

func.func @bands(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.window<left = 30, right = 5>, #attn.shifted_groups<group = 12>, #attn.sinks<count = 100>]>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @offsets_window(%q: tensor<?x2x?x16xf16>, %k: tensor<?x2x?x16xf16>, %v: tensor<?x2x?x16xf16>, %d0: tensor<?xi32>) -> tensor<?x2x?x16xf16> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?xi32>) {mask = #attn.and<[#attn.documents<operand = 0, layout = offsets, causal = false>, #attn.window<left = 20, right = 20>]>} : tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16> -> tensor<?x2x?x16xf16>
  return %o : tensor<?x2x?x16xf16>
}
