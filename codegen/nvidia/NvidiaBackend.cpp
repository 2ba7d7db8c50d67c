//===- NvidiaBackend.cpp - The NVIDIA targets of attn-compile -------------===//
//
// targets=sm_80,sm_90,sm_90a: each spec's tiled program becomes one gpu.func
// per kernel family in a gpu.module of its own (the schedule emitter through
// NvidiaScheduleTarget for sm_80 and sm_90, through HopperScheduleTarget for
// sm_90a), lowered to NVVM, serialized to PTX per chip and assembled to
// cubins when ptxas is found (NvidiaCompiler.h). Options: gpu-block-q, gpu-block-kv, gpu-warps,
// gpu-stages, gpu-min-blocks, sm90a-sync (the sm_90a kernel's stage
// synchronization), sm90a-overlap (what its products overlap), sm90a-copy
// (auto, cp.async or TMA), sm90a-producer (a producer warp issues the loads),
// report-resources. Stages: emit=gpu, nvvm,
// ptx. docs/nvidia.md describes the kernels.
//
//===----------------------------------------------------------------------===//
#include "NvidiaScheduleTarget.h"
#include "hopper/HopperScheduleTarget.h"
#include "attn/Nvidia/NvidiaCompiler.h"
#include "attn/Nvidia/Passes.h"
#include "attn/Schedule/ScheduleEmitter.h"
#include "attn/Target/TargetBackend.h"
#include "attn/Dialect/MaskVisits.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include <map>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;
namespace bundle = ::attn::bundle;

namespace {

/// The kernels of one family: the chips that run it, the target that
/// writes it, and the suffix of its gpu.module's name.
struct KernelFamily {
  SmallVector<std::string> chips;
  std::string moduleSuffix;
  bool hopper = false;

  std::unique_ptr<NvidiaScheduleTarget>
  makeTarget(const GpuTiling &tiling, Type elementType,
             HopperStageSync hopperSync, HopperOverlap hopperOverlap,
             HopperCopy hopperCopy, HopperProducer hopperProducer) const {
    if (hopper)
      return std::make_unique<HopperScheduleTarget>(
          tiling, elementType, hopperSync, hopperOverlap, hopperCopy,
          hopperProducer);
    return std::make_unique<NvidiaScheduleTarget>(tiling, elementType);
  }
};

/// sm_80 and sm_90 share the mma.sync kernel; sm_90a has the wgmma one.
SmallVector<KernelFamily> kernelFamilies(ArrayRef<std::string> targets) {
  KernelFamily mmaSync{{}, "", false}, hopper{{}, "_sm_90a", true};
  for (const std::string &chip : targets)
    (isHopperChip(chip) ? hopper : mmaSync).chips.push_back(chip);
  SmallVector<KernelFamily> families;
  for (KernelFamily *family : {&mmaSync, &hopper})
    if (!family->chips.empty())
      families.push_back(std::move(*family));
  return families;
}

/// One kernel of one family, as the bundle's binaries describe it.
struct Built {
  std::string moduleName, entry;
  int64_t blockQ, threads, sharedBytes;
  /// Backward kernels: the phases sharing the launch (blockIdx.z).
  int64_t phases = 0;
  /// The tensor maps the kernel takes after its arguments (TMA loads).
  std::vector<bundle::TensorMap> tensorMaps;
};

/// The bundle's description of a tensor map the kernel takes.
bundle::TensorMap bundleTensorMap(const TensorMapUse &use) {
  bundle::TensorMap map;
  map.arg = use.argument;
  map.box.assign(use.box.begin(), use.box.end());
  switch (use.swizzleBytes) {
  case 0: map.swizzle = bundle::TensorMapSwizzle::None; break;
  case 32: map.swizzle = bundle::TensorMapSwizzle::Bytes32; break;
  case 64: map.swizzle = bundle::TensorMapSwizzle::Bytes64; break;
  case 128: map.swizzle = bundle::TensorMapSwizzle::Bytes128; break;
  default: llvm_unreachable("TMA swizzles 0, 32, 64 or 128 bytes");
  }
  return map;
}

/// The preparation kernel of a key summary: a warp pair per chunk of ids,
/// one id per thread.
constexpr int64_t kKeySummaryWarps = 2;

class NvidiaBackend final : public TargetBackend {
public:
  StringRef name() const override { return "NVIDIA"; }
  ArrayRef<StringRef> targets() const override { return supportedChips(); }
  ArrayRef<StringRef> optionNames() const override {
    static constexpr StringRef kOptions[] = {
        "gpu-block-q", "gpu-block-kv",   "gpu-warps",
        "gpu-stages",  "gpu-min-blocks", "sm90a-sync", "sm90a-overlap",
        "sm90a-copy",  "sm90a-producer", "report-resources"};
    return kOptions;
  }
  ArrayRef<EmitStage> emitStages() const override {
    static const EmitStage kStages[] = {
        {"gpu", false}, {"nvvm", false}, {"ptx", true}};
    return kStages;
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    registerNvidiaCompilerDependencies(registry);
  }
  void registerPasses() const override { registerNvidiaPasses(); }

