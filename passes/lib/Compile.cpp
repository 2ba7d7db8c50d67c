//===- Compile.cpp - attn-compile: specs to a bundle ----------------------===//
//
// The driver of code generation: finds the spec functions, builds each
// target's binary and writes the bundle (docs/host.md, docs/nvidia.md).
// Targets live in codegen/<target>; this pass only sequences them.
//
//===----------------------------------------------------------------------===//
#include "attn/Passes/Passes.h"

#include "attn/Host/HostCompiler.h"
#include "attn/Host/HostKernel.h"
#include "attn/Nvidia/NvidiaCompiler.h"
#include "attn/Nvidia/NvidiaKernel.h"
#include "attn/bundle.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/Path.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCOMPILE
#include "attn/Passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
namespace bundle = ::attn::bundle;

namespace {
/// The bundle element type of a tensor element type, if it has one.
std::optional<bundle::DType> bundleDType(Type type) {
  if (type.isF16())
    return bundle::DType::F16;
  if (type.isBF16())
    return bundle::DType::BF16;
  if (type.isF32())
    return bundle::DType::F32;
  if (type.isF64())
    return bundle::DType::F64;
  if (type.isSignlessInteger(32))
    return bundle::DType::I32;
  if (type.isSignlessInteger(64))
    return bundle::DType::I64;
  if (type.isSignlessInteger(1))
    return bundle::DType::I1;
  // Bundles have no signed byte type; the bytes are the same, and the kernel
  // reads them as i8.
  if (type.isSignlessInteger(8))
    return bundle::DType::U8;
  return std::nullopt;
}

bool isIdentifier(StringRef name) {
  return !name.empty() && (llvm::isAlpha(name.front()) || name.front() == '_') &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// The kernel's bundle signature; fails on an element type the bundle
/// format cannot describe.
FailureOr<std::vector<bundle::Arg>>
bundleArguments(const host::KernelSpec &spec) {
  std::vector<bundle::Arg> arguments;
  for (const host::KernelArgument &argument : spec.arguments) {
    Type element = argument.type.getElementType();
    std::optional<bundle::DType> dtype = bundleDType(element);
    if (!dtype)
      return func::FuncOp(spec.function).emitError()
             << "argument '" << argument.name << "' has element type "
             << element << ", which bundles cannot describe (f16, bf16, f32, "
             << "f64, i1, i8, i32, i64)";
    std::vector<bundle::Dim> dims;
    for (auto [extent, size] :
         llvm::zip_equal(argument.extents, argument.dimSizes))
      dims.push_back(size.empty() ? bundle::Dim::fixed(extent)
                                  : bundle::Dim::sym(size));
    bundle::Arg arg = bundle::Arg::tensor(
        argument.name,
        argument.isOutput ? bundle::Role::Output : bundle::Role::Input, *dtype,
        std::move(dims));
    if (argument.innermostContiguous)
      arg.withInnermostContiguous();
    arguments.push_back(std::move(arg));
  }
  return arguments;
}

/// The name a bundle records for the spec: the module's name, else the
/// stem of the file it was read from.
std::string specNameOf(ModuleOp module) {
  if (std::optional<StringRef> name = module.getSymName())
    return name->str();
  if (auto file = dyn_cast<FileLineColLoc>(module.getLoc()))
    return llvm::sys::path::stem(file.getFilename().getValue()).str();
  return "spec";
}

/// The launch of a kernel from NvidiaKernel.h: grid (ceil(Sq / blockQ), Hq,
/// B) over the query's dimensions (named sizes or static extents), block
/// (threads, 1, 1), dynamic shared memory.
bundle::LaunchConfig gpuLaunch(const bundle::Arg &query,
                               const nvidia::GpuLaunchShape &shape) {
  auto extent = [&](size_t dim, int64_t divisor) {
    const bundle::Dim &d = query.dims[dim];
    bundle::Factor factor;
    factor.divisor = divisor;
    if (d.isStatic())
      factor.constant = d.extent;
    else
      factor.size = d.symbol;
    return bundle::Expr{{factor}};
  };
  bundle::LaunchConfig launch;
  launch.grid = {extent(2, shape.blockQ), extent(1, 1), extent(0, 1)};
  launch.block = {bundle::Expr::constant(shape.threadsPerBlock),
                  bundle::Expr{}, bundle::Expr{}};
  launch.sharedMemBytes = bundle::Expr::constant(shape.sharedMemoryBytes);
  return launch;
}

/// One spec's GPU kernel: its gpu.module, entry and launch shape.
struct GpuKernel {
  std::string moduleName;
  std::string entry;
  nvidia::GpuLaunchShape shape;
};

class AttnCompilePass
    : public mlir::attn::impl::AttnCompileBase<AttnCompilePass> {
public:
  using AttnCompileBase::AttnCompileBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    AttnCompileBase::getDependentDialects(registry);
    nvidia::registerNvidiaCompilerDependencies(registry);
  }

  void runOnOperation() override {
    if (failed(compile()))
      signalPassFailure();
  }

private:
  LogicalResult checkOptions();
  LogicalResult compile();
  /// Adds the host shared object to every kernel of `result`, or replaces
  /// the module by the host kernels (emit=host-*).
  LogicalResult compileHost(ArrayRef<host::KernelSpec> specs,
                            bundle::Bundle &result);
  /// Builds one gpu.module per spec into `kernels`.
  FailureOr<SmallVector<GpuKernel>>
  buildGpuKernels(ArrayRef<host::KernelSpec> specs, ModuleOp kernels);
  /// Adds PTX (and cubins) for every chip to every kernel of `result`, or
  /// stops at emit=gpu|nvvm|ptx.
  LogicalResult compileGpu(ArrayRef<host::KernelSpec> specs,
                           bundle::Bundle &result);
  /// The ptxas to use, or none (with a remark, once) when there is none and
  /// no option needs one.
  FailureOr<std::optional<std::string>> ptxasForCubins();
  /// Replaces the module's contents with `kernels`'.
  void replaceModuleBody(ModuleOp kernels);

  bool hostRequested = false;
  SmallVector<std::string> chips;
};
} // namespace

