//===- RegionEvaluator.h - float64 evaluation of custom regions -*- C++ -*-===//
//
// Interprets the custom `mask` and `score` regions of attn.attention and
// attn.cascade at one (b, h, i, j) element, in float64 (integers keep their
// declared bit width). Supported: the arith and math ops that element rules
// need, and tensor.extract of the op's `data` operands; any other op is
// diagnosed on that op and yields failure.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_REGIONEVALUATOR_H
#define ATTN_INTERPRETER_REGIONEVALUATOR_H

#include "attn/Interpreter/Reference.h"
#include "mlir/IR/Region.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/Support/LogicalResult.h"
#include <cstdint>

namespace mlir::attn::interpreter {

/// Evaluates a mask region (arguments b, h, i, j : index; yields i1).
/// `dataOperands` are the op's `data` operands, bound in order to
/// `inputs.data`, so that tensor.extract of one reads the bound values.
llvm::FailureOr<bool> evaluateMaskRegion(Region &region, int64_t b, int64_t h,
                                         int64_t i, int64_t j,
                                         const Bindings &inputs,
                                         ValueRange dataOperands);

/// Evaluates a score region (arguments s : f32, b, h, i, j : index; yields
/// f32) on the score `s`.
llvm::FailureOr<double> evaluateScoreRegion(Region &region, double s, int64_t b,
                                            int64_t h, int64_t i, int64_t j,
                                            const Bindings &inputs,
                                            ValueRange dataOperands);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_REGIONEVALUATOR_H
