// Masks with closed-form bands, combinators and score mods, compiled for the
// host at two tilings and checked against the float64 reference at ragged
// sizes (Sq != Skv, neither a multiple of a tile). Tiles are skipped, full
// or partial as the closed forms say, so any wrong answer shows up here.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=24" -o /dev/null
// RUN: attn-run %t.0.atnb --target host --function window --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function window --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function window --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function window --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function sinks_window --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function sinks_window --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function sinks_window --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function sinks_window --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function anchors --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function anchors --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function anchors --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function anchors --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function shifted --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function shifted --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function shifted --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function shifted --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function star --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function star --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function star --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function star --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function empty_rows --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function empty_rows --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function empty_rows --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function empty_rows --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// RUN: attn-run %t.0.atnb --target host --function score_mods --batch 1 --seq-q 77 --seq-kv 131 --seed 0 --check
// RUN: attn-run %t.0.atnb --target host --function score_mods --batch 2 --seq-q 130 --seq-kv 67 --seed 0 --check
// RUN: attn-run %t.1.atnb --target host --function score_mods --batch 1 --seq-q 77 --seq-kv 131 --seed 1 --check
// RUN: attn-run %t.1.atnb --target host --function score_mods --batch 2 --seq-q 130 --seq-kv 67 --seed 1 --check
// The output ends in the verdict; a FAIL also exits non-zero.
// RUN: attn-run %t.0.atnb --target host --function window --batch 1 --seq-q 9 --check | FileCheck %s
// CHECK: kernel window: B=1
// CHECK: max_rel_err={{[0-9.e+-]+}}
// CHECK-NEXT: PASS

func.func @window(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 20, right = 3>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @sinks_window(%q: tensor<?x4x?x16xf16>, %k: tensor<?x2x?x16xf16>, %v: tensor<?x2x?x16xf16>) -> tensor<?x4x?x16xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 5>, #attn.window<left = 9>]>]>} : tensor<?x4x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16> -> tensor<?x4x?x16xf16>
  return %o : tensor<?x4x?x16xf16>
}

func.func @anchors(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.or<[#attn.window<left = 4>, #attn.star_anchor<block = 30>, #attn.sinks<count = 3>]>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @shifted(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 24>} : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @star(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x1x?x16xbf16>, %v: tensor<?x1x?x16xbf16>) -> tensor<?x2x?x16xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 20>} : tensor<?x2x?x16xbf16>, tensor<?x1x?x16xbf16>, tensor<?x1x?x16xbf16> -> tensor<?x2x?x16xbf16>
  return %o : tensor<?x2x?x16xbf16>
}

func.func @empty_rows(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 2>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x8xf32>, tensor<?x2x?xf32>
}

func.func @score_mods(%q: tensor<?x4x?x16xf32>, %k: tensor<?x1x?x16xf32>, %v: tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = [#attn.softcap<2.0>, #attn.alibi<max_bias = 4.0>], scale = 0.5 : f32} : tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
