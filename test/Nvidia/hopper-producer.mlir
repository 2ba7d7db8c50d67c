// sm90a-producer=warp (warp specialization; HopperScheduleTarget.h,
// docs/nvidia.md "A producer warp"): a ninth warp issues every TMA load, its
// first thread (256) refilling each stage once every computing thread has
// released it; the eight computing warps only wait for stages, compute and
// release them. Both meet on the block's barrier around each visit range's
// mbarrier setup and teardown; the computing warps' own barriers (Q's
// publication) are named barrier 3 over their 256 threads. 288 threads per
// block, at most 168 registers each: each of a multiprocessor's four
// schedulers holds a quarter of the register file, and one of them runs 3 of
// the 9 warps (224, which the file would hold in all, failed to launch on an
// H100).
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warp emit=gpu" | FileCheck %s
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warp emit=ptx" | FileCheck %s --check-prefix=PTX
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-copy=tma sm90a-producer=warp output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=BUNDLE
// Several visit ranges (sinks and a window): the producer sets up and tears
// down each range with the computing warps.
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warp emit=gpu" | FileCheck %s --check-prefix=RANGES
// sm90a-producer=warpgroup: a third warpgroup (384 threads) produces; the
// kernel starts at the file's share (.maxnreg 168), the producer gives up
// registers (40) and the computing warpgroups take them (232).
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warpgroup emit=ptx" | FileCheck %s --check-prefix=WARPGROUP
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-copy=tma sm90a-producer=warpgroup output=%t.group.atnb" -o /dev/null
// RUN: attn-bundle-info %t.group.atnb | FileCheck %s --check-prefix=GROUP-BUNDLE
// RUN: not attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warpgroup" -o /dev/null 2>&1 | FileCheck %s --check-prefix=GROUP-WARPS
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-producer=warp" -o /dev/null 2>&1 | FileCheck %s --check-prefix=COPY
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warp sm90a-overlap=softmax" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: not attn-opt %examples/documents.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-producer=warp" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCAN
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-producer=group" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// The producer's region: warps 8 and up.
// CHECK: %[[WARP:.*]] = arith.divui %thread_id_x, %c32{{.*}} : index
// CHECK: %[[PRODUCER:.*]] = arith.cmpi uge, %[[WARP]], %c8{{.*}} : index
// CHECK-NEXT: scf.if %[[PRODUCER]] {
// CHECK: nvvm.mbarrier.init
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: arith.cmpi eq, %thread_id_x, %c256
// CHECK: nvvm.mbarrier.expect_tx %{{.*}}, %c65536_i32
// CHECK-COUNT-4: nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK: nvvm.mbarrier.arrive
// CHECK-NOT: nvvm.wgmma
// CHECK: gpu.barrier
// CHECK: nvvm.mbarrier.inval
// The computing warps: Q, the barriers' setup, Q's publication, then a key
// loop without loads.
// CHECK: %[[COMPUTING:.*]] = arith.cmpi ult, %[[WARP]], %c8{{.*}} : index
// CHECK-NEXT: scf.if %[[COMPUTING]] {
// CHECK: nvgpu.device_async_copy %arg0
// CHECK: nvvm.mbarrier.init
// CHECK: gpu.barrier
// CHECK-NOT: nvvm.cp.async.bulk.tensor
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: nvvm.barrier id = %c3_i32 number_of_threads = %c256_i32
// CHECK: scf.for
// CHECK-NOT: nvvm.cp.async.bulk.tensor
// CHECK-NOT: nvvm.mbarrier.expect_tx
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.wgmma.mma_async
// CHECK: nvvm.mbarrier.arrive
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: nvvm.mbarrier.inval

// PTX: .maxnreg 168
// PTX: bar.sync 0;
// PTX: cp.async.bulk.tensor.4d
// PTX: bar.sync 3, 256;

// BUNDLE: block = (288, 1, 1)
// BUNDLE: tensor map 0: k box [64, 128, 1, 1] swizzle 128B

// Three ranges: each thread passes the block's barrier twice per range.
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES: nvvm.cp.async.bulk.tensor
// RANGES: gpu.barrier
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES: nvvm.cp.async.bulk.tensor
// RANGES: gpu.barrier
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES: nvvm.cp.async.bulk.tensor
// RANGES: gpu.barrier
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-NOT: nvvm.cp.async.bulk.tensor
// RANGES: nvvm.wgmma.mma_async
// RANGES: gpu.barrier
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-NOT: nvvm.cp.async.bulk.tensor
// RANGES: nvvm.wgmma.mma_async
// RANGES: gpu.barrier
// RANGES: nvvm.fence.mbarrier.init
// RANGES-NEXT: }
// RANGES-NEXT: gpu.barrier
// RANGES-NOT: nvvm.cp.async.bulk.tensor
// RANGES: nvvm.wgmma.mma_async
// RANGES: gpu.barrier
// RANGES-NOT: gpu.barrier

// WARPGROUP: .maxnreg 168
// WARPGROUP: setmaxnreg.dec.sync.aligned.u32 40;
// WARPGROUP: cp.async.bulk.tensor.4d
// WARPGROUP: setmaxnreg.inc.sync.aligned.u32 232;
// WARPGROUP-NOT: cp.async.bulk.tensor
// WARPGROUP: bar.sync 3, 256;
// WARPGROUP: wgmma.mma_async

// GROUP-BUNDLE: block = (384, 1, 1)

// GROUP-WARPS: error: sm90a-producer=warpgroup gives the registers of a third warpgroup to two computing ones (warps = 8), got 4 warps (sm90a-producer=warp takes any; gpu-block-q=128 gpu-warps=8 gives two)

// COPY: error: sm90a-producer needs sm90a-copy=tma (one thread of the producer issues every load)
// OVERLAP: error: sm90a-producer and sm90a-overlap=softmax do not combine (the overlap releases stages a visit late)
// SCAN: error: sm90a-producer cannot find the key tiles of documents given as ids: scanning them needs every computing warp (use sm90a-producer=none)
// BAD: error: attn-compile: sm90a-producer must be none, warp or warpgroup, got 'group'
