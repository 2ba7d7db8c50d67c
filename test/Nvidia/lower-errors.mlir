// The NVIDIA back end's failures are errors that say what failed: options,
// modules without kernels, operations or math the lowering cannot handle,
// and ptxas' own log when it rejects the PTX.
// RUN: not attn-opt %s --attn-lower-nvidia 2>&1 | FileCheck %s --check-prefix=NO-TARGET
// NO-TARGET: error: attn-lower-nvidia needs targets=<list> (supported: sm_80, sm_90, sm_90a)
// RUN: not attn-opt %s --attn-lower-nvidia="targets=sm_70" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: attn-lower-nvidia: unknown target 'sm_70' (supported: sm_80, sm_90, sm_90a)
// RUN: not attn-opt %s --attn-lower-nvidia="targets=sm_90 emit=cubin" 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: error: attn-lower-nvidia: emit must be nvvm or ptx, got 'cubin'
// RUN: echo 'module {}' | not attn-opt --attn-lower-nvidia="targets=sm_90" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: attn-lower-nvidia: the module holds no gpu.module
// RUN: not attn-opt %s --attn-lower-nvidia="targets=sm_90" -split-input-file 2>&1 | FileCheck %s --check-prefix=LOWER
// A fake toolkit whose ptxas fails: its exit code and log are reported.
// RUN: rm -rf %t.cuda && mkdir -p %t.cuda/bin
// RUN: printf '#!/bin/sh\necho "ptxas fatal   : simulated failure" >&2\nexit 3\n' > %t.cuda/bin/ptxas
// RUN: chmod +x %t.cuda/bin/ptxas
// RUN: env ATTN_CUDA_PATH=%t.cuda not attn-opt %S/Inputs/tile_scores.mlir --attn-lower-nvidia="targets=sm_90 report-resources" 2>&1 | FileCheck %s --check-prefix=PTXAS
// PTXAS: error: ptxas ({{.*}}/bin/ptxas) failed on @scores for sm_90 with exit code 3; its log:
// PTXAS-NEXT: ptxas fatal   : simulated failure
// RUN: env ATTN_CUDA_PATH=%t.no-cuda not attn-opt %S/Inputs/tile_scores.mlir --attn-lower-nvidia="targets=sm_90 report-resources" 2>&1 | FileCheck %s --check-prefix=CUDA-PATH
// CUDA-PATH: error: $ATTN_CUDA_PATH is '{{.*}}no-cuda', but there is no executable {{.*}}no-cuda/bin/ptxas

// nvgpu.mma.sync has no bf16 lowering in MLIR 22; the op is named.
// LOWER: error: 'nvgpu.mma.sync' could not be lowered to NVVM
module attributes {gpu.container_module} {
  gpu.module @bf16_mma {
    gpu.func @mma(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %o: memref<4xf32>) kernel {
      %zero = arith.constant dense<0.0> : vector<2x2xf32>
      %c = nvgpu.mma.sync (%a, %b, %zero) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %x = vector.extract %c[0, 0] : f32 from vector<2x2xf32>
      %c0 = arith.constant 0 : index
      memref.store %x, %o[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// f64 transcendental math would need libdevice, which attn does not link.
// LOWER: error: the lowered NVIDIA kernel calls '__nv_tanh', which is not defined: attn links no device library (math functions are expanded for f16, bf16 and f32 only)
module attributes {gpu.container_module} {
  gpu.module @f64_math {
    gpu.func @tanh64(%o: memref<4xf64>) kernel {
      %c0 = arith.constant 0 : index
      %x = memref.load %o[%c0] : memref<4xf64>
      %y = math.tanh %x : f64
      memref.store %y, %o[%c0] : memref<4xf64>
      gpu.return
    }
  }
}
