// Every f16/bf16 example compiles to PTX for sm_80 and sm_90 with the
// instructions the kernel is built on: tensor-core mma.sync, asynchronous
// copies, ldmatrix and ex2.approx, and no device-library call. (The f32
// examples bias, natten_1d_dilated and swin_blocked use TF32 products:
// pipeline-examples-f32.mlir.) With ptxas, every example also assembles:
// pipeline-cubin.mlir.
// The checks run once per chip (two PTX modules per example).
// RUN: attn-opt %examples/moba_block_list.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/mqa.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_2d.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_3d.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/prefix_lm.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/s2_attention.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/s2_attention_local4.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sinks_window.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sliding_window_1024.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sparge_block_mask.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/sqa.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/star_attention.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s

// CHECK: // attn: kernel {{[a-z0-9_]+}}, entry attn_{{[a-z0-9_]+}} for sm_80
// CHECK: .version 8.0
// CHECK-NEXT: .target sm_80
// CHECK: .visible .entry attn_
// CHECK-DAG: mma.sync.aligned.m16n8k16.row.col.f32.{{bf16.bf16|f16.f16}}.f32
// CHECK-DAG: cp.async.cg.shared.global
// CHECK-DAG: ldmatrix.sync.aligned
// CHECK-DAG: ex2.approx.f32
// CHECK-NOT: __nv_
// CHECK: // attn: kernel {{[a-z0-9_]+}}, entry attn_{{[a-z0-9_]+}} for sm_90
// CHECK-NEXT: //
// CHECK: .target sm_90
// CHECK-DAG: mma.sync.aligned.m16n8k16.row.col.f32.{{bf16.bf16|f16.f16}}.f32
// CHECK-DAG: cp.async.cg.shared.global
// CHECK-DAG: ldmatrix.sync.aligned
// CHECK-DAG: ex2.approx.f32
// CHECK-NOT: __nv_
