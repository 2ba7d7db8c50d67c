//===- Runner.h - attn-run's pieces, shared by its files --------*- C++ -*-===//
//
// Private to attn-run's bundle runner: one concern per file.
//   Problem.cpp   the kernel signature, sizes, inputs and host staging
//   HostRun.cpp   running the host binary (check or time)
//   GpuRun.cpp    running the CUDA or HSACO binary on a GPU (device copies,
//                 check or time), one path for both through attn::GpuDevice
//   Report.cpp    what a check compares with, the comparison, throughput
//   BundleRunner.cpp  the flow: read the bundle, pick the kernel, dispatch
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_SUPPORT_RUNNER_H
#define ATTN_RUN_SUPPORT_RUNNER_H

#include "BundleRunner.h"
#include "attn/Support/Compare.h"
#include "attn/Support/FloatBits.h"
#include "attn/Support/SeededRandom.h"
#include "attn/runtime.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <thread>

namespace attn::run {

/// .npy files larger than this are refused (16 GiB of doubles).
inline constexpr int64_t kMaxFileElements = int64_t(1) << 31;
/// The largest size attn-run binds (--batch, --seq-q, --seq-kv and file
/// extents): positions beyond 2^30 are beyond every target.
inline constexpr int64_t kMaxRequestedSize = int64_t(1) << 30;

/// Runs body(begin, end) over [0, count) in chunks on all cores: staging
/// S = 16384 problems (10^8 elements per tensor) one element at a time
/// would take longer than the benchmark itself.
template <typename Body> inline void parallelFor(int64_t count, Body body) {
  constexpr int64_t kChunk = int64_t(1) << 20;
  int64_t chunks = (count + kChunk - 1) / kChunk;
  unsigned workers = static_cast<unsigned>(std::min<int64_t>(
      chunks, std::max(1u, std::thread::hardware_concurrency())));
  if (workers <= 1) {
    body(0, count);
    return;
  }
  std::atomic<int64_t> next{0};
  std::vector<std::thread> threads;
  for (unsigned worker = 0; worker < workers; ++worker)
    threads.emplace_back([&] {
      for (int64_t chunk = next++; chunk < chunks; chunk = next++)
        body(chunk * kChunk, std::min(count, (chunk + 1) * kChunk));
    });
  for (std::thread &thread : threads)
    thread.join();
}

DLDataType dlTypeOf(bundle::DType dtype);

bool isFloat(bundle::DType dtype);

/// `value` rounded to the nearest value of `dtype`; integer types keep it.
double representable(double value, bundle::DType dtype);

/// A compact row-major host array in the kernel's element type.
class HostBuffer {
public:
  HostBuffer(bundle::DType dtype, std::vector<int64_t> shape)
      : dtype(dtype), shape(std::move(shape)) {
    bytes = static_cast<size_t>(elementCount(this->shape)) *
            bundle::byteSize(dtype);
    // 64-byte alignment satisfies every signature's alignment and keeps
    // vector loads fast.
    storage.reset(static_cast<uint8_t *>(
        std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64))));
  }

  bool allocated() const { return storage != nullptr; }
  size_t byteSize() const { return bytes; }
  void *data() const { return storage.get(); }
  const std::vector<int64_t> &dims() const { return shape; }

  /// A DLTensor of this buffer's shape and type at `address` on `device`.
  DLTensor describe(void *address, DLDevice device) const {
    DLTensor tensor{};
    tensor.data = address;
    tensor.device = device;
    tensor.ndim = static_cast<int32_t>(shape.size());
    tensor.dtype = dlTypeOf(dtype);
    tensor.shape = const_cast<int64_t *>(shape.data());
    tensor.strides = nullptr;
    tensor.byte_offset = 0;
    return tensor;
  }

  void fill(const std::vector<double> &values) {
    parallelFor(static_cast<int64_t>(values.size()),
                [&](int64_t begin, int64_t end) {
                  for (int64_t position = begin; position < end; ++position)
                    store(position, values[position]);
                });
  }

  /// NaN for floats, all ones for integers: what a kernel never writes
  /// cannot pass a comparison.
  void poison() {
    parallelFor(elementCount(shape), [&](int64_t begin, int64_t end) {
      for (int64_t position = begin; position < end; ++position)
        store(position, std::numeric_limits<double>::quiet_NaN());
    });
  }

  Array read() const {
    Array array;
    array.shape = shape;
    int64_t count = elementCount(shape);
    array.values.resize(count);
    parallelFor(count, [&](int64_t begin, int64_t end) {
      for (int64_t position = begin; position < end; ++position)
        array.values[position] = load(position);
    });
    return array;
  }

