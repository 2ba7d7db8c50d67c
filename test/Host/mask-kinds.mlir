// Every mask kind and score mod (test/Reference/Inputs/mask_kinds.mlir: 4
// query heads on 2 KV heads, head dim 8), compiled for the host with tiles
// of 4 x 3 so that nearly every tile is partial or ragged, and checked
// against the float64 interpreter.
// RUN: attn-opt %S/../Reference/Inputs/mask_kinds.mlir --attn-compile="targets=host block-q=4 block-kv=3 output=%t.atnb" -o /dev/null
// RUN: for f in causal window sinks prefix_lm documents_ids documents_offsets s2 shifted_groups star_anchor block_list block_mask softcap_alibi bias regions; do attn-run %t.atnb --target host --function $f --batch 2 --seq-q 13 --seq-kv 13 --check --allow-arbitrary-region-data | tail -1; done | FileCheck %s
// RUN: attn-run %t.atnb --target host --function neighborhood --batch 2 --check | FileCheck %s --check-prefix=GRID
// CHECK-COUNT-14: PASS
// GRID: PASS
