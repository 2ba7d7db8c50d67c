//===- HostTarget.cpp - attn-run --target host ----------------------------===//
//
// The bundle carries the spec's MLIR text, so one file is enough: the spec
// gives the reference and the inputs (seeded, rounded to the element types,
// exactly as `--target ref` makes them), the runtime runs the compiled
// kernel on the same inputs. Outputs are poisoned with NaN before the call,
// so an element the kernel never writes cannot pass.
//
//===----------------------------------------------------------------------===//
#include "HostTarget.h"

#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Reference/Compare.h"
#include "attn/Reference/EntryPoint.h"
#include "attn/bundle.h"
#include "attn/runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::reference;
namespace bundle = ::attn::bundle;

namespace {
void printError(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "attn-run") << message << "\n";
}

std::string formatDouble(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.6g", value);
  return text;
}

const llvm::fltSemantics *semanticsOf(bundle::DType dtype) {
  switch (dtype) {
  case bundle::DType::F16:
    return &llvm::APFloat::IEEEhalf();
  case bundle::DType::BF16:
    return &llvm::APFloat::BFloat();
  default:
    return nullptr;
  }
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

/// A compact row-major host tensor that the runtime reads or writes.
class HostTensor {
public:
  HostTensor(bundle::DType dtype, ArrayRef<int64_t> shape)
      : dtype(dtype), shape(shape) {
    size_t bytes = std::max<size_t>(
        64, numElements(shape) * bundle::byteSize(dtype));
    // Kernels assume nothing about alignment; 64 bytes keeps vector loads
    // fast.
    storage.reset(static_cast<uint8_t *>(
        std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
    tensor.data = storage.get();
    tensor.device = {kDLCPU, 0};
    tensor.ndim = static_cast<int32_t>(this->shape.size());
    tensor.dtype = dlTypeOf(dtype);
    tensor.shape = this->shape.data();
    tensor.strides = nullptr;
    tensor.byte_offset = 0;
  }

  const DLTensor *dl() const { return &tensor; }
  bool allocated() const { return storage != nullptr; }

  /// Stores `values` (already representable in the element type).
  void fill(const Tensor64 &values) {
    for (auto [position, value] : llvm::enumerate(values.values))
      store(position, value);
  }

  /// Sets every element to NaN (floats) or all ones (integers).
  void poison() {
    for (int64_t position = 0, end = numElements(shape); position < end;
         ++position)
      store(position, std::numeric_limits<double>::quiet_NaN());
  }

  Tensor64 read() const {
    Tensor64 result;
    result.shape.assign(shape.begin(), shape.end());
    int64_t count = numElements(shape);
    result.values.reserve(count);
    for (int64_t position = 0; position < count; ++position)
      result.values.push_back(load(position));
    return result;
  }

private:
  template <typename T> T *as() const {
    return reinterpret_cast<T *>(storage.get());
  }
  void store(int64_t position, double value) {
    if (const llvm::fltSemantics *semantics = semanticsOf(dtype)) {
      llvm::APFloat converted(value);
      bool losesInfo = false;
      converted.convert(*semantics, llvm::APFloat::rmNearestTiesToEven,
                        &losesInfo);
      as<uint16_t>()[position] =
          static_cast<uint16_t>(converted.bitcastToAPInt().getZExtValue());
      return;
    }
    bool isNaN = std::isnan(value);
    switch (dtype) {
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
    default:
      // Bytes: u8, i1, and i8 data (passed as u8), two's complement.
      as<uint8_t>()[position] =
          isNaN ? 0xFF : static_cast<uint8_t>(static_cast<int64_t>(value));
      return;
    }
  }
  double load(int64_t position) const {
    if (const llvm::fltSemantics *semantics = semanticsOf(dtype))
      return llvm::APFloat(*semantics, llvm::APInt(16, as<uint16_t>()[position]))
          .convertToDouble();
    switch (dtype) {
    case bundle::DType::F32:
      return as<float>()[position];
    case bundle::DType::F64:
      return as<double>()[position];
    case bundle::DType::I32:
      return as<int32_t>()[position];
    case bundle::DType::I64:
      return static_cast<double>(as<int64_t>()[position]);
    default:
      return as<uint8_t>()[position];
    }
  }

  struct Free {
    void operator()(uint8_t *pointer) const { std::free(pointer); }
  };
  bundle::DType dtype;
  SmallVector<int64_t> shape;
  std::unique_ptr<uint8_t, Free> storage;
  DLTensor tensor{};
};

struct BundleCloser {
  void operator()(attn_bundle *loaded) const { attn_bundle_free(loaded); }
};

/// The kernel to run: the requested one, else the bundle's first.
const bundle::Kernel *selectKernel(const bundle::Bundle &model,
                                   StringRef name, StringRef path) {
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

/// Binds a bundle argument to its value: q, k, v and data<N> are inputs, o
/// and lse outputs of the given shapes.
struct ArgumentPlan {
  const Tensor64 *input = nullptr;
  SmallVector<int64_t> outputShape;
};

FailureOr<SmallVector<ArgumentPlan>> planArguments(const bundle::Kernel &kernel,
                                                   const Bindings &inputs,
                                                   const ProblemSizes &sizes) {
  SmallVector<ArgumentPlan> plans;
  for (const bundle::Arg &arg : kernel.args) {
    ArgumentPlan plan;
    StringRef name = arg.name;
    unsigned dataIndex = 0;
    if (name == "q")
      plan.input = &inputs.query;
    else if (name == "k")
      plan.input = &inputs.key;
    else if (name == "v")
      plan.input = &inputs.value;
    else if (name.consume_front("data") && !name.getAsInteger(10, dataIndex) &&
             dataIndex < inputs.data.size())
      plan.input = &inputs.data[dataIndex];
    else if (arg.name == "o")
      plan.outputShape = {sizes.batch, sizes.queryHeads, sizes.seqQ,
                          sizes.headDimV};
    else if (arg.name == "lse")
      plan.outputShape = {sizes.batch, sizes.queryHeads, sizes.seqQ};
    else {
      printError("kernel '" + kernel.name + "' takes argument '" + arg.name +
                 "', which attn-run cannot bind (it binds q, k, v, data<N>, "
                 "o and lse)");
      return failure();
    }
    if ((arg.role == bundle::Role::Output) != !plan.input) {
      printError("argument '" + arg.name + "' of kernel '" + kernel.name +
                 "' has an unexpected role");
      return failure();
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

/// The fraction of (b, h, i, j) the spec's mask keeps, counted per tile;
/// nullopt when a custom mask region cannot be evaluated over intervals.
std::optional<double> maskDensity(AttentionOp op, const ProblemSizes &sizes,
                                  const Bindings &inputs) {
  int64_t total = sizes.batch * sizes.queryHeads * sizes.seqQ * sizes.seqKV;
  if (total == 0)
    return std::nullopt;
  EffectiveMaskTiling tiling(op);
  BindingsDataReader reader(inputs.data);
  TilingContext ctx;
  ctx.batch = sizes.batch;
  ctx.queryHeads = sizes.queryHeads;
  ctx.kvHeads = sizes.kvHeads;
  ctx.seqQ = sizes.seqQ;
  ctx.seqKV = sizes.seqKV;
  ctx.data = &reader;
  int64_t kept = 0;
  for (int64_t b = 0; b < sizes.batch; ++b)
    for (int64_t h = 0; h < sizes.queryHeads; ++h)
      for (int64_t queryTile = 0; queryTile < ctx.numQueryTiles(); ++queryTile)
        for (int64_t keyTile = 0; keyTile < ctx.numKeyTiles(); ++keyTile) {
          std::optional<int64_t> count =
              tiling.countKept(ctx, b, h, ctx.tile(queryTile, keyTile));
          if (!count)
            return std::nullopt;
          kept += *count;
        }
  return static_cast<double>(kept) / static_cast<double>(total);
}

/// The sizes of a timed run: bound as bindSizes binds them, but without the
/// reference interpreter's limits, since no reference is evaluated.
FailureOr<ProblemSizes> bindTimedSizes(const SpecOperands &spec,
                                       const SizeRequest &request,
                                       Location loc) {
  auto resolve = [&](StringRef flag, ArrayRef<int64_t> typeSizes,
                     std::optional<int64_t> requested,
                     std::optional<int64_t> fallback) -> FailureOr<int64_t> {
    for (int64_t typeSize : typeSizes) {
      if (ShapedType::isDynamic(typeSize))
        continue;
      if (requested && *requested != typeSize)
        return emitError(loc) << "--" << flag << " " << *requested
                              << " contradicts the spec's static size "
                              << typeSize;
      return typeSize;
    }
    if (requested && *requested < 1)
      return emitError(loc) << "--" << flag << " must be >= 1, got "
                            << *requested;
    if (requested)
      return *requested;
    if (fallback)
      return *fallback;
    return emitError(loc) << "the spec leaves this size dynamic: pass --"
                          << flag;
  };
  FailureOr<int64_t> batch = resolve(
      "batch",
      {spec.query.getDimSize(0), spec.key.getDimSize(0),
       spec.value.getDimSize(0)},
      request.batch, std::nullopt);
  if (failed(batch))
    return failure();
  FailureOr<int64_t> seqQ =
      resolve("seq-q", {spec.query.getDimSize(2)}, request.seqQ, std::nullopt);
  if (failed(seqQ))
    return failure();
  FailureOr<int64_t> seqKV =
      resolve("seq-kv", {spec.key.getDimSize(2), spec.value.getDimSize(2)},
              request.seqKV, *seqQ);
  if (failed(seqKV))
    return failure();
  ProblemSizes sizes;
  sizes.batch = *batch;
  sizes.seqQ = *seqQ;
  sizes.seqKV = *seqKV;
  sizes.queryHeads = spec.query.getDimSize(1);
  sizes.kvHeads = spec.key.getDimSize(1);
  sizes.headDimQK = spec.query.getDimSize(3);
  sizes.headDimV = spec.value.getDimSize(3);
  return sizes;
}

void printComparison(const Comparison &comparison) {
  llvm::raw_ostream &os = llvm::outs();
  os << "o_rel_err=" << formatDouble(comparison.outputRelErr);
  if (comparison.lseRelErr)
    os << " lse_rel_err=" << formatDouble(*comparison.lseRelErr);
  os << "\n";
  for (const std::string &problem : comparison.problems)
    os << "problem: " << problem << "\n";
  os << "max_rel_err=" << formatDouble(comparison.maxRelErr) << "\n";
  os << (comparison.passed ? "PASS" : "FAIL") << "\n";
}
} // namespace

int mlir::attn::runHostTarget(const HostRunRequest &request,
                              MLIRContext &context,
                              llvm::SourceMgr &sourceMgr) {
  const std::string &path = request.bundlePath;
  bundle::Bundle model;
  std::string error;
  bundle::ReadStatus read = bundle::readFile(path, model, error);
  if (read != bundle::ReadStatus::Ok) {
    printError("cannot read bundle " + path + ": " + error +
               (read == bundle::ReadStatus::Invalid
                    ? " (--target host runs a bundle: compile the spec with "
                      "attn-opt --attn-compile=\"targets=host output=...\")"
                    : ""));
    return 1;
  }
  const bundle::Kernel *kernel =
      selectKernel(model, request.functionName, path);
  if (!kernel)
    return 1;
  if (llvm::none_of(kernel->binaries, [](const bundle::Binary &binary) {
        return binary.target == "host";
      })) {
    printError("kernel '" + kernel->name + "' of " + path +
               " has no host binary; compile it with "
               "--attn-compile=\"targets=host output=...\"");
    return 1;
  }
  if (model.specSource.empty()) {
    printError("bundle " + path + " does not carry its spec, so there is no "
               "reference to run; rebuild it with attn-opt --attn-compile");
    return 1;
  }

  // The spec's diagnostics quote lines of the embedded text.
  std::unique_ptr<llvm::MemoryBuffer> specBuffer =
      llvm::MemoryBuffer::getMemBufferCopy(model.specSource, path + ":spec");
  sourceMgr.AddNewSourceBuffer(std::move(specBuffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> spec =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!spec)
    return 1;
  FailureOr<func::FuncOp> function = findEntryFunction(*spec, kernel->name);
  if (failed(function))
    return 1;
  FailureOr<EntryPoint> entry = analyzeEntryPoint(*function);
  if (failed(entry))
    return 1;
  Location loc = entry->function.getLoc();
  FailureOr<ProblemSizes> sizes =
      request.check ? bindSizes(entry->operands, request.sizes, loc)
                    : bindTimedSizes(entry->operands, request.sizes, loc);
  if (failed(sizes))
    return 1;
  FailureOr<Bindings> inputs =
      generateBindings(entry->operands, *sizes, request.seed, loc);
  if (failed(inputs))
    return 1;

  FailureOr<SmallVector<ArgumentPlan>> plans =
      planArguments(*kernel, *inputs, *sizes);
  if (failed(plans))
    return 1;
  std::vector<HostTensor> tensors;
  tensors.reserve(plans->size());
  for (auto [arg, plan] : llvm::zip_equal(kernel->args, *plans)) {
    tensors.emplace_back(arg.dtype,
                         plan.input ? ArrayRef<int64_t>(plan.input->shape)
                                    : ArrayRef<int64_t>(plan.outputShape));
    if (!tensors.back().allocated()) {
      printError("out of memory allocating argument '" + arg.name + "'");
      return 1;
    }
    if (plan.input)
      tensors.back().fill(*plan.input);
    else
      tensors.back().poison();
  }
  std::vector<const DLTensor *> arguments;
  for (const HostTensor &tensor : tensors)
    arguments.push_back(tensor.dl());

  attn_bundle *rawBundle = nullptr;
  if (attn_bundle_load_file(path.c_str(), &rawBundle) != ATTN_OK) {
    printError(std::string("cannot load bundle: ") + attn_last_error());
    return 1;
  }
  std::unique_ptr<attn_bundle, BundleCloser> loaded(rawBundle);
  auto launch = [&]() {
    attn_status status = attn_kernel_launch(
        loaded.get(), kernel->name.c_str(), "host", arguments.data(),
        static_cast<int>(arguments.size()), nullptr);
    if (status != ATTN_OK)
      printError(std::string("running kernel '") + kernel->name +
                 "' failed: " + attn_status_string(status) + ": " +
                 attn_last_error());
    return status == ATTN_OK;
  };

  llvm::raw_ostream &os = llvm::outs();
  os << "kernel " << kernel->name << ": B=" << sizes->batch
     << " Hq=" << sizes->queryHeads << " Hkv=" << sizes->kvHeads
     << " Sq=" << sizes->seqQ << " Skv=" << sizes->seqKV
     << " E=" << sizes->headDimQK << " F=" << sizes->headDimV << "\n";

  if (request.check) {
    if (!launch())
      return 1;
    Results candidate;
    for (auto [arg, plan, tensor] :
         llvm::zip_equal(kernel->args, *plans, tensors)) {
      if (arg.name == "o")
        candidate.output = tensor.read();
      else if (arg.name == "lse")
        candidate.lse = tensor.read();
    }
    FailureOr<Results> expected = evaluateEntryPoint(*entry, *inputs);
    if (failed(expected))
      return 1;
    double tolerance = request.tolerance.value_or(
        entry->operands.query.getElementType().isF32() ? 1e-5 : 1e-2);
    Comparison comparison = compareResults(*expected, candidate, tolerance);
    printComparison(comparison);
    return comparison.passed ? 0 : 1;
  }

  // Timing: one warm-up call (it also loads the shared object), then the
  // median of `runs` calls.
  if (!launch())
    return 1;
  std::vector<double> milliseconds;
  for (unsigned run = 0; run < request.runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    if (!launch())
      return 1;
    std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    milliseconds.push_back(elapsed.count());
  }
  std::sort(milliseconds.begin(), milliseconds.end());
  double median = milliseconds[milliseconds.size() / 2];
  os << "runs=" << request.runs << " median_ms=" << formatDouble(median)
     << "\n";
  // Useful work: the two contractions over the kept (b, h, i, j) only,
  // 2 * (E + F) flops each.
  auto attention = dyn_cast<AttentionOp>(entry->producer);
  std::optional<double> density =
      attention ? maskDensity(attention, *sizes, *inputs) : std::nullopt;
  if (!density) {
    os << "density=unknown (the mask region cannot be counted)\n";
    return 0;
  }
  double flops = 2.0 * static_cast<double>(sizes->headDimQK + sizes->headDimV) *
                 static_cast<double>(sizes->batch * sizes->queryHeads) *
                 static_cast<double>(sizes->seqQ) *
                 static_cast<double>(sizes->seqKV) * *density;
  os << "density=" << formatDouble(*density)
     << " useful_gflops=" << formatDouble(flops / (median * 1e6)) << "\n";
  return 0;
}
