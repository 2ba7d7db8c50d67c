// tanh (the soft-cap's function) lowers to one ex2.approx and a division,
// with the odd series below |x| = 1/16, for f32 and for f16 through f32;
// no rational polynomial, no device library.
// RUN: attn-opt %s --attn-lower-nvidia="targets=sm_90 emit=nvvm" | FileCheck %s

// CHECK-LABEL: llvm.func @tanh32
// CHECK: llvm.intr.fabs
// CHECK: llvm.fmul %{{.*}}, %{{.*}} : f32
// CHECK: llvm.intr.exp2
// CHECK: llvm.fdiv %{{.*}} {fastmathFlags = #llvm.fastmath<afn>} : f32
// CHECK: llvm.intr.copysign
// CHECK-COUNT-2: llvm.intr.fma
// CHECK: llvm.fcmp "olt"
// CHECK: llvm.select
// CHECK-NOT: llvm.call
// CHECK-LABEL: llvm.func @tanh16
// CHECK: llvm.fpext %{{.*}} : f16 to f32
// CHECK: llvm.intr.exp2
// CHECK: llvm.fptrunc %{{.*}} : f32 to f16
// CHECK-NOT: llvm.call
module attributes {gpu.container_module} {
  gpu.module @soft_cap {
    gpu.func @tanh32(%values: memref<64xf32>) kernel {
      %lane = gpu.thread_id x
      %x = memref.load %values[%lane] : memref<64xf32>
      %y = math.tanh %x : f32
      memref.store %y, %values[%lane] : memref<64xf32>
      gpu.return
    }
    gpu.func @tanh16(%values: memref<64xf16>) kernel {
      %lane = gpu.thread_id x
      %x = memref.load %values[%lane] : memref<64xf16>
      %y = math.tanh %x : f16
      memref.store %y, %values[%lane] : memref<64xf16>
      gpu.return
    }
  }
}
