//===- Compare.cpp - Comparing and summarizing results --------------------===//
#include "attn/Interpreter/Compare.h"

// The comparisons themselves are shared with attn-run.
#include "attn/Support/Compare.h"

#include <cmath>
#include <limits>

using namespace mlir::attn::interpreter;

static constexpr double kInfinity = std::numeric_limits<double>::infinity();

static int64_t countNaNs(const Tensor64 &tensor) {
  int64_t count = 0;
  for (double value : tensor.values)
    count += std::isnan(value);
  return count;
}

static ::attn::support::ArrayView view(const Tensor64 &tensor) {
  return {{tensor.shape.begin(), tensor.shape.end()},
          tensor.values.data(),
          tensor.values.size()};
}

// The definition is shared with attn-run's bundle targets (LLVM-free).
Comparison mlir::attn::interpreter::compareResults(const Results &reference,
                                                 const Results &candidate,
                                                 double tolerance) {
  std::optional<::attn::support::ArrayView> referenceLse, candidateLse;
  if (reference.lse && candidate.lse) {
    referenceLse = view(*reference.lse);
    candidateLse = view(*candidate.lse);
  }
  ::attn::support::Comparison shared = ::attn::support::compareOutputs(
      view(reference.output), view(candidate.output),
      referenceLse ? &*referenceLse : nullptr,
      candidateLse ? &*candidateLse : nullptr, tolerance);
  Comparison comparison;
  comparison.outputRelErr = shared.outputRelErr;
  comparison.lseRelErr = shared.lseRelErr;
  comparison.maxRelErr = shared.maxRelErr;
  comparison.problems.assign(shared.problems.begin(), shared.problems.end());
  comparison.passed = shared.passed;
  return comparison;
}

ResultSummary mlir::attn::interpreter::summarize(const Results &results) {
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
