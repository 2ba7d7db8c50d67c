//===- GradientCheck.cpp - backward functions vs finite differences -------===//
#include "attn/Interpreter/GradientCheck.h"
#include "attn/Interpreter/CascadeEvaluator.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

FailureOr<SmallVector<GradientError>> mlir::attn::interpreter::checkGradients(
    func::FuncOp forward, func::FuncOp backward, ArrayRef<Tensor64> arguments,
    const GradientCheckOptions &options) {
  auto gradientOf =
      backward->getAttrOfType<DenseI64ArrayAttr>("attn.gradient_of");
  if (!gradientOf ||
      gradientOf.size() != static_cast<int64_t>(backward.getNumResults()))
    return backward.emitOpError()
           << "reference: needs an \"attn.gradient_of\" entry per result "
              "(what attn-differentiate writes)";
  SmallVector<Tensor64> inputs(arguments.begin(), arguments.end());
  FailureOr<SmallVector<Tensor64>> results =
      evaluateCascadeFunction(forward, inputs);
  if (failed(results))
    return failure();
  auto loss = [](ArrayRef<Tensor64> out, const Tensor64 &weights) {
    double sum = 0;
    for (size_t i = 0; i < weights.values.size(); ++i)
      sum += out[0].values[i] * weights.values[i];
    return sum;
  };

  std::mt19937_64 random(options.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Tensor64 outputGradient = (*results)[0];
  for (double &value : outputGradient.values)
    value = normal(random);
  SmallVector<Tensor64> backwardInputs = inputs;
  llvm::append_range(backwardInputs, *results);
  backwardInputs.push_back(outputGradient);
  FailureOr<SmallVector<Tensor64>> gradients =
      evaluateCascadeFunction(backward, backwardInputs);
  if (failed(gradients))
    return failure();

  SmallVector<GradientError> errors;
  for (auto [gradient, argument] :
       llvm::zip(*gradients, gradientOf.asArrayRef())) {
    if (argument < 0 || argument >= static_cast<int64_t>(inputs.size()) ||
        gradient.values.size() != inputs[argument].values.size())
      return backward.emitOpError()
             << "reference: gradient of argument #" << argument
             << " does not match that argument's size";
    GradientError error;
    error.argument = argument;
    for (double g : gradient.values)
      error.norm += g * g;
    error.norm = std::sqrt(error.norm);
    if (!std::isfinite(error.norm))
      return backward.emitOpError()
             << "reference: the gradient of argument #" << argument
             << " is not finite";
    Tensor64 &perturbed = inputs[argument];
    std::vector<double> saved = perturbed.values;
    for (unsigned d = 0; d < options.directions; ++d) {
      std::vector<double> direction(saved.size());
      double directionNorm = 0, analytic = 0;
      for (size_t i = 0; i < direction.size(); ++i) {
        direction[i] = normal(random);
        directionNorm += direction[i] * direction[i];
        analytic += gradient.values[i] * direction[i];
      }
      directionNorm = std::sqrt(directionNorm);
      double sides[2];
      for (int side = 0; side < 2; ++side) {
        double t = side == 0 ? options.step : -options.step;
        for (size_t i = 0; i < direction.size(); ++i)
          perturbed.values[i] = saved[i] + t * direction[i];
        FailureOr<SmallVector<Tensor64>> shifted =
            evaluateCascadeFunction(forward, inputs);
        if (failed(shifted))
          return failure();
        sides[side] = loss(*shifted, outputGradient);
      }
      perturbed.values = saved;
      double numeric = (sides[0] - sides[1]) / (2 * options.step);
      double scale = error.norm * directionNorm;
      double relErr = std::abs(analytic - numeric) /
                      (scale > 0 ? scale : 1.0);
      error.relErr = std::max(error.relErr, relErr);
    }
    errors.push_back(error);
  }
  return errors;
}
