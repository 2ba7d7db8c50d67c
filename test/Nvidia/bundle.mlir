// A bundle for the host and both NVIDIA chips: per chip a cubin and PTX,
// entry attn_<f>, the gpu_expanded_memref convention, the launch over the
// query's sizes, and 16-byte alignment for Q, K, V and O.
// REQUIRES: ptxas
// RUN: attn-opt %s --attn-compile="targets=host,sm_80,sm_90 gpu-block-q=64 gpu-block-kv=64 gpu-warps=4 gpu-stages=2 output=%t.atnb report-resources" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: attn-bundle-info %t.atnb | FileCheck %s

// REPORT: kernel gqa sm_80: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}
// REPORT: kernel gqa sm_90: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}

// CHECK-LABEL: kernel gqa
// CHECK: 0: q input tensor f16 [B, 8, Sq, 64] innermost_contiguous align=16
// CHECK: 1: k input tensor f16 [B, 2, Skv, 64] innermost_contiguous align=16
// CHECK: 2: v input tensor f16 [B, 2, Skv, 64] innermost_contiguous align=16
// CHECK: 3: o output tensor f16 [B, 8, Sq, 64] innermost_contiguous align=16
// CHECK: 4: lse output tensor f32 [B, 8, Sq] innermost_contiguous
// CHECK-NOT: align
// CHECK: binaries (5):
// CHECK: 0: host host_shared_object, {{[0-9]+}} bytes, entry gqa, host_c_iface
// CHECK: 1: sm_80 cubin, {{[0-9]+}} bytes, entry attn_gqa, gpu_expanded_memref
// CHECK-NEXT: grid = (ceil_div(Sq, 64), 8, B)
// CHECK-NEXT: block = (128, 1, 1)
// CHECK-NEXT: shared_mem_bytes = {{[1-9][0-9]*}}
// CHECK: 2: sm_80 ptx, {{[0-9]+}} bytes, entry attn_gqa, gpu_expanded_memref
// CHECK-NEXT: grid = (ceil_div(Sq, 64), 8, B)
// CHECK: 3: sm_90 cubin, {{[0-9]+}} bytes, entry attn_gqa, gpu_expanded_memref
// CHECK: 4: sm_90 ptx, {{[0-9]+}} bytes, entry attn_gqa, gpu_expanded_memref
// CHECK-NEXT: grid = (ceil_div(Sq, 64), 8, B)
// CHECK-NEXT: block = (128, 1, 1)

// Static query sizes become constant factors.
// CHECK-LABEL: kernel fixed
// CHECK: 3: sm_90 cubin
// CHECK-NEXT: grid = (ceil_div(200, 64), 4, 2)
func.func @gqa(%q: tensor<?x8x?x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>) -> (tensor<?x8x?x64xf16>, tensor<?x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x8x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x8x?x64xf16>, tensor<?x8x?xf32>
  return %o, %lse : tensor<?x8x?x64xf16>, tensor<?x8x?xf32>
}

func.func @fixed(%q: tensor<2x4x200x64xbf16>, %k: tensor<2x4x300x64xbf16>, %v: tensor<2x4x300x64xbf16>) -> tensor<2x4x200x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x4x200x64xbf16>, tensor<2x4x300x64xbf16>, tensor<2x4x300x64xbf16> -> tensor<2x4x200x64xbf16>
  return %o : tensor<2x4x200x64xbf16>
}
