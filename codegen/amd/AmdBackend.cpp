//===- AmdBackend.cpp - The AMD targets of attn-compile -------------------===//
//
// targets=gfx90a,gfx942,gfx1100: each spec's tiled program becomes one
// gpu.func per chip (the schedule emitter through AmdScheduleTarget on an
// AmdGpuMachine), lowered to ROCDL and serialized to an HSACO code object
// (AmdCompiler.h). targets=gfx90a-emulated, ...: the same kernel on an
// AmdEmulatedMachine, a host shared object that runs each workgroup's lanes
// in lockstep on the CPU, so that attn-run --check compares the chip's
// schedule with the interpreter (its bundle binary is the "host" one).
// Options: gpu-block-q, gpu-block-kv, gpu-stages, gpu-min-blocks,
// report-resources. Stages: emit=amdgpu, rocdl, rocdl-isa. docs/amd.md.
//
//===----------------------------------------------------------------------===//
#include "AmdMachine.h"
#include "AmdScheduleTarget.h"
#include "attn/Amd/AmdCompiler.h"
#include "attn/Amd/AmdTiling.h"
#include "attn/Host/HostCompiler.h"
#include "attn/Host/LockstepLanes.h"
#include "attn/Schedule/ScheduleEmitter.h"
#include "attn/Target/TargetBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::amd;
namespace bundle = ::attn::bundle;

namespace {

constexpr StringLiteral kEmulatedSuffix = "-emulated";

/// The chip a target name stands for, and whether it is emulated.
std::pair<const AmdChip *, bool> parseTarget(StringRef target) {
  bool emulated = target.consume_back(kEmulatedSuffix);
  return {lookupChip(target), emulated};
}

/// How the emulated kernels are compiled for the CPU: LLVM -O1, which
/// compiles their long unrolled bodies about three times faster than -O3
/// for about the same run time (measured on mha, B=2 Sq=130 Skv=131).
host::HostCodegenOptions emulationCodegen() {
  host::HostCodegenOptions options;
  options.optLevel = 1;
  return options;
}

/// One spec's kernel for one chip, as built.
struct BuiltKernel {
  std::string name, entry;
  AmdTiling tiling;
  int64_t ldsBytes = 0;
};

class AmdBackend final : public TargetBackend {
public:
  StringRef name() const override { return "AMD"; }
  ArrayRef<StringRef> targets() const override {
    static const SmallVector<std::string> names = [] {
      SmallVector<std::string> list;
      for (StringRef chip : supportedChipNames())
        list.push_back(chip.str());
      for (StringRef chip : supportedChipNames())
        list.push_back((chip + kEmulatedSuffix).str());
      return list;
    }();
    static const SmallVector<StringRef> refs(names.begin(), names.end());
    return refs;
  }
  ArrayRef<StringRef> optionNames() const override {
    static constexpr StringRef kOptions[] = {"gpu-block-q", "gpu-block-kv",
                                             "gpu-stages", "gpu-min-blocks",
                                             "report-resources"};
    return kOptions;
  }
  ArrayRef<EmitStage> emitStages() const override {
    static const EmitStage kStages[] = {
        {"amdgpu", false}, {"rocdl", false}, {"rocdl-isa", true}};
    return kStages;
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registerAmdCompilerDependencies(registry);
  }

  LogicalResult checkRequest(const CompileRequest &request,
                             Location loc) const override;

  void constrainArguments(std::vector<bundle::Arg> &arguments) const override {
    // K and V are copied, and Q read, with vector loads of up to 16 bytes.
    for (bundle::Arg &arg : arguments)
      if (llvm::is_contained({"q", "k", "v", "o"}, arg.name))
        arg.withAlignment(16);
  }

  Tiles chooseTiles(const KernelSpec &spec,
                    const CompileRequest &request) const override {
    AttentionShape shape = spec.cascade.getAttentionShape();
    Tiles tiles;
    tiles.blockQ = defaultBlockQ(shape.headDimQK, shape.headDimV);
    tiles.blockKV = kDefaultBlockKV;
    if (int64_t value = option(request, "gpu-block-q"))
      tiles.blockQ = value;
    if (int64_t value = option(request, "gpu-block-kv"))
      tiles.blockKV = value;
    return tiles;
  }

