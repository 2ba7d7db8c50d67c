// With ptxas, backward kernels (grad=true) of examples of several mask
// families assemble for sm_80 and sm_90 and ptxas reports their resources.
// REQUIRES: ptxas
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=sm_80,sm_90 grad=true report-resources" -o /dev/null | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-opt %examples/gqa.mlir --attn-compile="targets=sm_80,sm_90 grad=true report-resources" -o /dev/null | FileCheck %s --check-prefix=GQA
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_90 grad=true report-resources" -o /dev/null | FileCheck %s --check-prefix=S2
// RUN: attn-opt %examples/cascades/sigmoid.mlir --attn-compile="targets=sm_90 grad=true report-resources" -o /dev/null | FileCheck %s --check-prefix=SIGMOID
// CAUSAL: kernel causal sm_80: registers=
// CAUSAL-NEXT: kernel causal sm_90: registers=
// CAUSAL-NEXT: kernel causal_grad sm_80: registers={{[0-9]+}} shared=98817 spill_stores={{[0-9]+}} spill_loads={{[0-9]+}}
// CAUSAL-NEXT: kernel causal_grad sm_90: registers={{[0-9]+}} shared=98817
// GQA: kernel gqa_grad sm_80: registers=
// GQA-NEXT: kernel gqa_grad sm_90: registers=
// S2: kernel s2_attention_grad sm_90: registers=
// SIGMOID: kernel sigmoid_grad sm_90: registers=
