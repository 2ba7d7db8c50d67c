// Every example spec whose sizes a float64 interpreter can afford: the spec
// and the cascades that attn-decompose, attn-defer-division and
// attn-online-softmax make of it (tiles of 8 keys, dividing Skv = 24, and of
// 5, not dividing it) agree to 1e-12 relative error on the same inputs. The
// neighborhood and Swin examples fix sequences of thousands of tokens; their
// mask kinds are covered on small grids in equivalence-static-masks.mlir.
// RUN: attn-opt --attn-decompose %examples/gqa.mlir -o %t.gqa.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/gqa.mlir -o %t.gqa.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/gqa.mlir -o %t.gqa.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/gqa.mlir -o %t.gqa.1t5.mlir
// RUN: attn-run --target ref %examples/gqa.mlir --equivalent %t.gqa.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 108 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gqa.mlir --equivalent %t.gqa.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 108 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gqa.mlir --equivalent %t.gqa.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 108 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/gqa.mlir --equivalent %t.gqa.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 108 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/hymba.mlir -o %t.hymba.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/hymba.mlir -o %t.hymba.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/hymba.mlir -o %t.hymba.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/hymba.mlir -o %t.hymba.1t5.mlir
// RUN: attn-run --target ref %examples/hymba.mlir --equivalent %t.hymba.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 109 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/hymba.mlir --equivalent %t.hymba.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 109 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/hymba.mlir --equivalent %t.hymba.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 109 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/hymba.mlir --equivalent %t.hymba.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 109 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/longlora_shifted.mlir -o %t.longlora_shifted.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/longlora_shifted.mlir -o %t.longlora_shifted.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/longlora_shifted.mlir -o %t.longlora_shifted.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/longlora_shifted.mlir -o %t.longlora_shifted.1t5.mlir
// RUN: attn-run --target ref %examples/longlora_shifted.mlir --equivalent %t.longlora_shifted.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 110 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/longlora_shifted.mlir --equivalent %t.longlora_shifted.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 110 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/longlora_shifted.mlir --equivalent %t.longlora_shifted.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 110 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/longlora_shifted.mlir --equivalent %t.longlora_shifted.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 110 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/lse.mlir -o %t.lse.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/lse.mlir -o %t.lse.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/lse.mlir -o %t.lse.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/lse.mlir -o %t.lse.1t5.mlir
// RUN: attn-run --target ref %examples/lse.mlir --equivalent %t.lse.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 111 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/lse.mlir --equivalent %t.lse.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 111 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/lse.mlir --equivalent %t.lse.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 111 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/lse.mlir --equivalent %t.lse.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 111 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/mha.mlir -o %t.mha.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/mha.mlir -o %t.mha.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/mha.mlir -o %t.mha.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/mha.mlir -o %t.mha.1t5.mlir
// RUN: attn-run --target ref %examples/mha.mlir --equivalent %t.mha.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 112 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mha.mlir --equivalent %t.mha.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 112 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mha.mlir --equivalent %t.mha.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 112 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mha.mlir --equivalent %t.mha.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 112 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/moba_block_list.mlir -o %t.moba_block_list.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/moba_block_list.mlir -o %t.moba_block_list.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/moba_block_list.mlir -o %t.moba_block_list.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/moba_block_list.mlir -o %t.moba_block_list.1t5.mlir
// RUN: attn-run --target ref %examples/moba_block_list.mlir --equivalent %t.moba_block_list.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 113 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/moba_block_list.mlir --equivalent %t.moba_block_list.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 113 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/moba_block_list.mlir --equivalent %t.moba_block_list.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 113 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/moba_block_list.mlir --equivalent %t.moba_block_list.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 113 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/mqa.mlir -o %t.mqa.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/mqa.mlir -o %t.mqa.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/mqa.mlir -o %t.mqa.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/mqa.mlir -o %t.mqa.1t5.mlir
// RUN: attn-run --target ref %examples/mqa.mlir --equivalent %t.mqa.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 114 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mqa.mlir --equivalent %t.mqa.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 114 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mqa.mlir --equivalent %t.mqa.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 114 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/mqa.mlir --equivalent %t.mqa.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 114 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/prefix_lm.mlir -o %t.prefix_lm.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/prefix_lm.mlir -o %t.prefix_lm.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/prefix_lm.mlir -o %t.prefix_lm.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/prefix_lm.mlir -o %t.prefix_lm.1t5.mlir
// RUN: attn-run --target ref %examples/prefix_lm.mlir --equivalent %t.prefix_lm.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 115 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/prefix_lm.mlir --equivalent %t.prefix_lm.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 115 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/prefix_lm.mlir --equivalent %t.prefix_lm.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 115 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/prefix_lm.mlir --equivalent %t.prefix_lm.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 115 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS
