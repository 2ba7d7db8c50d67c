//===- GpuRun.cpp - Running a CUDA or ROCm binary ---------------------------===//
//
// Device copies of the staged arguments, the runtime's choice of binary for
// the device, one checked launch or timed launches. The same code serves
// both vendors through attn::GpuDevice; what differs (the device, its
// DLPack type, the runtime's device name, the description line) comes from
// runCuda and runHip at the end.
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include "attn/cuda_device.hpp"
#include "attn/hip_device.hpp"
#include <algorithm>
#include <functional>
#include <iostream>

namespace bundle = attn::bundle;

namespace attn::run {

namespace {
constexpr unsigned kDefaultGpuRuns = 30;
constexpr unsigned kGpuWarmupRuns = 5;

/// What the shared run needs to know of one vendor's device.
struct GpuRunTarget {
  GpuDevice &device;
  DLDevice dlDevice;
  /// The device kind attn_kernel_select and attn_launch take ("cuda").
  const char *runtimeDevice;
  /// The line after "device N: " that names the device.
  std::function<std::string()> describe;
};

/// One copy of every argument in device memory.
struct DeviceCopy {
  std::vector<uint64_t> addresses;
  std::vector<DLTensor> tensors;
  std::vector<const DLTensor *> args;
};

bool uploadCopy(const GpuRunTarget &target,
                const std::vector<HostBuffer> &buffers, DeviceCopy &copy) {
  copy.addresses.assign(buffers.size(), 0);
  copy.tensors.clear();
  copy.tensors.reserve(buffers.size());
  for (size_t index = 0; index < buffers.size(); ++index) {
    std::string error = target.device.allocate(buffers[index].byteSize(),
                                               copy.addresses[index]);
    if (error.empty())
      error = target.device.upload(copy.addresses[index], buffers[index].data(),
                                   buffers[index].byteSize());
    if (!error.empty()) {
      printError(error);
      return false;
    }
    copy.tensors.push_back(buffers[index].describe(
        reinterpret_cast<void *>(copy.addresses[index]), target.dlDevice));
  }
  copy.args.clear();
  for (const DLTensor &tensor : copy.tensors)
    copy.args.push_back(&tensor);
  return true;
}

int runOnGpu(const GpuRunTarget &target, const RunRequest &request,
             const bundle::Kernel &kernel, const Signature &signature,
             Problem &problem, SpecOracle *oracle, attn_bundle *loaded) {
  GpuDevice &device = target.device;
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return 1;
  DeviceCopy first;
  if (!uploadCopy(target, buffers, first))
    return 1;

  int binaryIndex = -1;
  attn_status status = attn_kernel_select(
      loaded, kernel.name.c_str(), target.runtimeDevice, first.args.data(),
      static_cast<int>(first.args.size()), &binaryIndex);
  if (status != ATTN_OK) {
    // The runtime's message names the device and the bundle's binaries.
    printError(std::string(attn_status_string(status)) + ": " +
               attn_last_error());
    return 1;
  }
  const bundle::Binary &binary = kernel.binaries[binaryIndex];
  std::cout << "device " << request.device << ": " << target.describe()
            << "; binary " << binary.target << " " << bundle::name(binary.kind)
            << "\n";

  auto launchAndWait = [&](const DeviceCopy &copy) {
    if (!launch(loaded, kernel, target.runtimeDevice, copy.args))
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
    if (!launchAndWait(first))
      return 1;
    for (int position : {signature.output, signature.lse}) {
      if (position < 0)
        continue;
      std::string error = device.download(buffers[position].data(),
                                          first.addresses[position],
                                          buffers[position].byteSize());
      if (!error.empty()) {
        printError(error);
        return 1;
      }
    }
    ExpectedOutputs candidate =
        readOutputs(signature, buffers, target.runtimeDevice);
    return report(expected, candidate,
                  request.tolerance.value_or(defaultTolerance(kernel, signature)));
  }

  // Timing. Rotating among copies whose total exceeds twice the last-level
  // cache makes every run read its operands from HBM, as a real workload
  // would.
  size_t setBytes = 0;
  for (const HostBuffer &buffer : buffers)
    setBytes += buffer.byteSize();
  size_t cacheTwice = 2 * static_cast<size_t>(device.cacheBytes());
  size_t copies = setBytes >= cacheTwice
                      ? 1
                      : cacheTwice / std::max<size_t>(setBytes, 1) + 1;
  std::vector<DeviceCopy> rotation(copies);
  rotation[0] = std::move(first);
  for (size_t copy = 1; copy < copies; ++copy)
    if (!uploadCopy(target, buffers, rotation[copy]))
      return 1;
  for (unsigned run = 0; run < kGpuWarmupRuns; ++run)
    if (!launchAndWait(rotation[run % copies]))
      return 1;
  unsigned runs = request.runs.value_or(kDefaultGpuRuns);
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < runs; ++run) {
    float elapsed = 0;
    const DeviceCopy &copy = rotation[run % copies];
    std::string error = device.time(
        [&]() -> std::string {
          return launch(loaded, kernel, target.runtimeDevice, copy.args)
                     ? ""
                     : "launch";
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
  std::cout << "runs=" << runs << " warmup=" << kGpuWarmupRuns;
  if (copies > 1)
    std::cout << " rotation=" << copies << "x"
              << formatNumber(static_cast<double>(setBytes) / 1e6) << "MB";
  std::cout << " median_ms=" << formatNumber(medianMs) << " min_ms="
            << formatNumber(
                   *std::min_element(milliseconds.begin(), milliseconds.end()))
            << "\n";
  printThroughput(request, oracle, problem, medianMs);
  return 0;
}
} // namespace

int runCuda(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded) {
  CudaDevice device;
  std::string error = device.open(request.device);
  if (!error.empty()) {
    printError("--target cuda: " + error);
    return 1;
  }
  auto describe = [&] {
    return device.name() + " (sm_" + std::to_string(device.major()) +
           std::to_string(device.minor()) + ", L2 " +
           std::to_string(device.cacheBytes() / (1024 * 1024)) + " MiB)";
  };
  return runOnGpu({device, {kDLCUDA, request.device}, "cuda", describe},
                  request, kernel, signature, problem, oracle, loaded);
}

int runHip(const RunRequest &request, const bundle::Kernel &kernel,
           const Signature &signature, Problem &problem, SpecOracle *oracle,
           attn_bundle *loaded) {
  HipDevice device;
  std::string error = device.open(request.device);
  if (!error.empty()) {
    printError("--target hip: " + error);
    return 1;
  }
  auto describe = [&] {
    return device.arch() + " (HIP runtime " + device.library() + ")";
  };
  return runOnGpu({device, {kDLROCM, request.device}, "rocm", describe},
                  request, kernel, signature, problem, oracle, loaded);
}

} // namespace attn::run
