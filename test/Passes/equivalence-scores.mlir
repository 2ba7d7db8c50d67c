// For each mask kind, interpreting the spec and the cascades that
// attn-decompose, attn-defer-division and attn-online-softmax make of it (tiles
// of 8 keys, which divide Skv = 40, and of 7, which do not) on the same inputs
// agrees to 1e-12 relative error in float64: score mods, unions of masks,
// bf16 inputs and the LSE.
// RUN: attn-opt --attn-decompose %s -o %t.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %s -o %t.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %s -o %t.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=7 %s -o %t.1t7.mlir
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.3.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.2.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t8.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %s --equivalent %t.1t7.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS

// soft-capping then ALiBi, causal, explicit scale, with the LSE
func.func @softcap_alibi(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = [#attn.softcap<5.0>, #attn.alibi<max_bias = 4.0>], scale = 0.5 : f32} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

// a union of masks
func.func @or_masks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.star_anchor<block = 4>, #attn.window<left = 3>]>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// no mask, bf16 inputs, multi-query (one KV head)
func.func @mqa_bf16(%q: tensor<?x4x?x8xbf16>, %k: tensor<?x1x?x8xbf16>, %v: tensor<?x1x?x8xbf16>) -> (tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v : tensor<?x4x?x8xbf16>, tensor<?x1x?x8xbf16>, tensor<?x1x?x8xbf16> -> tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
}
