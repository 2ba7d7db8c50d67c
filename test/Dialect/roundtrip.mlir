// Every attribute, with default and non-default parameters, every combinator,
// single and arrays of score mods, LSE, data operands, custom regions, static
// and dynamic shapes and all three element types survive printing and
// re-parsing, in the custom and in the generic form.
// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt -mlir-print-op-generic %s | attn-opt | FileCheck %s
// RUN: attn-opt -emit-bytecode %s | attn-opt | FileCheck %s
// Canonicalization hoists region constants out of the op; the verifier must
// still accept the region.
// RUN: attn-opt -canonicalize %s | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func.func @no_mask_default_scale
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
func.func @no_mask_default_scale(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Different Q/K and V head dimensions (E = 192, F = 128), a decode step
// (Sq = 1) against a dynamic cache, and an explicit scale.
// CHECK-LABEL: func.func @decode_mla_dims
// CHECK: attn.attention {{.*}} {scale = 7.500000e-02 : f32} : tensor<4x16x1x192xbf16>, tensor<4x16x?x192xbf16>, tensor<4x16x?x128xbf16> -> tensor<4x16x1x128xbf16>
func.func @decode_mla_dims(%q: tensor<4x16x1x192xbf16>, %k: tensor<4x16x?x192xbf16>, %v: tensor<4x16x?x128xbf16>) -> tensor<4x16x1x128xbf16> {
  %o = attn.attention %q, %k, %v {scale = 0.075 : f32} : tensor<4x16x1x192xbf16>, tensor<4x16x?x192xbf16>, tensor<4x16x?x128xbf16> -> tensor<4x16x1x128xbf16>
  return %o : tensor<4x16x1x128xbf16>
}

// CHECK-LABEL: func.func @causal_f16
// CHECK: {mask = #attn.causal} : tensor<?x4x?x32xf16>, tensor<?x2x?x32xf16>, tensor<?x2x?x32xf16> -> tensor<?x4x?x32xf16>
func.func @causal_f16(%q: tensor<?x4x?x32xf16>, %k: tensor<?x2x?x32xf16>, %v: tensor<?x2x?x32xf16>) -> tensor<?x4x?x32xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x32xf16>, tensor<?x2x?x32xf16>, tensor<?x2x?x32xf16> -> tensor<?x4x?x32xf16>
  return %o : tensor<?x4x?x32xf16>
}

// CHECK-LABEL: func.func @windows
// CHECK: {mask = #attn.window<left = 8>}
// CHECK: {mask = #attn.window<left = 8>}
// CHECK: {mask = #attn.window<left = 8, right = 3>}
// CHECK: {mask = #attn.sinks<count = 4>}
func.func @windows(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> (tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>) {
  %a = attn.attention %q, %k, %v {mask = #attn.window<left = 8>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %b = attn.attention %q, %k, %v {mask = #attn.window<left = 8, right = 0>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %c = attn.attention %q, %k, %v {mask = #attn.window<right = 3, left = 8>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %d = attn.attention %q, %k, %v {mask = #attn.sinks<count = 4>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %a, %b, %c, %d : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>
}

// CHECK-LABEL: func.func @s2_parameters
// CHECK: {mask = #attn.s2<>}
// CHECK: {mask = #attn.s2<>}
// CHECK: {mask = #attn.s2<block = 32, local = 2, stride = 4, offset = 1, dense_heads = 1, homo_head = true>}
// CHECK: {mask = #attn.s2<local = 0, homo_head = true>}
func.func @s2_parameters(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> (tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>) {
  %a = attn.attention %q, %k, %v {mask = #attn.s2<>} : tensor<?x8x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x8x?x64xbf16>
  %b = attn.attention %q, %k, %v {mask = #attn.s2<block = 64, local = 16, stride = 8, offset = 0, dense_heads = 0, homo_head = false>} : tensor<?x8x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x8x?x64xbf16>
  %c = attn.attention %q, %k, %v {mask = #attn.s2<homo_head = true, dense_heads = 1, offset = 1, stride = 4, local = 2, block = 32>} : tensor<?x8x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x8x?x64xbf16>
  %d = attn.attention %q, %k, %v {mask = #attn.s2<local = 0, dense_heads = 0, homo_head = true>} : tensor<?x8x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x8x?x64xbf16>
  return %a, %b, %c, %d : tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>
}

// CHECK-LABEL: func.func @groups_and_anchors
// CHECK: {mask = #attn.shifted_groups<group = 16>}
// CHECK: {mask = #attn.star_anchor<block = 32>}
func.func @groups_and_anchors(%q: tensor<1x8x128x64xf32>, %k: tensor<1x8x128x64xf32>, %v: tensor<1x8x128x64xf32>) -> (tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>) {
  %a = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 16>} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x8x128x64xf32>
  %b = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 32>} : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32> -> tensor<1x8x128x64xf32>
  return %a, %b : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>
}

// Lists that equal the defaults are still printed when given; omitted ones
// are not.
// CHECK-LABEL: func.func @neighborhoods
// CHECK: {mask = #attn.neighborhood<grid = [16, 16], kernel = [5, 3]>}
// CHECK: {mask = #attn.neighborhood<grid = [16, 16], kernel = [5, 3], dilation = [1, 1], stride = [1, 1], causal = [false, false]>}
// CHECK: {mask = #attn.neighborhood<grid = [16, 16], kernel = [4, 3], dilation = [2, 1], stride = [2, 3], causal = [true, false]>}
// CHECK: {mask = #attn.neighborhood<grid = [4, 8, 8], kernel = [4, 8, 8]>}
func.func @neighborhoods(%q: tensor<?x2x256x16xf32>, %k: tensor<?x2x256x16xf32>, %v: tensor<?x2x256x16xf32>) -> (tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>) {
  %a = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [16, 16], kernel = [5, 3]>} : tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32> -> tensor<?x2x256x16xf32>
  %b = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [16, 16], kernel = [5, 3], dilation = [1, 1], stride = [1, 1], causal = [false, false]>} : tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32> -> tensor<?x2x256x16xf32>
  %c = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [16, 16], kernel = [4, 3], dilation = [2, 1], stride = [2, 3], causal = [true, false]>} : tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32> -> tensor<?x2x256x16xf32>
  %d = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4, 8, 8], kernel = [4, 8, 8]>} : tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32> -> tensor<?x2x256x16xf32>
  return %a, %b, %c, %d : tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>, tensor<?x2x256x16xf32>
}

