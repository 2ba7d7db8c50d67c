// Without ptxas (CI machines without CUDA) bundles hold PTX only, which the
// driver compiles at load time; a remark says so once. The resource report
// needs ptxas and is an error without it.
// UNSUPPORTED: ptxas
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90 output=%t.atnb" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: attn-bundle-info %t.atnb | FileCheck %s
// RUN: not attn-opt %s --attn-compile="targets=sm_90 report-resources" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// REMARK-COUNT-1: remark: attn-compile: no ptxas ($ATTN_CUDA_PATH unset, no /usr/local/cuda/bin/ptxas, none on PATH), so the NVIDIA binaries are PTX only; the driver compiles them at load time
// REMARK-NOT: remark
// CHECK: binaries (2):
// CHECK-NEXT: 0: sm_80 ptx, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// CHECK: 1: sm_90 ptx, {{[0-9]+}} bytes, entry attn_causal, gpu_expanded_memref
// REPORT: error: attn-compile: report-resources needs ptxas (set $ATTN_CUDA_PATH, install /usr/local/cuda or put ptxas on PATH)

func.func @causal(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
