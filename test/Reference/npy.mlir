// --dump writes the inputs and results as .npy files; --inputs reads them
// back, reproducing the run bit for bit.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-run %examples/documents.mlir --target ref --batch 2 --seq-q 12 --seed 9 --dump %t/a | FileCheck %s --check-prefix=SUMMARY
// RUN: attn-run %examples/documents.mlir --target ref --inputs %t/a --dump %t/b | FileCheck %s --check-prefix=SUMMARY
// RUN: attn-run %examples/documents.mlir --target ref --inputs %t/a --batch 2 --seq-q 12 --seq-kv 12 | FileCheck %s --check-prefix=SUMMARY
// SUMMARY-DAG: inputs: q[2, 32, 12, 128] k[2, 8, 12, 128] v[2, 8, 12, 128] data0[2, 12]
// SUMMARY-DAG: nan_count=0
// RUN: cmp %t/a/q.npy %t/b/q.npy
// RUN: cmp %t/a/data0.npy %t/b/data0.npy
// RUN: cmp %t/a/o.npy %t/b/o.npy
// RUN: cmp %t/a/lse.npy %t/b/lse.npy
// RUN: FileCheck %s --check-prefix=HEADER --input-file=%t/a/data0.npy
// HEADER: {'descr': '<i4', 'fortran_order': False, 'shape': (2, 12), }
// RUN: FileCheck %s --check-prefix=OUTPUT --input-file=%t/a/o.npy
// OUTPUT: {'descr': '<f8', 'fortran_order': False, 'shape': (2, 32, 12, 128), }

// Equivalence on file inputs.
// RUN: attn-run %examples/documents.mlir --target ref --inputs %t/a --equivalent %examples/documents.mlir | FileCheck %s --check-prefix=SAME
// SAME: max_rel_err=0{{$}}
// SAME-NEXT: PASS

// Missing, malformed and unsuitable files.
// RUN: mkdir -p %t/empty %t/garbage %t/dtype %t/short
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/empty 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}empty{{/|\\}}q.npy: cannot read:
// RUN: printf 'garbage' > %t/garbage/q.npy
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/garbage 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: q.npy: not a .npy file (bad magic)
// RUN: cp %t/a/q.npy %t/a/k.npy %t/a/v.npy %t/dtype/
// RUN: cp %t/a/q.npy %t/dtype/data0.npy
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/dtype 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: data0.npy: dtype <f8 does not suit element type 'i32' (expected <i4 or <i8)

// Document ids for 7 tokens do not fit a 12-token query.
// RUN: attn-run %examples/documents.mlir --target ref --batch 2 --seq-q 7 --dump %t/seven > /dev/null
// RUN: cp %t/a/q.npy %t/a/k.npy %t/a/v.npy %t/seven/data0.npy %t/short/
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/short 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: error: 'attn.attention' op data operand #0 of '#attn.documents': dimension 1 is 7 but must be 12 (S)
// SHORT: remark: reference: the data operands do not fit the mask at the bound sizes B = 2, Sq = 12, Skv = 12

// Size flags must agree with the files; --seed has no meaning with files.
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/a --seq-q 5 2>&1 | FileCheck %s --check-prefix=FLAGS
// FLAGS: error: --seq-q=5 conflicts with q.npy, which has 12
// RUN: not attn-run %examples/documents.mlir --target ref --inputs %t/a --seed 3 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: error: --seed chooses generated inputs; it cannot be combined with --inputs
