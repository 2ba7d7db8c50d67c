// Issue 16: S2's key-tile ranges grew with the block size (one progression
// per key tile of a block): block 8192 took over 200 s to compile and 10^9
// ended in an LLVM out-of-memory abort. Past 8 tiles per block the kernel
// visits the hull below the band instead, so code size no longer depends on
// the block size; both compile, and their host binaries are right.
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-kv=64" | FileCheck %s
// CHECK-LABEL: func.func @__attn_host_s2_huge_block
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb block-kv=16" -o /dev/null
// RUN: attn-run %t.atnb --target host --function s2_huge_block --batch 1 --seq-q 150 --seq-kv 150 --check
// RUN: attn-run %t.atnb --target host --function s2_block_8192 --batch 1 --seq-q 150 --seq-kv 150 --check
// RUN: attn-run %t.atnb --target host --function s2_block_256 --batch 1 --seq-q 200 --seq-kv 300 --check

func.func @s2_huge_block(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 1000000000, local = 1, stride = 2>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @s2_block_8192(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 8192, local = 1, stride = 3>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// 16 key tiles of 16 per block: the hull path at a size where strided
// blocks lie below the band.
func.func @s2_block_256(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 32, local = 2, stride = 3, offset = 1>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
