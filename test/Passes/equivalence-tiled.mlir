// For every mask kind (the specs of equivalence-static-masks.mlir,
// equivalence-data-masks.mlir and equivalence-scores.mlir), the 1-pass
// cascade tiled by attn-tile and sparsified by attn-sparsify computes what the
// spec does, to 1e-12 relative error in float64 on the same random inputs.
// The evaluator really skips the key tiles outside each query tile's visit
// set and the mask tests on full tiles, so a wrong tile class would show
// here. Two tilings: 8 x 8 (dividing the lengths 24 and 40) and 5 x 7
// (ragged last tiles in both ranks). Masks that read data get their visit
// lists from the generated operands at run time.
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=8 --attn-sparsify %S/equivalence-static-masks.mlir -o %t.static.t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile="block-q=5 block-kv=7" --attn-sparsify %S/equivalence-static-masks.mlir -o %t.static.t57.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=8 --attn-sparsify %S/equivalence-data-masks.mlir -o %t.data.t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile="block-q=5 block-kv=7" --attn-sparsify %S/equivalence-data-masks.mlir -o %t.data.t57.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=8 --attn-sparsify %S/equivalence-scores.mlir -o %t.scores.t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile="block-q=5 block-kv=7" --attn-sparsify %S/equivalence-scores.mlir -o %t.scores.t57.mlir
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function window --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function window_two_sided --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function sinks_window --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function s2 --batch 2 --seq-q 40 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function s2_dense --batch 2 --seq-q 40 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function shifted_groups --batch 2 --seq-q 40 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function star_anchor --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function natten_1d --batch 2 --seq-q 40 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function natten_2d --batch 2 --seq-q 40 --seq-kv 40 --seed 19 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function natten_3d --batch 2 --seq-q 40 --seq-kv 40 --seed 20 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t8.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-static-masks.mlir --equivalent %t.static.t57.mlir --function fully_masked --batch 2 --seq-q 40 --seq-kv 24 --seed 21 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function prefix_lm --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function documents --batch 2 --seq-q 40 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function documents_bidirectional --batch 2 --seq-q 40 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function documents_offsets --batch 2 --seq-q 24 --seq-kv 40 --seed 14 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function block_list --batch 2 --seq-q 24 --seq-kv 40 --seed 15 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function block_mask --batch 2 --seq-q 24 --seq-kv 40 --seed 16 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function bias --batch 2 --seq-q 24 --seq-kv 40 --seed 17 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t8.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-data-masks.mlir --equivalent %t.data.t57.mlir --function region_data --batch 2 --seq-q 24 --seq-kv 40 --seed 18 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t8.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t57.mlir --function softcap_alibi --batch 2 --seq-q 24 --seq-kv 40 --seed 11 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t8.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t57.mlir --function or_masks --batch 2 --seq-q 24 --seq-kv 40 --seed 12 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t8.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %S/equivalence-scores.mlir --equivalent %t.scores.t57.mlir --function mqa_bf16 --batch 2 --seq-q 24 --seq-kv 40 --seed 13 --tolerance 1e-12 | FileCheck %s

// The cascades carry visit clauses (one per masked spec).
// RUN: grep -c visit %t.static.t57.mlir | FileCheck %s --check-prefix=VISITS
// VISITS: 11

// CHECK: PASS
