// For each mask kind, interpreting the spec and the cascades that
// attn-decompose, attn-defer-division and attn-online-softmax make of it (tiles
// of 8 keys, which divide Skv = 40, and of 7, which do not) on the same inputs
// agrees to 1e-12 relative error in float64: masks that read data operands,
// the bias and custom regions.
// RUN: attn-opt --attn-decompose %s -o %t.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %s -o %t.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %s -o %t.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=7 %s -o %t.1t7.mlir
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS

// prefix-LM with per-batch prefix lengths
func.func @prefix_lm(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?xi32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// packed documents by id, causal
func.func @documents(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x?xi32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x?xi32>) {mask = #attn.documents<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// packed documents by id, bidirectional
func.func @documents_bidirectional(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x?xi32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, causal = false>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// packed documents by offsets
func.func @documents_offsets(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// routed key blocks (MoBA)
func.func @block_list(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x4x?x?xi32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x?xi32>) {mask = #attn.block_list<operand = 0, block_q = 8, block_kv = 8>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// predicted block mask (SpargeAttn)
func.func @block_mask(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<?x4x?x?xi8>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<?x4x?x?xi8>) {mask = #attn.block_mask<operand = 0, block_q = 8, block_kv = 4>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// additive bias broadcast over batch and heads, with a causal mask
func.func @bias(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<1x1x?x?xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<1x1x?x?xf32>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// custom regions reading a data operand (static, as attn-run must size it)
func.func @region_data(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %d0: tensor<2xi32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%d0 : tensor<2xi32>) : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %length = tensor.extract %d0[%b] : tensor<2xi32>
    %limit = arith.index_cast %length : i32 to index
    %before = arith.cmpi ult, %j, %limit : index
    %past = arith.cmpi ule, %j, %i : index
    %keep = arith.ori %before, %past : i1
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.500000e-01 : f32
    %hf = arith.index_cast %h : index to i32
    %hs = arith.sitofp %hf : i32 to f32
    %t = arith.mulf %hs, %c : f32
    %shifted = arith.subf %s, %t : f32
    %capped = math.tanh %shifted : f32
    attn.yield %capped : f32
  }
  return %o : tensor<?x4x?x8xf32>
}
