// Every example (here those named [m-z]*) compiled for gfx942-emulated, the
// MFMA kernel of gfx942 (gfx90a's is the same code) run on the host lane by
// lane with the instruction's register tables, and checked against the float64
// reference in f16 at B:Sq:Skv = 1:77:131: a wrong register table, fragment
// layout, wave partition or LDS address fails here although no AMD GPU runs the
// kernel. emulated-{mfma,wmma}-{1,2}.mlir split the examples so that lit runs
// them in parallel.
// RUN: bash %S/check-emulated.sh gfx942-emulated f16 1:77:131 attn-opt attn-run %t %examples/[m-z]*.mlir | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gfx942-emulated f16: {{[1-9][0-9]*}} compiled, {{[1-9][0-9]*}} checks, 0 failures
