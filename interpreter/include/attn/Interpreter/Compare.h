//===- Compare.h - Comparing and summarizing results ------------*- C++ -*-===//
//
// The one definition of "agrees" used by equivalence checks and, later, by
// the host and GPU targets' --check: relative error ||out - ref|| / ||ref||
// in the Euclidean norm over all elements.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_COMPARE_H
#define ATTN_INTERPRETER_COMPARE_H

#include "attn/Interpreter/Reference.h"

namespace mlir::attn::interpreter {

struct Comparison {
  /// ||O_candidate - O_reference|| / ||O_reference||.
  double outputRelErr = 0.0;
  /// The same over the LSE entries finite in both; set when both have LSE.
  std::optional<double> lseRelErr;
  /// The larger of the two; +inf when a problem below makes them unusable.
  double maxRelErr = 0.0;
  /// Disagreements no tolerance excuses: shapes, NaNs, -inf placement.
  llvm::SmallVector<std::string> problems;
  bool passed = false;
};

/// Compares `candidate` with `reference`. A zero reference norm makes any
/// nonzero difference an infinite relative error. Passes when there are no
/// problems and maxRelErr <= tolerance.
Comparison compareResults(const Results &reference, const Results &candidate,
                          double tolerance);

struct ResultSummary {
  int64_t rows = 0;
  /// Rows whose LSE is -inf (no key kept); known only with an LSE.
  std::optional<int64_t> fullyMaskedRows;
  /// NaNs in O and LSE together; a correct result has none.
  int64_t nanCount = 0;
  double meanAbsOutput = 0.0, maxAbsOutput = 0.0;
};

ResultSummary summarize(const Results &results);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_COMPARE_H
