// For each mask kind, interpreting the spec and the cascades that
// attn-decompose, attn-defer-division and attn-online-softmax make of it (tiles
// of 8 keys, which divide Skv = 40, and of 7, which do not) on the same inputs
// agrees to 1e-12 relative error in float64. Small blocks, windows and grids
// make every case of each rule occur at these sizes.
// RUN: attn-opt --attn-decompose %s -o %t.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %s -o %t.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %s -o %t.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=7 %s -o %t.1t7.mlir
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS

// sliding window
func.func @window(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 5>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// two-sided window
func.func @window_two_sided(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 3, right = 2>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// attention sinks with a window (StreamingLLM)
func.func @sinks_window(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 2>, #attn.window<left = 4>]>]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// S2-Attention with per-head shards
func.func @s2(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 4, local = 2, stride = 3>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// S2-Attention with a dense KV head, an offset and homogeneous heads
func.func @s2_dense(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.s2<block = 3, local = 1, stride = 4, offset = 1, dense_heads = 1>, #attn.s2<block = 5, local = 1, stride = 2, homo_head = true>]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// LongLoRA shifted groups
func.func @shifted_groups(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 6>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// Star Attention's anchor block
func.func @star_anchor(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 5>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// 1-D dilated neighborhood
func.func @natten_1d(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [40], kernel = [5], dilation = [2]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// 2-D neighborhood, strided and causal in one dimension
func.func @natten_2d(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [5, 8], kernel = [3, 4], stride = [1, 2], causal = [false, true]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// 3-D neighborhood with dilation
func.func @natten_3d(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [2, 4, 5], kernel = [2, 3, 2], dilation = [1, 1, 2]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// rows past Skv + 3 keep no key: O = 0 and LSE = -inf in every form
func.func @fully_masked(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 3>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}
