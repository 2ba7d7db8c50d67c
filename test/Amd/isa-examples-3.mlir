// Every example (here those named [o-z]*; the f32 ones with f16 tensors)
// compiles for gfx90a, gfx942 and gfx1100, and the AMDGPU assembly of each
// kernel passes check_isa.py: matrix instructions (v_mfma, v_wmma) in the
// key-tile loop, nothing in scratch, VGPRs/AGPRs and LDS within the chip's
// occupancy target. isa-examples-{1,2,3}.mlir split the examples so that lit
// runs them in parallel.
// RUN: bash %S/check-isa.sh %python attn-opt %t %examples/[o-z]*.mlir | FileCheck %s
// CHECK-NOT: FAIL
// CHECK: isa: {{[1-9][0-9]*}} specs, 0 failures
