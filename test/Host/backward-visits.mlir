// Backward kernels skip, in their transposed (dK/dV) phase, the query tiles
// whose forward visit ranges leave the key tile out: one mask of each visit
// form (bands with a step, unions, data-dependent ranges, per-head
// patterns, GQA), checked against the float64 backward at ragged sizes with
// tiles small enough that most tile pairs are skipped.
// RUN: attn-opt %s --attn-compile="targets=host grad=true block-q=16 block-kv=8 output=%t.atnb" -o /dev/null
// RUN: attn-run %t.atnb --target host --check --gradients --function s2 --batch 1 --seq-q 77 --seq-kv 131 --seed 1 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function sinks_window --batch 2 --seq-q 61 --seq-kv 61 --seed 2 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function prefix --batch 2 --seq-q 53 --seq-kv 70 --seed 3 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function offsets --batch 1 --seq-q 90 --seq-kv 90 --seed 4 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function star --batch 1 --seq-q 83 --seq-kv 83 --seed 5 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function shifted --batch 1 --seq-q 75 --seq-kv 75 --seed 6 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function causal --batch 2 --seq-q 70 --seq-kv 70 --seed 7 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function window --batch 2 --seq-q 93 --seq-kv 101 --seed 8 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function ids --batch 2 --seq-q 85 --seq-kv 85 --seed 9 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function neighborhood --batch 2 --seed 10 | FileCheck %s
// The dK/dV phase walks only the query tiles that can keep a key of its
// key tile, and tests each walked tile against the forward's range (a
// compare of the key tile with the range's bounds). Where the mask bounds
// those rows in closed form (causal: from the key tile's first key on;
// S2: `local` blocks past the key tile unless a key block is strided;
// sinks + window: the sink rows or the window's) the range is their tiles; where it bounds each row's keys by a band whose
// bounds never decrease (here a neighborhood's: the slabs of its grid's
// outermost dimension that the window spans), two bisections over the
// query tiles find it. Masks with neither (block lists) walk every query
// tile and test it.
// RUN: attn-opt %s --attn-compile="targets=host grad=true emit=host-loops" | FileCheck %s --check-prefix=LOOPS

// CHECK: dq: rel_err=
// CHECK: dk: rel_err=
// CHECK: dv: rel_err=
// CHECK: backward runs bit-identical: yes
// CHECK: PASS

// LOOPS-LABEL: func.func @__attn_host_causal_grad
// LOOPS-NOT: scf.while
// LOOPS: %[[FIRST_ROW:.*]] = arith.maxsi %[[FIRST_KEY:.*]], %c0{{.*}} : index
// LOOPS: %[[FIRST_TILE:.*]] = arith.divsi %[[FIRST_ROW]], %c64{{.*}} : index
// LOOPS: %[[BEGIN:.*]] = arith.minsi %[[FIRST_TILE]], %{{.*}} : index
// LOOPS: %[[END:.*]] = arith.select %{{.*}}, %[[BEGIN]], %{{.*}} : index
// LOOPS: arith.minsi %[[END]], %{{.*}} : index
// LOOPS: %[[KEY_TILE:.*]] = arith.divui %[[FIRST_KEY]], %c64{{.*}} : index
// LOOPS-NEXT: arith.constant false
// LOOPS-NEXT: arith.cmpi sge, %[[KEY_TILE]], %{{.*}} : index
// LOOPS-NEXT: arith.cmpi slt, %[[KEY_TILE]], %{{.*}} : index
// LOOPS-LABEL: func.func @__attn_host_s2_grad
// LOOPS-NOT: scf.while
// LOOPS: return
// LOOPS-LABEL: func.func @__attn_host_sinks_window_grad
// LOOPS-NOT: scf.while
// LOOPS: return
// LOOPS-LABEL: func.func @__attn_host_neighborhood_grad
// LOOPS: scf.while
// LOOPS: scf.while

func.func @causal(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @s2(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.s2<block = 8, local = 2, stride = 3>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}
func.func @sinks_window(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 3>, #attn.window<left = 12>]>]>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
func.func @prefix(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %prefix: tensor<?xi32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%prefix : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
func.func @offsets(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %starts: tensor<?xi64>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%starts : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = true>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
func.func @star(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 20>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
func.func @shifted(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 16>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
func.func @window(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 21, right = 6>} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}
func.func @ids(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %ids: tensor<?x?xi32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}
// A dilated 2-D neighborhood, causal along its inner dimension, on a grid
// of 6 x 10 tokens.
func.func @neighborhood(%q: tensor<?x2x60x16xf32>, %k: tensor<?x2x60x16xf32>, %v: tensor<?x2x60x16xf32>) -> (tensor<?x2x60x16xf32>, tensor<?x2x60xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [6, 10], kernel = [3, 3], dilation = [2, 1], causal = [false, true]>} : tensor<?x2x60x16xf32>, tensor<?x2x60x16xf32>, tensor<?x2x60x16xf32> -> tensor<?x2x60x16xf32>, tensor<?x2x60xf32>
  return %o, %lse : tensor<?x2x60x16xf32>, tensor<?x2x60xf32>
}
