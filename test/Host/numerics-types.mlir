// Element types and shapes: f16/bf16/f32 inputs, head dims that are not a
// multiple of the vector width (E = 20, F = 12), E != F, GQA and MQA, LSE,
// a static batch, and no mask at all.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=64 block-kv=64" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function odd_dims --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function odd_dims --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function odd_dims --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function odd_dims --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function dense_f32 --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function dense_f32 --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function dense_f32 --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function dense_f32 --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function dense_bf16 --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function dense_bf16 --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function dense_bf16 --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function dense_bf16 --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function static_batch --batch 3 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function static_batch --batch 3 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function static_batch --batch 3 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function static_batch --batch 3 --seq-q 130 --seq-kv 67 --seed 1 --check
// The output ends in the verdict; a FAIL also exits non-zero.
// RUN: attn-run %t.0.atnb --target host --function odd_dims --batch 1 --seq-q 9 --check | FileCheck %s
// CHECK: kernel odd_dims: B=1
// CHECK: max_rel_err={{[0-9.e+-]+}}
// CHECK-NEXT: PASS

func.func @odd_dims(%q: tensor<?x6x?x20xf16>, %k: tensor<?x2x?x20xf16>, %v: tensor<?x2x?x12xf16>) -> (tensor<?x6x?x12xf16>, tensor<?x6x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 17, right = 5>, score_mod = #attn.softcap<3.0>} : tensor<?x6x?x20xf16>, tensor<?x2x?x20xf16>, tensor<?x2x?x12xf16> -> tensor<?x6x?x12xf16>, tensor<?x6x?xf32>
  return %o, %lse : tensor<?x6x?x12xf16>, tensor<?x6x?xf32>
}

func.func @dense_f32(%q: tensor<?x3x?x64xf32>, %k: tensor<?x3x?x64xf32>, %v: tensor<?x3x?x64xf32>) -> (tensor<?x3x?x64xf32>, tensor<?x3x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {scale = 0.2 : f32} : tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32> -> tensor<?x3x?x64xf32>, tensor<?x3x?xf32>
  return %o, %lse : tensor<?x3x?x64xf32>, tensor<?x3x?xf32>
}

func.func @dense_bf16(%q: tensor<?x2x?x128xbf16>, %k: tensor<?x1x?x128xbf16>, %v: tensor<?x1x?x72xbf16>) -> tensor<?x2x?x72xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x128xbf16>, tensor<?x1x?x128xbf16>, tensor<?x1x?x72xbf16> -> tensor<?x2x?x72xbf16>
  return %o : tensor<?x2x?x72xbf16>
}

func.func @static_batch(%q: tensor<3x4x?x16xf32>, %k: tensor<3x2x?x16xf32>, %v: tensor<3x2x?x16xf32>) -> tensor<3x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<3x4x?x16xf32>, tensor<3x2x?x16xf32>, tensor<3x2x?x16xf32> -> tensor<3x4x?x16xf32>
  return %o : tensor<3x4x?x16xf32>
}
