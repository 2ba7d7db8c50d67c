//===- HipRun.cpp - Running the HSACO binary -------------------------------===//
//
// Device copies of the staged arguments, the runtime's choice of binary for
// the ROCm device's architecture, one checked launch or timed launches.
// Unlike the CUDA run, timing does not rotate among copies to defeat the
// cache: no AMD GPU has been available to tune it on (docs/amd.md).
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include "attn/hip_device.hpp"
#include <algorithm>
#include <iostream>

using attn::HipDevice;
namespace bundle = attn::bundle;

namespace attn::run {

namespace {
constexpr unsigned kDefaultHipRuns = 30;
constexpr unsigned kHipWarmupRuns = 5;
} // namespace

int runHip(const RunRequest &request, const bundle::Kernel &kernel,
           const Signature &signature, Problem &problem, SpecOracle *oracle,
           attn_bundle *loaded) {
  HipDevice device;
  std::string error = device.open(request.device);
  if (!error.empty()) {
    printError("--target hip: " + error);
    return 1;
  }
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return 1;
  std::vector<uint64_t> addresses(buffers.size(), 0);
  std::vector<DLTensor> tensors;
  std::vector<const DLTensor *> args;
  for (size_t index = 0; index < buffers.size(); ++index) {
    error = device.allocate(buffers[index].byteSize(), addresses[index]);
    if (error.empty())
      error = device.upload(addresses[index], buffers[index].data(),
                            buffers[index].byteSize());
    if (!error.empty()) {
      printError(error);
      return 1;
    }
    tensors.push_back(buffers[index].describe(
        reinterpret_cast<void *>(addresses[index]), {kDLROCM, request.device}));
  }
  for (const DLTensor &tensor : tensors)
    args.push_back(&tensor);

  int binaryIndex = -1;
  attn_status status =
      attn_kernel_select(loaded, kernel.name.c_str(), "rocm", args.data(),
                         static_cast<int>(args.size()), &binaryIndex);
  if (status != ATTN_OK) {
    // The runtime's message names the device and the bundle's binaries.
    printError(std::string(attn_status_string(status)) + ": " +
               attn_last_error());
    return 1;
  }
  const bundle::Binary &binary = kernel.binaries[binaryIndex];
  std::cout << "device " << request.device << ": " << device.arch()
            << " (HIP runtime " << device.library() << "); binary "
            << binary.target << " " << bundle::name(binary.kind) << "\n";

  auto launchAndWait = [&] {
    if (!launch(loaded, kernel, "rocm", args))
      return false;
    std::string error = device.synchronize();
    if (!error.empty())
      printError("kernel '" + kernel.name + "': " + error);
    return error.empty();
  };

  if (request.check) {
    ExpectedOutputs expected;
    if (!expectedOutputs(request, kernel, signature, problem, oracle, loaded,
                         expected))
      return 1;
    if (!launchAndWait())
      return 1;
    for (int position : {signature.output, signature.lse}) {
      if (position < 0)
        continue;
      error = device.download(buffers[position].data(), addresses[position],
                              buffers[position].byteSize());
      if (!error.empty()) {
        printError(error);
        return 1;
      }
    }
    ExpectedOutputs candidate = readOutputs(signature, buffers, "hip");
    return report(expected, candidate,
                  request.tolerance.value_or(defaultTolerance(kernel, signature)));
  }

  for (unsigned run = 0; run < kHipWarmupRuns; ++run)
    if (!launchAndWait())
      return 1;
  unsigned runs = request.runs.value_or(kDefaultHipRuns);
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < runs; ++run) {
    float elapsed = 0;
    error = device.time(
        [&]() -> std::string {
          return launch(loaded, kernel, "rocm", args) ? "" : "launch";
        },
        elapsed);
    if (error == "launch")
      return 1;
    if (!error.empty()) {
      printError("kernel '" + kernel.name + "': " + error);
      return 1;
    }
    milliseconds.push_back(elapsed);
  }
  double medianMs = median(milliseconds);
  std::cout << "runs=" << runs << " warmup=" << kHipWarmupRuns
            << " median_ms=" << formatNumber(medianMs)
            << " min_ms=" << formatNumber(*std::min_element(
                                 milliseconds.begin(), milliseconds.end()))
            << "\n";
  printThroughput(request, oracle, problem, medianMs);
  return 0;
}

} // namespace attn::run
