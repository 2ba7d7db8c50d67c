// f16 inputs on CPUs without half conversion instructions (the default
// host-cpu=portable is x86-64, which has no F16C): the extension to f32 is
// integer arithmetic (bits moved to the f32 positions, one multiply by
// 2^112, infinities and NaNs kept), not a compiler-rt call per element.
// With F16C (x86-64-v3) it stays an fpext. The f16 checks of examples-f16.mlir
// and numerics-types.mlir run the portable code against the reference.
// RUN: attn-opt %s --attn-compile="targets=host emit=host-llvm" | FileCheck %s --check-prefix=PORTABLE
// RUN: attn-opt %s --attn-compile="targets=host emit=host-llvm host-cpu=x86-64-v3" | FileCheck %s --check-prefix=F16C
// REQUIRES: x86_64-host

// PORTABLE-NOT: llvm.fpext {{.*}}f16
// PORTABLE: llvm.mlir.constant(dense<2139095040> : vector<8xi32>)
// PORTABLE: llvm.bitcast %{{.*}} : vector<8xf16> to vector<8xi16>
// PORTABLE: llvm.fmul %{{.*}}, %{{.*}} : vector<8xf32>
// PORTABLE-NOT: llvm.fpext {{.*}}f16
// F16C: llvm.fpext %{{.*}} : vector<8xf16> to vector<8xf32>
func.func @dense(%q: tensor<?x2x?x8xf16>, %k: tensor<?x2x?x8xf16>, %v: tensor<?x2x?x8xf16>) -> tensor<?x2x?x8xf16> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x8xf16>, tensor<?x2x?x8xf16>, tensor<?x2x?x8xf16> -> tensor<?x2x?x8xf16>
  return %o : tensor<?x2x?x8xf16>
}