  LogicalResult compile(ArrayRef<TiledSpec> specs,
                        const CompileRequest &request, Location loc,
                        CompileOutput &output) override;

private:
  /// An integer option's value, 0 when absent (or 0: the default).
  static int64_t option(const CompileRequest &request, StringRef name) {
    auto it = request.options.find(name);
    int64_t value = 0;
    if (it != request.options.end())
      StringRef(it->second).getAsInteger(10, value);
    return value;
  }
  static bool reportsResources(const CompileRequest &request) {
    auto it = request.options.find("report-resources");
    return it != request.options.end() && it->second != "false" &&
           it->second != "0";
  }
  /// The kernel shape for `chip`, or a diagnostic on the spec.
  FailureOr<AmdTiling> tilingFor(const TiledSpec &tiled, const AmdChip &chip,
                                 const CompileRequest &request) const;
  /// Emits the kernel of `tiled` for `chip` into a new gpu.module (GPU) or
  /// func.func (emulation) at the end of `module`.
  LogicalResult emitKernel(ModuleOp module, const TiledSpec &tiled,
                           const AmdChip &chip, bool emulated,
                           const CompileRequest &request,
                           StringRef moduleName, BuiltKernel &built);
  LogicalResult compileChip(ArrayRef<TiledSpec> specs,
                            const CompileRequest &request, Location loc,
                            const AmdChip &chip, std::string &isaText,
                            std::string &report,
                            std::vector<std::vector<bundle::Binary>> &binaries);
  LogicalResult compileEmulated(ArrayRef<TiledSpec> specs,
                                const CompileRequest &request, Location loc,
                                const AmdChip &chip,
                                std::vector<std::vector<bundle::Binary>> &binaries);
};

} // namespace

LogicalResult AmdBackend::checkRequest(const CompileRequest &request,
                                       Location loc) const {
  for (StringRef name : {"gpu-block-q", "gpu-block-kv", "gpu-stages",
                         "gpu-min-blocks"})
    if (failed(readIntegerOption(request, name, 0,
                                 ">= 1 (or 0 for the kernel's default)", loc)))
      return failure();
  SmallVector<StringRef> chips, emulated;
  for (const std::string &target : request.targets)
    (parseTarget(target).second ? emulated : chips).push_back(target);
  if (emulated.size() > 1)
    return emitError(loc) << "attn-compile: the emulated AMD targets each "
                          << "make the bundle's host binary; request one at "
                          << "a time (got " << llvm::join(emulated, ", ")
                          << ")";
  if (reportsResources(request)) {
    if (request.emit != "bundle" && request.emit != "rocdl-isa")
      return emitError(loc) << "attn-compile: report-resources needs "
                               "emit=bundle or emit=rocdl-isa";
    if (chips.empty())
      return emitError(loc) << "attn-compile: report-resources reports the "
                               "AMD code objects, and the emulated targets "
                               "make none";
  }
  if ((request.emit == "rocdl" || request.emit == "rocdl-isa") &&
      chips.empty())
    return emitError(loc) << "attn-compile: emit=" << request.emit
                          << " shows AMD GPU code, which the emulated "
                          << "targets do not make (emit=amdgpu shows them)";
  return success();
}

FailureOr<AmdTiling> AmdBackend::tilingFor(const TiledSpec &tiled,
                                           const AmdChip &chip,
                                           const CompileRequest &request) const {
  const MatrixInstruction &in = *chip.instruction;
  AmdTiling tiling;
  tiling.blockKV = tiled.program.blockKV;
  if (int64_t stages = option(request, "gpu-stages"))
    tiling.stages = stages;
  if (tiled.program.blockQ % in.n != 0)
    return tiled.program.cascade.emitError()
           << chip.name << " workgroups give each wave " << in.n
           << " query rows (" << in.name << "): block-q must be a multiple "
           << "of " << in.n << ", got " << tiled.program.blockQ;
  tiling.waves = tiled.program.blockQ / in.n;
  if (tiling.lanes(in) > 1024)
    return tiled.program.cascade.emitError()
           << chip.name << " workgroups of " << tiled.program.blockQ
           << " query rows need " << tiling.lanes(in)
           << " lanes, more than the 1024 a workgroup may have";
  return tiling;
}

