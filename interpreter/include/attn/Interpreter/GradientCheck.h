//===- GradientCheck.h - backward functions vs finite differences -*- C++ -*-===//
//
// Checks an @f_grad written by attn-differentiate against central finite
// differences of the forward @f, both evaluated in float64.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_GRADIENTCHECK_H
#define ATTN_INTERPRETER_GRADIENTCHECK_H

#include "attn/Interpreter/Reference.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::attn::interpreter {

struct GradientCheckOptions {
  /// Central differences (L(x + t u) - L(x - t u)) / 2t along `directions`
  /// random normal directions u per gradient.
  double step = 1e-5;
  unsigned directions = 3;
  uint64_t seed = 0;
};

struct GradientError {
  /// The forward argument the gradient is of.
  unsigned argument = 0;
  /// max over directions of |<g, u> - fd| / (|g| |u|).
  double relErr = 0.0;
  /// |g|, which a correct gradient of random data never has at 0.
  double norm = 0.0;
};

/// Evaluates `forward` on `arguments`, draws dO (normal, from the seed),
/// evaluates `backward` on (arguments, forward results, dO) and compares
/// each gradient it returns (the argument it belongs to is its entry of the
/// "attn.gradient_of" attribute) with finite differences of
/// L = sum(O * dO). Failures are diagnosed on the functions.
FailureOr<SmallVector<GradientError>>
checkGradients(func::FuncOp forward, func::FuncOp backward,
               ArrayRef<Tensor64> arguments,
               const GradientCheckOptions &options);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_GRADIENTCHECK_H
