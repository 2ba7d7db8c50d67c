// Issue 16: data operands the runtime alone (the MLIR-free attn-run below,
// the C API, PyTorch) launched kernels on. A block mask with zero rows for
// Sq = 40 made the kernel write NaNs with ATTN_OK, and decreasing offsets
// gave silently wrong numbers. The bundle's signature now records what the
// kernel reads beyond the named sizes (least extents of block-indexed
// operands and of document offsets, and that offsets never decrease); the
// runtime checks it at every launch, the order wherever the data is in host
// memory (docs/runtime.md).
//
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// INFO: kernel block_list
// INFO: 3: data0 input tensor i32 [B, 2, data0_dim2, data0_dim3] dim2>=ceil_div(Sq, 16)
// INFO: kernel block_mask
// INFO: 3: data0 input tensor i32 [B, 2, data0_dim2, data0_dim3] dim2>=ceil_div(Sq, 16) dim3>=ceil_div(Skv, 8)
// INFO: kernel offsets
// INFO: 3: data0 input tensor i64 [data0_dim0] dim0>=2 non_decreasing
//
// A block mask with no blocks (zero-sized, NULL data) for Sq = 40.
// RUN: rm -rf %t.mask && mkdir -p %t.mask
// RUN: python3 %S/Inputs/write-npy.py %t.mask/data0.npy --i4 --shape 1,2,0,0
// RUN: not attn-run-nomlir %t.atnb --target host --function block_mask --inputs %t.mask --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=MASK
// MASK: error: {{.*}}argument 3 ('data0') dimension 2 is 0, but the kernel reads at least ceil_div(Sq, 16) = 3 entries there (Sq = 40)
//
// Enough query blocks, too few key blocks (Skv = 40 needs 5 of 8 keys).
// RUN: rm -rf %t.keys && mkdir -p %t.keys
// RUN: python3 %S/Inputs/write-npy.py %t.keys/data0.npy --i4 --shape 1,2,3,4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
// RUN: not attn-run-nomlir %t.atnb --target host --function block_mask --inputs %t.keys --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=KEYS
// KEYS: error: {{.*}}argument 3 ('data0') dimension 3 is 4, but the kernel reads at least ceil_div(Skv, 8) = 5 entries there (Skv = 40)
//
// A block list with one row of blocks for 3.
// RUN: rm -rf %t.list && mkdir -p %t.list
// RUN: python3 %S/Inputs/write-npy.py %t.list/data0.npy --i4 --shape 1,2,1,2 0 -1 0 -1
// RUN: not attn-run-nomlir %t.atnb --target host --function block_list --inputs %t.list --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=LIST
// LIST: error: {{.*}}argument 3 ('data0') dimension 2 is 1, but the kernel reads at least ceil_div(Sq, 16) = 3 entries there (Sq = 40)
//
// Decreasing document offsets.
// RUN: rm -rf %t.offsets && mkdir -p %t.offsets
// RUN: python3 %S/Inputs/write-npy.py %t.offsets/data0.npy 100 50 0
// RUN: not attn-run-nomlir %t.atnb --target host --function offsets --inputs %t.offsets --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=OFFSETS
// OFFSETS: error: {{.*}}argument 3 ('data0') must never decrease (the kernel reads it as sorted offsets), but entry 1 is 50 after 100
//
// No offsets at all (zero-sized, NULL data).
// RUN: rm -rf %t.empty && mkdir -p %t.empty
// RUN: python3 %S/Inputs/write-npy.py %t.empty/data0.npy
// RUN: not attn-run-nomlir %t.atnb --target host --function offsets --inputs %t.empty --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: {{.*}}argument 3 ('data0') dimension 0 is 0, but the kernel reads at least 2 entries there
//
// Valid data still runs: sorted offsets, and enough blocks.
// RUN: rm -rf %t.sorted && mkdir -p %t.sorted
// RUN: python3 %S/Inputs/write-npy.py %t.sorted/data0.npy 0 10 10 25
// RUN: attn-run-nomlir %t.atnb --target host --function offsets --inputs %t.sorted --batch 1 --seq-q 40 --runs 1
// RUN: rm -rf %t.blocks && mkdir -p %t.blocks
// RUN: python3 %S/Inputs/write-npy.py %t.blocks/data0.npy --i4 --shape 1,2,3,5 1 0 1 0 1 1 0 1 0 1 1 0 1 0 1 1 0 1 0 1 1 0 1 0 1 1 0 1 0 1
// RUN: attn-run-nomlir %t.atnb --target host --function block_mask --inputs %t.blocks --batch 1 --seq-q 40 --runs 1
//
// Any other values are valid and mean the same to kernel and reference: a
// block-list entry naming no key block (Skv = 40 has 5 of 8 keys) lists
// nothing.
// RUN: rm -rf %t.far && mkdir -p %t.far
// RUN: python3 %S/Inputs/write-npy.py %t.far/data0.npy --i4 --shape 1,2,3,2 0 99 1 -7 2 1000 4 5 -1 3 2 2
// RUN: attn-run %t.atnb --target host --function block_list --inputs %t.far --batch 1 --seq-q 40 --check | FileCheck %s --check-prefix=FAR
// FAR: PASS
//
// Kernels check again (GPU data is not host-readable): a work item whose
// offsets decrease or whose block operand is too small writes NaN instead
// of reading out of bounds (the CUDA side: scripts/reliability-gpu.sh).
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-q=16 block-kv=8" | FileCheck %s --check-prefix=KERNEL
// KERNEL-LABEL: func.func @__attn_host_offsets(
// KERNEL-SAME: %[[STARTS:[a-z0-9]+]]: memref<?xi64
// KERNEL: %[[SORTED:.*]] = scf.for %[[X:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %true) -> (i1) {
// KERNEL: %[[PREVIOUS:.*]] = memref.load %[[STARTS]]
// KERNEL-NEXT: %[[CURRENT:.*]] = memref.load %[[STARTS]][%[[X]]]
// KERNEL-NEXT: %[[ORDERED:.*]] = arith.cmpi sle, %[[PREVIOUS]], %[[CURRENT]] : i64
// KERNEL-NEXT: arith.andi %[[ACC]], %[[ORDERED]] : i1
// KERNEL: scf.if %[[SORTED]] {
// KERNEL: arith.constant 0x7FC00000 : f32

func.func @block_list(%q: tensor<?x2x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>, %l: tensor<?x2x?x?xi32>) -> tensor<?x2x?x32xf32> {
  %o = attn.attention %q, %k, %v data(%l : tensor<?x2x?x?xi32>) {mask = #attn.block_list<operand = 0, block_q = 16, block_kv = 8>} : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x2x?x32xf32>
  return %o : tensor<?x2x?x32xf32>
}

func.func @block_mask(%q: tensor<?x2x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>, %m: tensor<?x2x?x?xi32>) -> tensor<?x2x?x32xf32> {
  %o = attn.attention %q, %k, %v data(%m : tensor<?x2x?x?xi32>) {mask = #attn.block_mask<operand = 0, block_q = 16, block_kv = 8>} : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x2x?x32xf32>
  return %o : tensor<?x2x?x32xf32>
}

func.func @offsets(%q: tensor<?x2x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>, %s: tensor<?xi64>) -> tensor<?x2x?x32xf32> {
  %o = attn.attention %q, %k, %v data(%s : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x2x?x32xf32>
  return %o : tensor<?x2x?x32xf32>
}
