// The six-target bundle: host, sm_80, sm_90 (PTX, and cubins where ptxas
// is installed), gfx90a, gfx942 and gfx1100 (HSACO) in one file. The host
// binary runs and checks here; the AMD binaries go through attn-run
// --target hip against stand-in HIP runtimes (runtime/test/fake_hip), which
// report a device, record the module load and launch and run nothing: the
// runtime picks the HSACO of the device's architecture, or names the
// bundle's binaries when none fits. No AMD GPU has run these kernels.
// REQUIRES: fake-hip
// RUN: attn-opt %s --attn-compile="targets=host,sm_80,sm_90,gfx90a,gfx942,gfx1100 output=%t.atnb" -o /dev/null 2>/dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// RUN: attn-run %t.atnb --target host --batch 2 --seq-q 77 --seq-kv 131 --check | FileCheck %s --check-prefix=HOST

// INFO: binaries ({{[0-9]+}}):
// INFO: 0: host host_shared_object
// INFO: sm_80 ptx
// INFO: sm_90 ptx
// INFO: gfx90a hsaco, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// INFO-NEXT: grid = (ceil_div(Sq, 128), 4, B)
// INFO-NEXT: block = (256, 1, 1)
// INFO-NEXT: shared_mem_bytes = 0
// INFO: gfx942 hsaco, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// INFO-NEXT: grid = (ceil_div(Sq, 128), 4, B)
// INFO-NEXT: block = (256, 1, 1)
// INFO: gfx1100 hsaco, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// INFO-NEXT: grid = (ceil_div(Sq, 128), 4, B)
// INFO-NEXT: block = (256, 1, 1)
// HOST: PASS

// The runtime picks the binary of the device's architecture.
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_gfx942 attn-run-nomlir %t.atnb --target hip --batch 2 --seq-q 77 --seq-kv 131 --runs 2 | FileCheck %s --check-prefix=GFX942
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_gfx1100 attn-run %t.atnb --target hip --batch 2 --seq-q 77 --seq-kv 131 --runs 2 | FileCheck %s --check-prefix=GFX1100
// GFX942: device 0: gfx942 (HIP runtime {{.*}}libattn_fake_hip_gfx942.so); binary gfx942 hsaco
// GFX942-NEXT: runs=2 warmup=5 median_ms=
// GFX1100: device 0: gfx1100 (HIP runtime {{.*}}libattn_fake_hip_gfx1100.so); binary gfx1100 hsaco

// The stand-in runs nothing: the poisoned output fails the check.
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_gfx942 not attn-run %t.atnb --target hip --batch 1 --seq-q 40 --check | FileCheck %s --check-prefix=STANDIN
// STANDIN: binary gfx942 hsaco
// STANDIN: FAIL

// No binary for the device: the error names the bundle's binaries.
// RUN: attn-opt %s --attn-compile="targets=host,gfx90a output=%t.gfx90a.atnb" -o /dev/null
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_gfx942 not attn-run-nomlir %t.gfx90a.atnb --target hip --batch 1 --seq-q 40 2>&1 | FileCheck %s --check-prefix=NOFIT
// NOFIT: error: ATTN_ERROR_NO_BINARY: kernel 'causal' has no binary that runs on ROCm device 0 (gfx942) (it has: host (host_shared_object), gfx90a (hsaco))
// RUN: attn-opt %s --attn-compile="targets=host output=%t.host.atnb" -o /dev/null
// RUN: not attn-run-nomlir %t.host.atnb --target hip --batch 1 --seq-q 40 2>&1 | FileCheck %s --check-prefix=NOAMD
// NOAMD: error: kernel 'causal' of {{.*}}host.atnb has no AMD binary; compile it with --attn-compile="targets=host,gfx90a,gfx942,gfx1100 output=..."

// No HIP runtime, no device: clear errors.
// RUN: env ATTN_HIP_LIBRARY=%t.missing/libamdhip64.so not attn-run-nomlir %t.atnb --target hip --batch 1 --seq-q 40 2>&1 | FileCheck %s --check-prefix=NOLIBRARY
// NOLIBRARY: error: --target hip: ATTN_ERROR_NO_HIP_RUNTIME: HIP runtime not found ({{.*}}libamdhip64.so: cannot open shared object file: No such file or directory); install ROCm or set ATTN_HIP_LIBRARY to libamdhip64.so
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_no_device not attn-run-nomlir %t.atnb --target hip --batch 1 --seq-q 40 2>&1 | FileCheck %s --check-prefix=NODEVICE
// NODEVICE: error: --target hip: ATTN_ERROR_NO_HIP_DEVICE: no ROCm device: hipErrorNoDevice
// RUN: env ATTN_HIP_LIBRARY=%fake_hip_gfx942 not attn-run-nomlir %t.atnb --target hip --device 1 --batch 1 --seq-q 40 2>&1 | FileCheck %s --check-prefix=ORDINAL
// ORDINAL: error: --target hip: ATTN_ERROR_NO_HIP_DEVICE: no ROCm device 1: the HIP runtime sees 1 device(s)

// report-resources reads each HSACO's kernel descriptor.
// RUN: attn-opt %s --attn-compile="targets=gfx90a,gfx942,gfx1100 report-resources" -o /dev/null | FileCheck %s --check-prefix=REPORT
// REPORT: kernel causal gfx90a: vgprs={{[1-9][0-9]*}} agprs={{[0-9]+}} sgprs={{[1-9][0-9]*}} lds={{[1-9][0-9]*}} scratch=0 vgpr_spills=0 sgpr_spills=0
// REPORT: kernel causal gfx942: vgprs={{[1-9][0-9]*}} agprs={{[0-9]+}} sgprs={{[1-9][0-9]*}} lds={{[1-9][0-9]*}} scratch=0 vgpr_spills=0 sgpr_spills=0
// REPORT: kernel causal gfx1100: vgprs={{[1-9][0-9]*}} agprs=0 sgprs={{[1-9][0-9]*}} lds={{[1-9][0-9]*}} scratch=0 vgpr_spills=0 sgpr_spills=0

func.func @causal(%q: tensor<?x4x?x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x64xf16>) -> tensor<?x4x?x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}
