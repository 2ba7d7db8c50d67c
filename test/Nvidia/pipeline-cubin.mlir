// With ptxas, every example assembles for sm_80 and sm_90 and
// ptxas reports its resources.
// REQUIRES: ptxas
// RUN: attn-opt %examples/alibi.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/custom_region.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/documents.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/documents_offsets.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/gemma2_27b_global.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/gqa.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/hymba.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/longlora_shifted.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/lse.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/mqa.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_2d.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_3d.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/prefix_lm.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/s2_attention_local4.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sliding_window_1024.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sparge_block_mask.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sqa.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/star_attention.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/bias.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_1d_dilated.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/swin_blocked.mlir --attn-compile="targets=sm_80,sm_90 report-resources" -o /dev/null | FileCheck %s

// CHECK: kernel {{[a-z0-9_]+}} sm_80: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}
// CHECK-NEXT: kernel {{[a-z0-9_]+}} sm_90: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}
