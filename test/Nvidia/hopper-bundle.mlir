// A bundle with sm_80, sm_90 and sm_90a binaries, and which of them the
// runtime's selection (attn::bundle::selectCudaBinary, through
// attn-bundle-info --cuda-device) runs on each compute capability: sm_90a
// only on 9.0; sm_80's cubin on 8.x; PTX of sm_90 (never sm_90a's) on newer
// majors. The sm_90a kernel is the wgmma one on the same 128 x 128 tiles
// and 8 warps (two warpgroups), whose K/V stages complete on mbarriers
// (sm90a-sync=auto), so it has 3 stages where the mma.sync kernel has 2:
// 225 KiB of shared memory (with 1024 bytes of slack to align its tiles in
// and 48 bytes of barriers) against 160 KiB.
// REQUIRES: ptxas
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90,sm_90a output=%t.atnb report-resources" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: attn-bundle-info %t.atnb | FileCheck %s
// RUN: attn-bundle-info --cuda-device=9.0 %t.atnb | FileCheck %s --check-prefix=H100
// RUN: attn-bundle-info --cuda-device=8.0 %t.atnb | FileCheck %s --check-prefix=A100
// RUN: attn-bundle-info --cuda-device=8.9 %t.atnb | FileCheck %s --check-prefix=ADA
// RUN: attn-bundle-info --cuda-device=10.0 %t.atnb | FileCheck %s --check-prefix=B200
// RUN: attn-bundle-info --cuda-device=12.0 %t.atnb | FileCheck %s --check-prefix=RTX50
// RUN: attn-bundle-info --cuda-device=7.5 %t.atnb | FileCheck %s --check-prefix=TURING
// RUN: not attn-bundle-info --cuda-device=nine %t.atnb 2>&1 | FileCheck %s --check-prefix=BAD

// REPORT: kernel causal sm_80: registers={{[1-9][0-9]*}} shared=163841
// REPORT: kernel causal sm_90: registers={{[1-9][0-9]*}} shared=163841
// REPORT: kernel causal sm_90a: registers={{[1-9][0-9]*}} shared=230449 spill_stores=0 spill_loads=0

// CHECK: binaries (6):
// CHECK: 0: sm_80 cubin, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// CHECK: 1: sm_80 ptx,
// CHECK: 2: sm_90 cubin,
// CHECK: 3: sm_90 ptx,
// CHECK: 4: sm_90a cubin, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// CHECK-NEXT: grid = (ceil_div(Sq, 128), 8, B)
// CHECK-NEXT: block = (256, 1, 1)
// CHECK-NEXT: shared_mem_bytes = 230448
// CHECK: 5: sm_90a ptx,

// H100: kernel causal on compute capability 9.0: binary 4 (sm_90a cubin)
// A100: kernel causal on compute capability 8.0: binary 0 (sm_80 cubin)
// ADA: kernel causal on compute capability 8.9: binary 0 (sm_80 cubin)
// B200: kernel causal on compute capability 10.0: binary 3 (sm_90 ptx)
// RTX50: kernel causal on compute capability 12.0: binary 3 (sm_90 ptx)
// TURING: kernel causal on compute capability 7.5: no binary
// BAD: attn-bundle-info: error: '--cuda-device=nine' is not a compute capability such as --cuda-device=9.0

func.func @causal(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
