// Backward kernels on the NVIDIA target (grad=true, docs/backward.md): the
// gradient programs of attn-differentiate through NvidiaScheduleTarget. One
// launch runs both phases (dK/dV per key tile, dQ per query tile; D =
// rowsum(dO O) recomputed where it is read): grid z = B * 2, blocks of 4
// warps on 64 x 64 tiles. Its PTX multiplies on mma.sync with ldmatrix
// fragments from cp.async-staged tiles, calls no library function and adds
// nothing atomically.
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90 grad=true emit=ptx output=%t.ptx" -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=NOLIB < %t.ptx
// PTX-LABEL: // attn: kernel causal_grad, entry attn_causal_grad for sm_80
// PTX: .entry attn_causal_grad(
// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx
// PTX-LABEL: // attn: kernel causal_grad, entry attn_causal_grad for sm_90
// PTX-LABEL: // attn: kernel gqa_f16_grad, entry attn_gqa_f16_grad for sm_80
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// NOLIB-NOT: {{__nv_|[[:space:]](atom|red)\.}}

// The bundle: the backward kernel's launch puts its two phases along z. Its
// shared memory (head dimension 64, bf16): the two operand tiles each phase
// keeps for its row tile (2 x 64 x 64 x 2 bytes), two stages of the two it
// streams per column tile (2 x 2 x 8 KiB) and 2 x 64 f32 per-column partial
// sums: 16384 + 32768 + 512 bytes.
// RUN: attn-opt %s --attn-compile="targets=host,sm_90 grad=true output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// INFO-LABEL: kernel causal_grad
// INFO: 5: do input tensor bf16 [B, 2, Sq, 64] innermost_contiguous align=16
// INFO: 6: dq output tensor bf16 [B, 2, Sq, 64] innermost_contiguous align=16
// INFO: sm_90 ptx
// INFO-NEXT: grid = (ceil_div(Sq, 64), 2, B * 2)
// INFO-NEXT: block = (128, 1, 1)
// INFO-NEXT: shared_mem_bytes = 49664

// The emitted kernel: each phase runs in the blocks of its z, striding over
// its row tiles.
// RUN: attn-opt %s --attn-compile="targets=sm_90 grad=true emit=gpu" | FileCheck %s --check-prefix=GPU
// GPU-LABEL: gpu.func @attn_causal_grad(
// GPU: gpu.block_id z
// GPU: arith.remui
// GPU: scf.if
// GPU: gpu.grid_dim x
// GPU: scf.for
// GPU: gpu.block_id z
// GPU: scf.if
// GPU: gpu.grid_dim x
// GPU: scf.for
// GPU-NOT: gpu.block_id z
// GPU: gpu.return

// No scratch memory: D is recomputed where it is read, per row (a quad's
// butterfly: 4 shuffles in all) and per column tile (into shared memory).
// RUN: attn-opt %s --attn-compile="targets=sm_90 grad=true emit=gpu" | FileCheck %s --check-prefix=NOSCRATCH
// NOSCRATCH-LABEL: gpu.module @causal_grad
// NOSCRATCH-NOT: memref.alloc
// NOSCRATCH-COUNT-4: gpu.shuffle xor
// NOSCRATCH-NOT: gpu.shuffle
// NOSCRATCH-NOT: memref.alloc
// NOSCRATCH: gpu.module @gqa_f16

func.func @causal(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> (tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
}

func.func @gqa_f16(%q: tensor<?x4x?x128xf16>, %k: tensor<?x2x?x128xf16>, %v: tensor<?x2x?x128xf16>) -> (tensor<?x4x?x128xf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 100>} : tensor<?x4x?x128xf16>, tensor<?x2x?x128xf16>, tensor<?x2x?x128xf16> -> tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
}
