// f32 inputs run on TF32 tensor cores three times per product (3xTF32):
// each operand is split into a TF32 big part (the word with its low 13
// mantissa bits cleared) and the TF32 rounding of the rest, and the products
// small.big, big.small and big.big accumulate in f32. Tiles are staged by
// the same async copies (4 f32 per 16 bytes) and read with plain
// shared-memory loads, as ldmatrix moves 16-bit elements only.
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=gpu" | FileCheck %s --check-prefix=GPU
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=PTX

// GPU-LABEL: gpu.func @attn_causal_f32
// GPU: nvgpu.device_async_copy {{.*}}, 4, %{{.*}} {bypassL1}
// GPU: scf.for
// GPU: vector.load %{{.*}} {alignment = 8 : i64} : memref<2x32x64xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// GPU: arith.bitcast %{{.*}} : f32 to i32
// GPU: arith.andi %{{.*}}, %c-8192_i32 : i32
// GPU: arith.subf
// GPU: nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>}
// GPU-NOT: nvgpu.ldmatrix
// GPU: gpu.return

// PTX: .target sm_80
// PTX-DAG: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ld.shared.v2.b32
// PTX-NOT: ldmatrix
// PTX: .target sm_90
// PTX-DAG: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// PTX-NOT: ldmatrix
func.func @causal_f32(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}
