//===- Compare.cpp - Comparing and summarizing results --------------------===//
#include "attn/Reference/Compare.h"

#include <cmath>
#include <limits>

using namespace mlir::attn::reference;

static constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// ||difference|| / ||reference||, with 0/0 = 0 and x/0 = inf.
static double relativeError(double differenceSquares, double referenceSquares) {
  if (referenceSquares == 0.0)
    return differenceSquares == 0.0 ? 0.0 : kInfinity;
  return std::sqrt(differenceSquares) / std::sqrt(referenceSquares);
}

static int64_t countNaNs(const Tensor64 &tensor) {
  int64_t count = 0;
  for (double value : tensor.values)
    count += std::isnan(value);
  return count;
}

/// Checks shapes and NaNs, the things no tolerance excuses.
static bool comparable(llvm::StringRef name, const Tensor64 &reference,
                       const Tensor64 &candidate, Comparison &comparison) {
  if (reference.shape != candidate.shape) {
    comparison.problems.push_back(name.str() + " shapes differ: " +
                                  formatShape(reference.shape) + " vs " +
                                  formatShape(candidate.shape));
    return false;
  }
  bool clean = true;
  for (auto [which, tensor] :
       {std::pair<llvm::StringRef, const Tensor64 *>{"reference", &reference},
        {"candidate", &candidate}}) {
    if (int64_t nans = countNaNs(*tensor)) {
      comparison.problems.push_back(which.str() + " " + name.str() + " has " +
                                    std::to_string(nans) + " NaN(s)");
      clean = false;
    }
  }
  return clean;
}

Comparison mlir::attn::reference::compareResults(const Results &reference,
                                                 const Results &candidate,
                                                 double tolerance) {
  Comparison comparison;
  bool usable = comparable("O", reference.output, candidate.output, comparison);
  if (usable) {
    double differenceSquares = 0.0, referenceSquares = 0.0;
    for (auto [expected, actual] :
         llvm::zip_equal(reference.output.values, candidate.output.values)) {
      differenceSquares += (actual - expected) * (actual - expected);
      referenceSquares += expected * expected;
    }
    comparison.outputRelErr =
        relativeError(differenceSquares, referenceSquares);
  }

  if (reference.lse && candidate.lse &&
      comparable("LSE", *reference.lse, *candidate.lse, comparison)) {
    double differenceSquares = 0.0, referenceSquares = 0.0;
    int64_t misplaced = 0;
    for (auto [expected, actual] :
         llvm::zip_equal(reference.lse->values, candidate.lse->values)) {
      bool expectedFinite = std::isfinite(expected);
      if (expectedFinite != std::isfinite(actual) ||
          (!expectedFinite && expected != actual)) {
        ++misplaced;
        continue;
      }
      if (!expectedFinite)
        continue; // -inf in both: a fully masked row.
      differenceSquares += (actual - expected) * (actual - expected);
      referenceSquares += expected * expected;
    }
    if (misplaced)
      comparison.problems.push_back(
          "LSE: " + std::to_string(misplaced) +
          " entries are infinite in one result but not equal in the other");
    comparison.lseRelErr = relativeError(differenceSquares, referenceSquares);
  } else if (reference.lse && candidate.lse) {
    usable = false;
  }

  comparison.maxRelErr =
      usable ? std::max(comparison.outputRelErr,
                        comparison.lseRelErr.value_or(0.0))
             : kInfinity;
  comparison.passed =
      comparison.problems.empty() && comparison.maxRelErr <= tolerance;
  return comparison;
}

ResultSummary mlir::attn::reference::summarize(const Results &results) {
  ResultSummary summary;
  const Tensor64 &output = results.output;
  summary.rows = output.shape.empty()
                     ? 0
                     : numElements(llvm::ArrayRef(output.shape).drop_back());
  summary.nanCount = countNaNs(output);
  double absSum = 0.0;
  for (double value : output.values) {
    absSum += std::fabs(value);
    summary.maxAbsOutput = std::max(summary.maxAbsOutput, std::fabs(value));
  }
  if (!output.values.empty())
    summary.meanAbsOutput = absSum / static_cast<double>(output.values.size());
  if (results.lse) {
    summary.nanCount += countNaNs(*results.lse);
    int64_t masked = 0;
    for (double value : results.lse->values)
      masked += value == -kInfinity;
    summary.fullyMaskedRows = masked;
  }
  return summary;
}
