// Interpreting each mask kind's spec before and after each rewrite (the
// 3-pass cascade, deferred division, the 1-pass online softmax with a tile
// that does not divide Skv) agrees to 1e-12 relative error.
// RUN: attn-opt --attn-decompose %S/Inputs/mask_kinds.mlir > %t.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %S/Inputs/mask_kinds.mlir > %t.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %S/Inputs/mask_kinds.mlir > %t.1pass.mlir

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function causal --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function causal --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function causal --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function window --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function window --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function window --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function sinks --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function sinks --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function sinks --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function prefix_lm --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function prefix_lm --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function prefix_lm --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_ids --batch 2 --seq-q 12 --seq-kv 12 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_ids --batch 2 --seq-q 12 --seq-kv 12 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_ids --batch 2 --seq-q 12 --seq-kv 12 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_offsets --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_offsets --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function documents_offsets --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function s2 --batch 2 --seq-q 15 --seq-kv 15 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function s2 --batch 2 --seq-q 15 --seq-kv 15 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function s2 --batch 2 --seq-q 15 --seq-kv 15 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function shifted_groups --batch 2 --seq-q 14 --seq-kv 14 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function shifted_groups --batch 2 --seq-q 14 --seq-kv 14 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function shifted_groups --batch 2 --seq-q 14 --seq-kv 14 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function star_anchor --batch 2 --seq-q 12 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function star_anchor --batch 2 --seq-q 12 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function star_anchor --batch 2 --seq-q 12 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_list --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_list --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_list --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_mask --batch 2 --seq-q 11 --seq-kv 17 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_mask --batch 2 --seq-q 11 --seq-kv 17 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function block_mask --batch 2 --seq-q 11 --seq-kv 17 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function softcap_alibi --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function softcap_alibi --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function softcap_alibi --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function bias --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function bias --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function bias --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function regions --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function regions --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function regions --batch 2 --seq-q 11 --seq-kv 13 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function neighborhood --batch 2 --seed 5 --equivalent %t.3pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function neighborhood --batch 2 --seed 5 --equivalent %t.2pass.mlir | FileCheck %s
// RUN: attn-run %S/Inputs/mask_kinds.mlir --target ref --function neighborhood --batch 2 --seed 5 --equivalent %t.1pass.mlir | FileCheck %s

// CHECK-NOT: problem
// CHECK: max_rel_err=
// CHECK-NEXT: PASS
