// The LLVM-dialect stage (emit=host-llvm): each spec function becomes an
// exported `void f(void **args)` that passes args[i], a pointer to the
// memref descriptor of argument i, to the kernel's C interface; everything
// else is internal. Math functions are polynomials, so the shared object
// needs no libm.
// RUN: attn-opt %s --attn-compile="targets=host emit=host-llvm" | FileCheck %s --implicit-check-not=math. --implicit-check-not=llvm.intr.exp --implicit-check-not=llvm.intr.log --implicit-check-not=llvm.intr.tanh

// CHECK-DAG: llvm.func internal @__attn_host_causal(
// CHECK-DAG: llvm.func internal @_mlir_ciface___attn_host_causal(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-LABEL: llvm.func @causal(%arg0: !llvm.ptr) {
// CHECK: %[[S0:.*]] = llvm.getelementptr %arg0[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[Q:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S4:.*]] = llvm.getelementptr %arg0[4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[LSE:.*]] = llvm.load %[[S4]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @_mlir_ciface___attn_host_causal(%[[Q]], %{{.*}}, %{{.*}}, %{{.*}}, %[[LSE]])
// CHECK-NEXT: llvm.return
func.func @causal(%q: tensor<?x2x?x8xbf16>, %k: tensor<?x2x?x8xbf16>, %v: tensor<?x2x?x8xbf16>) -> (tensor<?x2x?x8xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.softcap<30.0>} : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16> -> tensor<?x2x?x8xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x8xbf16>, tensor<?x2x?xf32>
}
