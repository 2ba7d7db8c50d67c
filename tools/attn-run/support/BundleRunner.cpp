//===- BundleRunner.cpp - Run a bundle's kernel and check it --------------===//
//
// Flow: read the bundle, pick the kernel, bind the sizes its signature
// leaves symbolic, make the inputs, then either run once on NaN-poisoned
// outputs and compare with expected outputs, or time the kernel.
//
//===----------------------------------------------------------------------===//
#include "BundleRunner.h"

#include "attn/Support/Compare.h"
#include "CudaDevice.h"
#include "attn/Support/FloatBits.h"
#include "attn/Support/SeededRandom.h"
#include "attn/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <atomic>

using namespace attn::run;
namespace bundle = attn::bundle;

void attn::run::printError(const std::string &message) {
  std::cout.flush();
  std::cerr << "attn-run: error: " << message << "\n";
}

namespace {
/// .npy files larger than this are refused (16 GiB of doubles).
constexpr int64_t kMaxFileElements = int64_t(1) << 31;
/// Host timing default; CUDA's is kDefaultCudaRuns.
constexpr unsigned kDefaultHostRuns = 10;
constexpr unsigned kDefaultCudaRuns = 30;
constexpr unsigned kCudaWarmupRuns = 5;

/// Runs body(begin, end) over [0, count) in chunks on all cores: staging
/// S = 16384 problems (10^8 elements per tensor) one element at a time
/// would take longer than the benchmark itself.
template <typename Body> void parallelFor(int64_t count, Body body) {
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

DLDataType dlTypeOf(bundle::DType dtype) {
  switch (dtype) {
  case bundle::DType::F16:
    return {kDLFloat, 16, 1};
  case bundle::DType::BF16:
    return {kDLBfloat, 16, 1};
  case bundle::DType::F32:
    return {kDLFloat, 32, 1};
  case bundle::DType::F64:
    return {kDLFloat, 64, 1};
  case bundle::DType::I32:
    return {kDLInt, 32, 1};
  case bundle::DType::I64:
    return {kDLInt, 64, 1};
  case bundle::DType::I1:
  case bundle::DType::U8:
    return {kDLUInt, 8, 1};
  }
  return {kDLFloat, 32, 1};
}

bool isFloat(bundle::DType dtype) {
  return dtype == bundle::DType::F16 || dtype == bundle::DType::BF16 ||
         dtype == bundle::DType::F32 || dtype == bundle::DType::F64;
}

/// `value` rounded to the nearest value of `dtype`; integer types keep it.
double representable(double value, bundle::DType dtype) {
  switch (dtype) {
  case bundle::DType::F16:
    return widenHalf(roundToHalf(value, kF16), kF16);
  case bundle::DType::BF16:
    return widenHalf(roundToHalf(value, kBF16), kBF16);
  case bundle::DType::F32:
    return static_cast<float>(value);
  default:
    return value;
  }
}

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
};

bool analyzeSignature(const bundle::Kernel &kernel, Signature &signature) {
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    int position = static_cast<int>(index);
    const std::string &name = arg.name;
    bool known = true;
    if (name == "q")
      signature.query = position;
    else if (name == "k")
      signature.key = position;
    else if (name == "v")
      signature.value = position;
    else if (name == "o")
      signature.output = position;
    else if (name == "lse")
      signature.lse = position;
    else if (name.rfind("data", 0) == 0 && name.size() > 4 &&
             name.find_first_not_of("0123456789", 4) == std::string::npos)
      signature.data.push_back(position);
    else
      known = false;
    if (!known || arg.kind != bundle::ArgKind::Tensor) {
      printError("kernel '" + kernel.name + "' takes argument '" + name +
                 "', which attn-run cannot bind (it binds the tensors q, k, "
                 "v, data<N>, o and lse)");
      return false;
    }
    bool isOutput = name == "o" || name == "lse";
    if ((arg.role == bundle::Role::Output) != isOutput) {
      printError("argument '" + name + "' of kernel '" + kernel.name +
                 "' has an unexpected role");
      return false;
    }
  }
  if (signature.query < 0 || signature.key < 0 || signature.value < 0 ||
      signature.output < 0) {
    printError("kernel '" + kernel.name +
               "' lacks one of the arguments q, k, v and o");
    return false;
  }
  auto rankIs = [&](int position, size_t rank) {
    if (kernel.args[position].dims.size() == rank)
      return true;
    printError("argument '" + kernel.args[position].name + "' of kernel '" +
               kernel.name + "' has rank " +
               std::to_string(kernel.args[position].dims.size()) +
               ", expected " + std::to_string(rank));
    return false;
  };
  return rankIs(signature.query, 4) && rankIs(signature.key, 4) &&
         rankIs(signature.value, 4) && rankIs(signature.output, 4) &&
         (signature.lse < 0 || rankIs(signature.lse, 3));
}