LogicalResult AttnCompilePass::checkOptions() {
  Location loc = getOperation().getLoc();
  std::string supported = "host, " + nvidia::supportedChipList();
  if (targets.empty())
    return emitError(loc) << "attn-compile needs targets=<list> (supported: "
                          << supported << ")";
  hostRequested = false;
  chips.clear();
  for (const std::string &target : targets) {
    bool known = target == "host" ||
                 llvm::is_contained(nvidia::supportedChips(), target);
    if (!known)
      return emitError(loc) << "attn-compile: unknown target '" << target
                            << "' (supported: " << supported << ")";
    if (target == "host" ? hostRequested : llvm::is_contained(chips, target))
      return emitError(loc) << "attn-compile: target '" << target
                            << "' is listed twice";
    if (target == "host")
      hostRequested = true;
    else
      chips.push_back(target);
  }
  StringRef emitKind = emit.getValue();
  bool hostStage = emitKind == "host-loops" || emitKind == "host-llvm";
  bool gpuStage = emitKind == "gpu" || emitKind == "nvvm" || emitKind == "ptx";
  if (emitKind != "bundle" && !hostStage && !gpuStage)
    return emitError(loc) << "attn-compile: emit must be bundle, host-loops, "
                          << "host-llvm, gpu, nvvm or ptx, got '" << emitKind
                          << "'";
  if (hostStage && !hostRequested)
    return emitError(loc) << "attn-compile: emit=" << emitKind
                          << " shows the host target, which targets= does "
                          << "not list";
  if (gpuStage && chips.empty())
    return emitError(loc) << "attn-compile: emit=" << emitKind
                          << " shows the NVIDIA targets, but targets= lists "
                          << "none (" << nvidia::supportedChipList() << ")";
  if (emitKind != "bundle" && emitKind != "ptx" && !output.empty())
    return emitError(loc) << "attn-compile: output= writes a bundle, which "
                          << "emit=" << emitKind << " does not produce";
  if (reportResources && (chips.empty() || (emitKind != "bundle" &&
                                            emitKind != "ptx")))
    return emitError(loc) << "attn-compile: report-resources needs an "
                          << "NVIDIA target and emit=bundle or emit=ptx";
  if (optLevel > 3)
    return emitError(loc) << "attn-compile: opt-level must be 0 to 3, got "
                          << optLevel.getValue();
  for (auto [name, value] :
       {std::pair<StringRef, int64_t>{"gpu-block-q", gpuBlockQ},
        {"gpu-block-kv", gpuBlockKV},
        {"gpu-warps", gpuWarps},
        {"gpu-stages", gpuStages},
        {"gpu-min-blocks", gpuMinBlocks}})
    if (value < 0)
      return emitError(loc) << "attn-compile: " << name << " must be >= 1 "
                            << "(or 0 for the kernel's default), got "
                            << value;
  return success();
}

void AttnCompilePass::replaceModuleBody(ModuleOp kernels) {
  ModuleOp module = getOperation();
  Block *body = module.getBody();
  for (Operation &op : llvm::make_early_inc_range(*body))
    op.erase();
  body->getOperations().splice(body->end(), kernels.getBody()->getOperations());
  if (kernels->hasAttr(gpu::GPUDialect::getContainerModuleAttrName()))
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(module.getContext()));
}

