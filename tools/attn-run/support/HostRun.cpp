//===- HostRun.cpp - Running the host binary --------------------------------===//
//
// Launches through the runtime on host tensors: once for a check (also the
// reference of a CUDA check), or a warm-up and --runs timed calls.
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include <chrono>
#include <iostream>

using namespace attn::run;
namespace bundle = attn::bundle;

namespace attn::run {

namespace {
/// Timed runs by default.
constexpr unsigned kDefaultHostRuns = 10;
} // namespace

namespace {
KeySummaryPreparation &keySummaryPreparation() {
  static KeySummaryPreparation preparation;
  return preparation;
}

bool launchOne(attn_bundle *loaded, const std::string &name,
               const char *target, const std::vector<const DLTensor *> &args) {
  attn_status status =
      attn_kernel_launch(loaded, name.c_str(), target, args.data(),
                         static_cast<int>(args.size()), nullptr);
  if (status == ATTN_OK)
    return true;
  printError("running kernel '" + name + "' failed: " +
             attn_status_string(status) + ": " + attn_last_error());
  return false;
}
} // namespace

void setKeySummaryPreparation(KeySummaryPreparation preparation) {
  keySummaryPreparation() = std::move(preparation);
}

bool launch(attn_bundle *loaded, const bundle::Kernel &kernel,
            const char *target, const std::vector<const DLTensor *> &args) {
  const KeySummaryPreparation &preparation = keySummaryPreparation();
  if (preparation.preparation && kernel.name == preparation.kernel) {
    std::vector<const DLTensor *> prepared = {args[preparation.ids],
                                              args[preparation.summary]};
    if (!launchOne(loaded, preparation.preparation->name, target, prepared))
      return false;
    if (preparation.alone)
      return true;
  }
  return launchOne(loaded, kernel.name, target, args);
}

/// The outputs (o, lse) read back from `buffers`.
ExpectedOutputs readOutputs(const Signature &signature,
                            const std::vector<HostBuffer> &buffers,
                            std::string source) {
  ExpectedOutputs outputs;
  outputs.output = buffers[signature.output].read();
  if (signature.lse >= 0)
    outputs.lse = buffers[signature.lse].read();
  outputs.source = std::move(source);
  return outputs;
}

/// Runs the host binary once on the problem.
HostArguments::HostArguments(const std::vector<HostBuffer> &buffers) {
  tensors.reserve(buffers.size());
  for (const HostBuffer &buffer : buffers)
    tensors.push_back(buffer.describe(buffer.data(), {kDLCPU, 0}));
  for (const DLTensor &tensor : tensors)
    pointers.push_back(&tensor);
}

bool launchOnHost(attn_bundle *loaded, const bundle::Kernel &kernel,
                  const std::vector<HostBuffer> &buffers) {
  HostArguments args(buffers);
  return launch(loaded, kernel, "host", args.pointers);
}

bool runHostOnce(attn_bundle *loaded, const bundle::Kernel &kernel,
                 const Signature &signature, const Problem &problem,
                 ExpectedOutputs &outputs, const std::string &source) {
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers) ||
      !launchOnHost(loaded, kernel, buffers))
    return false;
  outputs = readOutputs(signature, buffers, source);
  return true;
}

int runHost(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded) {
  if (request.check) {
    ExpectedOutputs expected, candidate;
    if (!expectedOutputs(request, kernel, signature, problem, oracle, loaded,
                         expected) ||
        !runHostOnce(loaded, kernel, signature, problem, candidate, "host"))
      return 1;
    return report(expected, candidate,
                  request.tolerance.value_or(defaultTolerance(kernel, signature)));
  }

  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return 1;
  HostArguments args(buffers);
  // One warm-up call (it also loads the shared object), then the median.
  if (!launch(loaded, kernel, "host", args.pointers))
    return 1;
  unsigned runs = request.runs.value_or(kDefaultHostRuns);
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    if (!launch(loaded, kernel, "host", args.pointers))
      return 1;
    std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    milliseconds.push_back(elapsed.count());
  }
  double medianMs = median(milliseconds);
  std::cout << "runs=" << runs << " median_ms=" << formatNumber(medianMs)
            << "\n";
  printThroughput(request, oracle, problem, medianMs);
  return 0;
}

} // namespace attn::run