/// The runtime sizes of one call, by symbol.
using SymbolValues = std::map<std::string, int64_t>;

std::string describeDims(const std::vector<bundle::Dim> &dims) {
  std::string text = "[";
  for (size_t dim = 0; dim < dims.size(); ++dim)
    text += (dim ? ", " : "") + (dims[dim].isStatic()
                                     ? std::to_string(dims[dim].extent)
                                     : dims[dim].symbol);
  return text + "]";
}

/// Binds B, Sq and Skv from the request where the signature leaves them
/// symbolic, and checks requests against static extents.
bool bindRequestedSizes(const bundle::Kernel &kernel,
                        const Signature &signature, const RunRequest &request,
                        SymbolValues &symbols) {
  struct Binding {
    const char *flag;
    std::optional<int64_t> requested;
    std::vector<std::pair<int, int>> dims; // (argument, dimension)
  };
  std::optional<int64_t> seqKV = request.seqKV;
  Binding bindings[] = {
      {"batch", request.batch,
       {{signature.query, 0}, {signature.key, 0}, {signature.value, 0}}},
      {"seq-q", request.seqQ, {{signature.query, 2}}},
      {"seq-kv", seqKV, {{signature.key, 2}, {signature.value, 2}}},
  };
  for (Binding &binding : bindings) {
    std::string flag = binding.flag;
    std::optional<int64_t> staticExtent;
    std::string symbol;
    for (auto [argument, dim] : binding.dims) {
      const bundle::Dim &d = kernel.args[argument].dims[dim];
      if (d.isStatic())
        staticExtent = d.extent;
      else
        symbol = d.symbol;
    }
    std::optional<int64_t> requested = binding.requested;
    if (requested && *requested < 1) {
      printError("--" + flag + " must be >= 1, got " +
                 std::to_string(*requested));
      return false;
    }
    if (staticExtent) {
      if (requested && *requested != *staticExtent) {
        printError("--" + flag + " " + std::to_string(*requested) +
                   " contradicts the kernel's static size " +
                   std::to_string(*staticExtent));
        return false;
      }
      continue;
    }
    if (!requested && symbols.count(symbol))
      continue; // bound by an --inputs file
    if (!requested && flag == "seq-kv" && symbols.count("Sq"))
      requested = symbols["Sq"]; // Skv defaults to Sq.
    if (!requested) {
      printError("kernel '" + kernel.name + "' leaves this size dynamic (" +
                 symbol + "): pass --" + flag);
      return false;
    }
    auto [it, inserted] = symbols.emplace(symbol, *requested);
    if (!inserted && it->second != *requested) {
      printError("--" + flag + " " + std::to_string(*requested) +
                 " contradicts " + symbol + " = " +
                 std::to_string(it->second) + " of the --inputs files");
      return false;
    }
  }
  return true;
}

