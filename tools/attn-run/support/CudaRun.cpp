//===- CudaRun.cpp - Running the CUDA binary --------------------------------===//
//
// Device copies of the staged arguments, the runtime's choice of binary,
// one checked launch or timed launches rotating among copies that exceed
// twice the L2.
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include "attn/cuda_device.hpp"
#include <algorithm>
#include <iostream>

using namespace attn::run;
using attn::CudaDevice;
namespace bundle = attn::bundle;

namespace attn::run {

namespace {
constexpr unsigned kDefaultCudaRuns = 30;
constexpr unsigned kCudaWarmupRuns = 5;

/// One copy of every argument in device memory.
struct DeviceCopy {
  std::vector<uint64_t> addresses;
  std::vector<DLTensor> tensors;
  std::vector<const DLTensor *> args;
};

bool allocateDeviceCopy(CudaDevice &device, int ordinal,
                        const std::vector<HostBuffer> &buffers,
                        DeviceCopy &copy) {
  copy.addresses.assign(buffers.size(), 0);
  copy.tensors.clear();
  copy.tensors.reserve(buffers.size());
  for (size_t index = 0; index < buffers.size(); ++index) {
    std::string error =
        device.allocate(buffers[index].byteSize(), copy.addresses[index]);
    if (!error.empty()) {
      printError(error);
      return false;
    }
    copy.tensors.push_back(buffers[index].describe(
        reinterpret_cast<void *>(copy.addresses[index]),
        {kDLCUDA, ordinal}));
  }
  copy.args.clear();
  for (const DLTensor &tensor : copy.tensors)
    copy.args.push_back(&tensor);
  return true;
}

bool uploadAll(CudaDevice &device, const std::vector<HostBuffer> &buffers,
               const DeviceCopy &copy) {
  for (size_t index = 0; index < buffers.size(); ++index) {
    std::string error = device.upload(copy.addresses[index],
                                      buffers[index].data(),
                                      buffers[index].byteSize());
    if (!error.empty()) {
      printError(error);
      return false;
    }
  }
  return true;
}
} // namespace

/// The CUDA run: check or time on device `request.device`.
int runCuda(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded) {
  CudaDevice device;
  std::string error = device.open(request.device);
  if (!error.empty()) {
    printError("--target cuda: " + error);
    return 1;
  }
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return 1;
  DeviceCopy first;
  if (!allocateDeviceCopy(device, request.device, buffers, first) ||
      !uploadAll(device, buffers, first))
    return 1;

  int binaryIndex = -1;
  attn_status status = attn_kernel_select(
      loaded, kernel.name.c_str(), "cuda", first.args.data(),
      static_cast<int>(first.args.size()), &binaryIndex);
  if (status != ATTN_OK) {
    std::string targets;
    for (const bundle::Binary &binary : kernel.binaries)
      targets += (targets.empty() ? "" : ", ") + binary.target;
    printError("kernel '" + kernel.name + "' cannot run on device " +
               std::to_string(request.device) + " (" + device.name() +
               ", sm_" + std::to_string(device.major()) +
               std::to_string(device.minor()) + "): " +
               attn_status_string(status) + ": " + attn_last_error() +
               " (the bundle has: " + targets + ")");
    return 1;
  }
  const bundle::Binary &binary = kernel.binaries[binaryIndex];
  std::cout << "device " << request.device << ": " << device.name() << " (sm_"
            << device.major() << device.minor() << ", L2 "
            << device.l2Bytes() / (1024 * 1024) << " MiB); binary "
            << binary.target << " " << bundle::name(binary.kind) << "\n";

  auto launchAndWait = [&](const DeviceCopy &copy) {
    if (!launch(loaded, kernel, "cuda", copy.args))
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
      error = device.download(buffers[position].data(),
                              first.addresses[position],
                              buffers[position].byteSize());
      if (!error.empty()) {
        printError(error);
        return 1;
      }
    }
    ExpectedOutputs candidate = readOutputs(signature, buffers, "cuda");
    return report(expected, candidate,
                  request.tolerance.value_or(defaultTolerance(kernel, signature)));
  }

  // Timing. Rotating among copies whose total exceeds twice the L2 makes
  // every run read its operands from HBM, as a real workload would.
  size_t setBytes = 0;
  for (const HostBuffer &buffer : buffers)
    setBytes += buffer.byteSize();
  size_t l2Twice = 2 * static_cast<size_t>(device.l2Bytes());
  size_t copies =
      setBytes >= l2Twice ? 1 : l2Twice / std::max<size_t>(setBytes, 1) + 1;
  std::vector<DeviceCopy> rotation(copies);
  rotation[0] = std::move(first);
  for (size_t copy = 1; copy < copies; ++copy) {
    if (!allocateDeviceCopy(device, request.device, buffers, rotation[copy]))
      return 1;
    for (size_t index = 0; index < buffers.size(); ++index) {
      error = device.copy(rotation[copy].addresses[index],
                          rotation[0].addresses[index],
                          buffers[index].byteSize());
      if (!error.empty()) {
        printError(error);
        return 1;
      }
    }
  }
  for (unsigned run = 0; run < kCudaWarmupRuns; ++run)
    if (!launchAndWait(rotation[run % copies]))
      return 1;
  unsigned runs = request.runs.value_or(kDefaultCudaRuns);
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < runs; ++run) {
    float elapsed = 0;
    const DeviceCopy &copy = rotation[run % copies];
    error = device.time(
        [&]() -> std::string {
          return launch(loaded, kernel, "cuda", copy.args) ? "" : "launch";
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
  std::cout << "runs=" << runs << " warmup=" << kCudaWarmupRuns
            << " rotation=" << copies << "x"
            << formatNumber(static_cast<double>(setBytes) / 1e6) << "MB"
            << " median_ms=" << formatNumber(medianMs)
            << " min_ms=" << formatNumber(*std::min_element(
                                 milliseconds.begin(), milliseconds.end()))
            << "\n";
  printThroughput(request, oracle, problem, medianMs);
  return 0;
}

} // namespace attn::run