  LogicalResult checkRequest(const CompileRequest &request,
                             Location loc) const override {
    // 0 keeps the kernel's default.
    for (StringRef option : {"gpu-block-q", "gpu-block-kv", "gpu-warps",
                             "gpu-stages", "gpu-min-blocks"})
      if (failed(readIntegerOption(request, option, 0,
                                   ">= 1 (or 0 for the kernel's default)",
                                   loc)))
        return failure();
    // Any tiling will do: only the name is checked here.
    if (!hopperStageSyncFor(hopperSyncName(request), GpuTiling()))
      return emitError(loc) << "attn-compile: sm90a-sync must be auto, "
                               "barrier or mbarrier, got '"
                            << hopperSyncName(request) << "'";
    // The sm_90a kernel's named choices.
    auto refuse = [&](StringRef option, StringRef choices) {
      return emitError(loc) << "attn-compile: " << option << " must be "
                            << choices << ", got '"
                            << request.options.lookup(option) << "'";
    };
    if (request.options.count("sm90a-overlap") &&
        !parseHopperOverlap(request.options.lookup("sm90a-overlap")))
      return refuse("sm90a-overlap", "none, softmax or warpgroups");
    if (request.options.count("sm90a-copy") &&
        request.options.lookup("sm90a-copy") != "auto" &&
        !parseHopperCopy(request.options.lookup("sm90a-copy")))
      return refuse("sm90a-copy", "auto, cp.async or tma");
    if (request.options.count("sm90a-producer") &&
        !parseHopperProducer(request.options.lookup("sm90a-producer")))
      return refuse("sm90a-producer", "none, warp or warpgroup");
    if (reportsResources(request) && request.emit != "bundle" &&
        request.emit != "ptx")
      return emitError(loc) << "attn-compile: report-resources needs "
                               "emit=bundle or emit=ptx";
    return success();
  }

  void constrainArguments(std::vector<bundle::Arg> &arguments) const override {
    // Q, K and V (and in backward kernels every operand of a product: O
    // and dO) are staged by 16-byte copies; O, dQ, dK and dV are stored two
    // elements at a time, which the same alignment covers.
    for (bundle::Arg &arg : arguments)
      if (llvm::is_contained({"q", "k", "v", "o", "do", "dq", "dk", "dv"},
                             arg.name))
        arg.withAlignment(16);
  }

  Tiles chooseTiles(const KernelSpec &spec,
                    const CompileRequest &request) const override {
    GpuTiling tiling = tilingFor(spec, request);
    return Tiles{tiling.blockQ, tiling.blockKV};
  }
  Tiles chooseGradientTiles(const KernelSpec &,
                            const CompileRequest &) const override {
    GpuTiling tiling = gradientTiling();
    return Tiles{tiling.blockQ, tiling.blockKV};
  }
  bool compilesGradients() const override { return true; }
  bool preparesKeySummaries() const override { return true; }

