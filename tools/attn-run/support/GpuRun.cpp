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
#include <cmath>
#include <cstring>
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

/// Prints the device and the binary the runtime picks for `kernel`.
bool describeBinary(const GpuRunTarget &target, const RunRequest &request,
                    const bundle::Kernel &kernel, const DeviceCopy &copy,
                    attn_bundle *loaded) {
  int binaryIndex = -1;
  attn_status status = attn_kernel_select(
      loaded, kernel.name.c_str(), target.runtimeDevice, copy.args.data(),
      static_cast<int>(copy.args.size()), &binaryIndex);
  if (status != ATTN_OK) {
    // The runtime's message names the device and the bundle's binaries.
    printError(std::string(attn_status_string(status)) + ": " +
               attn_last_error());
    return false;
  }
  const bundle::Binary &binary = kernel.binaries[binaryIndex];
  std::cout << "device " << request.device << ": " << target.describe()
            << "; binary " << binary.target << " " << bundle::name(binary.kind)
            << "\n";
  return true;
}

bool launchAndWait(const GpuRunTarget &target, const bundle::Kernel &kernel,
                   const DeviceCopy &copy, attn_bundle *loaded) {
  if (!launch(loaded, kernel, target.runtimeDevice, copy.args))
    return false;
  std::string error = target.device.synchronize();
  if (!error.empty())
    printError("kernel '" + kernel.name + "': " + error);
  return error.empty();
}

/// Copies the device's argument `position` back into `buffers`.
bool downloadArgument(const GpuRunTarget &target, const DeviceCopy &copy,
                      std::vector<HostBuffer> &buffers, size_t position) {
  std::string error = target.device.download(buffers[position].data(),
                                             copy.addresses[position],
                                             buffers[position].byteSize());
  if (!error.empty())
    printError(error);
  return error.empty();
}

/// Times `kernel` on `buffers`, rotating copies through more than twice
/// the last-level cache; prints the median and returns it (negative on
/// failure).
double timeOnGpu(const GpuRunTarget &target, const RunRequest &request,
                 const bundle::Kernel &kernel,
                 const std::vector<HostBuffer> &buffers, DeviceCopy first,
                 attn_bundle *loaded);

int runOnGpu(const GpuRunTarget &target, const RunRequest &request,
             const bundle::Kernel &kernel, const Signature &signature,
             Problem &problem, SpecOracle *oracle, attn_bundle *loaded) {
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return 1;
  DeviceCopy first;
  if (!uploadCopy(target, buffers, first))
    return 1;
  if (!describeBinary(target, request, kernel, first, loaded))
    return 1;

  if (request.check) {
    ExpectedOutputs expected;
    if (!expectedOutputs(request, kernel, signature, problem, oracle, loaded,
                         expected))
      return 1;
    if (!launchAndWait(target, kernel, first, loaded))
      return 1;
    for (int position : {signature.output, signature.lse})
      if (position >= 0 &&
          !downloadArgument(target, first, buffers, position))
        return 1;
    ExpectedOutputs candidate =
        readOutputs(signature, buffers, target.runtimeDevice);
    return report(expected, candidate,
                  request.tolerance.value_or(defaultTolerance(kernel, signature)));
  }

  double medianMs =
      timeOnGpu(target, request, kernel, buffers, std::move(first), loaded);
  if (medianMs < 0)
    return 1;
  printThroughput(request, oracle, problem, medianMs);
  return 0;
}