private:
  template <typename T> T *as() const {
    return reinterpret_cast<T *>(storage.get());
  }
  void store(size_t position, double value) {
    bool isNaN = std::isnan(value);
    switch (dtype) {
    case bundle::DType::F16:
      as<uint16_t>()[position] = roundToHalf(value, kF16);
      return;
    case bundle::DType::BF16:
      as<uint16_t>()[position] = roundToHalf(value, kBF16);
      return;
    case bundle::DType::F32:
      as<float>()[position] = static_cast<float>(value);
      return;
    case bundle::DType::F64:
      as<double>()[position] = value;
      return;
    case bundle::DType::I32:
      as<int32_t>()[position] = isNaN ? -1 : static_cast<int32_t>(value);
      return;
    case bundle::DType::I64:
      as<int64_t>()[position] = isNaN ? -1 : static_cast<int64_t>(value);
      return;
    case bundle::DType::I1:
    case bundle::DType::U8:
      // Bytes, two's complement (i8 data travels as u8).
      as<uint8_t>()[position] =
          isNaN ? 0xFF : static_cast<uint8_t>(static_cast<int64_t>(value));
      return;
    }
  }
  double load(size_t position) const {
    switch (dtype) {
    case bundle::DType::F16:
      return widenHalf(as<uint16_t>()[position], kF16);
    case bundle::DType::BF16:
      return widenHalf(as<uint16_t>()[position], kBF16);
    case bundle::DType::F32:
      return as<float>()[position];
    case bundle::DType::F64:
      return as<double>()[position];
    case bundle::DType::I32:
      return as<int32_t>()[position];
    case bundle::DType::I64:
      return static_cast<double>(as<int64_t>()[position]);
    case bundle::DType::I1:
    case bundle::DType::U8:
      return as<uint8_t>()[position];
    }
    return 0.0;
  }

  struct Free {
    void operator()(uint8_t *pointer) const { std::free(pointer); }
  };
  bundle::DType dtype;
  std::vector<int64_t> shape;
  size_t bytes = 0;
  std::unique_ptr<uint8_t, Free> storage;
};

/// Where q, k, v, o and lse sit in the kernel's signature.
struct Signature {
  int query = -1, key = -1, value = -1, output = -1, lse = -1;
  std::vector<int> data;
  /// The key summary input (isKeySummary), -1 when none.
  int keySummary = -1;
};

bool analyzeSignature(const bundle::Kernel &kernel, Signature &signature);

/// Whether `arg` is a key summary ("data<N>_summary", attn-compile
/// mask-prep=kernel; docs/sparsity.md): an input that the bundle's
/// preparation kernel <name>_prep writes from the call's data<N>, never read
/// from files or generated (staged poisoned).
bool isKeySummary(const bundle::Arg &arg);

/// The preparation launch() runs before each launch of `kernel`: its
/// preparation kernel on the call's arguments `ids` and `summary`, so that
/// every checked or timed call prepares its summary. `alone`
/// (--time-preparation): launches of `kernel` run the preparation only.
struct KeySummaryPreparation {
  std::string kernel;
  const bundle::Kernel *preparation = nullptr;
  int ids = -1, summary = -1;
  bool alone = false;
};
void setKeySummaryPreparation(KeySummaryPreparation preparation);
/// The preparation of `kernel`'s key summary argument `summary` in `model`:
/// the ids it is made from and the kernel <name>_prep; false, with an
/// error printed, when the bundle has no such kernel or the summary no
/// least extent to size it by.
bool findKeySummaryPreparation(const bundle::Bundle &model,
                               const bundle::Kernel &kernel, int summary,
                               KeySummaryPreparation &preparation);

/// The runtime sizes of one call, by symbol.
using SymbolValues = std::map<std::string, int64_t>;

std::string describeDims(const std::vector<bundle::Dim> &dims);

/// Binds B, Sq and Skv from the request where the signature leaves them
/// symbolic, and checks requests against static extents.
bool bindRequestedSizes(const bundle::Kernel &kernel,
                        const Signature &signature, const RunRequest &request,
                        SymbolValues &symbols);

/// The shape of argument `position` with symbols resolved; false (after a
/// diagnostic) when one is unbound.
bool resolveShape(const bundle::Kernel &kernel, int position,
                  const SymbolValues &symbols, std::vector<int64_t> &shape,
                  const char *hint);

