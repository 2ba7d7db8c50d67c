//===- Report.cpp - Expected outputs, comparison, throughput ----------------===//
//
// What --check compares with (o.npy from --inputs, the float64 reference,
// or the bundle's host binary), the printed comparison, and useful TFLOP/s
// of a timing.
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include "attn/Support/Compare.h"
#include <algorithm>
#include <iostream>

using namespace attn::run;
namespace bundle = attn::bundle;

namespace attn::run {

double defaultTolerance(const bundle::Kernel &kernel,
                        const Signature &signature) {
  bundle::DType query = kernel.args[signature.query].dtype;
  return query == bundle::DType::F32 || query == bundle::DType::F64 ? 1e-5
                                                                    : 1e-2;
}

/// The outputs to compare with: o.npy (and lse.npy) from --inputs, else the
/// oracle's float64 reference, else the host binary (for a CUDA run).
bool expectedOutputs(const RunRequest &request, const bundle::Kernel &kernel,
                     const Signature &signature, const Problem &problem,
                     SpecOracle *oracle, attn_bundle *loaded,
                     ExpectedOutputs &expected) {
  std::string outputPath = request.inputsDirectory + "/o.npy";
  if (!request.inputsDirectory.empty() && fileExists(outputPath)) {
    auto load = [&](const std::string &path, int position,
                    Array &array) -> bool {
      NpyArray file;
      std::string error =
          readNpy(path, kMaxFileElements, "attn-run's limit", file);
      if (!error.empty()) {
        printError(error);
        return false;
      }
      if (file.shape != problem.arguments[position].shape) {
        printError(path + ": shape " + formatShape(file.shape) +
                   " differs from the kernel's output shape " +
                   formatShape(problem.arguments[position].shape));
        return false;
      }
      array.shape = file.shape;
      array.values = std::move(file.values);
      return true;
    };
    if (!load(outputPath, signature.output, expected.output))
      return false;
    if (signature.lse >= 0) {
      std::string lsePath = request.inputsDirectory + "/lse.npy";
      if (!fileExists(lsePath)) {
        printError(request.inputsDirectory + " holds o.npy but not lse.npy, "
                   "which kernel '" + kernel.name + "' also returns");
        return false;
      }
      expected.lse.emplace();
      if (!load(lsePath, signature.lse, *expected.lse))
        return false;
    }
    expected.source = "expected outputs in " + request.inputsDirectory;
    return true;
  }
  if (oracle) {
    switch (oracle->reference(problem, expected)) {
    case SpecOracle::Outcome::Computed:
      return true;
    case SpecOracle::Outcome::Failed:
      return false;
    case SpecOracle::Outcome::TooLarge:
      break;
    }
  }
  bool hasHost = std::any_of(
      kernel.binaries.begin(), kernel.binaries.end(),
      [](const bundle::Binary &binary) { return binary.target == "host"; });
  if (request.target != Target::Host && hasHost)
    return runHostOnce(loaded, kernel, signature, problem, expected,
                       "the bundle's host binary");
  std::string why = oracle ? "the problem is too large for the float64 "
                             "reference (B*Hq*Sq*Skv above 2^28)"
                           : "this attn-run is built without the compiler, "
                             "so it has no float64 reference";
  printError("nothing to check kernel '" + kernel.name + "' against: " + why +
             (request.target != Target::Host
                  ? " and the bundle has no host binary"
                  : "") +
             "; pass --inputs DIR holding o.npy" +
             (signature.lse >= 0 ? " and lse.npy" : "") +
             " (attn-run SPEC --target ref --dump DIR writes them)");
  return false;
}

ArrayView view(const Array &array) {
  return {array.shape, array.values.data(), array.values.size()};
}

/// Prints the comparison with its source; returns the exit code.
int report(const ExpectedOutputs &expected, const ExpectedOutputs &candidate,
           double tolerance) {
  std::optional<ArrayView> expectedLse, candidateLse;
  if (expected.lse && candidate.lse) {
    expectedLse = view(*expected.lse);
    candidateLse = view(*candidate.lse);
  }
  Comparison comparison = compareOutputs(
      view(expected.output), view(candidate.output),
      expectedLse ? &*expectedLse : nullptr,
      candidateLse ? &*candidateLse : nullptr, tolerance);
  std::cout << "reference: " << expected.source << "\n"
            << formatComparison(comparison);
  return comparison.passed ? 0 : 1;
}

double usefulFlops(const ProblemSizes &sizes, double density) {
  // The two contractions over the kept (b, h, i, j): 2 * (E + F) flops each.
  return 2.0 * static_cast<double>(sizes.headDimQK + sizes.headDimV) *
         static_cast<double>(sizes.batch * sizes.queryHeads) *
         static_cast<double>(sizes.seqQ) * static_cast<double>(sizes.seqKV) *
         density;
}

/// Useful TFLOP/s of a median time, at the density of --useful-density or,
/// without it, the one the compiler counts (when there is a compiler).
void printThroughput(const RunRequest &request, SpecOracle *oracle,
                     const Problem &problem, double medianMs,
                     double flopsFactor) {
  std::optional<double> density = request.usefulDensity;
  const char *source = "--useful-density";
  if (!density && oracle) {
    density = oracle->density(problem);
    source = "counted by the compiler";
  }
  const ProblemSizes &sizes = problem.sizes;
  if (!density) {
    double flops = flopsFactor * usefulFlops(sizes, 1.0);
    std::cout << "density=unknown (pass --useful-density) "
              << "dense_equivalent_tflops="
              << formatNumber(flops / (medianMs * 1e9)) << "\n";
    return;
  }
  double flops = flopsFactor * usefulFlops(sizes, *density);
  std::cout << "density=" << formatNumber(*density)
            << " useful_gflops=" << formatNumber(flops / (medianMs * 1e6))
            << " tflops=" << formatNumber(flops / (medianMs * 1e9))
            << " (density " << source << ")\n";
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle]
                           : 0.5 * (values[middle - 1] + values[middle]);
}

} // namespace attn::run
