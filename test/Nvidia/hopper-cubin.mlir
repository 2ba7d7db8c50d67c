// ptxas -arch=sm_90a assembles the wgmma kernel of examples covering every
// mask family the schedule emitter knows (none, causal, a window, document
// ids, a block list), a score mod with soft-capping at head dimension 256,
// f16 at head dimension 64, and a cascade written by hand, without spills.
// (scripts/verify-hopper.sh compiles every f16/bf16 example.)
// REQUIRES: ptxas
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sliding_window_1024.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/documents.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/mqa.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/cascades/sigmoid.mlir --attn-compile="targets=sm_90a report-resources" -o /dev/null | FileCheck %s
// The mbarrier-synchronized stages (sm90a-sync=mbarrier): 3 stages at 128 x
// 128, several visit ranges, a data mask.
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/documents.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier report-resources" -o /dev/null | FileCheck %s

// CHECK: kernel {{[a-z_0-9]+}} sm_90a: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores=0 spill_loads=0