LogicalResult AttnCompilePass::compileHost(ArrayRef<host::KernelSpec> specs,
                                           bundle::Bundle &result) {
  ModuleOp module = getOperation();
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
  host::HostTiling tiling{blockQ, blockKV};
  SmallVector<host::HostEntryPoint> entries;
  for (const host::KernelSpec &spec : specs) {
    func::FuncOp function = spec.function;
    StringRef name = function.getSymName();
    std::string kernelName = ("__attn_host_" + name).str();
    if (failed(host::buildHostKernel(spec, tiling, kernelName, *kernels)))
      return failure();
    entries.push_back({kernelName, name.str()});
  }
  if (emit == "host-loops") {
    replaceModuleBody(*kernels);
    return success();
  }

  if (failed(host::lowerHostKernelsToLLVM(*kernels, entries)))
    return failure();
  if (emit == "host-llvm") {
    replaceModuleBody(*kernels);
    return success();
  }

  host::HostCodegenOptions codegen;
  codegen.cpu = hostCpu;
  codegen.optLevel = optLevel;
  FailureOr<std::vector<uint8_t>> sharedObject =
      host::buildSharedObject(*kernels, codegen);
  if (failed(sharedObject))
    return failure();
  for (auto [kernel, entry] : llvm::zip_equal(result.kernels, entries)) {
    bundle::Binary binary;
    binary.target = "host";
    binary.kind = bundle::BinaryKind::HostSharedObject;
    binary.conv = bundle::CallingConv::HostCIface;
    binary.entry = entry.entry;
    binary.data = *sharedObject;
    kernel.binaries.push_back(std::move(binary));
  }
  return success();
}

FailureOr<SmallVector<GpuKernel>>
AttnCompilePass::buildGpuKernels(ArrayRef<host::KernelSpec> specs,
                                 ModuleOp kernels) {
  kernels->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                   UnitAttr::get(kernels.getContext()));
  OpBuilder builder = OpBuilder::atBlockEnd(kernels.getBody());
  SmallVector<GpuKernel> built;
  for (const host::KernelSpec &spec : specs) {
    func::FuncOp function = spec.function;
    GpuKernel kernel;
    kernel.moduleName = function.getSymName().str();
    kernel.entry = ("attn_" + function.getSymName()).str();
    auto gpuModule = gpu::GPUModuleOp::create(builder, function.getLoc(),
                                              kernel.moduleName);
    nvidia::GpuTiling tiling = nvidia::chooseTiling(spec);
    if (gpuBlockQ)
      tiling.blockQ = gpuBlockQ;
    if (gpuBlockKV)
      tiling.blockKV = gpuBlockKV;
    if (gpuWarps)
      tiling.warps = gpuWarps;
    if (gpuStages)
      tiling.stages = gpuStages;
    if (gpuMinBlocks)
      tiling.minBlocksPerMultiprocessor = gpuMinBlocks;
    FailureOr<nvidia::GpuLaunchShape> shape =
        nvidia::buildNvidiaKernel(spec, tiling, kernel.entry, gpuModule);
    if (failed(shape))
      return failure();
    kernel.shape = *shape;
    built.push_back(std::move(kernel));
  }
  return built;
}

FailureOr<std::optional<std::string>> AttnCompilePass::ptxasForCubins() {
  Location loc = getOperation().getLoc();
  FailureOr<std::optional<std::string>> ptxas = nvidia::findPtxas(loc);
  if (failed(ptxas) || *ptxas)
    return ptxas;
  if (reportResources)
    return emitError(loc) << "attn-compile: report-resources needs ptxas "
                          << "(set $ATTN_CUDA_PATH, install /usr/local/cuda "
                          << "or put ptxas on PATH)";
  emitRemark(loc) << "attn-compile: no ptxas ($ATTN_CUDA_PATH unset, no "
                  << "/usr/local/cuda/bin/ptxas, none on PATH), so the "
                  << "NVIDIA binaries are PTX only; the driver compiles "
                  << "them at load time";
  return ptxas;
}

