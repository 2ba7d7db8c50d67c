//===- CascadeEvaluator.h - float64 evaluation of Einsum cascades -*- C++
//-*-===//
//
// Executes an attn.cascade literally: every Einsum over every point of its
// ranks (the points past the end of a partitioned rank do not exist), every
// iteration of an iterative rank in order, in float64. Masks and score mods
// are evaluated through their attribute interfaces and custom regions
// through the region evaluator, so a cascade and the attn.attention it came
// from agree up to rounding.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_CASCADEEVALUATOR_H
#define ATTN_INTERPRETER_CASCADEEVALUATOR_H

#include "attn/Dialect/AttnOps.h"
#include "attn/Interpreter/Reference.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/LogicalResult.h"

namespace mlir::attn::interpreter {

/// Evaluates a cascade whose inputs are the query, key and value (the form
/// attn-decompose produces) on `inputs`; the first result is `output` and
/// the second, if any, `lse`. Bindings that do not fit the cascade are
/// diagnosed on the op.
llvm::FailureOr<Results> evaluateCascade(CascadeOp op, const Bindings &inputs);

/// Evaluates any cascade: `inputs` are bound in order to its inputs and
/// `context.data` to its data operands (the rest of `context` is unused).
/// Returns one tensor per result.
llvm::FailureOr<llvm::SmallVector<Tensor64>>
evaluateCascadeResults(CascadeOp op, llvm::ArrayRef<const Tensor64 *> inputs,
                       const Bindings &context);

/// Evaluates a function whose body is attn.cascade ops feeding each other
/// (such as the @f_grad that attn-differentiate writes) on `arguments`, in
/// order; returns what it returns.
llvm::FailureOr<llvm::SmallVector<Tensor64>>
evaluateCascadeFunction(func::FuncOp function,
                        llvm::ArrayRef<Tensor64> arguments);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_CASCADEEVALUATOR_H
