//===- CompilerOracle.h - The spec behind a bundle, for attn-run -*- C++ -*-===//
//
// What the compiler-backed attn-run adds to the bundle runner (support/):
// the spec the bundle carries, parsed, gives inputs valid for its data
// operands (seeded exactly as `--target ref` makes them), the float64
// reference for problems within its limits, and the density of kept
// (b, h, i, j) for useful FLOP counts.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_COMPILERORACLE_H
#define ATTN_RUN_COMPILERORACLE_H

#include "BundleRunner.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::attn {

/// Parses the spec carried by the bundle and finds `kernel`'s function;
/// null after a diagnostic (through `sourceMgr`'s handler on `context`).
std::unique_ptr<::attn::run::SpecOracle>
makeCompilerOracle(const ::attn::bundle::Bundle &bundle,
                   const ::attn::bundle::Kernel &kernel,
                   const std::string &bundlePath, MLIRContext &context,
                   llvm::SourceMgr &sourceMgr);

} // namespace mlir::attn

#endif // ATTN_RUN_COMPILERORACLE_H
