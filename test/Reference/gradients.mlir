// attn-run --gradients: the backward attn-differentiate derives, checked
// in float64 against finite differences of sum(O * dO).
// RUN: attn-run %examples/lse.mlir --target ref --gradients --batch 2 --seq-q 7 --seq-kv 9 | FileCheck %s
// CHECK: dq: norm={{[0-9.e+-]+}} fd_rel_err=
// CHECK-NEXT: dk: norm={{[0-9.e+-]+}} fd_rel_err=
// CHECK-NEXT: dv: norm={{[0-9.e+-]+}} fd_rel_err=
// CHECK-NEXT: max_rel_err=
// CHECK-NEXT: PASS
// RUN: attn-run %examples/cascades/sigmoid.mlir --target ref --gradients --batch 1 --seq-q 5 --seq-kv 7 | FileCheck %s --check-prefix=SIGMOID
// SIGMOID: PASS
// A bound no finite difference meets fails.
// RUN: not attn-run %examples/lse.mlir --target ref --gradients --batch 1 --seq-q 5 --tolerance 0 | FileCheck %s --check-prefix=STRICT
// STRICT: FAIL
// RUN: not attn-run %examples/causal.mlir --target ref --gradients --batch 1 --seq-q 4 2>&1 | FileCheck %s --check-prefix=NOLSE
// NOLSE: error: 'attn.cascade' op backward: the backward of softmax attention reads the forward's log-sum-exp
// RUN: not attn-run %examples/lse.mlir --target ref --gradients --batch 1 --seq-q 4 --equivalent %examples/lse.mlir 2>&1 | FileCheck %s --check-prefix=COMBO
// COMBO: error: --gradients applies to --target ref (without --equivalent and --dump), to --target host --check and to --target cuda
// RUN: not attn-run %t.none --target host --gradients --batch 1 --seq-q 4 2>&1 | FileCheck %s --check-prefix=COMBO
