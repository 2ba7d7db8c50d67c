// sm90a-overlap=warpgroups: the two warpgroups of a block take turns on the
// tensor cores (HopperScheduleTarget.h, "Turns"; docs/nvidia.md). Each
// product waits for its warpgroup's named barrier (1 + warpgroup, 256
// threads) and, once issued, arrives on the other's before waiting for
// its own product; warpgroup 1 hands the
// first turn to warpgroup 0 after the barriers are set up, and warpgroup 0
// takes back the last one before they are invalidated. Dense bf16 E = 128
// keeps 128 x 128 tiles; S2 (whose 64-key blocks keep one warpgroup on
// 64 x 64 tiles by default) takes 128 x 64 tiles on two.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-overlap=warpgroups emit=gpu" | FileCheck %s
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_90a sm90a-overlap=warpgroups emit=gpu" | FileCheck %s --check-prefix=NARROW
// Several visit ranges (sinks and a window): the handover per range.
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-overlap=warpgroups emit=gpu" | FileCheck %s --check-prefix=RANGES
// Turns need two warpgroups on mbarrier stages.
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-overlap=warpgroups sm90a-sync=barrier" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SYNC
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-overlap=warpgroups gpu-block-q=64 gpu-warps=4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-overlap=turns" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: nvvm.mbarrier.init
// CHECK: nvvm.fence.mbarrier.init
// CHECK: scf.if
// CHECK-NOT: scf.for
// CHECK: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %c256_i32
// CHECK: scf.for
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %{{.*}}
// CHECK-NOT: nvvm.barrier
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>
// CHECK-NOT: nvvm.barrier
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NOT: nvvm.wgmma.wait
// CHECK: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %{{.*}}
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %{{.*}}
// CHECK-NOT: nvvm.barrier
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK-NOT: nvvm.barrier
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NOT: nvvm.wgmma.wait
// CHECK: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %{{.*}}
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: scf.yield
// CHECK: scf.if
// CHECK-NOT: nvvm.mbarrier
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32
// CHECK: nvvm.mbarrier.inval

// NARROW: nvvm.barrier id
// NARROW: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>

// RANGES: nvvm.fence.mbarrier.init
// RANGES: nvvm.barrier.arrive
// RANGES: scf.for
// RANGES: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %c256_i32_{{[0-9]+}}
// RANGES: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32{{$}}
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-COUNT-6: nvvm.mbarrier.inval
// RANGES: nvvm.fence.mbarrier.init
// RANGES: nvvm.barrier.arrive
// RANGES: scf.for
// RANGES: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %c256_i32_{{[0-9]+}}
// RANGES: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32{{$}}
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-COUNT-6: nvvm.mbarrier.inval
// RANGES: nvvm.fence.mbarrier.init
// RANGES: nvvm.barrier.arrive
// RANGES: scf.for
// RANGES: nvvm.barrier.arrive id = %{{.*}} number_of_threads = %c256_i32_{{[0-9]+}}
// RANGES: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32{{$}}
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-COUNT-6: nvvm.mbarrier.inval
// RANGES-NOT: nvvm.fence.mbarrier.init

// SYNC: error: sm90a-overlap=warpgroups needs two warpgroups (warps = 8) on sm90a-sync=mbarrier or auto, got 8 warps on CTA barriers
// WARPS: error: sm90a-overlap=warpgroups needs two warpgroups (warps = 8) on sm90a-sync=mbarrier or auto, got 4 warps
// BAD: error: attn-compile: sm90a-overlap must be none, softmax or warpgroups, got 'turns'
