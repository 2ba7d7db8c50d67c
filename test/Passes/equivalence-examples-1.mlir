// Every example spec whose sizes a float64 interpreter can afford: the spec
// and the cascades that attn-decompose, attn-defer-division and
// attn-online-softmax make of it (tiles of 8 keys, dividing Skv = 24, and of
// 5, not dividing it) agree to 1e-12 relative error on the same inputs. The
// neighborhood and Swin examples fix sequences of thousands of tokens; their
// mask kinds are covered on small grids in equivalence-static-masks.mlir.
// RUN: attn-opt --attn-decompose %examples/alibi.mlir -o %t.alibi.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/alibi.mlir -o %t.alibi.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/alibi.mlir -o %t.alibi.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/alibi.mlir -o %t.alibi.1t5.mlir
// RUN: attn-run --target ref %examples/alibi.mlir --equivalent %t.alibi.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 100 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/alibi.mlir --equivalent %t.alibi.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 100 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/alibi.mlir --equivalent %t.alibi.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 100 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/alibi.mlir --equivalent %t.alibi.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 100 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/bias.mlir -o %t.bias.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/bias.mlir -o %t.bias.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/bias.mlir -o %t.bias.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/bias.mlir -o %t.bias.1t5.mlir
// RUN: attn-run --target ref %examples/bias.mlir --equivalent %t.bias.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 101 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/bias.mlir --equivalent %t.bias.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 101 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/bias.mlir --equivalent %t.bias.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 101 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/bias.mlir --equivalent %t.bias.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 101 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/causal.mlir -o %t.causal.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/causal.mlir -o %t.causal.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/causal.mlir -o %t.causal.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/causal.mlir -o %t.causal.1t5.mlir
// RUN: attn-run --target ref %examples/causal.mlir --equivalent %t.causal.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 102 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/causal.mlir --equivalent %t.causal.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 102 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/causal.mlir --equivalent %t.causal.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 102 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/causal.mlir --equivalent %t.causal.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 102 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/custom_region.mlir -o %t.custom_region.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/custom_region.mlir -o %t.custom_region.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/custom_region.mlir -o %t.custom_region.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/custom_region.mlir -o %t.custom_region.1t5.mlir
// RUN: attn-run --target ref %examples/custom_region.mlir --equivalent %t.custom_region.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 103 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/custom_region.mlir --equivalent %t.custom_region.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 103 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/custom_region.mlir --equivalent %t.custom_region.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 103 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/custom_region.mlir --equivalent %t.custom_region.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 103 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/documents.mlir -o %t.documents.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/documents.mlir -o %t.documents.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/documents.mlir -o %t.documents.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/documents.mlir -o %t.documents.1t5.mlir
// RUN: attn-run --target ref %examples/documents.mlir --equivalent %t.documents.3.mlir --batch 2 --seq-q 24 --seq-kv 24 --seed 104 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents.mlir --equivalent %t.documents.2.mlir --batch 2 --seq-q 24 --seq-kv 24 --seed 104 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents.mlir --equivalent %t.documents.1t8.mlir --batch 2 --seq-q 24 --seq-kv 24 --seed 104 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents.mlir --equivalent %t.documents.1t5.mlir --batch 2 --seq-q 24 --seq-kv 24 --seed 104 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/documents_offsets.mlir -o %t.documents_offsets.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/documents_offsets.mlir -o %t.documents_offsets.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/documents_offsets.mlir -o %t.documents_offsets.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/documents_offsets.mlir -o %t.documents_offsets.1t5.mlir
// RUN: attn-run --target ref %examples/documents_offsets.mlir --equivalent %t.documents_offsets.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 105 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents_offsets.mlir --equivalent %t.documents_offsets.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 105 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents_offsets.mlir --equivalent %t.documents_offsets.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 105 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/documents_offsets.mlir --equivalent %t.documents_offsets.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 105 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/gemma2_27b_global.mlir -o %t.gemma2_27b_global.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gemma2_27b_global.mlir -o %t.gemma2_27b_global.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/gemma2_27b_global.mlir -o %t.gemma2_27b_global.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/gemma2_27b_global.mlir -o %t.gemma2_27b_global.1t5.mlir
// RUN: attn-run --target ref %examples/gemma2_27b_global.mlir --equivalent %t.gemma2_27b_global.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 106 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_27b_global.mlir --equivalent %t.gemma2_27b_global.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 106 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_27b_global.mlir --equivalent %t.gemma2_27b_global.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 106 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_27b_global.mlir --equivalent %t.gemma2_27b_global.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 106 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/gemma2_local.mlir -o %t.gemma2_local.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gemma2_local.mlir -o %t.gemma2_local.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/gemma2_local.mlir -o %t.gemma2_local.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/gemma2_local.mlir -o %t.gemma2_local.1t5.mlir
// RUN: attn-run --target ref %examples/gemma2_local.mlir --equivalent %t.gemma2_local.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 107 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_local.mlir --equivalent %t.gemma2_local.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 107 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_local.mlir --equivalent %t.gemma2_local.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 107 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gemma2_local.mlir --equivalent %t.gemma2_local.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 107 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS
