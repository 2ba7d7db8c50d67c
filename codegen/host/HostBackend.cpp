//===- HostBackend.cpp - The host target of attn-compile ------------------===//
//
// targets=host: each spec's tiled program becomes a func.func on memrefs
// (the schedule emitter through HostScheduleTarget), the module is lowered
// to LLVM, and one shared object holds every kernel (HostCompiler.h).
// Options: block-q, block-kv (tiles), host-cpu, opt-level, host-overlap
// (the overlapped key loop's order, for checking it on the CPU). Stages:
// emit=host-loops (the kernels before LLVM), emit=host-llvm (after).
//
//===----------------------------------------------------------------------===//
#include "HostTarget.h"
#include "attn/Host/HostCompiler.h"
#include "attn/Schedule/ScheduleEmitter.h"
#include "attn/Target/TargetBackend.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/UB/IR/UBOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::host;

namespace {

/// The exported name of the host kernel of spec function `name`.
std::string hostKernelName(StringRef name) {
  return ("__attn_host_" + name).str();
}

/// An empty host kernel of spec function `name` taking `arguments` (as
/// memrefs) at the end of `kernels`, with its entry block.
func::FuncOp createHostKernel(ModuleOp kernels, Location loc, StringRef name,
                              ArrayRef<KernelArgument> arguments) {
  SmallVector<Type> argumentTypes;
  for (const KernelArgument &argument : arguments)
    argumentTypes.push_back(kernelArgumentMemRefType(argument));
  OpBuilder builder = OpBuilder::atBlockEnd(kernels.getBody());
  auto kernel = func::FuncOp::create(
      builder, loc, hostKernelName(name),
      builder.getFunctionType(argumentTypes, /*results=*/{}));
  kernel.addEntryBlock();
  return kernel;
}
constexpr int64_t kDefaultBlockQ = 64;
constexpr int64_t kDefaultBlockKV = 64;

class HostBackend final : public TargetBackend {
public:
  StringRef name() const override { return "host"; }
  ArrayRef<StringRef> targets() const override {
    static constexpr StringRef kTargets[] = {"host"};
    return kTargets;
  }
  ArrayRef<StringRef> optionNames() const override {
    static constexpr StringRef kOptions[] = {"block-q", "block-kv", "host-cpu",
                                             "opt-level", "host-overlap"};
    return kOptions;
  }
  ArrayRef<EmitStage> emitStages() const override {
    static const EmitStage kStages[] = {{"host-loops", false},
                                        {"host-llvm", false}};
    return kStages;
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<affine::AffineDialect, cf::ControlFlowDialect,
                    index::IndexDialect, LLVM::LLVMDialect, ub::UBDialect>();
  }

  bool compilesGradients() const override { return true; }
  bool preparesKeySummaries() const override { return true; }

  LogicalResult checkRequest(const CompileRequest &request,
                             Location loc) const override {
    for (StringRef option : {"block-q", "block-kv"})
      if (failed(readIntegerOption(request, option, 1, ">= 1", loc)))
        return failure();
    FailureOr<std::optional<int64_t>> level =
        readIntegerOption(request, "opt-level", 0, "0 to 3", loc);
    if (failed(level))
      return failure();
    if (*level && **level > 3)
      return emitError(loc) << "attn-compile: opt-level must be 0 to 3, got "
                            << **level;
    if (auto it = request.options.find("host-overlap");
        it != request.options.end() && it->second != "none" &&
        it->second != "softmax")
      return emitError(loc) << "attn-compile: host-overlap must be none or "
                               "softmax, got '"
                            << it->second << "'";
    return success();
  }

  Tiles chooseTiles(const KernelSpec &, const CompileRequest &request) const
      override {
    Tiles tiles{kDefaultBlockQ, kDefaultBlockKV};
    auto read = [&](StringRef option, int64_t &into) {
      auto it = request.options.find(option);
      if (it != request.options.end())
        StringRef(it->second).getAsInteger(10, into);
    };
    read("block-q", tiles.blockQ);
    read("block-kv", tiles.blockKV);
    return tiles;
  }

