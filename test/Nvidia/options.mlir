// attn-compile's NVIDIA options: every bad combination is an error naming
// the option, never ignored.
// RUN: not attn-opt %s --attn-compile="targets=sm_75" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: attn-compile: unknown target 'sm_75' (supported: host, sm_80, sm_90, sm_90a, gfx90a, gfx942, gfx1100, gfx90a-emulated, gfx942-emulated, gfx1100-emulated)
// RUN: not attn-opt %s --attn-compile="targets=sm_90,host,sm_90" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: attn-compile: target 'sm_90' is listed twice
// RUN: not attn-opt %s --attn-compile="targets=host emit=ptx" 2>&1 | FileCheck %s --check-prefix=NO-GPU
// NO-GPU: error: attn-compile: emit=ptx shows the NVIDIA target (sm_80, sm_90, sm_90a), which targets= does not list
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=host-loops" 2>&1 | FileCheck %s --check-prefix=NO-HOST
// NO-HOST: error: attn-compile: emit=host-loops shows the host target (host), which targets= does not list
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=gpu output=%t.atnb" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: error: attn-compile: output= writes a bundle, which emit=gpu does not produce
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=nvvm report-resources" 2>&1 | FileCheck %s --check-prefix=REPORT
// REPORT: error: attn-compile: report-resources needs emit=bundle or emit=ptx
// An option of a target that targets= does not list is an error, not ignored.
// RUN: not attn-opt %s --attn-compile="targets=host report-resources" 2>&1 | FileCheck %s --check-prefix=REPORT-HOST
// RUN: not attn-opt %s --attn-compile="targets=host gpu-warps=8" 2>&1 | FileCheck %s --check-prefix=WARPS-HOST
// REPORT-HOST: error: attn-compile: report-resources is an option of the NVIDIA target (sm_80, sm_90, sm_90a), which targets= does not list
// WARPS-HOST: error: attn-compile: gpu-warps is an option of the NVIDIA target (sm_80, sm_90, sm_90a), which targets= does not list
// RUN: not attn-opt %s --attn-compile="targets=sm_90 block-kv=32" 2>&1 | FileCheck %s --check-prefix=HOST-OPTION
// HOST-OPTION: error: attn-compile: block-kv is an option of the host target (host), which targets= does not list
// RUN: not attn-opt %s --attn-compile="targets=sm_90 gpu-warps=-2" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: attn-compile: gpu-warps must be >= 1 (or 0 for the kernel's default), got -2
// RUN: not attn-opt %s --attn-compile="targets=sm_90 gpu-min-blocks=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE-BLOCKS
// NEGATIVE-BLOCKS: error: attn-compile: gpu-min-blocks must be >= 1 (or 0 for the kernel's default), got -1
// gpu-min-blocks gives ptxas the block size and the occupancy hint.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=NO-HINT
// NO-HINT-NOT: .maxntid
// NO-HINT-NOT: .minnctapersm
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=ptx gpu-min-blocks=3" -o /dev/null | FileCheck %s --check-prefix=HINT
// HINT: .maxntid 128, 1, 1
// HINT-NEXT: .minnctapersm 3
// Tilings the kernel cannot run are the emitter's to refuse; its diagnostic surfaces.
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=gpu gpu-block-kv=24" 2>&1 | FileCheck %s --check-prefix=TILING
// TILING: error: {{.*}}24
// The overrides reach the kernel and its launch: 4 warps of 16 rows.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu gpu-block-q=64 gpu-block-kv=64 gpu-warps=4 gpu-stages=2" | FileCheck %s --check-prefix=GPU
// GPU: module attributes {gpu.container_module}
// GPU: gpu.module @causal
// GPU: gpu.func @attn_causal(
// GPU-SAME: kernel
// Unwritable PTX and bundle files are errors naming the file.
// RUN: not attn-opt %s --attn-compile="targets=sm_90 emit=ptx output=%t.missing/x.ptx" 2>&1 | FileCheck %s --check-prefix=WRITE-PTX
// WRITE-PTX: error: cannot write '{{.*}}x.ptx': No such file or directory
// RUN: env ATTN_CUDA_PATH=%t.no-cuda not attn-opt %s --attn-compile="targets=sm_90 output=%t.atnb" 2>&1 | FileCheck %s --check-prefix=CUDA-PATH
// CUDA-PATH: error: $ATTN_CUDA_PATH is '{{.*}}no-cuda', but there is no executable {{.*}}no-cuda/bin/ptxas

func.func @causal(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