// CHECK-LABEL: func.func @documents_layouts
// CHECK-SAME: %[[IDS:[a-z0-9_]+]]: tensor<2x256xi32>, %[[STARTS:[a-z0-9_]+]]: tensor<5xi64>
// CHECK: data(%[[IDS]] : tensor<2x256xi32>) {mask = #attn.documents<operand = 0>}
// CHECK: data(%[[IDS]] : tensor<2x256xi32>) {mask = #attn.documents<operand = 0, causal = false>}
// CHECK: data(%[[STARTS]] : tensor<5xi64>) {mask = #attn.documents<operand = 0, layout = offsets>}
// CHECK: data(%[[IDS]], %[[STARTS]] : tensor<2x256xi32>, tensor<5xi64>) {mask = #attn.or<[#attn.documents<operand = 1, layout = offsets, causal = false>, #attn.documents<operand = 0>]>}
func.func @documents_layouts(%q: tensor<2x4x256x32xf16>, %k: tensor<2x4x256x32xf16>, %v: tensor<2x4x256x32xf16>, %ids: tensor<2x256xi32>, %starts: tensor<5xi64>) -> (tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>) {
  %a = attn.attention %q, %k, %v data(%ids : tensor<2x256xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16> -> tensor<2x4x256x32xf16>
  %b = attn.attention %q, %k, %v data(%ids : tensor<2x256xi32>) {mask = #attn.documents<operand = 0, causal = false>} : tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16> -> tensor<2x4x256x32xf16>
  %c = attn.attention %q, %k, %v data(%starts : tensor<5xi64>) {mask = #attn.documents<operand = 0, layout = offsets>} : tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16> -> tensor<2x4x256x32xf16>
  %d = attn.attention %q, %k, %v data(%ids, %starts : tensor<2x256xi32>, tensor<5xi64>) {mask = #attn.or<[#attn.documents<operand = 1, layout = offsets, causal = false>, #attn.documents<operand = 0>]>} : tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16> -> tensor<2x4x256x32xf16>
  return %a, %b, %c, %d : tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>, tensor<2x4x256x32xf16>
}

// CHECK-LABEL: func.func @block_operands
// CHECK-SAME: %[[LIST:[a-z0-9_]+]]: tensor<2x8x2x4xi32>, %[[KEEP:[a-z0-9_]+]]: tensor<2x8x2x4xi1>, %[[PREFIX:[a-z0-9_]+]]: tensor<2xi64>
// CHECK: data(%[[LIST]] : tensor<2x8x2x4xi32>) {mask = #attn.block_list<operand = 0>}
// CHECK: data(%[[LIST]] : tensor<2x8x2x4xi32>) {mask = #attn.block_list<operand = 0, block_kv = 64>}
// CHECK: data(%[[KEEP]] : tensor<2x8x2x4xi1>) {mask = #attn.block_mask<operand = 0>}
// CHECK: data(%[[PREFIX]], %[[KEEP]] : tensor<2xi64>, tensor<2x8x2x4xi1>) {mask = #attn.and<[#attn.prefix_lm<operand = 0>, #attn.block_mask<operand = 1>, #attn.causal]>}
func.func @block_operands(%q: tensor<2x8x256x64xbf16>, %k: tensor<2x2x256x64xbf16>, %v: tensor<2x2x256x64xbf16>, %list: tensor<2x8x2x4xi32>, %keep: tensor<2x8x2x4xi1>, %prefix: tensor<2xi64>) -> (tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>) {
  %a = attn.attention %q, %k, %v data(%list : tensor<2x8x2x4xi32>) {mask = #attn.block_list<operand = 0, block_q = 128, block_kv = 128>} : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16> -> tensor<2x8x256x64xbf16>
  %b = attn.attention %q, %k, %v data(%list : tensor<2x8x2x4xi32>) {mask = #attn.block_list<operand = 0, block_kv = 64>} : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16> -> tensor<2x8x256x64xbf16>
  %c = attn.attention %q, %k, %v data(%keep : tensor<2x8x2x4xi1>) {mask = #attn.block_mask<operand = 0, block_q = 128, block_kv = 64>} : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16> -> tensor<2x8x256x64xbf16>
  %d = attn.attention %q, %k, %v data(%prefix, %keep : tensor<2xi64>, tensor<2x8x2x4xi1>) {mask = #attn.and<[#attn.prefix_lm<operand = 0>, #attn.block_mask<operand = 1>, #attn.causal]>} : tensor<2x8x256x64xbf16>, tensor<2x2x256x64xbf16>, tensor<2x2x256x64xbf16> -> tensor<2x8x256x64xbf16>
  return %a, %b, %c, %d : tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>
}

// CHECK-LABEL: func.func @nested_combinators
// CHECK: {mask = #attn.or<[#attn.and<[#attn.causal, #attn.window<left = 16>]>, #attn.and<[#attn.sinks<count = 2>, #attn.star_anchor<block = 8>]>, #attn.causal]>}
func.func @nested_combinators(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>) -> tensor<?x4x?x32xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.and<[#attn.causal, #attn.window<left = 16>]>, #attn.and<[#attn.sinks<count = 2>, #attn.star_anchor<block = 8>]>, #attn.causal]>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %o : tensor<?x4x?x32xbf16>
}

// CHECK-LABEL: func.func @score_mods
// CHECK-SAME: %[[BIAS:[a-z0-9_]+]]: tensor<1x1x?x?xf32>, %[[FULL:[a-z0-9_]+]]: tensor<?x4x?x?xbf16>
// CHECK: {score_mod = #attn.softcap<3.000000e+01>}
// CHECK: {score_mod = [#attn.softcap<3.000000e+01>]}
// CHECK: {score_mod = #attn.alibi}
// CHECK: {score_mod = #attn.alibi}
// CHECK: {score_mod = #attn.alibi<max_bias = 4.000000e+00>}
// CHECK: data(%[[BIAS]] : tensor<1x1x?x?xf32>) {score_mod = #attn.bias<operand = 0>}
// CHECK: data(%[[BIAS]], %[[FULL]] : tensor<1x1x?x?xf32>, tensor<?x4x?x?xbf16>) {mask = #attn.causal, scale = 2.500000e-01 : f32, score_mod = [#attn.bias<operand = 1>, #attn.alibi<max_bias = 1.600000e+01>, #attn.bias<operand = 0>, #attn.softcap<5.000000e+01>]}
func.func @score_mods(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>, %v: tensor<?x4x?x32xbf16>, %bias: tensor<1x1x?x?xf32>, %full_bias: tensor<?x4x?x?xbf16>) -> (tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>) {
  %a = attn.attention %q, %k, %v {score_mod = #attn.softcap<30.0>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %b = attn.attention %q, %k, %v {score_mod = [#attn.softcap<30.0>]} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %c = attn.attention %q, %k, %v {score_mod = #attn.alibi} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %d = attn.attention %q, %k, %v {score_mod = #attn.alibi<max_bias = 8.0>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %e = attn.attention %q, %k, %v {score_mod = #attn.alibi<max_bias = 4.0>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %f = attn.attention %q, %k, %v data(%bias : tensor<1x1x?x?xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  %g = attn.attention %q, %k, %v data(%bias, %full_bias : tensor<1x1x?x?xf32>, tensor<?x4x?x?xbf16>) {score_mod = [#attn.bias<operand = 1>, #attn.alibi<max_bias = 16.0>, #attn.bias<operand = 0>, #attn.softcap<50.0>], mask = #attn.causal, scale = 0.25 : f32} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %a, %b, %c, %d, %e, %f, %g : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16>
}

// CHECK-LABEL: func.func @lse_static
// CHECK: %[[O:.*]], %[[L:.*]] = attn.attention {{.*}} {mask = #attn.window<left = 32, right = 32>} : tensor<3x6x100x16xf16>, tensor<3x3x80x16xf16>, tensor<3x3x80x24xf16> -> tensor<3x6x100x24xf16>, tensor<3x6x100xf32>
// CHECK: return %[[O]], %[[L]]
func.func @lse_static(%q: tensor<3x6x100x16xf16>, %k: tensor<3x3x80x16xf16>, %v: tensor<3x3x80x24xf16>) -> (tensor<3x6x100x24xf16>, tensor<3x6x100xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 32, right = 32>} : tensor<3x6x100x16xf16>, tensor<3x3x80x16xf16>, tensor<3x3x80x24xf16> -> tensor<3x6x100x24xf16>, tensor<3x6x100xf32>
  return %o, %lse : tensor<3x6x100x24xf16>, tensor<3x6x100xf32>
}

// Both regions together with mask and score-mod attributes; the mask region
// reads a data operand (a per-batch length) and nothing else from outside.
// CHECK-LABEL: func.func @regions
// CHECK-SAME: %[[LEN:[a-z0-9_]+]]: tensor<?xindex>
// CHECK: %{{.*}}, %{{.*}} = attn.attention %{{.*}}, %{{.*}}, %{{.*}} data(%[[LEN]] : tensor<?xindex>) {mask = #attn.causal, score_mod = #attn.softcap<2.000000e+01>} : tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x?x32xf32>, tensor<?x4x?xf32> mask {
// CHECK-NEXT: ^bb0(%[[B:.*]]: index, %{{.*}}: index, %{{.*}}: index, %[[J:.*]]: index):
// CHECK-NEXT: %[[N:.*]] = tensor.extract %[[LEN]][%[[B]]] : tensor<?xindex>
// CHECK-NEXT: %[[C:.*]] = arith.cmpi ult, %[[J]], %[[N]] : index
// CHECK-NEXT: attn.yield %[[C]] : i1
// CHECK-NEXT: } score {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %{{.*}}: index):
// CHECK: arith.index_cast %[[H]] : index to i32
// CHECK: %[[R:.*]] = arith.addf %[[S]], %{{.*}} : f32
// CHECK-NEXT: attn.yield %[[R]] : f32
// CHECK-NEXT: }
func.func @regions(%q: tensor<?x4x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>, %len: tensor<?xindex>) -> (tensor<?x4x?x32xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%len : tensor<?xindex>) {mask = #attn.causal, score_mod = #attn.softcap<20.0>} : tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x?x32xf32>, tensor<?x4x?xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %n = tensor.extract %len[%b] : tensor<?xindex>
    %c = arith.cmpi ult, %j, %n : index
    attn.yield %c : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %h32 = arith.index_cast %h : index to i32
    %hf = arith.sitofp %h32 : i32 to f32
    %r = arith.addf %s, %hf : f32
    attn.yield %r : f32
  }
  return %o, %lse : tensor<?x4x?x32xf32>, tensor<?x4x?xf32>
}

// Only a score region; a constant defined outside the op may be read.
// CHECK-LABEL: func.func @score_region_only
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: attn.attention {{.*}} : tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16> -> tensor<1x2x8x8xbf16> score {
// CHECK: arith.mulf %{{.*}}, %[[HALF]] : f32
// CANON-LABEL: func.func @score_region_only
// CANON: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CANON: attn.attention
// CANON: arith.mulf %{{.*}}, %[[HALF]] : f32
func.func @score_region_only(%q: tensor<1x2x8x8xbf16>, %k: tensor<1x2x8x8xbf16>, %v: tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16> {
  %half = arith.constant 0.5 : f32
  %o = attn.attention %q, %k, %v : tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16> -> tensor<1x2x8x8xbf16> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %r = arith.mulf %s, %half : f32
    attn.yield %r : f32
  }
  return %o : tensor<1x2x8x8xbf16>
}

// A constant inside the mask region; canonicalization hoists it above the op.
// CHECK-LABEL: func.func @mask_region_constant
// CHECK: attn.attention {{.*}} mask {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[THREE:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.addi %{{.*}}, %[[THREE]] : index
// CANON-LABEL: func.func @mask_region_constant
// CANON: %[[THREE:.*]] = arith.constant 3 : index
// CANON-NEXT: attn.attention {{.*}} mask {
// CANON-NEXT: ^bb0
// CANON-NEXT: arith.addi %{{.*}}, %[[THREE]] : index
func.func @mask_region_constant(%q: tensor<1x2x8x8xbf16>, %k: tensor<1x2x8x8xbf16>, %v: tensor<1x2x8x8xbf16>) -> tensor<1x2x8x8xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16>, tensor<1x2x8x8xbf16> -> tensor<1x2x8x8xbf16> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c3 = arith.constant 3 : index
    %shifted = arith.addi %j, %c3 : index
    %c = arith.cmpi ule, %shifted, %i : index
    attn.yield %c : i1
  }
  return %o : tensor<1x2x8x8xbf16>
}
