// Documents as ids on the NVIDIA target: before its key tiles, each block
// reduces its rows' ids to [min, max], then the ids before its first row to
// the first key holding such an id and the last key holding another, in
// i32 as the ids are i32; each thread reads every 128th position, 64 loads
// per step (step 8192), and the 128 threads combine their values in a tree
// in shared memory (i32 slots at the start of dynamic shared memory; 7
// levels, a barrier each) before the query tile's copies. The key-tile loop
// then starts at the first key's tile. The PTX of sm_80 stores the slots as
// 32-bit shared words.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=PTX
// CHECK-LABEL: gpu.func @attn_ids
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: memref<?x?xi32
// CHECK: %[[ROWS:.*]]:2 = scf.for %{{.*}} step %c8192 iter_args(
// CHECK-COUNT-64: memref.load %[[IDS]]
// CHECK: %[[SLOTS:.*]] = memref.view %{{.*}}[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x128xi32, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}}, %[[SLOTS]][%c0, %thread_id_x]
// CHECK-COUNT-8: gpu.barrier
// CHECK: %[[KEYS:.*]]:2 = scf.for %{{.*}} = %thread_id_x to %{{.*}} step %c8192 iter_args(
// CHECK-COUNT-64: memref.load %[[IDS]]
// CHECK: memref.store %{{.*}}, %[[SLOTS]][%c0, %thread_id_x]
// CHECK-COUNT-8: gpu.barrier
// CHECK: nvgpu.device_async_copy
// PTX-COUNT-2: st.shared.b32
// PTX: bar.sync
func.func @ids(%q: tensor<?x4x?x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>, %ids: tensor<?x?xi32>) -> tensor<?x4x?x64xf16> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x4x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}
