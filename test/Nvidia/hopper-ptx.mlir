// The sm_90a kernel's PTX: both products on wgmma.mma_async (S = Q K^T from
// two shared-memory descriptors, n = block-kv; O += P V with P in registers,
// n = the value's head dimension), a proxy fence between the cp.async copies
// and wgmma's reads, each product's group committed and waited for; no
// mma.sync and no ldmatrix. Dense bf16 E = F = 128 (128 x 128 tiles: two
// warpgroups, whose default stages complete on mbarriers, so the copy-group
// form is asked for), causal f16 E = F = 64 and a sliding window (128 x 128
// tiles by default: they visit about the pairs 64 x 64 tiles visit; stages
// on mbarriers), and S2 (its 64-key blocks keep 64 x 64 tiles, one
// warpgroup, copy groups).
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=barrier emit=ptx" -o /dev/null | FileCheck %s --check-prefixes=CHECK,GROUPS,DENSE
// RUN: attn-opt %s --attn-compile="targets=sm_90a sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefixes=CHECK,MBARRIER,CAUSAL
// RUN: attn-opt %examples/sliding_window_1024.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefixes=CHECK,MBARRIER,WINDOW
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_90a sm90a-copy=cp.async emit=ptx" -o /dev/null | FileCheck %s --check-prefixes=CHECK,GROUPS,S2

// CHECK: // attn: kernel {{.*}} for sm_90a
// CHECK: .target sm_90a
// CHECK: .entry attn_
// CHECK-NOT: mma.sync
// CHECK-NOT: ldmatrix
// CHECK-DAG: cp.async.cg.shared.global
// GROUPS-DAG: cp.async.wait_group
// MBARRIER-DAG: cp.async.mbarrier.arrive.noinc.shared.b64
// MBARRIER-DAG: mbarrier.try_wait.parity
// CHECK-DAG: fence.proxy.async.shared::cta
// CHECK-DAG: wgmma.fence.sync.aligned;
// CHECK-DAG: wgmma.commit_group.sync.aligned;
// CHECK-DAG: wgmma.wait_group.sync.aligned {{.*}}0;

// S = Q K^T: two descriptors (%rd), the scale-d predicate.
// DENSE-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// O += P V: four A registers, V's descriptor, imm-trans-b = 1.
// DENSE-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, {{[{]%r[0-9]+, %r[0-9]+, %r[0-9]+, %r[0-9]+[}]}}, %rd{{[0-9]+}}, 1, 1, 1, 1;

// CAUSAL-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// CAUSAL-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{[{](%r[0-9]+, ){31}%r[0-9]+[}]}}, {{[{]%r[0-9]+, %r[0-9]+, %r[0-9]+, %r[0-9]+[}]}}, %rd{{[0-9]+}}, 1, 1, 1, 1;

// WINDOW-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// WINDOW-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, {{[{]%r[0-9]+, %r[0-9]+, %r[0-9]+, %r[0-9]+[}]}}, %rd{{[0-9]+}}, 1, 1, 1, 1;

// S2-DAG: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){31}%r[0-9]+[}]}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// S2-DAG: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{[{](%r[0-9]+, ){63}%r[0-9]+[}]}}, {{[{]%r[0-9]+, %r[0-9]+, %r[0-9]+, %r[0-9]+[}]}}, %rd{{[0-9]+}}, 1, 1, 1, 1;

// CHECK-NOT: mma.sync
// CHECK-NOT: ldmatrix
// CHECK-NOT: __nv_

func.func @causal(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}
