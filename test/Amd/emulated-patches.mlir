// Patch tiles (docs/sparsity.md, "Patch tiles in the kernels") on the AMD
// kernels, run emulated on the host against the float64 reference: a 2-D
// neighborhood with a causal dimension on a 30x37 grid that no patch
// divides, through MFMA (gfx942) and WMMA (gfx1100) kernels whose LDS copies
// read patch rows from the sequence-ordered tensors. (Swin windows on patch
// tiles run in emulated-{mfma,wmma}-2.mlir.)
// RUN: attn-opt %S/Inputs/neighborhood_2d_ragged.mlir --attn-compile="targets=gfx942 emit=amdgpu" | FileCheck %s --check-prefix=TABLE
// RUN: bash %S/check-emulated.sh gfx942-emulated f16 1:77:131 attn-opt attn-run %t %S/Inputs/neighborhood_2d_ragged.mlir | FileCheck %s --check-prefix=MFMA
// RUN: bash %S/check-emulated.sh gfx1100-emulated bf16 1:77:131 attn-opt attn-run %t.wmma %S/Inputs/neighborhood_2d_ragged.mlir | FileCheck %s --check-prefix=WMMA
// TABLE: memref.global "private" constant @__attn_patches_{{.*}}_offsets
// MFMA: neighborhood_2d_ragged (gfx942-emulated, f16) B=1 Sq=Skv=1110: max_rel_err={{.*}} PASS
// WMMA: neighborhood_2d_ragged (gfx1100-emulated, bf16) B=1 Sq=Skv=1110: max_rel_err={{.*}} PASS