double timeOnGpu(const GpuRunTarget &target, const RunRequest &request,
                 const bundle::Kernel &kernel,
                 const std::vector<HostBuffer> &buffers, DeviceCopy first,
                 attn_bundle *loaded) {
  GpuDevice &device = target.device;
  // Rotating among copies whose total exceeds twice the last-level cache
  // makes every run read its operands from HBM, as a real workload would.
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
      return -1;
  for (unsigned run = 0; run < kGpuWarmupRuns; ++run)
    if (!launchAndWait(target, kernel, rotation[run % copies], loaded))
      return -1;
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
      return -1;
    if (!error.empty()) {
      printError("kernel '" + kernel.name + "': " + error);
      return -1;
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
  return medianMs;
}
/// ||candidate - reference|| / ||reference|| (infinite where the candidate
/// holds a NaN or the shapes differ).
double relativeError(const Array &candidate, const Array &reference) {
  ArrayView expected{reference.shape, reference.values.data(),
                     reference.values.size()};
  ArrayView actual{candidate.shape, candidate.values.data(),
                   candidate.values.size()};
  return compareOutputs(expected, actual, nullptr, nullptr, INFINITY)
      .maxRelErr;
}

/// The forward kernel on the device (outputs poisoned), then its backward
/// on the forward's O and LSE and a seeded dO: checked against the host
/// binary's backward on the same inputs and run --runs times (default 2,
/// each time on poisoned outputs) to compare the runs bit for bit, or
/// timed.
int runGpuGradients(const GpuRunTarget &target, const RunRequest &request,
                    const bundle::Bundle &model, const bundle::Kernel &forward,
                    const Signature &signature, Problem &problem,
                    SpecOracle *oracle, attn_bundle *loaded) {
  const bundle::Kernel *backward = nullptr;
  for (const bundle::Kernel &kernel : model.kernels)
    if (kernel.name == forward.name + "_grad")
      backward = &kernel;
  if (!backward) {
    printError("kernel '" + forward.name + "' has no backward kernel");
    return 1;
  }

  std::vector<HostBuffer> forwardBuffers;
  if (!stageOnHost(forward, problem, forwardBuffers))
    return 1;
  DeviceCopy forwardCopy;
  if (!uploadCopy(target, forwardBuffers, forwardCopy) ||
      !describeBinary(target, request, forward, forwardCopy, loaded) ||
      !launchAndWait(target, forward, forwardCopy, loaded))
    return 1;
  for (int position : {signature.output, signature.lse})
    if (position >= 0 &&
        !downloadArgument(target, forwardCopy, forwardBuffers, position))
      return 1;
  ExpectedOutputs deviceForward =
      readOutputs(signature, forwardBuffers, target.runtimeDevice);
  forwardBuffers.clear();

  // The backward's arguments by name: the forward's inputs, its O and LSE
  // from the device, a seeded dO; dQ, dK and dV shaped as Q, K and V, the
  // gradients of bias operands as the scores [B, Hq, Sq, Skv].
  std::map<std::string, const Array *> named;
  for (size_t position = 0; position < forward.args.size(); ++position)
    if (forward.args[position].role == bundle::Role::Input)
      named[forward.args[position].name] = &problem.arguments[position];
  named["o"] = &deviceForward.output;
  if (deviceForward.lse)
    named["lse"] = &*deviceForward.lse;
  Array outputGradient;
  outputGradient.shape = deviceForward.output.shape;
  Problem backwardProblem;
  backwardProblem.sizes = problem.sizes;
  backwardProblem.arguments.resize(backward->args.size());
  for (size_t position = 0; position < backward->args.size(); ++position) {
    const bundle::Arg &arg = backward->args[position];
    Array &array = backwardProblem.arguments[position];
    if (arg.name == "do") {
      SeededRandom random(request.seed ^ 0x9e3779b97f4a7c15ull);
      outputGradient.values.resize(elementCount(outputGradient.shape));
      for (double &value : outputGradient.values)
        value = representable(2.0 * random.uniform() - 1.0, arg.dtype);
      array = outputGradient;
      continue;
    }
    if (arg.role == bundle::Role::Output && arg.name != "dq" &&
        arg.name != "dk" && arg.name != "dv") {
      // The gradient of a bias operand: [B, Hq, Sq, Skv].
      const std::vector<int64_t> &query = named.at("q")->shape;
      array.shape = {query[0], query[1], query[2], named.at("k")->shape[2]};
      continue;
    }
    std::string source = arg.name == "dq"   ? "q"
                         : arg.name == "dk" ? "k"
                         : arg.name == "dv" ? "v"
                                            : arg.name;
    auto found = named.find(source);
    if (found == named.end()) {
      printError("attn-run has no tensor for argument '" + arg.name +
                 "' of kernel '" + backward->name + "'");
      return 1;
    }
    if (arg.role == bundle::Role::Output)
      array.shape = found->second->shape;
    else
      array = *found->second;
  }

  std::vector<HostBuffer> buffers;
  if (!stageOnHost(*backward, backwardProblem, buffers))
    return 1;
  DeviceCopy first;
  if (!uploadCopy(target, buffers, first) ||
      !describeBinary(target, request, *backward, first, loaded))
    return 1;

  if (!request.check) {
    double medianMs =
        timeOnGpu(target, request, *backward, buffers, std::move(first), loaded);
    if (medianMs < 0)
      return 1;
    // The backward recomputes S and multiplies four more products (dP, dV,
    // dK, dQ): 2.5 times the forward's two.
    std::cout << "backward FLOPs counted as 2.5 x the forward's\n";
    printThroughput(request, oracle, problem, medianMs, 2.5);
    return 0;
  }

  // The reference: the host binary on the same inputs (and the forward's O
  // against the host's forward).
  ExpectedOutputs hostForward;
  if (!runHostOnce(loaded, forward, signature, problem, hostForward, "host"))
    return 1;
  std::vector<HostBuffer> hostBuffers;
  if (!stageOnHost(*backward, backwardProblem, hostBuffers) ||
      !launchOnHost(loaded, *backward, hostBuffers))
    return 1;

  // `runs` device runs (default 2), each on freshly poisoned outputs; the
  // first is compared with the host, the others with the first bit for bit.
  unsigned runs = std::max(2u, request.runs.value_or(2));
  std::vector<HostBuffer> firstRun;
  bool identical = true;
  for (unsigned run = 0; run < runs; ++run) {
    if (run > 0) {
      buffers.clear();
      if (!stageOnHost(*backward, backwardProblem, buffers))
        return 1;
      first = DeviceCopy();
      if (!uploadCopy(target, buffers, first))
        return 1;
    }
    if (!launchAndWait(target, *backward, first, loaded))
      return 1;
    for (size_t position = 0; position < backward->args.size(); ++position)
      if (backward->args[position].role == bundle::Role::Output &&
          !downloadArgument(target, first, buffers, position))
        return 1;
    if (run == 0) {
      firstRun = std::move(buffers);
      continue;
    }
    for (size_t position = 0; position < backward->args.size(); ++position) {
      if (backward->args[position].role != bundle::Role::Output)
        continue;
      const HostBuffer &one = firstRun[position], &other = buffers[position];
      identical &= one.byteSize() == other.byteSize() &&
                   std::memcmp(one.data(), other.data(), one.byteSize()) == 0;
    }
  }

  double tolerance =
      request.tolerance.value_or(defaultTolerance(forward, signature));
  double worst = relativeError(deviceForward.output, hostForward.output);
  std::cout << "o: rel_err=" << formatNumber(worst)
            << " (against the host binary)\n";
  for (size_t position = 0; position < backward->args.size(); ++position) {
    const bundle::Arg &arg = backward->args[position];
    if (arg.role != bundle::Role::Output)
      continue;
    double error = relativeError(firstRun[position].read(),
                                 hostBuffers[position].read());
    std::cout << arg.name << ": rel_err=" << formatNumber(error) << "\n";
    worst = std::max(worst, error);
  }
  bool passed = worst <= tolerance && identical;
  std::cout << "backward runs bit-identical: " << (identical ? "yes" : "no")
            << " (" << runs << " runs)"
            << "\nmax_rel_err=" << formatNumber(worst) << " (tolerance "
            << formatNumber(tolerance) << ", against the host binary)\n"
            << (passed ? "PASS" : "FAIL") << "\n";
  return passed ? 0 : 1;
}
} // namespace

