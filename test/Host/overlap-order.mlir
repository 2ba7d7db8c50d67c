// host-overlap=softmax runs the shared emitter's overlapped key loop (the
// order of targets whose products run asynchronously, sm90a-overlap=softmax;
// ScheduleTarget.h, "Overlapped key loops") on the CPU, where its results
// can be checked: the next visit's scores are computed before this visit's
// softmax and carried to the next step (undefined where no visit follows),
// empty tiles pass the running tensors through. Checked against the float64
// reference at ragged sizes for partial tiles (causal), a block list (listed
// visits, skipped tiles), sinks and a window (three visit ranges), document
// ids (a scanned range), soft-capping at head dimension 256, a cascade
// without a row maximum (sigmoid), and several query tiles per row.
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=host emit=host-loops host-overlap=softmax" | FileCheck %s --check-prefix=LOOPS
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=host emit=host-loops" | FileCheck %s --check-prefix=PLAIN
// RUN: attn-opt %examples/causal.mlir --attn-compile="targets=host host-overlap=softmax output=%t.causal.atnb" -o /dev/null
// RUN: attn-run %t.causal.atnb --target host --check --batch 2 --seq-q 130 --seq-kv 67 | FileCheck %s
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=host host-overlap=softmax output=%t.moba.atnb" -o /dev/null
// RUN: attn-run %t.moba.atnb --target host --check --batch 1 --seq-q 157 --seq-kv 283 | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=host host-overlap=softmax output=%t.sinks.atnb" -o /dev/null
// RUN: attn-run %t.sinks.atnb --target host --check --batch 1 --seq-q 157 --seq-kv 283 | FileCheck %s
// RUN: attn-opt %examples/documents.mlir --attn-compile="targets=host host-overlap=softmax output=%t.documents.atnb" -o /dev/null
// RUN: attn-run %t.documents.atnb --target host --check --batch 1 --seq-q 157 --seq-kv 157 | FileCheck %s
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=host host-overlap=softmax output=%t.gemma.atnb" -o /dev/null
// RUN: attn-run %t.gemma.atnb --target host --check --batch 1 --seq-q 77 --seq-kv 131 | FileCheck %s
// RUN: attn-opt %examples/cascades/sigmoid.mlir --attn-compile="targets=host host-overlap=softmax output=%t.sigmoid.atnb" -o /dev/null
// RUN: attn-run %t.sigmoid.atnb --target host --check --batch 2 --seq-q 130 --seq-kv 67 | FileCheck %s
// RUN: not attn-opt %examples/causal.mlir --attn-compile="targets=host host-overlap=bogus" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: PASS
// LOOPS: ub.poison
// PLAIN-NOT: ub.poison
// BAD: error: attn-compile: host-overlap must be none or softmax, got 'bogus'
