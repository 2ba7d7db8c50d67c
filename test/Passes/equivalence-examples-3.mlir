// Every example spec whose sizes a float64 interpreter can afford: the spec
// and the cascades that attn-decompose, attn-defer-division and
// attn-online-softmax make of it (tiles of 8 keys, dividing Skv = 24, and of
// 5, not dividing it) agree to 1e-12 relative error on the same inputs. The
// neighborhood and Swin examples fix sequences of thousands of tokens; their
// mask kinds are covered on small grids in equivalence-static-masks.mlir.
// RUN: attn-opt --attn-decompose %examples/s2_attention.mlir -o %t.s2_attention.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/s2_attention.mlir -o %t.s2_attention.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/s2_attention.mlir -o %t.s2_attention.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/s2_attention.mlir -o %t.s2_attention.1t5.mlir
// RUN: attn-run --target ref %examples/s2_attention.mlir --equivalent %t.s2_attention.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 116 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention.mlir --equivalent %t.s2_attention.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 116 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention.mlir --equivalent %t.s2_attention.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 116 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention.mlir --equivalent %t.s2_attention.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 116 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/s2_attention_local4.mlir -o %t.s2_attention_local4.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/s2_attention_local4.mlir -o %t.s2_attention_local4.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/s2_attention_local4.mlir -o %t.s2_attention_local4.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/s2_attention_local4.mlir -o %t.s2_attention_local4.1t5.mlir
// RUN: attn-run --target ref %examples/s2_attention_local4.mlir --equivalent %t.s2_attention_local4.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 117 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention_local4.mlir --equivalent %t.s2_attention_local4.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 117 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention_local4.mlir --equivalent %t.s2_attention_local4.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 117 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/s2_attention_local4.mlir --equivalent %t.s2_attention_local4.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 117 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/sinks_window.mlir -o %t.sinks_window.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sinks_window.mlir -o %t.sinks_window.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/sinks_window.mlir -o %t.sinks_window.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/sinks_window.mlir -o %t.sinks_window.1t5.mlir
// RUN: attn-run --target ref %examples/sinks_window.mlir --equivalent %t.sinks_window.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 118 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sinks_window.mlir --equivalent %t.sinks_window.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 118 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sinks_window.mlir --equivalent %t.sinks_window.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 118 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sinks_window.mlir --equivalent %t.sinks_window.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 118 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/sliding_window_1024.mlir -o %t.sliding_window_1024.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sliding_window_1024.mlir -o %t.sliding_window_1024.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/sliding_window_1024.mlir -o %t.sliding_window_1024.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/sliding_window_1024.mlir -o %t.sliding_window_1024.1t5.mlir
// RUN: attn-run --target ref %examples/sliding_window_1024.mlir --equivalent %t.sliding_window_1024.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 119 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sliding_window_1024.mlir --equivalent %t.sliding_window_1024.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 119 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sliding_window_1024.mlir --equivalent %t.sliding_window_1024.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 119 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sliding_window_1024.mlir --equivalent %t.sliding_window_1024.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 119 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/sparge_block_mask.mlir -o %t.sparge_block_mask.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sparge_block_mask.mlir -o %t.sparge_block_mask.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/sparge_block_mask.mlir -o %t.sparge_block_mask.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/sparge_block_mask.mlir -o %t.sparge_block_mask.1t5.mlir
// RUN: attn-run --target ref %examples/sparge_block_mask.mlir --equivalent %t.sparge_block_mask.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 120 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sparge_block_mask.mlir --equivalent %t.sparge_block_mask.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 120 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sparge_block_mask.mlir --equivalent %t.sparge_block_mask.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 120 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sparge_block_mask.mlir --equivalent %t.sparge_block_mask.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 120 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/sqa.mlir -o %t.sqa.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/sqa.mlir -o %t.sqa.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/sqa.mlir -o %t.sqa.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/sqa.mlir -o %t.sqa.1t5.mlir
// RUN: attn-run --target ref %examples/sqa.mlir --equivalent %t.sqa.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 121 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sqa.mlir --equivalent %t.sqa.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 121 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sqa.mlir --equivalent %t.sqa.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 121 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/sqa.mlir --equivalent %t.sqa.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 121 --tolerance 1e-12 | FileCheck %s
// RUN: attn-opt --attn-decompose %examples/star_attention.mlir -o %t.star_attention.3.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division %examples/star_attention.mlir -o %t.star_attention.2.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 %examples/star_attention.mlir -o %t.star_attention.1t8.mlir
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=5 %examples/star_attention.mlir -o %t.star_attention.1t5.mlir
// RUN: attn-run --target ref %examples/star_attention.mlir --equivalent %t.star_attention.3.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 122 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/star_attention.mlir --equivalent %t.star_attention.2.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 122 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/star_attention.mlir --equivalent %t.star_attention.1t8.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 122 --tolerance 1e-12 | FileCheck %s
// RUN: attn-run --target ref %examples/star_attention.mlir --equivalent %t.star_attention.1t5.mlir --batch 2 --seq-q 16 --seq-kv 24 --seed 122 --tolerance 1e-12 | FileCheck %s

// CHECK: max_rel_err=
// CHECK-NEXT: PASS
