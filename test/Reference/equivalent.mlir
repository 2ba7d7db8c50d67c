// --equivalent runs two specs on the same inputs and compares O and LSE.

// A spec agrees with itself and with another spelling of the same rule.
// RUN: attn-run %examples/causal.mlir --target ref --batch 2 --seq-q 11 --equivalent %examples/causal.mlir | FileCheck %s --check-prefix=SAME
// RUN: attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 13 --equivalent %examples/sqa.mlir | FileCheck %s --check-prefix=SAME
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 12 --seq-kv 15 --equivalent %S/Inputs/small_causal_region.mlir | FileCheck %s --check-prefix=SAME
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 8 --equivalent %S/Inputs/small_window.mlir | FileCheck %s --check-prefix=SAME
// RUN: attn-run %S/Inputs/grid_full.mlir --target ref --batch 2 --equivalent %S/Inputs/grid_neighborhood_full.mlir | FileCheck %s --check-prefix=SAME
// SAME: o_rel_err=0
// SAME-NOT: problem
// SAME: max_rel_err=0{{$}}
// SAME-NEXT: PASS

// A score region receives the score as the f32 it is in a kernel (issue 16:
// region arithmetic follows the declared types), so dropping keys there
// agrees with the mask attribute to f32 rounding, not exactly.
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 12 --equivalent %S/Inputs/small_causal_score_drop.mlir --tolerance 1e-6 | FileCheck %s --check-prefix=CLOSE
// CLOSE: o_rel_err={{[0-9.e-]+}}
// CLOSE-NOT: problem
// CLOSE: PASS

// A different mask fails, with exit code 1.
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 9 --equivalent %examples/mha.mlir | FileCheck %s --check-prefix=DIFFERENT
// RUN: not attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 12 --equivalent %S/Inputs/small_window.mlir | FileCheck %s --check-prefix=DIFFERENT
// RUN: not attn-run %S/Inputs/grid_full.mlir --target ref --batch 1 --equivalent %S/Inputs/grid_neighborhood_3x3.mlir | FileCheck %s --check-prefix=DIFFERENT
// DIFFERENT: max_rel_err={{[0-9.e+-]+$}}
// DIFFERENT-NEXT: FAIL

// The tolerance decides.
// RUN: attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 12 --equivalent %S/Inputs/small_window.mlir --tolerance 100 | FileCheck %s --check-prefix=TOLERATED
// TOLERATED: PASS

// Empty rows must be empty in both results.
// RUN: not attn-run %S/Inputs/small_causal.mlir --target ref --batch 2 --seq-q 10 --seq-kv 6 --equivalent %S/Inputs/small_diagonal_lse.mlir | FileCheck %s --check-prefix=EMPTY
// EMPTY: problem: LSE: 32 entries are infinite in one result but not equal in the other
// EMPTY: FAIL

// The signatures must match.
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 4 --equivalent %examples/gqa.mlir 2>&1 | FileCheck %s --check-prefix=SIGNATURE
// SIGNATURE: gqa.mlir:2:1: error: --equivalent needs identical signatures, but @causal in {{.*}}causal.mlir has type '(tensor<?x16x?x128xbf16>, {{.*}}' and @gqa has type '(tensor<?x32x?x128xbf16>
