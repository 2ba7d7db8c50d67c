// The f32 examples compile to PTX for sm_80 and sm_90 on TF32 mma.sync
// (three products per k step, see f32.mlir), asynchronous copies and
// ex2.approx, without ldmatrix and without device-library calls.
// RUN: attn-opt %examples/bias.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/natten_1d_dilated.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s
// RUN: attn-opt %examples/swin_blocked.mlir --attn-compile="targets=sm_80,sm_90 emit=ptx" -o /dev/null | FileCheck %s

// CHECK: // attn: kernel {{[a-z0-9_]+}}, entry attn_{{[a-z0-9_]+}} for sm_80
// CHECK: .target sm_80
// CHECK-DAG: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHECK-DAG: cp.async.cg.shared.global
// CHECK-DAG: ex2.approx.f32
// CHECK-NOT: ldmatrix
// CHECK-NOT: __nv_
// CHECK: // attn: kernel {{[a-z0-9_]+}}, entry attn_{{[a-z0-9_]+}} for sm_90
// CHECK: .target sm_90
// CHECK-DAG: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHECK-NOT: ldmatrix
// CHECK-NOT: __nv_
