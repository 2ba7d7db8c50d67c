//===- GradientRun.h - attn-run --target host --check --gradients -*- C++ -*-===//
//
// Runs a bundle's forward kernel and its backward kernel <name>_grad
// (attn-compile grad=true) on the host and compares dQ, dK and dV with the
// float64 interpreter's evaluation of the backward cascades.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_GRADIENTRUN_H
#define ATTN_RUN_GRADIENTRUN_H

#include "attn/Interpreter/Inputs.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"
#include <optional>
#include <string>

namespace mlir::attn {

struct GradientRunRequest {
  std::string bundlePath;
  /// The forward kernel; empty: the bundle's first one with a backward.
  std::string kernelName;
  interpreter::SizeRequest sizes;
  uint64_t seed = 0;
  /// Default 1e-5 for f32 inputs, 1e-2 for bf16 and f16.
  std::optional<double> tolerance;
};

/// Prints the relative error of O and of each gradient, whether two
/// backward runs agree bit for bit, and PASS or FAIL; returns the exit
/// status.
int runHostGradients(const GradientRunRequest &request, MLIRContext &context,
                     llvm::SourceMgr &sourceMgr);

} // namespace mlir::attn

#endif // ATTN_RUN_GRADIENTRUN_H
