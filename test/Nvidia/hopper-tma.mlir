// sm90a-copy=tma: one thread loads each K/V tile by TMA (HopperScheduleTarget.h;
// docs/nvidia.md, "TMA loads"). The kernel takes K's and V's tensor maps
// after its arguments, as 128-byte, 64-byte aligned by-value parameters; a
// stage's full mbarrier expects the loading thread alone (1) and the tile's
// bytes (128 keys x (128 + 128) columns x 2 bytes = 65536), its empty
// mbarrier every thread (256); one TMA per 64-column block of K and of V;
// Q stays on cp.async, waited for (and made visible by a CTA barrier) before
// the key loop.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma emit=gpu" | FileCheck %s
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma emit=ptx" | FileCheck %s --check-prefix=PTX
// The bundle lists the maps per sm_90a binary and is format version 3 (an
// older runtime would launch without them); without TMA it stays version 2.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-copy=tma output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=BUNDLE
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-copy=cp.async output=%t.plain.atnb" -o /dev/null
// RUN: attn-bundle-info %t.plain.atnb | FileCheck %s --check-prefix=PLAIN
// sm90a-copy=auto (the default) is TMA wherever it applies, so the default
// bundle is the TMA one; cp.async for neighborhoods' patch tiles, with
// sm90a-sync=barrier (no mbarriers to complete on) and with the softmax
// overlap (run on a GPU with cp.async only).
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a output=%t.auto.atnb" -o /dev/null
// RUN: attn-bundle-info %t.auto.atnb | FileCheck %s --check-prefix=BUNDLE
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-copy=auto sm90a-sync=barrier output=%t.barrier.atnb" -o /dev/null
// RUN: attn-bundle-info %t.barrier.atnb | FileCheck %s --check-prefix=PLAIN
// RUN: attn-opt %examples/natten_2d.mlir --attn-compile="targets=host,sm_90a output=%t.patches.atnb" -o /dev/null
// RUN: attn-bundle-info %t.patches.atnb | FileCheck %s --check-prefix=PLAIN
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=host,sm_90a sm90a-overlap=softmax output=%t.overlap.atnb" -o /dev/null
// RUN: attn-bundle-info %t.overlap.atnb | FileCheck %s --check-prefix=PLAIN
// One warpgroup (S2's 64 x 64 tiles): sm90a-sync=auto takes mbarriers.
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_90a sm90a-copy=tma emit=gpu" | FileCheck %s --check-prefix=NARROW
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=tma sm90a-sync=barrier" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SYNC
// RUN: not attn-opt %examples/natten_2d.mlir --attn-compile="targets=sm_90a sm90a-copy=tma" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PATCH
// RUN: not attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-copy=bulk" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: gpu.func @attn_mha(%{{.*}}: memref<{{.*}}>, %{{.*}}: memref<{{.*}}>, %{{.*}}: memref<{{.*}}>, %{{.*}}: memref<{{.*}}>, %[[KMAP:.*]]: !llvm.ptr {attn.tensor_map}, %[[VMAP:.*]]: !llvm.ptr {attn.tensor_map}) kernel
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32{{.*}} : !llvm.ptr<3>, i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c256_i32 : !llvm.ptr<3>, i32
// CHECK: nvvm.fence.mbarrier.init
// CHECK: nvvm.mbarrier.expect_tx %[[FULL:.*]], %c65536_i32
// CHECK-NOT: nvvm.cp.async.shared
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[KMAP]], %[[FULL]], box[%c0_i32, %{{.*}}, %{{.*}}, %{{.*}}] : !llvm.ptr<7>, !llvm.ptr
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[KMAP]], %[[FULL]], box[%c64_i32, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[VMAP]], %[[FULL]], box[%c0_i32{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %[[VMAP]], %[[FULL]], box[%c64_i32{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.expect_tx %{{.*}}, %c65536_i32
// CHECK-COUNT-4: nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK: nvvm.mbarrier.arrive
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK-NOT: nvvm.fence.proxy
// CHECK: nvvm.wgmma.mma_async

// PTX-LABEL: .visible .entry attn_mha(
// PTX: .param .u64 attn_mha_param_43,
// PTX-NEXT: .param .align 64 .b8 attn_mha_param_44[128],
// PTX-NEXT: .param .align 64 .b8 attn_mha_param_45[128]
// PTX-NEXT: )
// PTX: cvta.param.u64
// PTX: mbarrier.expect_tx.relaxed.cta.shared.b64 [{{.*}}], {{%r[0-9]+}};
// PTX: cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes

// BUNDLE: format version: 3
// BUNDLE: 0: host host_shared_object
// BUNDLE-NOT: tensor map
// BUNDLE: sm_90a
// BUNDLE: tensor map 0: k box [64, 128, 1, 1] swizzle 128B
// BUNDLE-NEXT: tensor map 1: v box [64, 128, 1, 1] swizzle 128B

// PLAIN: format version: 2
// PLAIN-NOT: tensor map

// NARROW: nvvm.mbarrier.init %{{.*}}, %c1_i32
// NARROW: nvvm.mbarrier.init %{{.*}}, %c128_i32
// NARROW: nvvm.mbarrier.expect_tx %{{.*}}, %c32768_i32
// NARROW: nvvm.cp.async.bulk.tensor.shared.cluster.global

// SYNC: error: sm90a-copy=tma needs sm90a-sync=mbarrier or auto (its loads complete on the stages' mbarriers), got sm90a-sync=barrier
// PATCH: error: sm90a-copy=tma loads key tiles of contiguous rows; the patch tiles of neighborhood masks need sm90a-copy=cp.async
// BAD: error: attn-compile: sm90a-copy must be auto, cp.async or tma, got 'bulk'
