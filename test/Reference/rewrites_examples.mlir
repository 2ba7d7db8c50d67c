// Every example spec interprets the same before and after each rewrite, to
// 1e-12 relative error, at B = 1 and Sq = Skv = 9 (tile 4 for the 1-pass form,
// so the last key tile is partial). natten_1d_dilated, natten_2d, natten_3d
// and swin_blocked fix Sq = Skv in the thousands, beyond what the float64
// cascade interpreter runs in a test; their mask kind is checked at small
// sizes in rewrites_mask_kinds.mlir.

// RUN: attn-opt --attn-decompose %examples/alibi.mlir > %t.alibi.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/alibi.mlir > %t.alibi.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/alibi.mlir > %t.alibi.1pass.mlir
// RUN: attn-run %examples/alibi.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.alibi.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/alibi.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.alibi.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/alibi.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.alibi.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/bias.mlir > %t.bias.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/bias.mlir > %t.bias.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/bias.mlir > %t.bias.1pass.mlir
// RUN: attn-run %examples/bias.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.bias.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/bias.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.bias.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/bias.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.bias.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/causal.mlir > %t.causal.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/causal.mlir > %t.causal.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/causal.mlir > %t.causal.1pass.mlir
// RUN: attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.causal.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.causal.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.causal.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/custom_region.mlir > %t.custom_region.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/custom_region.mlir > %t.custom_region.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/custom_region.mlir > %t.custom_region.1pass.mlir
// RUN: attn-run %examples/custom_region.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.custom_region.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/custom_region.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.custom_region.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/custom_region.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.custom_region.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/documents.mlir > %t.documents.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/documents.mlir > %t.documents.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/documents.mlir > %t.documents.1pass.mlir
// RUN: attn-run %examples/documents.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/documents.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/documents.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/documents_offsets.mlir > %t.documents_offsets.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/documents_offsets.mlir > %t.documents_offsets.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/documents_offsets.mlir > %t.documents_offsets.1pass.mlir
// RUN: attn-run %examples/documents_offsets.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents_offsets.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/documents_offsets.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents_offsets.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/documents_offsets.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.documents_offsets.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/gemma2_27b_global.mlir > %t.gemma2_27b_global.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gemma2_27b_global.mlir > %t.gemma2_27b_global.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/gemma2_27b_global.mlir > %t.gemma2_27b_global.1pass.mlir
// RUN: attn-run %examples/gemma2_27b_global.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_27b_global.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/gemma2_27b_global.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_27b_global.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/gemma2_27b_global.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_27b_global.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/gemma2_local.mlir > %t.gemma2_local.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gemma2_local.mlir > %t.gemma2_local.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/gemma2_local.mlir > %t.gemma2_local.1pass.mlir
// RUN: attn-run %examples/gemma2_local.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_local.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/gemma2_local.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_local.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/gemma2_local.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gemma2_local.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/gqa.mlir > %t.gqa.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gqa.mlir > %t.gqa.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/gqa.mlir > %t.gqa.1pass.mlir
// RUN: attn-run %examples/gqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gqa.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/gqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gqa.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/gqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.gqa.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/hymba.mlir > %t.hymba.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/hymba.mlir > %t.hymba.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/hymba.mlir > %t.hymba.1pass.mlir
// RUN: attn-run %examples/hymba.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.hymba.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/hymba.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.hymba.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/hymba.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.hymba.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/longlora_shifted.mlir > %t.longlora_shifted.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/longlora_shifted.mlir > %t.longlora_shifted.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/longlora_shifted.mlir > %t.longlora_shifted.1pass.mlir
// RUN: attn-run %examples/longlora_shifted.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.longlora_shifted.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/longlora_shifted.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.longlora_shifted.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/longlora_shifted.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.longlora_shifted.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/lse.mlir > %t.lse.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/lse.mlir > %t.lse.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/lse.mlir > %t.lse.1pass.mlir
// RUN: attn-run %examples/lse.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.lse.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/lse.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.lse.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/lse.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.lse.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/mha.mlir > %t.mha.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/mha.mlir > %t.mha.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/mha.mlir > %t.mha.1pass.mlir
// RUN: attn-run %examples/mha.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mha.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/mha.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mha.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/mha.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mha.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/moba_block_list.mlir > %t.moba_block_list.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/moba_block_list.mlir > %t.moba_block_list.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/moba_block_list.mlir > %t.moba_block_list.1pass.mlir
// RUN: attn-run %examples/moba_block_list.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.moba_block_list.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/moba_block_list.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.moba_block_list.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/moba_block_list.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.moba_block_list.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/mqa.mlir > %t.mqa.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/mqa.mlir > %t.mqa.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/mqa.mlir > %t.mqa.1pass.mlir
// RUN: attn-run %examples/mqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mqa.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/mqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mqa.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/mqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.mqa.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/prefix_lm.mlir > %t.prefix_lm.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/prefix_lm.mlir > %t.prefix_lm.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/prefix_lm.mlir > %t.prefix_lm.1pass.mlir
// RUN: attn-run %examples/prefix_lm.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.prefix_lm.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/prefix_lm.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.prefix_lm.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/prefix_lm.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.prefix_lm.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/s2_attention.mlir > %t.s2_attention.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/s2_attention.mlir > %t.s2_attention.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/s2_attention.mlir > %t.s2_attention.1pass.mlir
// RUN: attn-run %examples/s2_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/s2_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/s2_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/s2_attention_local4.mlir > %t.s2_attention_local4.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/s2_attention_local4.mlir > %t.s2_attention_local4.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/s2_attention_local4.mlir > %t.s2_attention_local4.1pass.mlir
// RUN: attn-run %examples/s2_attention_local4.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention_local4.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/s2_attention_local4.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention_local4.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/s2_attention_local4.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.s2_attention_local4.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/sinks_window.mlir > %t.sinks_window.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sinks_window.mlir > %t.sinks_window.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/sinks_window.mlir > %t.sinks_window.1pass.mlir
// RUN: attn-run %examples/sinks_window.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sinks_window.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/sinks_window.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sinks_window.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/sinks_window.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sinks_window.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/sliding_window_1024.mlir > %t.sliding_window_1024.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sliding_window_1024.mlir > %t.sliding_window_1024.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/sliding_window_1024.mlir > %t.sliding_window_1024.1pass.mlir
// RUN: attn-run %examples/sliding_window_1024.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sliding_window_1024.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/sliding_window_1024.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sliding_window_1024.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/sliding_window_1024.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sliding_window_1024.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/sparge_block_mask.mlir > %t.sparge_block_mask.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sparge_block_mask.mlir > %t.sparge_block_mask.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/sparge_block_mask.mlir > %t.sparge_block_mask.1pass.mlir
// RUN: attn-run %examples/sparge_block_mask.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sparge_block_mask.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/sparge_block_mask.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sparge_block_mask.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/sparge_block_mask.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sparge_block_mask.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/sqa.mlir > %t.sqa.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sqa.mlir > %t.sqa.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/sqa.mlir > %t.sqa.1pass.mlir
// RUN: attn-run %examples/sqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sqa.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/sqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sqa.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/sqa.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.sqa.1pass.mlir | FileCheck %s

// RUN: attn-opt --attn-decompose %examples/star_attention.mlir > %t.star_attention.3pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/star_attention.mlir > %t.star_attention.2pass.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 %examples/star_attention.mlir > %t.star_attention.1pass.mlir
// RUN: attn-run %examples/star_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.star_attention.3pass.mlir | FileCheck %s
// RUN: attn-run %examples/star_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.star_attention.2pass.mlir | FileCheck %s
// RUN: attn-run %examples/star_attention.mlir --target ref --batch 1 --seq-q 9 --equivalent %t.star_attention.1pass.mlir | FileCheck %s

// CHECK-NOT: problem
// CHECK: max_rel_err=
// CHECK-NEXT: PASS
