// Every example (here those named [a-l]*) compiled for gfx942-emulated, the
// MFMA kernel of gfx942 (gfx90a's is the same code) run on the host lane by
// lane with the instruction's register tables, and checked against the float64
// reference in f16 at B:Sq:Skv = 1:77:131: a wrong register table, fragment
// layout, wave partition or LDS address fails here although no AMD GPU runs the
// kernel. emulated-{mfma,wmma}-{1,2}.mlir split the examples so that lit runs
// them in parallel.
// RUN: bash %S/check-emulated.sh gfx942-emulated f16 1:77:131 attn-opt attn-run %t %examples/[a-l]*.mlir | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gfx942-emulated f16: {{[1-9][0-9]*}} compiled, {{[1-9][0-9]*}} checks, 0 failures

// gfx90a's emulated target, once.
// RUN: bash %S/check-emulated.sh gfx90a-emulated bf16 2:130:67 attn-opt attn-run %t.gfx90a %examples/gqa.mlir | FileCheck %s --check-prefix=GFX90A
// GFX90A: gqa (gfx90a-emulated, bf16) B=2 Sq=130 Skv=67: max_rel_err={{.*}} PASS
