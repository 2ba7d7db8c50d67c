//===- Compare.h - Relative error of results, without LLVM ------*- C++ -*-===//
//
// The one definition of "agrees" for attn: relative error ||out - ref|| /
// ||ref|| in the Euclidean norm over all elements of O, and over the finite
// entries of the LSE. The reference interpreter's compareResults and
// attn-run's targets both use it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_COMPARE_H
#define ATTN_SUPPORT_COMPARE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn::support {

/// A read-only view of a row-major array of doubles.
struct ArrayView {
  std::vector<int64_t> shape;
  const double *values = nullptr;
  size_t size = 0;
};

struct Comparison {
  /// ||O_candidate - O_reference|| / ||O_reference||.
  double outputRelErr = 0.0;
  /// The same over the LSE entries finite in both; set when both have LSE.
  std::optional<double> lseRelErr;
  /// The larger of the two; +inf when a problem below makes them unusable.
  double maxRelErr = 0.0;
  /// Disagreements no tolerance excuses: shapes, NaNs, -inf placement.
  std::vector<std::string> problems;
  bool passed = false;
};

/// Compares the candidate's O (and LSE, when both give one) with the
/// reference's. A zero reference norm makes any nonzero difference an
/// infinite relative error. Passes when there are no problems and
/// maxRelErr <= tolerance.
Comparison compareOutputs(const ArrayView &referenceOutput,
                          const ArrayView &candidateOutput,
                          const ArrayView *referenceLse,
                          const ArrayView *candidateLse, double tolerance);

/// The lines attn-run prints for a comparison: o_rel_err (and lse_rel_err),
/// each problem, max_rel_err, then PASS or FAIL.
std::string formatComparison(const Comparison &comparison);

/// "%.6g".
std::string formatNumber(double value);

} // namespace attn::support

#endif // ATTN_SUPPORT_COMPARE_H
