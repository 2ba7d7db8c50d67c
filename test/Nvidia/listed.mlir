// MoBA's routed blocks on the NVIDIA target: a query tile of 64 rows lies in
// one query block of 512, whose 3 listed key blocks span 8 key tiles each:
// 24 visits, each the tile (listed block * 8 + visit mod 8), valid when the
// entry names a block of the sequence, causal's hull keeps the tile, and no
// earlier entry (visit / 8 of them: one load each) lists the same block.
// No loop over the key tiles with an emptiness test.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu" --canonicalize --cse | FileCheck %s
// CHECK-LABEL: gpu.func
// CHECK-SAME: %[[LIST:[a-z0-9]+]]: memref<?x32x?x3xi32
// CHECK: %[[COUNT:.*]] = arith.maxsi %{{.*}}, %c0 : index
// CHECK: scf.for %[[VISIT:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(
// CHECK: %[[PART:.*]] = arith.remsi %{{.*}}, %c8 : index
// CHECK: %[[ENTRY:.*]] = arith.divsi %{{.*}}, %c8 : index
// CHECK: %[[BLOCK:.*]] = memref.load %[[LIST]]
// CHECK: %[[REPEAT:.*]] = scf.for %{{.*}} = %c0 to %[[ENTRY]] step %c1 iter_args(%{{.*}} = %false) -> (i1) {
// CHECK: %[[EARLIER:.*]] = memref.load %[[LIST]]
// CHECK: arith.cmpi eq, %{{.*}}, %{{.*}} : index
// CHECK: }
// CHECK: arith.cmpi eq, %[[REPEAT]], %false : i1
// CHECK: nvgpu.device_async_copy
func.func @moba(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %routed: tensor<?x32x?x3xi32>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v data(%routed : tensor<?x32x?x3xi32>) {mask = #attn.and<[#attn.causal, #attn.block_list<operand = 0, block_q = 512, block_kv = 512>]>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
