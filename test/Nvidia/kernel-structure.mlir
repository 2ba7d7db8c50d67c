// The NVIDIA kernel emitter's gpu.func (attn-compile emit=gpu): one thread
// block per query tile, K/V staged by async copies, both products on
// mma.sync, the softmax in registers with exp2, and the element rule only on
// the branch of tiles that are not known to be full.
// RUN: attn-opt %s --split-input-file --attn-compile="targets=sm_90 emit=gpu" | FileCheck %s

// CHECK-LABEL: gpu.module
// CHECK: gpu.func @{{.*}}(%{{.*}}: memref<?x16x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x16x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x16x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x16x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>) kernel
// CHECK: gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK-DAG: gpu.block_id x
// CHECK-DAG: gpu.block_id y
// CHECK-DAG: gpu.block_id z
// The Q tile: zero-filled async copies, then the first K/V tile's copies,
// then a wait for Q alone (one group left in flight) and its A fragments.
// CHECK: nvgpu.device_async_copy {{.*}}, 8, %{{.*}} {bypassL1}
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvgpu.device_async_copy
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvvm.cp.async.wait.group 1
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// The key-tile loop: the next tile's copies, then this tile's products.
// CHECK: scf.for
// CHECK: nvgpu.device_async_copy
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvvm.cp.async.wait.group 1
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvvm.mma.sync {{.*}} multiplicandAPtxType = #nvvm.mma_type<bf16>
// Full tiles yield S as it is; the others select -inf where the rule fails.
// CHECK: scf.if %{{.*}} -> (f32
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst
// CHECK: gpu.shuffle  xor
// CHECK: math.exp2
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync
// CHECK: gpu.barrier
// CHECK: scf.yield
// The epilogue stores pairs of rounded outputs.
// CHECK: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK: vector.store
// CHECK: gpu.return
func.func @dense(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}

// -----

// f16 products; causal skips empty key tiles (no copy, no product) and asks
// the mask whether each visited tile is full.
// CHECK-LABEL: gpu.module
// CHECK: gpu.func @{{.*}}(%{{.*}}: memref<?x8x?x64xf16
// CHECK: scf.for
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.if %{{.*}} -> (
// CHECK: nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
func.func @causal(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}

// -----

// GQA reads K/V head h / (Hq / Hkv) without copies; the LSE is stored by one
// lane per row.
// CHECK-LABEL: gpu.module
// CHECK: gpu.func @{{.*}}(%{{.*}}: memref<?x32x?x128xbf16
// CHECK: %[[HEAD:.*]] = gpu.block_id y
// CHECK: arith.divui %[[HEAD]], %c4
// CHECK: math.log
// CHECK: memref.store %{{.*}} : memref<?x32x?xf32
func.func @gqa_lse(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> (tensor<?x32x?x128xbf16>, tensor<?x32x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>, tensor<?x32x?xf32>
  return %o, %lse : tensor<?x32x?x128xbf16>, tensor<?x32x?xf32>
}
