// Every example (here those named [a-l]*) compiled for gfx1100-emulated, the
// WMMA kernel of gfx1100 run on the host lane by lane with the instruction's
// register tables, and checked against the float64 reference in bf16 at
// B:Sq:Skv = 2:130:67: a wrong register table, fragment layout, wave partition
// or LDS address fails here although no AMD GPU runs the kernel.
// emulated-{mfma,wmma}-{1,2}.mlir split the examples so that lit runs them in
// parallel.
// RUN: bash %S/check-emulated.sh gfx1100-emulated bf16 2:130:67 attn-opt attn-run %t %examples/[a-l]*.mlir | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gfx1100-emulated bf16: {{[1-9][0-9]*}} compiled, {{[1-9][0-9]*}} checks, 0 failures

// Cascades written by hand (examples/cascades) take the same path.
// RUN: bash %S/check-emulated.sh gfx1100-emulated bf16 2:130:67 attn-opt attn-run %t.cascades %examples/cascades/*.mlir | FileCheck %s --check-prefix=CASCADES
// CASCADES-NOT: FAILED
// CASCADES: gfx1100-emulated bf16: 2 compiled, 2 checks, 0 failures
