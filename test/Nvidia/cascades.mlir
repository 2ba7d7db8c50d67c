// Hand-written cascades on the NVIDIA target: the same schedule emitter, so
// what the cascade asks for is what the kernel does.
//
// Sigmoid attention has no maximum and no sum over the keys: no row
// reduction, hence no lane shuffle at all; each score is one ex2 (the
// exp(-x) of the sigmoid, its scale folded into the exponent) and both
// products are on mma.sync.
// RUN: attn-opt %examples/cascades/sigmoid.mlir --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=SIGMOID
// SIGMOID: .entry attn_sigmoid(
// SIGMOID-NOT: shfl.sync
// SIGMOID: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SIGMOID-NOT: shfl.sync
// SIGMOID: ex2.approx
// SIGMOID-NOT: shfl.sync
//
// Softmax: per key tile the row maximum crosses the 4 lanes of a row (2 row
// slots x 2 shuffles); the row sums stay per lane until the epilogue (2 x 2
// more), so 8 shuffles in all.
// RUN: attn-opt %examples/cascades/softmax_plus_one.mlir --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=PLUS-ONE
// RUN: attn-opt %examples/cascades/softmax_plus_one.mlir --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | grep -c shfl.sync | FileCheck %s --check-prefix=SHUFFLES
// PLUS-ONE: .entry attn_softmax_plus_one(
// PLUS-ONE: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SHUFFLES: {{^}}8{{$}}
//
// FuseMax's 1-pass cascade, f32 inputs: 3xTF32 products.
// RUN: attn-opt %examples/fusemax/one_pass.mlir --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s --check-prefix=ONE-PASS
// ONE-PASS: .entry attn_attention(
// ONE-PASS: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
