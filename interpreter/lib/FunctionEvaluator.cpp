//===- FunctionEvaluator.cpp - float64 evaluation of cascade functions ----===//
//
// Runs a function whose body is attn.cascade ops feeding each other (the
// @f_grad functions attn-differentiate writes): each cascade is evaluated by
// evaluateCascadeResults on the tensors its operands name.
//
//===----------------------------------------------------------------------===//
#include "attn/Interpreter/CascadeEvaluator.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

FailureOr<SmallVector<Tensor64>>
mlir::attn::interpreter::evaluateCascadeFunction(
    func::FuncOp function, ArrayRef<Tensor64> arguments) {
  if (arguments.size() != function.getNumArguments())
    return function.emitOpError()
           << "reference: takes " << function.getNumArguments()
           << " arguments, got " << arguments.size();
  llvm::DenseMap<Value, Tensor64> values;
  for (auto [argument, tensor] :
       llvm::zip(function.getArguments(), arguments))
    values[argument] = tensor;
  auto lookup = [&](Operation *user, Value value) -> const Tensor64 * {
    auto found = values.find(value);
    if (found == values.end()) {
      user->emitOpError() << "reference: reads a value that is neither an "
                             "argument nor a cascade result";
      return nullptr;
    }
    return &found->second;
  };
  for (Operation &op : function.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      SmallVector<Tensor64> results;
      for (Value operand : ret.getOperands()) {
        const Tensor64 *tensor = lookup(ret, operand);
        if (!tensor)
          return failure();
        results.push_back(*tensor);
      }
      return results;
    }
    auto cascade = dyn_cast<CascadeOp>(op);
    if (!cascade)
      return op.emitOpError()
             << "reference: a cascade function holds only attn.cascade ops";
    SmallVector<const Tensor64 *> inputs;
    Bindings context;
    for (Value input : cascade.getInputs()) {
      inputs.push_back(lookup(cascade, input));
      if (!inputs.back())
        return failure();
    }
    for (Value data : cascade.getData()) {
      const Tensor64 *tensor = lookup(cascade, data);
      if (!tensor)
        return failure();
      context.data.push_back(*tensor);
    }
    FailureOr<SmallVector<Tensor64>> results =
        evaluateCascadeResults(cascade, inputs, context);
    if (failed(results))
      return failure();
    for (auto [result, tensor] : llvm::zip(cascade.getResults(), *results))
      values[result] = std::move(tensor);
  }
  return function.emitOpError() << "reference: the function does not return";
}
