// A 2-D neighborhood on the NVIDIA target runs on patch tiles
// (docs/sparsity.md, "Patch tiles in the kernels"): 61x70 grid, kernel 7x9,
// 64-row query tiles of 8x8 patches (8 x 9 = 72, the last ones clipped) and
// 64-key tiles of 5x12 patches (columns 60..63 hold no key).
// Each block reads its query patch's visits from a constant table and
// copies patch rows with cp.async from the sequence-ordered tensors (no
// permutation); the launch has one block per patch.
// RUN: attn-opt %s --attn-report-sparsity="block-q=64 block-kv=64 heads=0" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu" | FileCheck %s --check-prefix=GPU
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=ptx" | FileCheck %s --check-prefix=PTX

// REPORT: @nat_2d op#0: kernel tiles: patch 8x8 keys 5x12 visited 432/5616 partial 432 full 0

// GPU-DAG: memref.global "private" constant @__attn_patches_attn_nat_2d_offsets : memref<73xi32>
// GPU-DAG: memref.global "private" constant @__attn_patches_attn_nat_2d_entries
// GPU-LABEL: gpu.func @attn_nat_2d(
// GPU: memref.get_global @__attn_patches_attn_nat_2d_offsets
// GPU: memref.get_global @__attn_patches_attn_nat_2d_entries
// GPU: nvgpu.device_async_copy
// GPU: scf.for
// GPU: nvgpu.device_async_copy
// GPU: nvvm.mma.sync

// PTX: .global .align {{[0-9]+}} .b8 __attn_patches_attn_nat_2d_offsets[292]
// PTX: .visible .entry attn_nat_2d(
// PTX: cp.async
// PTX: mma.sync.aligned.m16n8k16

func.func @nat_2d(%q: tensor<?x4x4270x64xbf16>, %k: tensor<?x4x4270x64xbf16>, %v: tensor<?x4x4270x64xbf16>) -> tensor<?x4x4270x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [61, 70], kernel = [7, 9]>} : tensor<?x4x4270x64xbf16>, tensor<?x4x4270x64xbf16>, tensor<?x4x4270x64xbf16> -> tensor<?x4x4270x64xbf16>
  return %o : tensor<?x4x4270x64xbf16>
}
