//===- HostTarget.h - attn-run --target host --------------------*- C++ -*-===//
//
// Runs a kernel of a compiled bundle on the host through the attn runtime:
// with `check`, on seeded inputs against the float64 reference rebuilt from
// the spec text the bundle carries; otherwise timed.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_HOSTTARGET_H
#define ATTN_RUN_HOSTTARGET_H

#include "attn/Reference/Inputs.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"
#include <optional>
#include <string>

namespace mlir::attn {

struct HostRunRequest {
  std::string bundlePath;
  /// The kernel (spec function) to run; empty: the bundle's first kernel.
  std::string functionName;
  reference::SizeRequest sizes;
  uint64_t seed = 0;
  /// Compare against the reference (else time the kernel).
  bool check = false;
  /// Largest relative error that passes; default 1e-5 for f32 inputs and
  /// 1e-2 for bf16 and f16.
  std::optional<double> tolerance;
  /// Timed runs whose median is reported.
  unsigned runs = 10;
};

/// Returns the process exit code: 0 on success (and PASS), 1 otherwise.
/// Diagnostics go through `sourceMgr`'s handler on `context`.
int runHostTarget(const HostRunRequest &request, MLIRContext &context,
                  llvm::SourceMgr &sourceMgr);

} // namespace mlir::attn

#endif // ATTN_RUN_HOSTTARGET_H