LogicalResult AmdBackend::emitKernel(ModuleOp module, const TiledSpec &tiled,
                                     const AmdChip &chip, bool emulated,
                                     const CompileRequest &request,
                                     StringRef moduleName, BuiltKernel &built) {
  FailureOr<AmdTiling> tiling = tilingFor(tiled, chip, request);
  if (failed(tiling))
    return failure();
  WaveLayout layout;
  std::string error;
  if (!deriveWaveLayout(*chip.instruction, layout, error))
    return tiled.program.cascade.emitError()
           << "internal error: the " << chip.name << " layout: " << error;
  Type elementType = tiled.spec.arguments[0].type.getElementType();
  int64_t lanes = tiling->lanes(*chip.instruction);

  Location kernelLoc = tiled.program.cascade.getLoc();
  MLIRContext *context = module.getContext();
  SmallVector<Type> argumentTypes;
  for (const KernelArgument &argument : tiled.spec.arguments)
    argumentTypes.push_back(kernelArgumentMemRefType(argument));
  auto type = FunctionType::get(context, argumentTypes, {});
  built.name = tiled.name;
  built.tiling = *tiling;

  Operation *kernel;
  Block *entry;
  if (emulated) {
    built.entry = "__attn_" + chip.name.str() + "_emulated_" + tiled.name;
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto function = func::FuncOp::create(builder, kernelLoc, built.entry, type);
    entry = function.addEntryBlock();
    kernel = function;
  } else {
    built.entry = "attn_" + tiled.name;
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto gpuModule = gpu::GPUModuleOp::create(builder, kernelLoc, moduleName);
    Block &moduleBody = gpuModule.getBodyRegion().front();
    builder = moduleBody.mightHaveTerminator()
                  ? OpBuilder::atBlockTerminator(&moduleBody)
                  : OpBuilder::atBlockEnd(&moduleBody);
    auto function =
        gpu::GPUFuncOp::create(builder, kernelLoc, built.entry, type);
    function->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                      builder.getUnitAttr());
    function.setKnownBlockSizeAttr(builder.getDenseI32ArrayAttr(
        {static_cast<int32_t>(lanes), 1, 1}));
    // The occupancy the kernel is built for, or the one gpu-min-blocks
    // asks for: LLVM then keeps each wave within that share of registers.
    int64_t waves = chip.targetWavesPerSimd;
    if (int64_t workgroups = option(request, "gpu-min-blocks"))
      waves = std::max<int64_t>(
          1, (workgroups * tiling->waves + chip.simdsPerUnit - 1) /
                 chip.simdsPerUnit);
    function->setAttr("attn.waves_per_eu", builder.getI32IntegerAttr(waves));
    entry = &function.getBody().front();
    kernel = function;
  }
  std::unique_ptr<AmdMachine> machine =
      emulated ? makeEmulatedMachine(chip, elementType, lanes, kernel)
               : makeGpuMachine(chip, elementType, lanes, kernel);
  AmdScheduleTarget target(chip, layout, *tiling, elementType, *machine);
  if (failed(target.checkProgram(tiled.program, tiled.spec)))
    return failure();
  built.ldsBytes = target.ldsBytes(tiled.spec);
  ImplicitLocOpBuilder b(kernelLoc, context);
  b.setInsertionPointToStart(entry);
  schedule::emitScheduledKernel(b, tiled.spec, tiled.program, target,
                                entry->getArguments());
  if (emulated)
    func::ReturnOp::create(b);
  else
    gpu::ReturnOp::create(b);
  target.finalize(kernel);
  return success();
}

LogicalResult AmdBackend::compileChip(
    ArrayRef<TiledSpec> specs, const CompileRequest &request, Location loc,
    const AmdChip &chip, std::string &isaText, std::string &report,
    std::vector<std::vector<bundle::Binary>> &binaries) {
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(loc);
  (*kernels)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(kernels->getContext()));
  SmallVector<BuiltKernel> built;
  for (const TiledSpec &tiled : specs) {
    BuiltKernel kernel;
    if (failed(emitKernel(*kernels, tiled, chip, /*emulated=*/false, request,
                          tiled.name, kernel)))
      return failure();
    built.push_back(kernel);
  }
  if (failed(lowerGpuModulesToROCDL(*kernels, chip)))
    return failure();
  bool assembly = request.emit == "rocdl-isa";
  bool wantReport = reportsResources(request);
  std::string toolkit;
  if (!assembly || wantReport) {
    FailureOr<std::string> found = findRocmToolkit(loc);
    if (failed(found))
      return failure();
    toolkit = *found;
  }
  llvm::raw_string_ostream reportStream(report);
  for (auto [index, tiled, kernel] : llvm::enumerate(specs, built)) {
    auto gpuModule = kernels->lookupSymbol<gpu::GPUModuleOp>(kernel.name);
    if (assembly) {
      FailureOr<AmdBinary> isa =
          compileGpuModule(gpuModule, chip, /*assembly=*/true, toolkit);
      if (failed(isa))
        return failure();
      isaText += "; attn: kernel " + kernel.name + ", entry " + kernel.entry +
                 " for " + chip.name.str() + "\n";
      isaText += isa->isa;
    }
    if (assembly && !wantReport)
      continue;
    FailureOr<AmdBinary> object =
        compileGpuModule(gpuModule, chip, /*assembly=*/false, toolkit);
    if (failed(object))
      return failure();
    if (wantReport) {
      auto resources = llvm::find_if(
          object->resources,
          [&](const KernelResources &r) { return r.entry == kernel.entry; });
      if (resources == object->resources.end())
        return emitError(loc) << "attn-compile: the " << chip.name
                              << " code object has no metadata for "
                              << kernel.entry;
      printResources(reportStream, kernel.name, chip.name, *resources);
    }
    if (assembly)
      continue;
    bundle::Binary binary;
    binary.target = chip.name.str();
    binary.kind = bundle::BinaryKind::Hsaco;
    binary.conv = bundle::CallingConv::GpuExpandedMemref;
    binary.entry = kernel.entry;
    binary.data = std::move(object->hsaco);
    // The kernel's LDS is static: no dynamic shared memory.
    binary.launch = launchOverQueryTiles(
        tiled.spec.arguments[0], kernel.tiling.blockQ(*chip.instruction),
        schedule::staticQueryTileCount(tiled.program),
        kernel.tiling.lanes(*chip.instruction), /*sharedBytes=*/0);
    binaries[index].push_back(std::move(binary));
  }
  return success();
}