/// The shape of argument `position` with symbols resolved; false (after a
/// diagnostic) when one is unbound.
bool resolveShape(const bundle::Kernel &kernel, int position,
                  const SymbolValues &symbols, std::vector<int64_t> &shape,
                  const char *hint) {
  const bundle::Arg &arg = kernel.args[position];
  shape.clear();
  for (const bundle::Dim &dim : arg.dims) {
    if (dim.isStatic()) {
      shape.push_back(dim.extent);
      continue;
    }
    auto it = symbols.find(dim.symbol);
    if (it == symbols.end()) {
      printError("argument '" + arg.name + "' of kernel '" + kernel.name +
                 "' has shape " + describeDims(arg.dims) +
                 " and nothing binds its size '" + dim.symbol + "'" + hint);
      return false;
    }
    shape.push_back(it->second);
  }
  return true;
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// Loads `<name>.npy` of every input argument from the directory (q, k and
/// v may be absent: they are generated), binding the symbols its shape
/// carries.
bool loadInputs(const bundle::Kernel &kernel, const RunRequest &request,
                Problem &problem, SymbolValues &symbols) {
  problem.arguments.resize(kernel.args.size());
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    if (arg.role != bundle::Role::Input)
      continue;
    std::string path = request.inputsDirectory + "/" + arg.name + ".npy";
    bool generated = arg.name == "q" || arg.name == "k" || arg.name == "v";
    if (generated && !fileExists(path))
      continue; // generated from --seed, as --target ref would
    NpyArray file;
    std::string error =
        readNpy(path, kMaxFileElements, "attn-run's limit", file);
    if (!error.empty()) {
      printError(error);
      return false;
    }
    if (isIntegerDType(file.dtype) == isFloat(arg.dtype)) {
      printError(path + ": dtype " + npyDescriptor(file.dtype) +
                 " does not suit argument '" + arg.name + "' of type " +
                 bundle::name(arg.dtype));
      return false;
    }
    if (file.shape.size() != arg.dims.size()) {
      printError(path + ": shape " + formatShape(file.shape) + " has rank " +
                 std::to_string(file.shape.size()) + " but argument '" +
                 arg.name + "' is " + describeDims(arg.dims));
      return false;
    }
    for (size_t dim = 0; dim < arg.dims.size(); ++dim) {
      const bundle::Dim &d = arg.dims[dim];
      int64_t extent = file.shape[dim];
      if (d.isStatic() ? extent != d.extent
                       : !symbols.emplace(d.symbol, extent).second &&
                             symbols[d.symbol] != extent) {
        printError(path + ": shape " + formatShape(file.shape) +
                   " does not fit argument '" + arg.name + "' " +
                   describeDims(arg.dims) + ": dimension " +
                   std::to_string(dim) + " is " + std::to_string(extent) +
                   " but must be " +
                   (d.isStatic() ? std::to_string(d.extent)
                                 : d.symbol + " = " +
                                       std::to_string(symbols[d.symbol])));
        return false;
      }
    }
    // The kernel and any reference must see the same values: those of the
    // argument's element type.
    for (double &value : file.values)
      value = representable(value, arg.dtype);
    problem.arguments[index].shape = file.shape;
    problem.arguments[index].values = std::move(file.values);
  }
  return true;
}

/// Normal(0, 1) values for q, k, v and float data operands not read from
/// files, rounded to the argument's type. For checks (`exact`): q, k and v
/// are the very values `attn-run SPEC --target ref --seed S` generates
/// (streams 0, 1, 2). For timing, where only the distribution matters, each
/// 2^20-element chunk draws from its own stream, so that all cores generate.
void generateInputs(const bundle::Kernel &kernel, const Signature &signature,
                    uint64_t seed, bool exact, Problem &problem) {
  std::vector<int> streams = {signature.query, signature.key, signature.value};
  for (int position : signature.data)
    if (isFloat(kernel.args[position].dtype))
      streams.push_back(position);
  for (uint64_t stream = 0; stream < streams.size(); ++stream) {
    int position = streams[stream];
    Array &array = problem.arguments[position];
    int64_t count = elementCount(array.shape);
    if (!array.values.empty() || count == 0)
      continue;
    array.values.resize(count);
    bundle::DType dtype = kernel.args[position].dtype;
    auto generate = [&](SeededRandom &random, int64_t begin, int64_t end) {
      for (int64_t index = begin; index < end; ++index)
        array.values[index] = representable(random.normal(), dtype);
    };
    if (exact) {
      SeededRandom random(streamSeed(seed, stream));
      generate(random, 0, count);
      continue;
    }
    parallelFor(count, [&](int64_t begin, int64_t end) {
      SeededRandom random(streamSeed(seed, ((stream + 1) << 40) + begin));
      generate(random, begin, end);
    });
  }
}

/// Where the kernel's arguments live for one call, on the host or a device.
struct CallBuffers {
  std::vector<HostBuffer> host;
  std::vector<DLTensor> tensors;
  std::vector<const DLTensor *> pointers() const {
    std::vector<const DLTensor *> result;
    for (const DLTensor &tensor : tensors)
      result.push_back(&tensor);
    return result;
  }
};

/// Host copies of every argument in the kernel's types: inputs filled,
/// outputs poisoned.
bool stageOnHost(const bundle::Kernel &kernel, const Problem &problem,
                 std::vector<HostBuffer> &buffers) {
  buffers.clear();
  buffers.reserve(kernel.args.size());
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    buffers.emplace_back(arg.dtype, problem.arguments[index].shape);
    if (!buffers.back().allocated()) {
      printError("out of memory allocating argument '" + arg.name + "'");
      return false;
    }
    if (arg.role == bundle::Role::Input)
      buffers.back().fill(problem.arguments[index].values);
    else
      buffers.back().poison();
  }
  return true;
}

