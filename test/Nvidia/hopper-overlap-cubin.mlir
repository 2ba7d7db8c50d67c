// sm90a-overlap=softmax under ptxas -arch=sm_90a: the second score tile in
// flight fits without spills on the overlap's tiles (128 x 64 up to head
// dimension 128, 64 x 32 at 256) for every mask family: none, causal (the
// dense and causal benchmark kernels), a window with soft-capping at head
// dimension 256, document ids, a block list, several visit ranges; and
// ptxas keeps the wgmma pipeline (no "wgmma.mma_async instructions are
// serialized" notice) on dense and causal.
// REQUIRES: ptxas
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/documents.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax report-resources" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/mha.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax emit=ptx output=%t.mha.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_90a -O3 -v %t.mha.ptx -o %t.mha.cubin 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_90a sm90a-sync=mbarrier sm90a-overlap=softmax emit=ptx output=%t.causal.ptx" -o /dev/null
// RUN: %ptxas -arch=sm_90a -O3 -v %t.causal.ptx -o %t.causal.cubin 2>&1 | FileCheck %s --check-prefix=PIPELINE

// CHECK: kernel {{[a-z_0-9]+}} sm_90a: registers={{[1-9][0-9]*}} shared={{[1-9][0-9]*}} spill_stores=0 spill_loads=0

// PIPELINE-NOT: serialized
// PIPELINE: Used {{[0-9]+}} registers
// PIPELINE-NOT: serialized