LogicalResult AmdBackend::compileEmulated(
    ArrayRef<TiledSpec> specs, const CompileRequest &request, Location loc,
    const AmdChip &chip, std::vector<std::vector<bundle::Binary>> &binaries) {
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(loc);
  SmallVector<host::HostEntryPoint> entries;
  for (const TiledSpec &tiled : specs) {
    BuiltKernel kernel;
    if (failed(emitKernel(*kernels, tiled, chip, /*emulated=*/true, request,
                          "", kernel)))
      return failure();
    auto function = kernels->lookupSymbol<func::FuncOp>(kernel.entry);
    if (failed(host::lowerLockstepLanes(function)))
      return failure();
    if (failed(verify(function)))
      return function.emitError() << "internal error: the lockstep lowering of "
                                  << kernel.entry << " is invalid";
    entries.push_back({kernel.entry, "__attn_host_" + tiled.name});
  }
  host::HostCodegenOptions codegen = emulationCodegen();
  if (failed(host::lowerHostKernelsToLLVM(*kernels, entries, codegen)))
    return failure();
  FailureOr<std::vector<uint8_t>> sharedObject =
      host::buildSharedObject(*kernels, codegen);
  if (failed(sharedObject))
    return failure();
  for (auto [index, entry] : llvm::enumerate(entries)) {
    bundle::Binary binary;
    binary.target = "host";
    binary.kind = bundle::BinaryKind::HostSharedObject;
    binary.conv = bundle::CallingConv::HostCIface;
    binary.entry = entry.entry;
    binary.data = *sharedObject;
    binaries[index].push_back(std::move(binary));
  }
  return success();
}

LogicalResult AmdBackend::compile(ArrayRef<TiledSpec> specs,
                                  const CompileRequest &request, Location loc,
                                  CompileOutput &output) {
  if (request.emit == "amdgpu" || request.emit == "rocdl") {
    // The kernels of every requested chip, named <spec>_<chip>.
    OwningOpRef<ModuleOp> kernels = ModuleOp::create(loc);
    (*kernels)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                        UnitAttr::get(kernels->getContext()));
    for (const std::string &target : request.targets) {
      auto [chip, emulated] = parseTarget(target);
      if (request.emit == "rocdl" && emulated)
        continue;
      OwningOpRef<ModuleOp> forChip = ModuleOp::create(loc);
      for (const TiledSpec &tiled : specs) {
        BuiltKernel kernel;
        std::string moduleName = tiled.name + "_" + target;
        std::replace(moduleName.begin(), moduleName.end(), '-', '_');
        if (failed(emitKernel(*forChip, tiled, *chip, emulated, request,
                              moduleName, kernel)))
          return failure();
      }
      if (request.emit == "rocdl" &&
          failed(lowerGpuModulesToROCDL(*forChip, *chip)))
        return failure();
      kernels->getBody()->getOperations().splice(
          kernels->getBody()->end(), forChip->getBody()->getOperations());
    }
    output.replacement = std::move(kernels);
    return success();
  }

  output.binaries.assign(specs.size(), {});
  std::string isaText, report;
  for (const std::string &target : request.targets) {
    auto [chip, emulated] = parseTarget(target);
    if (emulated) {
      if (request.emit == "bundle" &&
          failed(compileEmulated(specs, request, loc, *chip, output.binaries)))
        return failure();
      continue;
    }
    if (failed(compileChip(specs, request, loc, *chip, isaText, report,
                           output.binaries)))
      return failure();
  }
  if (request.emit == "rocdl-isa" &&
      failed(writeTextOutput(isaText, request.output, loc)))
    return failure();
  return writeTextOutput(report, "", loc);
}

namespace mlir::attn {
/// Called through the build's target list (compiler/lib/Targets.cpp).
void registerAmdTarget(TargetRegistry &registry) {
  registry.add(std::make_unique<AmdBackend>());
}
} // namespace mlir::attn
