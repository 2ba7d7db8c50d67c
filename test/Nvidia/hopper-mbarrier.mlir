// sm90a-sync=mbarrier: the sm_90a kernel's K/V stages complete on per-stage
// full and empty mbarriers instead of copy groups and CTA barriers
// (docs/nvidia.md, "sm_90a (Hopper)"). Dense bf16 E = 128 (128 x 128 tiles,
// two warpgroups: 3 stages, 2 x 3 barriers expecting 256 arrivals each,
// then fence.mbarrier_init);
// the key loop has no CTA barrier and no cp.async group wait: each thread's
// copies arrive on the full barrier (noinc), the products wait for its phase
// and fence the async proxy, and each thread arrives on the empty barrier
// after the stage's last read. The barriers are initialized before a
// range's first copies and invalidated after its loop, each behind a CTA
// barrier.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-copy=cp.async emit=gpu" | FileCheck %s --check-prefix=GPU
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefix=PTX
// A range of its own per visit list: sinks and a window (3 ranges on 64 x 64
// tiles, one warpgroup: 2 stages) initialize and invalidate 4 barriers each.
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-copy=cp.async emit=gpu" | FileCheck %s --check-prefix=RANGES
// gpu-stages overrides the 3 stages. The default (auto) takes mbarriers for
// two warpgroups (mha's 128 x 128 tiles) and copy groups and CTA barriers for
// one (sinks and a window, 64 x 64 tiles); barrier asks for the latter.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-copy=cp.async gpu-stages=2 emit=gpu" | FileCheck %s --check-prefix=TWO
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefix=AUTO-TWO-WARPGROUPS
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefix=BARRIER
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=barrier emit=ptx" -o /dev/null | FileCheck %s --check-prefix=BARRIER
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=bogus emit=gpu" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=host sm90a-sync=mbarrier" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOST

// GPU: %[[THREADS:.*]] = arith.constant 256 : i32
// GPU-COUNT-6: nvvm.mbarrier.init %{{.*}}, %[[THREADS]] : !llvm.ptr<3>, i32
// GPU-NEXT: nvvm.fence.mbarrier.init
// GPU-NOT: nvvm.mbarrier.init
// GPU: gpu.barrier
// GPU-NOT: gpu.barrier
// GPU: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true} : !llvm.ptr<3>
// GPU-NOT: gpu.barrier
// GPU: scf.for
// GPU-NOT: gpu.barrier
// Refilling a stage waits for its empty barrier.
// GPU: nvvm.mbarrier.try_wait.parity
// GPU-NOT: gpu.barrier
// GPU: nvvm.cp.async.mbarrier.arrive %{{.*}} {noinc = true} : !llvm.ptr<3>
// GPU-NOT: gpu.barrier
// Computing a stage waits for its full barrier, then fences the async proxy.
// GPU: nvvm.mbarrier.try_wait.parity
// GPU-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// GPU-NOT: gpu.barrier
// GPU: nvvm.wgmma.mma_async
// GPU-NOT: gpu.barrier
// GPU: nvvm.wgmma.wait.group.sync.aligned 0
// GPU-NOT: gpu.barrier
// GPU: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// GPU-NOT: nvvm.cp.async.wait
// GPU: gpu.barrier
// GPU-COUNT-6: nvvm.mbarrier.inval
// GPU-NOT: nvvm.mbarrier
// GPU-NOT: nvvm.cp.async.wait

// PTX: .target sm_90a
// PTX-NOT: cp.async.wait_group
// PTX: mbarrier.init.shared.b64
// PTX-DAG: cp.async.mbarrier.arrive.noinc.shared.b64
// PTX-DAG: mbarrier.try_wait.parity.shared.b64
// PTX-DAG: fence.proxy.async.shared::cta
// PTX-DAG: mbarrier.arrive.shared.b64
// PTX-DAG: mbarrier.inval.shared.b64
// PTX-NOT: cp.async.wait_group

// RANGES-COUNT-4: nvvm.mbarrier.init
// RANGES-NOT: nvvm.mbarrier.{{init|inval}}
// RANGES: scf.for
// RANGES-NOT: nvvm.mbarrier.init
// RANGES-COUNT-4: nvvm.mbarrier.inval
// RANGES-COUNT-4: nvvm.mbarrier.init
// RANGES-NOT: nvvm.mbarrier.{{init|inval}}
// RANGES: scf.for
// RANGES-NOT: nvvm.mbarrier.init
// RANGES-COUNT-4: nvvm.mbarrier.inval
// RANGES-COUNT-4: nvvm.mbarrier.init
// RANGES-NOT: nvvm.mbarrier.{{init|inval}}
// RANGES: scf.for
// RANGES-NOT: nvvm.mbarrier.init
// RANGES-COUNT-4: nvvm.mbarrier.inval
// RANGES-NOT: nvvm.mbarrier.{{init|inval}}

// TWO-COUNT-4: nvvm.mbarrier.init
// TWO-NOT: nvvm.mbarrier.init

// AUTO-TWO-WARPGROUPS-NOT: cp.async.wait_group
// AUTO-TWO-WARPGROUPS: mbarrier.init
// AUTO-TWO-WARPGROUPS-NOT: cp.async.wait_group

// BARRIER: cp.async.wait_group
// BARRIER-NOT: mbarrier

// BAD: error: attn-compile: sm90a-sync must be auto, barrier or mbarrier, got 'bogus'
// HOST: error: attn-compile: sm90a-sync is an option of the NVIDIA target (sm_80, sm_90, sm_90a), which targets= does not list
