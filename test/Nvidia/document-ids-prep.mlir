// Documents as ids with mask-prep=kernel on the NVIDIA targets: the
// preparation kernel @attn_<f>_prep gives each block one chunk of 64 ids
// (grid (ceil(S / 64), 1, B), 64 threads, one id each) and reduces them in a
// tree in shared memory (i32 slots, 6 levels) to the chunk's [min, max],
// stored in the summary where the chunk exists. The attention kernel reads
// the summary's chunk bounds, not the ids, before its first row (each thread
// every 128th chunk, then the block's tree), and the summary again in its
// full-tile test. sm_90a (the wgmma kernel) gets the same preparation.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu mask-prep=kernel" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-compile="targets=host,sm_80,sm_90a mask-prep=kernel output=%t.atnb" -o /dev/null 2>/dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=BUNDLE
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90a emit=ptx mask-prep=kernel" -o /dev/null | FileCheck %s --check-prefix=PTX

// CHECK-LABEL: gpu.func @attn_ids(
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: memref<?x?xi32, {{.*}}>, %[[SUMMARY:[a-z0-9]+]]: memref<?x?x2xi32, {{.*}}>, %{{.*}}: memref<?x4x?x64xf16
// CHECK: scf.for %{{.*}} step %c8192 iter_args(
// CHECK: memref.load %[[IDS]]
// CHECK: %[[CHUNKS:.*]]:2 = scf.for %{{.*}} = %thread_id_x to %{{.*}} step %c8192 iter_args(
// CHECK-NOT: memref.load %[[IDS]]
// CHECK: memref.load %[[SUMMARY]][%block_id_z, %{{.*}}, %c0]
// CHECK-NEXT: memref.load %[[SUMMARY]][%block_id_z, %{{.*}}, %c1]
// CHECK: nvgpu.device_async_copy
// CHECK: memref.load %[[SUMMARY]]
// CHECK-LABEL: gpu.func @attn_ids_prep(
// CHECK-SAME: %[[PREP_IDS:[a-z0-9]+]]: memref<?x?xi32, {{.*}}>, %[[OUT:[a-z0-9]+]]: memref<?x?x2xi32, {{.*}}>) kernel
// CHECK: %[[CHUNK:.*]] = gpu.block_id x
// CHECK: memref.load %[[PREP_IDS]][%block_id_z,
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x64xi32, #gpu.address_space<workgroup>>
// CHECK-COUNT-7: gpu.barrier
// CHECK: %[[INSIDE:.*]] = arith.cmpi ult, %[[CHUNK]], %{{.*}}
// CHECK: scf.if %[[INSIDE]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%block_id_z, %[[CHUNK]], %c0]
// CHECK: memref.store %{{.*}}, %[[OUT]][%block_id_z, %[[CHUNK]], %c1]

// BUNDLE: kernel ids_prep
// BUNDLE: 0: data0 input tensor i32 [B, Sq]
// BUNDLE: 1: data0_summary output tensor i32 [B, key_chunks, 2]
// BUNDLE: sm_80 ptx, {{[0-9]+}} bytes, entry attn_ids_prep, gpu_expanded_memref
// BUNDLE-NEXT: grid = (ceil_div(Sq, 64), 1, B)
// BUNDLE-NEXT: block = (64, 1, 1)
// BUNDLE-NEXT: shared_mem_bytes = 1024
// BUNDLE: sm_90a ptx, {{[0-9]+}} bytes, entry attn_ids_prep, gpu_expanded_memref
// BUNDLE-NEXT: grid = (ceil_div(Sq, 64), 1, B)

// PTX: .entry attn_ids_prep(
// PTX: .entry attn_ids_prep(

func.func @ids(%q: tensor<?x4x?x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>, %ids: tensor<?x?xi32>) -> tensor<?x4x?x64xf16> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x4x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}
