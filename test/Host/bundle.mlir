// The bundle attn-compile writes: one kernel per spec function, named after
// it, with q, k, v, data<N>, o and lse arguments whose dimensions are static
// or named runtime sizes. Sizes a rule ties together share a name, so the
// runtime rejects calls that would read out of bounds: document ids make
// Skv = Sq, a bias is [1 | B, Hq, Sq, Skv]; static extents propagate.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s

// CHECK: producer: attn-opt --attn-compile
// CHECK: spec: bundle
// CHECK: kernels: 2
// CHECK-LABEL: kernel documents
// CHECK-NEXT: arguments (7):
// CHECK-NEXT: 0: q input tensor bf16 [B, 4, Sq, 16] innermost_contiguous
// CHECK-NEXT: 1: k input tensor bf16 [B, 2, Sq, 16] innermost_contiguous
// CHECK-NEXT: 2: v input tensor bf16 [B, 2, Sq, 8] innermost_contiguous
// CHECK-NEXT: 3: data0 input tensor i32 [B, Sq]
// CHECK-NEXT: 4: data1 input tensor f32 [1, 4, Sq, Sq]
// CHECK-NEXT: 5: o output tensor bf16 [B, 4, Sq, 8] innermost_contiguous
// CHECK-NEXT: 6: lse output tensor f32 [B, 4, Sq] innermost_contiguous
// CHECK: 0: host host_shared_object, {{[0-9]+}} bytes, entry documents, host_c_iface
func.func @documents(%q: tensor<?x4x?x16xbf16>, %k: tensor<?x2x?x16xbf16>, %v: tensor<?x2x?x8xbf16>, %ids: tensor<?x?xi32>, %bias: tensor<1x4x?x?xf32>) -> (tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%ids, %bias : tensor<?x?xi32>, tensor<1x4x?x?xf32>) {mask = #attn.documents<operand = 0>, score_mod = #attn.bias<operand = 1>} : tensor<?x4x?x16xbf16>, tensor<?x2x?x16xbf16>, tensor<?x2x?x8xbf16> -> tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
}

// The batch is static in Q and the key length in K, so both are static
// everywhere; block-mask extents depend on tile counts and get their own
// names (the kernel checks them per call). i8 data travels as u8 bytes.
// CHECK-LABEL: kernel blocks
// CHECK-NEXT: arguments (5):
// CHECK-NEXT: 0: q input tensor f16 [2, 4, Sq, 16] innermost_contiguous
// CHECK-NEXT: 1: k input tensor f16 [2, 4, 100, 16] innermost_contiguous
// CHECK-NEXT: 2: v input tensor f16 [2, 4, 100, 16] innermost_contiguous
// CHECK-NEXT: 3: data0 input tensor u8 [2, 4, data0_dim2, data0_dim3]
// CHECK-NEXT: 4: o output tensor f16 [2, 4, Sq, 16] innermost_contiguous
// CHECK: 0: host host_shared_object, {{[0-9]+}} bytes, entry blocks, host_c_iface
func.func @blocks(%q: tensor<2x4x?x16xf16>, %k: tensor<?x4x100x16xf16>, %v: tensor<?x4x?x16xf16>, %list: tensor<?x4x?x?xi8>) -> tensor<2x4x?x16xf16> {
  %o = attn.attention %q, %k, %v data(%list : tensor<?x4x?x?xi8>) {mask = #attn.block_mask<operand = 0>} : tensor<2x4x?x16xf16>, tensor<?x4x100x16xf16>, tensor<?x4x?x16xf16> -> tensor<2x4x?x16xf16>
  return %o : tensor<2x4x?x16xf16>
}
