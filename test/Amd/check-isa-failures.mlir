// check_isa.py fails a kernel for each thing the ISA tests guard against:
// Inputs/bad-kernel.s has its matrix instruction outside any loop, scratch
// (a private segment, spilled VGPRs, a scratch store), registers that allow
// one wave per SIMD and more LDS than a 4-wave workgroup may take; and a
// kernel missing a chip fails too.
// RUN: not %python %S/check_isa.py %S/Inputs/bad-kernel.s gfx942 | FileCheck %s
// RUN: not %python %S/check_isa.py %S/Inputs/bad-kernel.s | FileCheck %s --check-prefix=CHIPS

// CHECK: kernel bad gfx942: {{.*}}: FAIL (no matrix instruction in a loop; private segment of 16 bytes; 4 spilled VGPRs; scratch instructions; 300 registers allow 1 waves per SIMD, below the target 2; LDS 70000 bytes above the 32768 a 4-wave workgroup may use)
// CHECK: 1 kernels, 1 failures
// CHIPS: kernel bad: compiled for gfx942, expected gfx1100,gfx90a,gfx942: FAIL
// CHIPS: 1 kernels, 2 failures
