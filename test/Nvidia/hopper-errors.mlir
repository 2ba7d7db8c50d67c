// What the sm_90a (wgmma) kernel cannot run is rejected with the rule it
// breaks: f32 inputs (they stay on the sm_80/sm_90 kernel), a block of two
// warps (wgmma needs whole warpgroups), key tiles wider than wgmma's n,
// head dimensions other than 64, 128, 256, and too much shared memory.
// RUN: not attn-opt %s --split-input-file --attn-compile="targets=sm_90a emit=gpu" 2>&1 | FileCheck %s
// RUN: not attn-opt %S/Inputs/hopper-dense64.mlir --attn-compile="targets=sm_90a emit=gpu gpu-block-q=32 gpu-warps=2" 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: not attn-opt %S/Inputs/hopper-dense64.mlir --attn-compile="targets=sm_90a emit=gpu gpu-block-kv=512" 2>&1 | FileCheck %s --check-prefix=WIDE
// RUN: not attn-opt %S/Inputs/hopper-dense64.mlir --attn-compile="targets=sm_90a emit=gpu gpu-block-kv=256 gpu-stages=8" 2>&1 | FileCheck %s --check-prefix=SHARED
// The errors name the spec's line; the lowered cascade they were found on
// is printed only when asked for.
// RUN: not attn-opt %s --split-input-file --attn-compile="targets=sm_90a emit=gpu" 2>&1 | FileCheck %s --check-prefix=QUIET
// RUN: not attn-opt %s --split-input-file --attn-compile="targets=sm_90a emit=gpu" --mlir-print-op-on-diagnostic 2>&1 | FileCheck %s --check-prefix=OPERATION
// QUIET: hopper-errors.mlir:{{[0-9]+}}:8: error: the sm_90a (wgmma) kernel needs f16 or bf16 inputs
// QUIET-NOT: see current operation
// OPERATION: error: the sm_90a (wgmma) kernel needs f16 or bf16 inputs
// OPERATION: note: see current operation
// OPERATION-NEXT: "attn.cascade"
// The same spec compiles with the defaults.
// RUN: attn-opt %S/Inputs/hopper-dense64.mlir --attn-compile="targets=sm_90a emit=gpu" | FileCheck %s --check-prefix=OK

// CHECK: error: the sm_90a (wgmma) kernel needs f16 or bf16 inputs, got 'f32'; f32 runs on the sm_80/sm_90 kernel
// CHECK: error: head dimension E = 32 is not supported by the sm_90a kernel (supported: 64 128 256)
// WARPS: error: the sm_90a kernel gives each warpgroup (4 warps) 64 query rows: warps must be a multiple of 4 and block-q = 16 * warps, got block-q = 32 and warps = 2
// WIDE: error: sm_90a block-kv must be a multiple of 16 between 16 and 256 (wgmma's n), got 512
// SHARED: error: sm_90a tiles need {{[0-9]+}} bytes of shared memory, more than the 232448 one block may use; choose smaller block-kv or fewer stages
// OK: gpu.module @dense64_sm_90a
// OK: nvvm.wgmma.mma_async

func.func @f32_inputs(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

func.func @small_head(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> tensor<?x4x?x32xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %o : tensor<?x4x?x32xbf16>
}
