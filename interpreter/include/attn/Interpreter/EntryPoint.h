//===- EntryPoint.h - The function a reference run executes ----*- C++ -*-===//
//
// attn-run executes one function of a module. Its arguments are the call's
// tensors in the order (query, key, value, data 0, data 1, ...), and it
// returns the output (and optionally the LSE) of the one op that reads them
// directly: an attn.attention, or the attn.cascade a decomposition made of
// it. Bindings are per argument in that same order.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_ENTRYPOINT_H
#define ATTN_INTERPRETER_ENTRYPOINT_H

#include "attn/Interpreter/Inputs.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::attn::interpreter {

struct EntryPoint {
  func::FuncOp function;
  /// The attn.attention or attn.cascade whose results the function returns.
  Operation *producer;
  SpecOperands operands;
};

/// The function named `name`, or with an empty name the first function
/// whose body holds an attn.attention or attn.cascade. Diagnoses a missing
/// function.
FailureOr<func::FuncOp> findEntryFunction(ModuleOp module,
                                          llvm::StringRef name);

/// Checks that `function` has the entry-point form above.
FailureOr<EntryPoint> analyzeEntryPoint(func::FuncOp function);

/// Evaluates the entry point in float64 on bindings of its arguments.
FailureOr<Results> evaluateEntryPoint(const EntryPoint &entry,
                                      const Bindings &inputs);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_ENTRYPOINT_H
