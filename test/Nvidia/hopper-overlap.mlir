// sm90a-overlap=softmax: the sm_90a key loop keeps one Q K^T ahead and lets
// each P V run on across the next tile's softmax (ScheduleTarget.h,
// "Overlapped key loops"; docs/nvidia.md, "sm_90a (Hopper)"). Dense bf16
// E = 128 runs 128 x 64 tiles (two warpgroups, 3 stages). Per step of the
// loop: wait for the next visit's full barrier, start its Q K^T (8
// m64n64k16 wgmma, undefined registers where it does not start) and commit
// it without waiting; the current tile's softmax (row maximum across the
// quad, exp2); only then wait for the previous P V (wait_group 1: the
// started Q K^T stays in flight), start this tile's P V; release the
// previous visit's stage, issue the copies ahead, commit, and wait for the
// next Q K^T (wait_group 1: the P V stays in flight). After the loop:
// wait_group 0, release the last visit, barrier, invalidate.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=GPU
// Partial tiles (causal: mask tests on the diagonal) and a score mod
// (soft-capping) on the same loop; with a mask whose visits may skip tiles
// (a block list), an empty tile starts no Q K^T and waits for the
// previous P V before its stage is released.
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-opt %examples/gemma2_27b_global.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=SOFTCAP
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=SKIP
// Several visit ranges (sinks and a window): each loop drains its products
// before its barriers are invalidated.
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=RANGES
// sm90a-sync=auto (the default) takes mbarriers for the overlap even on a
// block of one warpgroup (64 x 32 tiles at head dimension 256).
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-overlap=softmax emit=gpu" | FileCheck %s --check-prefix=AUTO
// The option's errors; without it nothing changes (no wait_group 1).
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-overlap=bogus" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=barrier sm90a-overlap=softmax" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SYNC
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax gpu-stages=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=host sm90a-overlap=softmax" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOST
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async sm90a-sync=mbarrier emit=gpu" | FileCheck %s --check-prefix=OFF

// GPU: nvvm.wgmma.commit.group.sync.aligned
// GPU-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// GPU: scf.for
// GPU: nvvm.mbarrier.try_wait.parity
// GPU-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.wgmma.fence.aligned
// GPU-COUNT-8: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>
// GPU-NOT: nvvm.wgmma.wait
// GPU: ub.poison
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.wgmma.commit.group.sync.aligned
// GPU-NOT: nvvm.wgmma
// GPU: gpu.shuffle xor
// GPU-NOT: nvvm.wgmma
// GPU: math.exp2
// GPU-NOT: nvvm.wgmma
// GPU: nvvm.wgmma.wait.group.sync.aligned 1
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.wgmma.fence.aligned
// GPU-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.mbarrier.arrive
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.cp.async.mbarrier.arrive
// GPU-NOT: nvvm.wgmma.wait
// GPU: nvvm.wgmma.commit.group.sync.aligned
// GPU-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// GPU-NOT: nvvm.wgmma
// GPU: scf.yield
// GPU-NEXT: }
// GPU-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// GPU-NOT: nvvm.wgmma
// GPU: nvvm.mbarrier.arrive
// GPU: gpu.barrier
// GPU-COUNT-6: nvvm.mbarrier.inval
// GPU-NOT: nvvm.wgmma

// CAUSAL: nvvm.wgmma.wait.group.sync.aligned 0
// CAUSAL: scf.for
// CAUSAL: nvvm.wgmma.commit.group.sync.aligned
// CAUSAL-NOT: nvvm.wgmma
// CAUSAL: arith.cmpi
// CAUSAL-NOT: nvvm.wgmma
// CAUSAL: math.exp2
// CAUSAL-NOT: nvvm.wgmma
// CAUSAL: nvvm.wgmma.wait.group.sync.aligned 1
// CAUSAL: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CAUSAL: nvvm.wgmma.commit.group.sync.aligned
// CAUSAL-NEXT: nvvm.wgmma.wait.group.sync.aligned 1

// SOFTCAP: nvvm.wgmma.wait.group.sync.aligned 0
// SOFTCAP: scf.for
// SOFTCAP: nvvm.wgmma.commit.group.sync.aligned
// SOFTCAP-NOT: nvvm.wgmma
// SOFTCAP: tanh.approx.f32
// SOFTCAP-NOT: nvvm.wgmma
// SOFTCAP: nvvm.wgmma.wait.group.sync.aligned 1

// The empty-tile branch of the loop: it yields the running tensors after
// waiting for the previous P V, without a product of its own.
// SKIP: nvvm.wgmma.wait.group.sync.aligned 0
// SKIP: scf.for
// SKIP: nvvm.wgmma.commit.group.sync.aligned
// SKIP: scf.if %{{.*}} -> (f32
// SKIP-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// SKIP-NOT: wgmma.mma_async
// SKIP: } else {
// SKIP-NOT: nvvm.wgmma.commit
// SKIP: nvvm.wgmma.wait.group.sync.aligned 1
// SKIP-NOT: nvvm.wgmma.commit
// SKIP: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// SKIP: nvvm.wgmma.commit.group.sync.aligned
// SKIP-NEXT: nvvm.wgmma.wait.group.sync.aligned 1

// Per range: the wait for its first Q K^T, and the drain after its loop.
// RANGES-COUNT-2: nvvm.wgmma.wait.group.sync.aligned 0
// RANGES: nvvm.mbarrier.inval
// RANGES-COUNT-2: nvvm.wgmma.wait.group.sync.aligned 0
// RANGES: nvvm.mbarrier.inval
// RANGES-COUNT-2: nvvm.wgmma.wait.group.sync.aligned 0
// RANGES: nvvm.mbarrier.inval
// RANGES-NOT: nvvm.wgmma.wait.group.sync.aligned 0

// BAD: error: attn-compile: sm90a-overlap must be none, softmax or warpgroups, got 'bogus'
// SYNC: error: sm90a-overlap=softmax needs sm90a-sync=mbarrier
// STAGES: error: sm90a-overlap=softmax needs at least 3 K/V stages (it waits for a stage a visit early and releases it a visit late), got 2
// HOST: error: attn-compile: sm90a-overlap is an option of the NVIDIA target (sm_80, sm_90, sm_90a), which targets= does not list
// OFF-NOT: nvvm.wgmma.wait.group.sync.aligned 1

// AUTO: nvvm.mbarrier.init
// AUTO: scf.for
// AUTO: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 32, k = 16>
// AUTO: nvvm.wgmma.commit.group.sync.aligned
// AUTO: nvvm.wgmma.wait.group.sync.aligned 1
