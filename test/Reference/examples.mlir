// attn-run evaluates the example specs at small sizes: every data operand
// gets valid generated contents, no row is empty and no value is NaN.

// RUN: attn-run %examples/causal.mlir --target ref --batch 2 --seq-q 24 --seq-kv 31 --seed 1 | FileCheck %s --check-prefix=CAUSAL
// CAUSAL: function @causal: B=2 Hq=16 Hkv=16 Sq=24 Skv=31 E=128 F=128
// CAUSAL: fully_masked_rows=0 of 768
// CAUSAL: nan_count=0

// RUN: attn-run %examples/lse.mlir --target ref --batch 1 --seq-q 17 | FileCheck %s --check-prefix=LSE
// LSE: function @lse: B=1 Hq=16 Hkv=4 Sq=17 Skv=17 E=128 F=128
// LSE: outputs: o[1, 16, 17, 128] lse[1, 16, 17]
// LSE: nan_count=0

// RUN: attn-run %examples/documents.mlir --target ref --batch 2 --seq-q 40 --seed 2 | FileCheck %s --check-prefix=DOCUMENTS
// DOCUMENTS: function @documents: B=2 Hq=32 Hkv=8 Sq=40 Skv=40
// DOCUMENTS: inputs: {{.*}} data0[2, 40]
// DOCUMENTS: fully_masked_rows=0 of 2560
// DOCUMENTS: nan_count=0

// RUN: attn-run %examples/documents_offsets.mlir --target ref --batch 1 --seq-q 33 --seed 4 | FileCheck %s --check-prefix=OFFSETS
// OFFSETS: inputs: {{.*}} data0[{{[2-9]}}]
// OFFSETS: fully_masked_rows=0 of 396
// OFFSETS: nan_count=0

// RUN: attn-run %examples/prefix_lm.mlir --target ref --batch 3 --seq-q 21 | FileCheck %s --check-prefix=PREFIX
// PREFIX: inputs: {{.*}} data0[3]
// PREFIX: fully_masked_rows=0 of 504

// Block lists and block masks always keep the query block's own key block.
// RUN: attn-run %examples/moba_block_list.mlir --target ref --batch 1 --seq-q 40 | FileCheck %s --check-prefix=MOBA
// MOBA: inputs: {{.*}} data0[1, 32, 1, 3]
// MOBA: fully_masked_rows=0 of 1280
// RUN: attn-run %examples/sparge_block_mask.mlir --target ref --batch 2 --seq-q 200 --seq-kv 150 | FileCheck %s --check-prefix=SPARGE
// SPARGE: inputs: {{.*}} data0[2, 24, 2, 3]
// SPARGE: nan_count=0

// RUN: attn-run %examples/bias.mlir --target ref --batch 2 --seq-q 9 --seq-kv 14 | FileCheck %s --check-prefix=BIAS
// BIAS: inputs: {{.*}} data0[1, 12, 9, 14]
// BIAS: fully_masked_rows=0 of 216

// RUN: attn-run %examples/s2_attention.mlir --target ref --batch 1 --seq-q 70 | FileCheck %s --check-prefix=S2
// S2: function @s2_attention: B=1 Hq=32 Hkv=8 Sq=70 Skv=70
// S2: fully_masked_rows=0 of 2240
// RUN: attn-run %examples/gemma2_local.mlir --target ref --batch 1 --seq-q 12 | FileCheck %s --check-prefix=GEMMA
// GEMMA: fully_masked_rows=0 of 192
// RUN: attn-run %examples/custom_region.mlir --target ref --batch 1 --seq-q 15 | FileCheck %s --check-prefix=REGION
// REGION: fully_masked_rows=0 of 240
// RUN: attn-run %examples/mqa.mlir --target ref --batch 1 --seq-q 6 | FileCheck %s --check-prefix=MQA
// MQA: function @mqa: B=1 Hq=71 Hkv=1

// A static grid fixes Sq and Skv; an example too large for float64 is refused.
// RUN: attn-run %S/Inputs/grid_neighborhood_3x3.mlir --target ref --batch 2 | FileCheck %s --check-prefix=GRID
// GRID: function @grid_neighborhood_3x3: B=2 Hq=4 Hkv=2 Sq=20 Skv=20
// GRID: fully_masked_rows=0 of 160
// RUN: not attn-run %examples/natten_2d.mlir --target ref --batch 1 2>&1 | FileCheck %s --check-prefix=NATTEN
// NATTEN: error: B * Hq * Sq * Skv = 1 * 8 * 16384 * 16384 exceeds the reference interpreter's limit of 268435456 scores