/// Opens the CUDA device --device names; false (reported) when it cannot.
static bool openCuda(const RunRequest &request, CudaDevice &device) {
  std::string error = device.open(request.device);
  if (error.empty())
    return true;
  printError("--target cuda: " + error);
  return false;
}

static std::string describeCuda(CudaDevice &device) {
  return device.name() + " (sm_" + std::to_string(device.major()) +
         std::to_string(device.minor()) + ", L2 " +
         std::to_string(device.cacheBytes() / (1024 * 1024)) + " MiB)";
}

int runCuda(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded) {
  CudaDevice device;
  if (!openCuda(request, device))
    return 1;
  auto describe = [&] { return describeCuda(device); };
  return runOnGpu({device, {kDLCUDA, request.device}, "cuda", describe},
                  request, kernel, signature, problem, oracle, loaded);
}

int runCudaGradients(const RunRequest &request, const bundle::Bundle &model,
                     const bundle::Kernel &forward, const Signature &signature,
                     Problem &problem, SpecOracle *oracle,
                     attn_bundle *loaded) {
  CudaDevice device;
  if (!openCuda(request, device))
    return 1;
  auto describe = [&] { return describeCuda(device); };
  return runGpuGradients({device, {kDLCUDA, request.device}, "cuda", describe},
                         request, model, forward, signature, problem, oracle,
                         loaded);
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
