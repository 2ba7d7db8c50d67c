// attn-lower-nvidia runs attn-compile's NVIDIA back end on a hand-written
// kernel: NVVM with gpu_expanded_memref parameters, then PTX per chip with
// the instructions the kernels rely on and no device-library calls.
// RUN: attn-opt %S/Inputs/tile_scores.mlir --attn-lower-nvidia="targets=sm_80 emit=nvvm" | FileCheck %s --check-prefix=NVVM
// RUN: attn-opt %S/Inputs/tile_scores.mlir --attn-lower-nvidia="targets=sm_80,sm_90" -o %t.mlir | FileCheck %s --check-prefixes=PTX,PTX80,PTX90
// RUN: attn-opt %S/Inputs/tile_scores.mlir --attn-lower-nvidia="targets=sm_90 output=%t.ptx" -o /dev/null
// RUN: FileCheck %s --check-prefixes=PTX,PTX90 < %t.ptx
// emit=ptx leaves the module as it was.
// RUN: FileCheck %s --check-prefix=UNCHANGED < %t.mlir

// Each memref becomes allocated, aligned, offset, sizes and strides; math
// is arithmetic and ex2 by then.
// NVVM: gpu.module @scores
// NVVM: llvm.func @tile_scores(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// NVVM-SAME: gpu.kernel
// NVVM-SAME: nvvm.kernel
// NVVM-DAG: nvvm.cp.async.shared.global
// NVVM-DAG: nvvm.ldmatrix
// NVVM-DAG: nvvm.mma.sync
// NVVM-DAG: nvvm.shfl.sync bfly
// NVVM-DAG: llvm.intr.exp2
// NVVM-NOT: math.
// NVVM-NOT: llvm.call

// PTX80: // attn: gpu.module @scores for sm_80
// PTX80: .version 8.0
// PTX80: .target sm_80
// PTX80: .entry tile_scores(
// PTX90: // attn: gpu.module @scores for sm_90
// PTX90: .version 8.0
// PTX90: .target sm_90
// PTX: .entry tile_scores(
// PTX-COUNT-6: .param .u64 .ptr
// PTX-NOT: .func
// PTX-DAG: cp.async.ca.shared.global
// PTX-DAG: cp.async.wait_group
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx.f32
// PTX-NOT: __nv_

// UNCHANGED: nvgpu.mma.sync
// UNCHANGED: math.tanh