struct BundleCloser {
  void operator()(attn_bundle *loaded) const { attn_bundle_free(loaded); }
};
using LoadedBundle = std::unique_ptr<attn_bundle, BundleCloser>;

bool launch(attn_bundle *loaded, const bundle::Kernel &kernel,
            const char *target, const std::vector<const DLTensor *> &args) {
  attn_status status =
      attn_kernel_launch(loaded, kernel.name.c_str(), target, args.data(),
                         static_cast<int>(args.size()), nullptr);
  if (status == ATTN_OK)
    return true;
  printError("running kernel '" + kernel.name + "' failed: " +
             attn_status_string(status) + ": " + attn_last_error());
  return false;
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
bool runHostOnce(attn_bundle *loaded, const bundle::Kernel &kernel,
                 const Signature &signature, const Problem &problem,
                 ExpectedOutputs &outputs, const std::string &source) {
  std::vector<HostBuffer> buffers;
  if (!stageOnHost(kernel, problem, buffers))
    return false;
  std::vector<const DLTensor *> args;
  std::vector<DLTensor> tensors;
  tensors.reserve(buffers.size());
  for (const HostBuffer &buffer : buffers)
    tensors.push_back(buffer.describe(buffer.data(), {kDLCPU, 0}));
  for (const DLTensor &tensor : tensors)
    args.push_back(&tensor);
  if (!launch(loaded, kernel, "host", args))
    return false;
  outputs = readOutputs(signature, buffers, source);
  return true;
}

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
  if (request.target == Target::Cuda && hasHost)
    return runHostOnce(loaded, kernel, signature, problem, expected,
                       "the bundle's host binary");
  std::string why = oracle ? "the problem is too large for the float64 "
                             "reference (B*Hq*Sq*Skv above 2^28)"
                           : "this attn-run is built without the compiler, "
                             "so it has no float64 reference";
  printError("nothing to check kernel '" + kernel.name + "' against: " + why +
             (request.target == Target::Cuda
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
                     const Problem &problem, double medianMs) {
  std::optional<double> density = request.usefulDensity;
  const char *source = "--useful-density";
  if (!density && oracle) {
    density = oracle->density(problem);
    source = "counted by the compiler";
  }
  const ProblemSizes &sizes = problem.sizes;
  if (!density) {
    double flops = usefulFlops(sizes, 1.0);
    std::cout << "density=unknown (pass --useful-density) "
              << "dense_equivalent_tflops="
              << formatNumber(flops / (medianMs * 1e9)) << "\n";
    return;
  }
  double flops = usefulFlops(sizes, *density);
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
  std::vector<DLTensor> tensors;
  tensors.reserve(buffers.size());
  for (const HostBuffer &buffer : buffers)
    tensors.push_back(buffer.describe(buffer.data(), {kDLCPU, 0}));
  std::vector<const DLTensor *> args;
  for (const DLTensor &tensor : tensors)
    args.push_back(&tensor);
  // One warm-up call (it also loads the shared object), then the median.
  if (!launch(loaded, kernel, "host", args))
    return 1;
  unsigned runs = request.runs.value_or(kDefaultHostRuns);
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    if (!launch(loaded, kernel, "host", args))
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

const bundle::Kernel *selectKernel(const bundle::Bundle &model,
                                   const std::string &name,
                                   const std::string &path) {
  if (model.kernels.empty()) {
    printError("bundle " + path + " holds no kernel");
    return nullptr;
  }
  if (name.empty())
    return &model.kernels.front();
  for (const bundle::Kernel &kernel : model.kernels)
    if (kernel.name == name)
      return &kernel;
  std::string names;
  for (const bundle::Kernel &kernel : model.kernels)
    names += (names.empty() ? "" : ", ") + kernel.name;
  printError("bundle " + path + " has no kernel '" + name + "' (it has: " +
             names + ")");
  return nullptr;
}
} // namespace

int attn::run::runBundle(const RunRequest &request,
                         const OracleFactory *oracleFactory) {
  const std::string &path = request.bundlePath;
  bundle::Bundle model;
  std::string error;
  bundle::ReadStatus read = bundle::readFile(path, model, error);
  if (read != bundle::ReadStatus::Ok) {
    printError("cannot read bundle " + path + ": " + error +
               (read == bundle::ReadStatus::Invalid
                    ? " (--target host and cuda run a bundle: compile the "
                      "spec with attn-opt --attn-compile=\"targets=host "
                      "output=...\")"
                    : ""));
    return 1;
  }
  const bundle::Kernel *kernel =
      selectKernel(model, request.kernelName, path);
  if (!kernel)
    return 1;
  bool hasTarget = std::any_of(
      kernel->binaries.begin(), kernel->binaries.end(),
      [&](const bundle::Binary &binary) {
        std::optional<bundle::TargetFamily> family =
            bundle::targetFamily(binary.target);
        return family == (request.target == Target::Host
                              ? bundle::TargetFamily::Host
                              : bundle::TargetFamily::Cuda);
      });
  if (!hasTarget) {
    printError("kernel '" + kernel->name + "' of " + path +
               (request.target == Target::Host
                    ? " has no host binary; compile it with "
                      "--attn-compile=\"targets=host output=...\""
                    : " has no CUDA binary; compile it with "
                      "--attn-compile=\"targets=host,sm_80,sm_90 "
                      "output=...\""));
    return 1;
  }
  Signature signature;
  if (!analyzeSignature(*kernel, signature))
    return 1;

  std::unique_ptr<SpecOracle> oracle;
  if (oracleFactory) {
    oracle = (*oracleFactory)(model, *kernel);
    if (!oracle)
      return 1;
  }

  // Sizes and inputs: from files, or bound from the request and generated.
  Problem problem;
  problem.arguments.resize(kernel->args.size());
  SymbolValues symbols;
  bool fromFiles = !request.inputsDirectory.empty();
  if (fromFiles && !loadInputs(*kernel, request, problem, symbols))
    return 1;
  if (!bindRequestedSizes(*kernel, signature, request, symbols))
    return 1;
  const char *hint =
      fromFiles ? "" : " (pass --inputs DIR with that argument's .npy file)";
  // Data operands may carry sizes of their own (a list of document starts);
  // the oracle chooses those when it generates them.
  bool oracleMakesData = !fromFiles && oracle;
  for (size_t index = 0; index < kernel->args.size(); ++index) {
    bool isData = std::count(signature.data.begin(), signature.data.end(),
                             static_cast<int>(index));
    if (!(isData && oracleMakesData) &&
        !resolveShape(*kernel, static_cast<int>(index), symbols,
                      problem.arguments[index].shape, hint))
      return 1;
  }
  const std::vector<int64_t> &q = problem.arguments[signature.query].shape;
  const std::vector<int64_t> &k = problem.arguments[signature.key].shape;
  const std::vector<int64_t> &v = problem.arguments[signature.value].shape;
  problem.sizes = {q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
  if (fromFiles) {
    generateInputs(*kernel, signature, request.seed, request.check, problem);
  } else {
    if (oracle) {
      if (!oracle->generateInputs(request.seed, problem))
        return 1;
    } else {
      // Any finite value is valid in a float data operand (a bias); integer
      // ones (document ids, block lists) follow rules only the spec knows.
      for (int position : signature.data)
        if (!isFloat(kernel->args[position].dtype)) {
          printError("kernel '" + kernel->name + "' reads data operand '" +
                     kernel->args[position].name +
                     "', whose valid values only the compiler knows: pass "
                     "--inputs DIR (attn-run SPEC --target ref --dump DIR "
                     "writes them)");
          return 1;
        }
      generateInputs(*kernel, signature, request.seed, request.check,
                     problem);
    }
  }

  attn_bundle *rawBundle = nullptr;
  if (attn_bundle_load_file(path.c_str(), &rawBundle) != ATTN_OK) {
    printError(std::string("cannot load bundle: ") + attn_last_error());
    return 1;
  }
  LoadedBundle loaded(rawBundle);

  const ProblemSizes &sizes = problem.sizes;
  std::cout << "kernel " << kernel->name << ": B=" << sizes.batch
            << " Hq=" << sizes.queryHeads << " Hkv=" << sizes.kvHeads
            << " Sq=" << sizes.seqQ << " Skv=" << sizes.seqKV
            << " E=" << sizes.headDimQK << " F=" << sizes.headDimV << "\n";
  std::cout.flush();
  return request.target == Target::Host
             ? runHost(request, *kernel, signature, problem, oracle.get(),
                       loaded.get())
             : runCuda(request, *kernel, signature, problem, oracle.get(),
                       loaded.get());
}