  LogicalResult compile(ArrayRef<TiledSpec> specs,
                        const CompileRequest &request, Location loc,
                        CompileOutput &output) override {
    OwningOpRef<ModuleOp> kernels = ModuleOp::create(loc);
    SmallVector<HostEntryPoint> entries;
    for (const TiledSpec &tiled : specs) {
      if (tiled.keySummaryPreparation) {
        emitKeySummaryKernel(*kernels, tiled);
        entries.push_back({hostKernelName(tiled.name), tiled.name});
        continue;
      }
      if (tiled.isGradient()) {
        if (failed(emitGradientKernel(*kernels, tiled)))
          return failure();
        entries.push_back({hostKernelName(tiled.name), tiled.name});
        continue;
      }
      auto overlap = request.options.find("host-overlap");
      HostScheduleTarget target(overlap != request.options.end() &&
                                overlap->second == "softmax");
      if (failed(target.checkProgram(tiled.program, tiled.spec)))
        return failure();
      Location kernelLoc = tiled.program.cascade.getLoc();
      func::FuncOp kernel = createHostKernel(*kernels, kernelLoc, tiled.name,
                                             tiled.spec.arguments);
      ImplicitLocOpBuilder b(kernelLoc, kernel.getContext());
      b.setInsertionPointToStart(&kernel.front());
      schedule::emitScheduledKernel(b, tiled.spec, tiled.program, target,
                                    kernel.getArguments());
      func::ReturnOp::create(b);
      target.finalize(kernel);
      entries.push_back({hostKernelName(tiled.name), tiled.name});
    }
    if (request.emit == "host-loops") {
      output.replacement = std::move(kernels);
      return success();
    }
    HostCodegenOptions codegen;
    if (auto it = request.options.find("host-cpu"); it != request.options.end())
      codegen.cpu = it->second;
    if (auto it = request.options.find("opt-level");
        it != request.options.end())
      StringRef(it->second).getAsInteger(10, codegen.optLevel);
    if (failed(lowerHostKernelsToLLVM(*kernels, entries, codegen)))
      return failure();
    if (request.emit == "host-llvm") {
      output.replacement = std::move(kernels);
      return success();
    }
    FailureOr<std::vector<uint8_t>> sharedObject =
        buildSharedObject(*kernels, codegen);
    if (failed(sharedObject))
      return failure();
    for (const HostEntryPoint &entry : entries) {
      ::attn::bundle::Binary binary;
      binary.target = "host";
      binary.kind = ::attn::bundle::BinaryKind::HostSharedObject;
      binary.conv = ::attn::bundle::CallingConv::HostCIface;
      binary.entry = entry.entry;
      binary.data = *sharedObject;
      output.binaries.push_back({std::move(binary)});
    }
    return success();
  }

private:
  /// A backward kernel: its phases in order in one function, the tensors
  /// they pass between them allocated on entry.
  LogicalResult emitGradientKernel(ModuleOp kernels, const TiledSpec &tiled);
  /// The preparation kernel of a key summary.
  void emitKeySummaryKernel(ModuleOp kernels, const TiledSpec &tiled);
};

void HostBackend::emitKeySummaryKernel(ModuleOp kernels,
                                       const TiledSpec &tiled) {
  Location loc = tiled.spec.function.getLoc();
  func::FuncOp kernel = createHostKernel(
      kernels, loc, tiled.name, keySummaryPreparationArguments(tiled.spec));
  ImplicitLocOpBuilder b(loc, kernel.getContext());
  b.setInsertionPointToStart(&kernel.front());
  HostScheduleTarget target;
  schedule::emitKeySummaryKernel(b, target, kernel.getArgument(0),
                                 kernel.getArgument(1));
  func::ReturnOp::create(b);
  target.finalize(kernel);
}

LogicalResult HostBackend::emitGradientKernel(ModuleOp kernels,
                                              const TiledSpec &tiled) {
  for (const GradientPhase &phase : tiled.phases) {
    HostScheduleTarget target;
    if (failed(target.checkProgram(phase.program, tiled.spec)))
      return failure();
  }
  Location loc = tiled.spec.function.getLoc();
  func::FuncOp kernel =
      createHostKernel(kernels, loc, tiled.name, tiled.spec.arguments);
  ImplicitLocOpBuilder b(loc, kernel.getContext());
  b.setInsertionPointToStart(&kernel.front());
  ValueRange arguments = kernel.getArguments();
  SmallVector<Value> scratch;
  for (const ScratchTensor &tensor : tiled.scratch) {
    SmallVector<Value> sizes;
    for (auto [dim, source] : llvm::enumerate(tensor.extentOf))
      if (tensor.type.isDynamicDim(dim))
        sizes.push_back(
            memref::DimOp::create(b, arguments[source.first], source.second));
    scratch.push_back(memref::AllocOp::create(
        b, MemRefType::get(tensor.type.getShape(), tensor.type.getElementType()),
        sizes));
  }
  Value query = arguments[0], key = arguments[1];
  for (const GradientPhase &phase : tiled.phases) {
    schedule::GradientOperands operands;
    for (const PhaseTensor &tensor : phase.tensors)
      operands.tensors[tensor.name] = tensor.argument >= 0
                                          ? arguments[tensor.argument]
                                          : scratch[tensor.scratch];
    for (unsigned data : phase.data)
      operands.data.push_back(arguments[data]);
    operands.setSizesFrom(b, query, key);
    HostScheduleTarget target;
    schedule::emitGradientKernel(b, phase.program, target, operands);
  }
  HostScheduleTarget().finalize(kernel);
  for (Value buffer : scratch)
    memref::DeallocOp::create(b, buffer);
  func::ReturnOp::create(b);
  return success();
}
} // namespace

namespace mlir::attn {
/// Called through the build's target list (compiler/lib/Targets.cpp).
void registerHostTarget(TargetRegistry &registry) {
  registry.add(std::make_unique<HostBackend>());
}
} // namespace mlir::attn