LogicalResult AttnCompilePass::compileGpu(ArrayRef<host::KernelSpec> specs,
                                          bundle::Bundle &result) {
  ModuleOp module = getOperation();
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
  FailureOr<SmallVector<GpuKernel>> built = buildGpuKernels(specs, *kernels);
  if (failed(built))
    return failure();
  if (emit == "gpu") {
    replaceModuleBody(*kernels);
    return success();
  }
  if (failed(nvidia::lowerGpuModulesToNVVM(*kernels)))
    return failure();
  if (emit == "nvvm") {
    replaceModuleBody(*kernels);
    return success();
  }

  std::optional<std::string> ptxas;
  if (emit == "bundle" || reportResources) {
    FailureOr<std::optional<std::string>> found = ptxasForCubins();
    if (failed(found))
      return failure();
    ptxas = *found;
  }
  std::string ptxText;
  std::string report;
  llvm::raw_string_ostream reportStream(report);
  for (auto [spec, kernel, bundleKernel] :
       llvm::zip_equal(specs, *built, result.kernels)) {
    auto gpuModule = kernels->lookupSymbol<gpu::GPUModuleOp>(kernel.moduleName);
    FailureOr<SmallVector<nvidia::ChipBinary>> binaries =
        nvidia::compileGpuModule(gpuModule, chips,
                                 ptxas ? std::optional<StringRef>(*ptxas)
                                       : std::nullopt);
    if (failed(binaries))
      return failure();
    bundle::LaunchConfig launch = gpuLaunch(bundleKernel.args[0], kernel.shape);
    for (nvidia::ChipBinary &binary : *binaries) {
      if (reportResources) {
        const nvidia::KernelResources *resources = llvm::find_if(
            binary.resources, [&](const nvidia::KernelResources &candidate) {
              return candidate.entry == kernel.entry;
            });
        if (resources == binary.resources.end())
          return emitError(module.getLoc())
                 << "attn-compile: ptxas reported no resources for "
                 << kernel.entry << " (" << binary.chip << ")";
        nvidia::printResources(reportStream, bundleKernel.name, binary.chip,
                               *resources, kernel.shape.sharedMemoryBytes);
      }
      if (emit == "ptx") {
        ptxText += nvidia::ptxBanner(
            ("kernel " + bundleKernel.name + ", entry " + kernel.entry),
            binary.chip);
        ptxText += binary.ptx;
        continue;
      }
      auto addBinary = [&](bundle::BinaryKind kind, StringRef data) {
        bundle::Binary gpuBinary;
        gpuBinary.target = binary.chip;
        gpuBinary.kind = kind;
        gpuBinary.conv = bundle::CallingConv::GpuExpandedMemref;
        gpuBinary.entry = kernel.entry;
        gpuBinary.data.assign(data.begin(), data.end());
        gpuBinary.launch = launch;
        bundleKernel.binaries.push_back(std::move(gpuBinary));
      };
      if (!binary.cubin.empty())
        addBinary(bundle::BinaryKind::Cubin,
                  StringRef(reinterpret_cast<const char *>(binary.cubin.data()),
                            binary.cubin.size()));
      addBinary(bundle::BinaryKind::Ptx, binary.ptx);
    }
  }
  if (emit == "ptx" &&
      failed(nvidia::writeTextOutput(ptxText, output, module.getLoc())))
    return failure();
  return nvidia::writeTextOutput(report, "", module.getLoc());
}

LogicalResult AttnCompilePass::compile() {
  if (failed(checkOptions()))
    return failure();
  ModuleOp module = getOperation();
  FailureOr<SmallVector<host::KernelSpec>> specs =
      host::collectKernelSpecs(module);
  if (failed(specs))
    return failure();

  bundle::Bundle result;
  result.producer = "attn-opt --attn-compile";
  result.specName = specNameOf(module);
  // The bundle carries the spec so that attn-run can rebuild the reference.
  llvm::raw_string_ostream specStream(result.specSource);
  module.print(specStream);

  for (const host::KernelSpec &spec : *specs) {
    func::FuncOp function = spec.function;
    StringRef name = function.getSymName();
    if (!isIdentifier(name))
      return function.emitError()
             << "@" << name << " cannot name a bundle kernel: use letters, "
             << "digits and '_' (not starting with a digit)";
    FailureOr<std::vector<bundle::Arg>> arguments = bundleArguments(spec);
    if (failed(arguments))
      return failure();
    // GPU kernels stage Q, K and V and store O with 16-byte accesses.
    if (!chips.empty())
      for (bundle::Arg &arg : *arguments)
        if (llvm::is_contained({"q", "k", "v", "o"}, arg.name))
          arg.withAlignment(16);
    bundle::Kernel kernel;
    kernel.name = name.str();
    kernel.args = std::move(*arguments);
    result.kernels.push_back(std::move(kernel));
  }

  StringRef emitKind = emit.getValue();
  if (emitKind.starts_with("host-"))
    return compileHost(*specs, result);
  if (emitKind != "bundle")
    return compileGpu(*specs, result);
  if (hostRequested && failed(compileHost(*specs, result)))
    return failure();
  if (!chips.empty() && failed(compileGpu(*specs, result)))
    return failure();
  if (output.empty())
    return success();

  std::string error;
  if (!bundle::writeFile(result, output, error))
    return emitError(module.getLoc()) << "attn-compile: " << error;
  return success();
}