  LogicalResult compile(ArrayRef<TiledSpec> specs,
                        const CompileRequest &request, Location loc,
                        CompileOutput &output) override;

private:
  static StringRef hopperSyncName(const CompileRequest &request) {
    auto it = request.options.find("sm90a-sync");
    return it == request.options.end() ? StringRef("auto")
                                       : StringRef(it->second);
  }
  static HopperOverlap hopperOverlap(const CompileRequest &request) {
    auto it = request.options.find("sm90a-overlap");
    if (it == request.options.end())
      return HopperOverlap::None;
    return parseHopperOverlap(it->second).value_or(HopperOverlap::None);
  }
  /// sm90a-copy for the sm_90a kernel of `tiled` (auto resolved).
  static HopperCopy hopperCopy(const CompileRequest &request,
                               const TiledSpec &tiled) {
    auto it = request.options.find("sm90a-copy");
    if (it != request.options.end())
      if (std::optional<HopperCopy> asked = parseHopperCopy(it->second))
        return *asked;
    return HopperScheduleTarget::copyFor(tiled.program, tiled.spec,
                                         hopperSyncName(request),
                                         hopperOverlap(request));
  }
  static HopperProducer hopperProducer(const CompileRequest &request) {
    auto it = request.options.find("sm90a-producer");
    if (it == request.options.end())
      return HopperProducer::None;
    return parseHopperProducer(it->second).value_or(HopperProducer::None);
  }
  static bool reportsResources(const CompileRequest &request) {
    auto it = request.options.find("report-resources");
    return it != request.options.end() && it->second != "false" &&
           it->second != "0";
  }
  /// Backward kernels run 64 x 64 tiles on 4 warps: both phases (rows of
  /// keys and rows of queries) share the launch's block of threads, and the
  /// four accumulators of a key tile (S, dP, dK, dV) fit registers at head
  /// dimension 128 no larger tile would.
  static GpuTiling gradientTiling() {
    GpuTiling tiling;
    tiling.blockQ = 64;
    tiling.blockKV = 64;
    tiling.warps = 4;
    return tiling;
  }
  /// Queries per column tile of the dK/dV phase (a transposed program):
  /// its lanes hold the dK and dV accumulators of their 16 keys (128 f32
  /// registers at head dimension 128) across the column tiles, so the S and
  /// dP tiles of 32 queries (16 registers each, 32 with 64 queries) keep a
  /// thread within 255 registers; the tile's operand copies are no more in
  /// all (twice as many, half as large).
  static constexpr int64_t kKeyPhaseColumns = 32;
  static GpuTiling tilingFor(const KernelSpec &spec,
                             const CompileRequest &request) {
    GpuTiling tiling = chooseTiling(spec);
    // One tiling serves every kernel family of the bundle (the cascade is
    // tiled once).
    if (llvm::any_of(request.targets, isHopperChip))
      tiling = HopperScheduleTarget::tilingFor(tiling, spec,
                                               hopperOverlap(request));
    for (auto [option, field] :
         {std::pair<StringRef, int64_t *>{"gpu-block-q", &tiling.blockQ},
          {"gpu-block-kv", &tiling.blockKV},
          {"gpu-warps", &tiling.warps},
          {"gpu-stages", &tiling.stages},
          {"gpu-min-blocks", &tiling.minBlocksPerMultiprocessor}}) {
      auto it = request.options.find(option);
      int64_t value = 0;
      if (it != request.options.end() &&
          !StringRef(it->second).getAsInteger(10, value) && value > 0)
        *field = value;
    }
    return tiling;
  }
  /// The preparation kernel of a key summary in its own gpu.module.
  static FailureOr<Built> emitKeySummaryKernel(ModuleOp kernels,
                                               const TiledSpec &tiled,
                                               const KernelFamily &family,
                                               Location loc);
  /// Emits the phases of the backward kernel `tiled` into `kernel`, all in
  /// one launch (foldRowProductPhases makes them independent); returns its
  /// dynamic shared memory and sets `phaseCount`.
  FailureOr<int64_t> emitGradientKernel(gpu::GPUFuncOp kernel,
                                        const TiledSpec &tiled,
                                        int64_t &phaseCount);
  /// The ptxas to use, or none (with a remark) when there is none and
  /// nothing needs one.
  FailureOr<std::optional<std::string>>
  ptxasForCubins(const CompileRequest &request, Location loc);
};

/// An empty kernel function `entry` taking `arguments` (as memrefs), then
/// `tensorMaps` tensor maps (lowerGpuModulesToNVVM makes them by-value
/// parameters), alone in a new gpu.module @moduleName at the end of
/// `kernels`.
gpu::GPUFuncOp createModuleKernel(ModuleOp kernels, Location loc,
                                  StringRef moduleName, StringRef entry,
                                  ArrayRef<KernelArgument> arguments,
                                  int64_t tensorMaps = 0) {
  OpBuilder builder = OpBuilder::atBlockEnd(kernels.getBody());
  auto gpuModule = gpu::GPUModuleOp::create(builder, loc, moduleName);
  SmallVector<Type> argumentTypes;
  for (const KernelArgument &argument : arguments)
    argumentTypes.push_back(kernelArgumentMemRefType(argument));
  argumentTypes.append(tensorMaps,
                       LLVM::LLVMPointerType::get(builder.getContext()));
  Block &moduleBody = gpuModule.getBodyRegion().front();
  builder = moduleBody.mightHaveTerminator()
                ? OpBuilder::atBlockTerminator(&moduleBody)
                : OpBuilder::atBlockEnd(&moduleBody);
  auto kernel = gpu::GPUFuncOp::create(
      builder, loc, entry,
      builder.getFunctionType(argumentTypes, /*results=*/{}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());
  for (int64_t map = 0; map < tensorMaps; ++map)
    kernel.setArgAttr(arguments.size() + map, kTensorMapArgumentAttr,
                      builder.getUnitAttr());
  return kernel;
}

} // namespace

FailureOr<std::optional<std::string>>
NvidiaBackend::ptxasForCubins(const CompileRequest &request, Location loc) {
  FailureOr<std::optional<std::string>> ptxas = findPtxas(loc);
  if (failed(ptxas) || *ptxas)
    return ptxas;
  if (reportsResources(request))
    return emitError(loc) << "attn-compile: report-resources needs ptxas "
                          << "(set $ATTN_CUDA_PATH, install /usr/local/cuda "
                          << "or put ptxas on PATH)";
  emitRemark(loc) << "attn-compile: no ptxas ($ATTN_CUDA_PATH unset, no "
                  << "/usr/local/cuda/bin/ptxas, none on PATH), so the "
                  << "NVIDIA binaries are PTX only; the driver compiles "
                  << "them at load time";
  return ptxas;
}

FailureOr<int64_t> NvidiaBackend::emitGradientKernel(gpu::GPUFuncOp kernel,
                                                     const TiledSpec &tiled,
                                                     int64_t &phaseCount) {
  std::vector<GradientPhase> phases = tiled.phases;
  if (failed(foldRowProductPhases(phases)))
    return failure();
  // The launch strides each phase's rows by the row tile (64); only the
  // dK/dV phase's column tiles are narrower.
  for (GradientPhase &phase : phases)
    if (phase.program.transposed)
      phase.program.blockQ = kKeyPhaseColumns;
  phaseCount = phases.size();
  Type elementType = tiled.spec.arguments[0].type.getElementType();
  SmallVector<std::unique_ptr<NvidiaScheduleTarget>> targets;
  int64_t sharedBytes = 0;
  for (auto [position, phase] : llvm::enumerate(phases)) {
    for (const PhaseTensor &tensor : phase.tensors)
      if (tensor.scratch >= 0)
        return phase.program.cascade.emitError()
               << "grad=true: the NVIDIA backward kernel cannot pass @"
               << tensor.name.getValue()
               << " between its phases (only per-row products such as "
                  "D = rowsum(dO O) are recomputed where they are read)";
    auto target =
        std::make_unique<NvidiaScheduleTarget>(gradientTiling(), elementType);
    target->setGradientPhase(position, phaseCount);
    if (failed(target->checkProgram(phase.program, tiled.spec)))
      return failure();
    sharedBytes = std::max(sharedBytes,
                           target->gradientSharedMemoryBytes(phase.program));
    targets.push_back(std::move(target));
  }
  ImplicitLocOpBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  ValueRange arguments = kernel.getArguments();
  Value query = arguments[0], key = arguments[1];
  for (auto [phase, target] : llvm::zip_equal(phases, targets)) {
    schedule::GradientOperands operands;
    for (const PhaseTensor &tensor : phase.tensors)
      operands.tensors[tensor.name] = arguments[tensor.argument];
    for (unsigned data : phase.data)
      operands.data.push_back(arguments[data]);
    operands.setSizesFrom(b, query, key);
    schedule::emitGradientKernel(b, phase.program, *target, operands);
  }
  gpu::ReturnOp::create(b);
  targets.front()->finalize(kernel);
  return sharedBytes;
}

FailureOr<Built> NvidiaBackend::emitKeySummaryKernel(
    ModuleOp kernels, const TiledSpec &tiled, const KernelFamily &family,
    Location loc) {
  Location kernelLoc = tiled.spec.function.getLoc();
  std::string moduleName = tiled.name + family.moduleSuffix;
  if (kernels.lookupSymbol(moduleName))
    return emitError(loc)
           << "attn-compile: two kernels would share the gpu.module @"
           << moduleName << "; rename a spec function";
  std::string entry = "attn_" + tiled.name;
  gpu::GPUFuncOp kernel =
      createModuleKernel(kernels, kernelLoc, moduleName, entry,
                         keySummaryPreparationArguments(tiled.spec));
  // The work item's rows are one chunk of ids; the query/key/value views
  // the target lays out are empty (no head dimension) and unused.
  GpuTiling tiling;
  tiling.blockQ = kKeySummaryChunk;
  tiling.blockKV = 16;
  tiling.warps = kKeySummaryWarps;
  tiling.stages = 1;
  Type elementType = tiled.spec.arguments[0].type.getElementType();
  NvidiaScheduleTarget target(tiling, elementType);
  ImplicitLocOpBuilder b(kernelLoc, kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  schedule::emitKeySummaryKernel(b, target, kernel.getArgument(0),
                                 kernel.getArgument(1));
  gpu::ReturnOp::create(b);
  target.finalize(kernel);
  int64_t threads = kKeySummaryWarps * NvidiaMatrixTarget::kWarpSize;
  // reduceOverRange's tree: two 8-byte slots per thread.
  int64_t sharedBytes = 2 * threads * 8;
  return Built{moduleName, entry, kKeySummaryChunk, threads, sharedBytes};
}

LogicalResult NvidiaBackend::compile(ArrayRef<TiledSpec> specs,
                                     const CompileRequest &request,
                                     Location loc, CompileOutput &output) {
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(loc);
  (*kernels)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(kernels->getContext()));
  SmallVector<KernelFamily> families = kernelFamilies(request.targets);
  // built[spec][family].
  SmallVector<SmallVector<Built>> built;
  for (const TiledSpec &tiled : specs) {
    if (tiled.keySummaryPreparation) {
      built.emplace_back();
      for (const KernelFamily &family : families) {
        FailureOr<Built> preparation =
            emitKeySummaryKernel(*kernels, tiled, family, loc);
        if (failed(preparation))
          return failure();
        built.back().push_back(*preparation);
      }
      continue;
    }
    GpuTiling tiling =
        tiled.isGradient() ? gradientTiling() : tilingFor(tiled.spec, request);
    Type elementType = tiled.spec.arguments[0].type.getElementType();
    built.emplace_back();
    HopperOverlap overlap = hopperOverlap(request);
    HopperCopy copy = hopperCopy(request, tiled);
    HopperProducer producer = hopperProducer(request);
    // Validated with the options.
    HopperStageSync sync =
        *hopperStageSyncFor(hopperSyncName(request), tiling, overlap, copy);
    bool stagesGiven = request.options.count("gpu-stages") &&
                       request.options.lookup("gpu-stages") != "0";
    for (const KernelFamily &family : families) {
      if (tiled.isGradient() && family.hopper)
        return emitError(loc)
               << "attn-compile: grad=true: the sm_90a kernel has no "
                  "backward yet (@"
               << tiled.name
               << "); list sm_90 instead, whose mma.sync backward runs on "
                  "sm_90 devices";
      GpuTiling familyTiling =
          family.hopper && !tiled.isGradient()
              ? HopperScheduleTarget::stagesFor(tiling, tiled.spec, sync,
                                                overlap, stagesGiven)
              : tiling;
      std::unique_ptr<NvidiaScheduleTarget> target =
          family.makeTarget(familyTiling, elementType, sync, overlap, copy,
                            producer);
      if (!tiled.isGradient() &&
          failed(target->checkProgram(tiled.program, tiled.spec)))
        return failure();
      Location kernelLoc = tiled.isGradient()
                               ? tiled.spec.function.getLoc()
                               : tiled.program.cascade.getLoc();
      std::string moduleName = tiled.name + family.moduleSuffix;
      if (kernels->lookupSymbol(moduleName))
        return emitError(loc)
               << "attn-compile: two kernels would share the gpu.module @"
               << moduleName << " (the sm_90a kernel of a spec function "
               << "@<f> is @<f>_sm_90a); rename a spec function";
      std::string entry = "attn_" + tiled.name;
      SmallVector<TensorMapUse> tensorMaps =
          tiled.isGradient() ? SmallVector<TensorMapUse>()
                             : target->tensorMaps(tiled.spec);
      gpu::GPUFuncOp kernel =
          createModuleKernel(*kernels, kernelLoc, moduleName, entry,
                             tiled.spec.arguments, tensorMaps.size());
      Builder builder(kernel.getContext());
      int64_t threads = target->threadsPerBlock();
      if (std::optional<int64_t> registers = target->maxRegistersPerThread())
        kernel->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                        builder.getI32IntegerAttr(
                            static_cast<int32_t>(*registers)));
      // The occupancy hint makes ptxas cap the registers per thread for that
      // many blocks of the known size. (Without the hint the block size is
      // left out: on H200 it made ptxas spill more in the 8-warp kernels.)
      if (tiling.minBlocksPerMultiprocessor > 0) {
        kernel.setKnownBlockSizeAttr(builder.getDenseI32ArrayAttr(
            {static_cast<int32_t>(threads), 1, 1}));
        kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                        builder.getI32IntegerAttr(static_cast<int32_t>(
                            tiling.minBlocksPerMultiprocessor)));
      }
      if (tiled.isGradient()) {
        int64_t phases = 0;
        FailureOr<int64_t> sharedBytes =
            emitGradientKernel(kernel, tiled, phases);
        if (failed(sharedBytes))
          return failure();
        built.back().push_back(
            {moduleName, entry, tiling.blockQ, threads, *sharedBytes, phases});
        continue;
      }
      ImplicitLocOpBuilder b(kernelLoc, builder.getContext());
      b.setInsertionPointToStart(&kernel.getBody().front());
      ValueRange arguments = kernel.getArguments();
      size_t memrefs = tiled.spec.arguments.size();
      if (!tensorMaps.empty())
        target->bindTensorMaps(arguments.drop_front(memrefs));
      schedule::emitScheduledKernel(b, tiled.spec, tiled.program, *target,
                                    arguments.take_front(memrefs));
      gpu::ReturnOp::create(b);
      target->finalize(kernel);
      Built kernelBuilt{moduleName, entry, tiling.blockQ, threads,
                        target->sharedMemoryBytes(tiled.spec)};
      for (const TensorMapUse &use : tensorMaps)
        kernelBuilt.tensorMaps.push_back(bundleTensorMap(use));
      built.back().push_back(std::move(kernelBuilt));
    }
  }
  if (request.emit == "gpu") {
    output.replacement = std::move(kernels);
    return success();
  }
  if (failed(lowerGpuModulesToNVVM(*kernels)))
    return failure();
  if (request.emit == "nvvm") {
    output.replacement = std::move(kernels);
    return success();
  }

  bool report = reportsResources(request);
  std::optional<std::string> ptxas;
  if (request.emit == "bundle" || report) {
    FailureOr<std::optional<std::string>> found = ptxasForCubins(request, loc);
    if (failed(found))
      return failure();
    ptxas = *found;
  }
  std::string ptxText, reportText;
  llvm::raw_string_ostream reportStream(reportText);
  for (auto [tiled, specKernels] : llvm::zip_equal(specs, built)) {
    // Every chip's binary and the kernel it came from, in the order of
    // targets=.
    std::map<std::string, std::pair<ChipBinary, const Built *>> byChip;
    for (auto [family, kernel] : llvm::zip_equal(families, specKernels)) {
      auto gpuModule =
          kernels->lookupSymbol<gpu::GPUModuleOp>(kernel.moduleName);
      FailureOr<SmallVector<ChipBinary>> binaries = compileGpuModule(
          gpuModule, family.chips,
          ptxas ? std::optional<StringRef>(*ptxas) : std::nullopt);
      if (failed(binaries))
        return failure();
      for (ChipBinary &binary : *binaries) {
        std::string chip = binary.chip;
        byChip[chip] = {std::move(binary), &kernel};
      }
    }
    std::vector<bundle::Binary> forSpec;
    for (const std::string &chip : request.targets) {
      auto found = byChip.find(chip);
      if (found == byChip.end())
        continue;
      const ChipBinary &binary = found->second.first;
      const Built &kernel = *found->second.second;
      if (report) {
        const KernelResources *resources = llvm::find_if(
            binary.resources, [&](const KernelResources &candidate) {
              return candidate.entry == kernel.entry;
            });
        if (resources == binary.resources.end())
          return emitError(loc)
                 << "attn-compile: ptxas reported no resources for "
                 << kernel.entry << " (" << binary.chip << ")";
        printResources(reportStream, tiled.name, binary.chip, *resources,
                       kernel.sharedBytes);
      }
      if (request.emit == "ptx") {
        ptxText += ptxBanner(
            ("kernel " + tiled.name + ", entry " + kernel.entry), binary.chip);
        ptxText += binary.ptx;
        continue;
      }
      bundle::LaunchConfig launch =
          tiled.keySummaryPreparation
              ? launchOverKeyChunks(
                    keySummaryPreparationArguments(tiled.spec)[0],
                    kernel.threads, kernel.sharedBytes)
              : launchOverQueryTiles(
                    tiled.spec.arguments[0], kernel.blockQ,
                    schedule::staticQueryTileCount(tiled.program),
                    kernel.threads, kernel.sharedBytes);
      // A backward kernel's phases share the launch along z.
      if (kernel.phases)
        launch.grid[2] = launch.grid[2] * bundle::Expr::constant(kernel.phases);
      auto addBinary = [&](bundle::BinaryKind kind, StringRef data) {
        bundle::Binary gpuBinary;
        gpuBinary.target = binary.chip;
        gpuBinary.kind = kind;
        gpuBinary.conv = bundle::CallingConv::GpuExpandedMemref;
        gpuBinary.entry = kernel.entry;
        gpuBinary.data.assign(data.begin(), data.end());
        gpuBinary.launch = launch;
        gpuBinary.tensorMaps = kernel.tensorMaps;
        forSpec.push_back(std::move(gpuBinary));
      };
      if (!binary.cubin.empty())
        addBinary(bundle::BinaryKind::Cubin,
                  StringRef(reinterpret_cast<const char *>(binary.cubin.data()),
                            binary.cubin.size()));
      addBinary(bundle::BinaryKind::Ptx, binary.ptx);
    }
    output.binaries.push_back(std::move(forSpec));
  }
  if (request.emit == "ptx" &&
      failed(writeTextOutput(ptxText, request.output, loc)))
    return failure();
  return writeTextOutput(reportText, "", loc);
}

namespace mlir::attn {
/// Called through the build's target list (compiler/lib/Targets.cpp).
void registerNvidiaTarget(TargetRegistry &registry) {
  registry.add(std::make_unique<NvidiaBackend>());
}
} // namespace mlir::attn
