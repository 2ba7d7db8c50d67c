// Every example spec that equivalence-examples-*.mlir interprets, tiled by
// attn-tile (6 queries per tile: a ragged last query tile at Sq = 16) and
// sparsified by attn-sparsify after the 1-pass cascade with 8-key tiles,
// computes what the spec does, to 1e-12 relative error in float64.
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/alibi.mlir -o %t.alibi.mlir
// RUN: attn-run --target ref %examples/alibi.mlir --equivalent %t.alibi.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 100 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/bias.mlir -o %t.bias.mlir
// RUN: attn-run --target ref %examples/bias.mlir --equivalent %t.bias.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 101 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/causal.mlir -o %t.causal.mlir
// RUN: attn-run --target ref %examples/causal.mlir --equivalent %t.causal.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 102 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/custom_region.mlir -o %t.custom_region.mlir
// RUN: attn-run --target ref %examples/custom_region.mlir --equivalent %t.custom_region.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 103 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/documents.mlir -o %t.documents.mlir
// RUN: attn-run --target ref %examples/documents.mlir --equivalent %t.documents.mlir --batch 2 --seq-q 24 --seq-kv 24 --seed 104 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/documents_offsets.mlir -o %t.documents_offsets.mlir
// RUN: attn-run --target ref %examples/documents_offsets.mlir --equivalent %t.documents_offsets.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 105 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/gemma2_27b_global.mlir -o %t.gemma2_27b_global.mlir
// RUN: attn-run --target ref %examples/gemma2_27b_global.mlir --equivalent %t.gemma2_27b_global.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 106 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/gemma2_local.mlir -o %t.gemma2_local.mlir
// RUN: attn-run --target ref %examples/gemma2_local.mlir --equivalent %t.gemma2_local.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 107 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/gqa.mlir -o %t.gqa.mlir
// RUN: attn-run --target ref %examples/gqa.mlir --equivalent %t.gqa.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 108 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/hymba.mlir -o %t.hymba.mlir
// RUN: attn-run --target ref %examples/hymba.mlir --equivalent %t.hymba.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 109 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/longlora_shifted.mlir -o %t.longlora_shifted.mlir
// RUN: attn-run --target ref %examples/longlora_shifted.mlir --equivalent %t.longlora_shifted.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 110 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/lse.mlir -o %t.lse.mlir
// RUN: attn-run --target ref %examples/lse.mlir --equivalent %t.lse.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 111 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/mha.mlir -o %t.mha.mlir
// RUN: attn-run --target ref %examples/mha.mlir --equivalent %t.mha.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 112 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/moba_block_list.mlir -o %t.moba_block_list.mlir
// RUN: attn-run --target ref %examples/moba_block_list.mlir --equivalent %t.moba_block_list.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 113 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/mqa.mlir -o %t.mqa.mlir
// RUN: attn-run --target ref %examples/mqa.mlir --equivalent %t.mqa.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 114 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/prefix_lm.mlir -o %t.prefix_lm.mlir
// RUN: attn-run --target ref %examples/prefix_lm.mlir --equivalent %t.prefix_lm.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 115 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/s2_attention.mlir -o %t.s2_attention.mlir
// RUN: attn-run --target ref %examples/s2_attention.mlir --equivalent %t.s2_attention.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 116 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/s2_attention_local4.mlir -o %t.s2_attention_local4.mlir
// RUN: attn-run --target ref %examples/s2_attention_local4.mlir --equivalent %t.s2_attention_local4.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 117 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/sinks_window.mlir -o %t.sinks_window.mlir
// RUN: attn-run --target ref %examples/sinks_window.mlir --equivalent %t.sinks_window.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 118 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/sliding_window_1024.mlir -o %t.sliding_window_1024.mlir
// RUN: attn-run --target ref %examples/sliding_window_1024.mlir --equivalent %t.sliding_window_1024.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 119 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/sparge_block_mask.mlir -o %t.sparge_block_mask.mlir
// RUN: attn-run --target ref %examples/sparge_block_mask.mlir --equivalent %t.sparge_block_mask.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 120 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/sqa.mlir -o %t.sqa.mlir
// RUN: attn-run --target ref %examples/sqa.mlir --equivalent %t.sqa.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 121 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=6 --attn-sparsify %examples/star_attention.mlir -o %t.star_attention.mlir
// RUN: attn-run --target ref %examples/star_attention.mlir --equivalent %t.star_attention.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 122 --tolerance 1e-12 | FileCheck %s
// CHECK: PASS
