//===- Compare.cpp - Relative error of results, without LLVM --------------===//
#include "attn/Support/Compare.h"

#include "attn/Support/Npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

using namespace attn::support;

namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// ||difference|| / ||reference||, with 0/0 = 0 and x/0 = inf.
double relativeError(double differenceSquares, double referenceSquares) {
  if (referenceSquares == 0.0)
    return differenceSquares == 0.0 ? 0.0 : kInfinity;
  return std::sqrt(differenceSquares) / std::sqrt(referenceSquares);
}

int64_t countNaNs(const ArrayView &array) {
  return std::count_if(array.values, array.values + array.size,
                       [](double value) { return std::isnan(value); });
}

/// Checks shapes and NaNs, the things no tolerance excuses.
bool comparable(const std::string &name, const ArrayView &reference,
                const ArrayView &candidate, Comparison &comparison) {
  if (reference.shape != candidate.shape) {
    comparison.problems.push_back(name + " shapes differ: " +
                                  formatShape(reference.shape) + " vs " +
                                  formatShape(candidate.shape));
    return false;
  }
  bool clean = true;
  for (auto [which, array] : {std::pair<const char *, const ArrayView *>{
                                  "reference", &reference},
                              {"candidate", &candidate}}) {
    if (int64_t nans = countNaNs(*array)) {
      comparison.problems.push_back(std::string(which) + " " + name +
                                    " has " + std::to_string(nans) +
                                    " NaN(s)");
      clean = false;
    }
  }
  return clean;
}
} // namespace

Comparison attn::support::compareOutputs(const ArrayView &referenceOutput,
                                     const ArrayView &candidateOutput,
                                     const ArrayView *referenceLse,
                                     const ArrayView *candidateLse,
                                     double tolerance) {
  Comparison comparison;
  bool usable =
      comparable("O", referenceOutput, candidateOutput, comparison);
  if (usable) {
    double differenceSquares = 0.0, referenceSquares = 0.0;
    for (size_t index = 0; index < referenceOutput.size; ++index) {
      double expected = referenceOutput.values[index];
      double actual = candidateOutput.values[index];
      differenceSquares += (actual - expected) * (actual - expected);
      referenceSquares += expected * expected;
    }
    comparison.outputRelErr =
        relativeError(differenceSquares, referenceSquares);
  }

  if (referenceLse && candidateLse &&
      comparable("LSE", *referenceLse, *candidateLse, comparison)) {
    double differenceSquares = 0.0, referenceSquares = 0.0;
    int64_t misplaced = 0;
    for (size_t index = 0; index < referenceLse->size; ++index) {
      double expected = referenceLse->values[index];
      double actual = candidateLse->values[index];
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
  } else if (referenceLse && candidateLse) {
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

std::string attn::support::formatNumber(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

std::string attn::support::formatComparison(const Comparison &comparison) {
  std::string text = "o_rel_err=" + formatNumber(comparison.outputRelErr);
  if (comparison.lseRelErr)
    text += " lse_rel_err=" + formatNumber(*comparison.lseRelErr);
  text += "\n";
  for (const std::string &problem : comparison.problems)
    text += "problem: " + problem + "\n";
  text += "max_rel_err=" + formatNumber(comparison.maxRelErr) + "\n";
  text += comparison.passed ? "PASS\n" : "FAIL\n";
  return text;
}