bool fileExists(const std::string &path);

/// Loads `<name>.npy` of every input argument from the directory (q, k and
/// v may be absent: they are generated), binding the symbols its shape
/// carries.
bool loadInputs(const bundle::Kernel &kernel, const RunRequest &request,
                Problem &problem, SymbolValues &symbols);

/// Normal(0, 1) values for q, k, v and float data operands not read from
/// files, rounded to the argument's type. For checks (`exact`): q, k and v
/// are the very values `attn-run SPEC --target ref --seed S` generates
/// (streams 0, 1, 2). For timing, where only the distribution matters, each
/// 2^20-element chunk draws from its own stream, so that all cores generate.
void generateInputs(const bundle::Kernel &kernel, const Signature &signature,
                    uint64_t seed, bool exact, Problem &problem);

/// Host copies of every argument in the kernel's types: inputs filled,
/// outputs poisoned.
bool stageOnHost(const bundle::Kernel &kernel, const Problem &problem,
                 std::vector<HostBuffer> &buffers);

/// Refuses (after a diagnostic) a problem whose arguments overflow 64-bit
/// element counts or would not fit in this machine's memory: checked before
/// anything is allocated or generated.
bool checkProblemSize(const bundle::Kernel &kernel, const Problem &problem);

struct BundleCloser {
  void operator()(attn_bundle *loaded) const { attn_bundle_free(loaded); }
};
using LoadedBundle = std::unique_ptr<attn_bundle, BundleCloser>;

bool launch(attn_bundle *loaded, const bundle::Kernel &kernel,
            const char *target, const std::vector<const DLTensor *> &args);

/// The DLTensors of host buffers, in argument order, as attn_kernel_launch
/// takes them (pointers into `tensors`: not copyable).
struct HostArguments {
  explicit HostArguments(const std::vector<HostBuffer> &buffers);
  HostArguments(const HostArguments &) = delete;
  HostArguments &operator=(const HostArguments &) = delete;

  std::vector<DLTensor> tensors;
  std::vector<const DLTensor *> pointers;
};

/// Runs `kernel`'s host binary once over `buffers`.
bool launchOnHost(attn_bundle *loaded, const bundle::Kernel &kernel,
                  const std::vector<HostBuffer> &buffers);

/// The outputs (o, lse) read back from `buffers`.
ExpectedOutputs readOutputs(const Signature &signature,
                            const std::vector<HostBuffer> &buffers,
                            std::string source);

/// Runs the host binary once on the problem.
bool runHostOnce(attn_bundle *loaded, const bundle::Kernel &kernel,
                 const Signature &signature, const Problem &problem,
                 ExpectedOutputs &outputs, const std::string &source);

int runHost(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded);

/// The CUDA run: check or time on device `request.device`.
int runCuda(const RunRequest &request, const bundle::Kernel &kernel,
            const Signature &signature, Problem &problem, SpecOracle *oracle,
            attn_bundle *loaded);

/// The CUDA run of a forward kernel and its backward (request.gradients).
int runCudaGradients(const RunRequest &request, const bundle::Bundle &model,
                     const bundle::Kernel &forward, const Signature &signature,
                     Problem &problem, SpecOracle *oracle, attn_bundle *loaded);

/// The ROCm run (HIP runtime): check or time on device `request.device`.
int runHip(const RunRequest &request, const bundle::Kernel &kernel,
           const Signature &signature, Problem &problem, SpecOracle *oracle,
           attn_bundle *loaded);

double defaultTolerance(const bundle::Kernel &kernel,
                        const Signature &signature);

/// The outputs to compare with: o.npy (and lse.npy) from --inputs, else the
/// oracle's float64 reference, else the host binary (for a CUDA or ROCm run).
bool expectedOutputs(const RunRequest &request, const bundle::Kernel &kernel,
                     const Signature &signature, const Problem &problem,
                     SpecOracle *oracle, attn_bundle *loaded,
                     ExpectedOutputs &expected);

/// Prints the comparison with its source; returns the exit code.
int report(const ExpectedOutputs &expected, const ExpectedOutputs &candidate,
           double tolerance);

/// Useful TFLOP/s of a median time, at the density of --useful-density or,
/// without it, the one the compiler counts (when there is a compiler).
void printThroughput(const RunRequest &request, SpecOracle *oracle,
                     const Problem &problem, double medianMs,
                     double flopsFactor = 1.0);

double median(std::vector<double> values);

} // namespace attn::run

#endif // ATTN_RUN_SUPPORT_RUNNER_H
