//===- Compile.cpp - attn-compile: specs to a bundle ----------------------===//
//
// The compile driver. For every spec function it derives the kernel
// signature from the spec's cascade, then for each requested target runs
// the cascade pipeline with the target's tiles (skipping the steps the
// cascade is already past), reads the tiled cascade as a tile program and
// hands the programs to the target's backend, which returns the bundle's
// binaries. Targets are known only through the registry (Targets.h); this
// file names none.
//
//===----------------------------------------------------------------------===//
#include "attn/Compiler/Passes.h"
#include "attn/Compiler/Targets.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/MaskVisits.h"
#include "attn/Kernel/KernelSpec.h"
#include "attn/Passes/Passes.h"
#include "attn/bundle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCOMPILE
#define GEN_PASS_REGISTRATION
#include "attn/Compiler/Passes.h.inc"
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
bundleArguments(func::FuncOp function, ArrayRef<KernelArgument> signature) {
  std::vector<bundle::Arg> arguments;
  for (const KernelArgument &argument : signature) {
    Type element = argument.type.getElementType();
    std::optional<bundle::DType> dtype = bundleDType(element);
    if (!dtype)
      return function.emitError()
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
    for (const MinimumExtent &least : argument.minimumExtents) {
      bundle::Factor factor{least.size, least.size.empty() ? least.constant : 1,
                            least.divisor};
      arg.minimums.push_back({least.dim, bundle::Expr{{factor}}});
    }
    arg.nonDecreasing = argument.nonDecreasing;
    arguments.push_back(std::move(arg));
  }
  return arguments;
}

/// The signature of the backward kernel of `spec`: @f_grad(q, k, v, data...,
/// o[, lse], do) -> (dq, dk, dv, ddata<N>...), every extent named as the
/// forward names it. `ddata<N>` is the gradient of the float data operand
/// `data<N>` read through #attn.bias, at the full per-score shape
/// [B, Hq, Sq, Skv] whatever the operand's broadcast dimensions.
FailureOr<SmallVector<KernelArgument>>
gradientArguments(const KernelSpec &spec, func::FuncOp gradient) {
  FunctionType type = gradient.getFunctionType();
  size_t forwardCount = spec.arguments.size();
  auto gradientOf =
      gradient->getAttrOfType<DenseI64ArrayAttr>("attn.gradient_of");
  if (type.getNumInputs() != forwardCount + 1 || type.getNumResults() < 3 ||
      !gradientOf ||
      gradientOf.size() != static_cast<int64_t>(type.getNumResults()))
    return gradient.emitError() << "grad=true: @" << gradient.getSymName()
                                << " does not take the forward's arguments, "
                                   "its results and dO";
  SmallVector<KernelArgument> arguments;
  for (const KernelArgument &forward : spec.arguments) {
    KernelArgument argument = forward;
    argument.isOutput = false;
    arguments.push_back(std::move(argument));
  }
  auto like = [&](unsigned position, StringRef name, Type type, bool output) {
    KernelArgument argument = spec.arguments[position];
    argument.name = name.str();
    argument.type = cast<RankedTensorType>(type);
    argument.isOutput = output;
    argument.minimumExtents.clear();
    argument.nonDecreasing = false;
    arguments.push_back(std::move(argument));
  };
  unsigned output = 3 + spec.numData();
  like(output, "do", type.getInput(forwardCount), false);
  like(0, "dq", type.getResult(0), true);
  like(1, "dk", type.getResult(1), true);
  like(2, "dv", type.getResult(2), true);
  for (unsigned result = 3; result < type.getNumResults(); ++result) {
    int64_t forward = gradientOf[result];
    if (forward < 3 || forward >= output)
      return gradient.emitError() << "grad=true: result " << result << " of @"
                                  << gradient.getSymName()
                                  << " is not the gradient of a data operand";
    // [B, Hq, Sq] as q's, Skv as k's.
    like(0, "d" + spec.arguments[forward].name, type.getResult(result), true);
    KernelArgument &bias = arguments.back();
    bias.extents[3] = spec.arguments[1].extents[2];
    bias.dimSizes[3] = spec.arguments[1].dimSizes[2];
  }
  return arguments;
}

/// Makes each function returning the O of an attn.attention alone return
/// its LSE [B, Hq, Sq] (f32) as well.
void returnLogSumExp(ModuleOp module) {
  for (func::FuncOp function : module.getOps<func::FuncOp>()) {
    auto attentions = function.getOps<AttentionOp>();
    if (std::distance(attentions.begin(), attentions.end()) != 1)
      continue;
    AttentionOp attention = *attentions.begin();
    Operation *terminator = function.getBody().front().getTerminator();
    if (attention->getNumResults() != 1 || !isa<func::ReturnOp>(terminator) ||
        terminator->getNumOperands() != 1 ||
        terminator->getOperand(0) != attention->getResult(0))
      continue;
    auto output = cast<RankedTensorType>(attention->getResult(0).getType());
    auto lse = RankedTensorType::get(output.getShape().take_front(3),
                                     Float32Type::get(module.getContext()));
    OpBuilder builder(attention);
    OperationState state(attention.getLoc(), attention->getName());
    state.addOperands(attention->getOperands());
    state.addAttributes(attention->getAttrs());
    state.addTypes({output, lse});
    for (Region &region : attention->getRegions())
      state.addRegion()->takeBody(region);
    Operation *replacement = builder.create(state);
    attention->getResult(0).replaceAllUsesWith(replacement->getResult(0));
    attention->erase();
    terminator->insertOperands(1, replacement->getResult(1));
    function.setFunctionType(builder.getFunctionType(
        function.getArgumentTypes(), terminator->getOperandTypes()));
  }
}

/// The data operand whose reads bound the key tiles of `spec`'s mask
/// (scannedDataOperand of a mask rule of its cascade), if any.
std::optional<unsigned> scannedOperandOf(const KernelSpec &spec) {
  std::optional<unsigned> scanned;
  spec.cascade->walk([&](Operation *nested) {
    for (NamedAttribute attribute : nested->getAttrs())
      attribute.getValue().walk([&](MapAttr map) {
        if (!scanned && map.getKind() == MapKind::Mask)
          if (auto mask = dyn_cast<MaskAttrInterface>(map.getRule()))
            scanned = scannedDataOperand(mask);
      });
  });
  return scanned;
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

class AttnCompilePass
    : public mlir::attn::impl::AttnCompileBase<AttnCompilePass> {
public:
  using AttnCompileBase::AttnCompileBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    AttnCompileBase::getDependentDialects(registry);
    for (const std::unique_ptr<TargetBackend> &backend :
         registeredTargets().all())
      backend->getDependentDialects(registry);
  }

  void runOnOperation() override {
    if (failed(compile()))
      signalPassFailure();
  }

private:
  /// The options given on the command line, by name, as written.
  llvm::StringMap<std::string> givenOptions();
  /// One request per requested backend, in the order targets= names them;
  /// with an emit stage, the stage's backend alone.
  FailureOr<llvm::MapVector<TargetBackend *, CompileRequest>> makeRequests();
  /// Runs the cascade pipeline on a copy of `spec`'s function with `tiles`
  /// and reads the result as a tile program.
  FailureOr<TiledSpec> tileSpec(const KernelSpec &spec, StringRef name,
                                const Tiles &tiles);
  /// Reads each cascade of the backward function `gradient` as a gradient
  /// program with `tiles` and binds its tensors to the kernel arguments
  /// (`arguments`) or to scratch tensors.
  FailureOr<TiledSpec> tileGradient(func::FuncOp gradient,
                                    ArrayRef<KernelArgument> arguments,
                                    const Tiles &tiles);
  LogicalResult compile();
  /// Replaces the module's contents with `replacement`'s.
  void replaceModuleBody(ModuleOp replacement);
};
} // namespace

llvm::StringMap<std::string> AttnCompilePass::givenOptions() {
  llvm::StringMap<std::string> given;
  auto note = [&](StringRef name, const auto &option, std::string text) {
    if (option.hasValue())
      given[name] = std::move(text);
  };
  note("block-q", blockQ, std::to_string(blockQ));
  note("block-kv", blockKV, std::to_string(blockKV));
  note("host-cpu", hostCpu, hostCpu.getValue());
  note("opt-level", optLevel, std::to_string(optLevel));
  note("gpu-block-q", gpuBlockQ, std::to_string(gpuBlockQ));
  note("gpu-block-kv", gpuBlockKV, std::to_string(gpuBlockKV));
  note("gpu-warps", gpuWarps, std::to_string(gpuWarps));
  note("gpu-stages", gpuStages, std::to_string(gpuStages));
  note("gpu-min-blocks", gpuMinBlocks, std::to_string(gpuMinBlocks));
  note("sm90a-sync", sm90aSync, sm90aSync.getValue());
  note("sm90a-overlap", sm90aOverlap, sm90aOverlap.getValue());
  note("sm90a-copy", sm90aCopy, sm90aCopy.getValue());
  note("sm90a-producer", sm90aProducer, sm90aProducer.getValue());
  note("host-overlap", hostOverlap, hostOverlap.getValue());
  note("report-resources", reportResources,
       reportResources ? "true" : "false");
  // Options with defaults that the backends must see even when not given.
  if (!given.count("host-cpu"))
    given["host-cpu"] = hostCpu.getValue();
  return given;
}

FailureOr<llvm::MapVector<TargetBackend *, CompileRequest>>
AttnCompilePass::makeRequests() {
  Location loc = getOperation().getLoc();
  const TargetRegistry &registry = registeredTargets();
  if (targets.empty())
    return emitError(loc) << "attn-compile needs targets=<list> (supported: "
                          << registry.targetList() << ")";
  llvm::MapVector<TargetBackend *, CompileRequest> requests;
  llvm::StringSet<> seen;
  for (const std::string &target : targets) {
    TargetBackend *backend = registry.lookup(target);
    if (!backend)
      return emitError(loc) << "attn-compile: unknown target '" << target
                            << "' (supported: " << registry.targetList()
                            << ")";
    if (!seen.insert(target).second)
      return emitError(loc) << "attn-compile: target '" << target
                            << "' is listed twice";
    requests[backend].targets.push_back(target);
  }

  auto targetsOf = [](const TargetBackend &backend) {
    std::string list;
    for (StringRef target : backend.targets())
      list += (list.empty() ? "" : ", ") + target.str();
    return list;
  };
  llvm::StringMap<std::string> given = givenOptions();
  for (const auto &option : given) {
    // host-cpu is always forwarded with its default.
    if (option.getKey() == "host-cpu" && !hostCpu.hasValue())
      continue;
    bool read = llvm::any_of(requests, [&](const auto &entry) {
      return llvm::is_contained(entry.first->optionNames(), option.getKey());
    });
    if (read)
      continue;
    for (const std::unique_ptr<TargetBackend> &backend : registry.all())
      if (llvm::is_contained(backend->optionNames(), option.getKey()))
        return emitError(loc)
               << "attn-compile: " << option.getKey() << " is an option of "
               << "the " << backend->name() << " target ("
               << targetsOf(*backend) << "), which targets= does not list";
  }

  StringRef stage = emit.getValue();
  TargetBackend *stageOwner = nullptr;
  if (stage != "bundle") {
    std::string stages = "bundle";
    for (const std::unique_ptr<TargetBackend> &backend : registry.all())
      for (const EmitStage &candidate : backend->emitStages()) {
        stages += ", " + candidate.name.str();
        if (candidate.name != stage)
          continue;
        if (!requests.count(backend.get()))
          return emitError(loc)
                 << "attn-compile: emit=" << stage << " shows the "
                 << backend->name() << " target (" << targetsOf(*backend)
                 << "), which targets= does not list";
        if (!output.empty() && !candidate.writesOutput)
          return emitError(loc) << "attn-compile: output= writes a bundle, "
                                << "which emit=" << stage
                                << " does not produce";
        stageOwner = backend.get();
      }
    if (!stageOwner)
      return emitError(loc) << "attn-compile: emit must be " << stages
                            << ", got '" << stage << "'";
  }

  llvm::MapVector<TargetBackend *, CompileRequest> chosen;
  for (auto &[backend, request] : requests) {
    if (stageOwner && backend != stageOwner)
      continue;
    request.options = given;
    request.emit = stageOwner ? stage.str() : "bundle";
    request.output = output;
    if (failed(backend->checkRequest(request, loc)))
      return failure();
    chosen.insert({backend, std::move(request)});
  }
  return chosen;
}

FailureOr<TiledSpec> AttnCompilePass::tileSpec(const KernelSpec &spec,
                                               StringRef name,
                                               const Tiles &tiles) {
  MLIRContext *context = &getContext();
  TiledSpec tiled;
  tiled.name = name.str();
  tiled.module = ModuleOp::create(spec.function.getLoc());
  OpBuilder builder = OpBuilder::atBlockEnd(tiled.module->getBody());
  auto function = cast<func::FuncOp>(builder.clone(*spec.function));

  // Skip the steps the cascade is already past: a hand-written 1-pass or
  // tiled cascade keeps its form (attn-tile re-chooses the key tile).
  CascadeOp cascade = *function.getOps<CascadeOp>().begin();
  bool onePass = !cascade.getBody().getOps<IterateOp>().empty();
  StringAttr queryRank =
      cast<AccessAttr>(cascade.getBindings()[0]).getIndices()[2].getRank();
  bool tiledAlready = llvm::any_of(
      cascade.getBody().getOps<PartitionOp>(),
      [&](PartitionOp partition) { return partition.getRankAttr() == queryRank; });

  PassManager pm(context);
  if (!onePass) {
    pm.addPass(createAttnDeferDivision());
    AttnOnlineSoftmaxOptions online;
    online.tileSize = tiles.blockKV;
    pm.addPass(createAttnOnlineSoftmax(online));
  }
  if (!tiledAlready) {
    AttnTileOptions tile;
    tile.blockQ = tiles.blockQ;
    tile.blockKV = tiles.blockKV;
    pm.addPass(createAttnTile(tile));
  }
  // A cascade whose tiles cannot be skipped exactly is still compiled: it
  // visits every tile.
  AttnSparsifyOptions sparsify;
  sparsify.fallbackToDense = true;
  pm.addPass(createAttnSparsify(sparsify));
  if (failed(pm.run(*tiled.module)))
    return failure();

  FailureOr<KernelSpec> tiledSpec = analyzeKernelSpec(function);
  if (failed(tiledSpec))
    return failure();
  tiled.spec = *tiledSpec;
  if (spec.keySummaryArgument >= 0)
    addKeySummaryArgument(tiled.spec, spec.summarizedData);
  FailureOr<schedule::TileProgram> program =
      schedule::analyzeTileProgram(tiled.spec.cascade);
  if (failed(program))
    return failure();
  tiled.program = std::move(*program);
  return tiled;
}

FailureOr<TiledSpec>
AttnCompilePass::tileGradient(func::FuncOp gradient,
                              ArrayRef<KernelArgument> arguments,
                              const Tiles &tiles) {
  TiledSpec tiled;
  tiled.name = gradient.getSymName().str();
  tiled.module = ModuleOp::create(gradient.getLoc());
  OpBuilder builder = OpBuilder::atBlockEnd(tiled.module->getBody());
  auto function = cast<func::FuncOp>(builder.clone(*gradient));
  tiled.spec.function = function;
  tiled.spec.arguments.assign(arguments.begin(), arguments.end());

  // Where each value of the function lives.
  DenseMap<Value, PhaseTensor> where;
  for (BlockArgument argument : function.getArguments())
    where[argument].argument = argument.getArgNumber();
  Operation *terminator = function.getBody().front().getTerminator();
  DenseMap<Value, int> returned;
  for (auto [position, value] : llvm::enumerate(terminator->getOperands()))
    returned[value] = function.getNumArguments() + position;

  // A cascade summing an earlier one's per-query-head results over each
  // group of query heads (GQA) folds into that cascade's phase: its rows sum
  // the group (TileProgram::headGroup) into the sum's tensor.
  DenseMap<Value, std::pair<Value, int64_t>> groupSums;
  llvm::SmallPtrSet<Operation *, 4> folded;
  for (CascadeOp cascade : function.getOps<CascadeOp>())
    if (std::optional<int64_t> group =
            schedule::headGroupReduction(cascade)) {
      groupSums[cascade.getInputs()[0]] = {cascade.getResult(0), *group};
      folded.insert(cascade);
    }

  for (CascadeOp cascade : function.getOps<CascadeOp>()) {
    if (folded.contains(cascade))
      continue;
    if (!tiled.spec.cascade)
      tiled.spec.cascade = cascade;
    FailureOr<schedule::TileProgram> program =
        schedule::analyzeGradientProgram(cascade, tiles.blockQ, tiles.blockKV);
    if (failed(program))
      return failure();
    GradientPhase phase;
    phase.program = std::move(*program);
    ArrayRef<Attribute> bindings = cascade.getBindings().getValue();
    for (auto [input, binding] : llvm::zip_equal(cascade.getInputs(), bindings)) {
      auto found = where.find(input);
      if (found == where.end())
        return cascade.emitError()
               << "grad=true: an input of backward cascade '"
               << cascade.getCascadeName()
               << "' is neither an argument nor an earlier cascade's result";
      PhaseTensor tensor = found->second;
      tensor.name = cast<AccessAttr>(binding).getTensor();
      phase.tensors.push_back(tensor);
    }
    for (Value data : cascade.getData()) {
      auto argument = dyn_cast<BlockArgument>(data);
      if (!argument)
        return cascade.emitError() << "grad=true: the data operands of "
                                      "backward cascades must be arguments";
      phase.data.push_back(argument.getArgNumber());
    }
    auto yields = cascade.getYield().getTensors().getAsRange<AccessAttr>();
    unsigned summed = 0;
    for (auto [result, access] : llvm::zip_equal(cascade.getResults(), yields)) {
      PhaseTensor tensor;
      tensor.name = access.getTensor();
      Value stored = result;
      if (auto sum = groupSums.find(result); sum != groupSums.end()) {
        if (!result.hasOneUse() || !phase.program.transposed ||
            !returned.count(sum->second.first) ||
            (phase.program.headGroup != 1 &&
             phase.program.headGroup != sum->second.second))
          return cascade.emitError()
                 << "grad=true: backward cascade '" << cascade.getCascadeName()
                 << "' has results summed over groups of query heads that "
                    "the schedule cannot fold into its key tiles";
        phase.program.headGroup = sum->second.second;
        stored = sum->second.first;
        ++summed;
      }
      if (auto found = returned.find(stored); found != returned.end()) {
        tensor.argument = found->second;
      } else {
        // A scratch tensor; each extent is that of an argument binding the
        // same rank.
        ScratchTensor scratch;
        scratch.type = cast<RankedTensorType>(result.getType());
        for (auto [dim, term] : llvm::enumerate(access.getIndices())) {
          std::optional<std::pair<unsigned, unsigned>> source;
          for (auto [input, binding] :
               llvm::zip_equal(cascade.getInputs(), bindings)) {
            auto argument = dyn_cast<BlockArgument>(input);
            if (!argument || source)
              continue;
            for (auto [inputDim, inputTerm] : llvm::enumerate(
                     cast<AccessAttr>(binding).getIndices()))
              if (inputTerm.getRank() == term.getRank() && !source)
                source = std::pair<unsigned, unsigned>(
                    argument.getArgNumber(), inputDim);
          }
          if (!source && scratch.type.isDynamicDim(dim))
            return cascade.emitError()
                   << "grad=true: no argument of backward cascade '"
                   << cascade.getCascadeName() << "' gives the extent of rank "
                   << term.getRank().getValue();
          scratch.extentOf.push_back(source.value_or(std::pair{0u, 0u}));
        }
        tensor.scratch = tiled.scratch.size();
        tiled.scratch.push_back(std::move(scratch));
      }
      where[stored] = tensor;
      phase.tensors.push_back(tensor);
    }
    if (summed != 0 && summed != cascade.getNumResults())
      return cascade.emitError()
             << "grad=true: backward cascade '" << cascade.getCascadeName()
             << "' sums only some of its results over groups of query heads";
    tiled.phases.push_back(std::move(phase));
  }
  if (tiled.phases.empty())
    return function.emitError() << "grad=true: @" << function.getSymName()
                                << " holds no cascade";
  return tiled;
}

void AttnCompilePass::replaceModuleBody(ModuleOp replacement) {
  ModuleOp module = getOperation();
  Block *body = module.getBody();
  for (Operation &op : llvm::make_early_inc_range(*body))
    op.erase();
  body->getOperations().splice(body->end(),
                               replacement.getBody()->getOperations());
  if (replacement->hasAttr(gpu::GPUDialect::getContainerModuleAttrName()))
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(module.getContext()));
}

LogicalResult AttnCompilePass::compile() {
  FailureOr<llvm::MapVector<TargetBackend *, CompileRequest>> requests =
      makeRequests();
  if (failed(requests))
    return failure();
  ModuleOp module = getOperation();
  Location loc = module.getLoc();

  bundle::Bundle result;
  result.producer = "attn-opt --attn-compile";
  result.specName = specNameOf(module);
  // grad=true: the backward reads the LSE, so every attn.attention spec
  // returning O alone returns (and its forward kernel writes) the LSE too;
  // the bundle carries that spec.
  OwningOpRef<ModuleOp> withLse;
  if (grad) {
    withLse = module.clone();
    returnLogSumExp(*withLse);
  }
  ModuleOp source = grad ? *withLse : module;

  // The bundle carries the spec so that attn-run can rebuild the reference.
  llvm::raw_string_ostream specStream(result.specSource);
  source.print(specStream);

  // Signatures come from the spec's cascade (attn.attention decomposed).
  OwningOpRef<ModuleOp> decomposed = source.clone();
  PassManager decompose(&getContext());
  decompose.addPass(createAttnDecompose());
  if (failed(decompose.run(*decomposed)))
    return failure();
  FailureOr<SmallVector<KernelSpec>> specs = collectKernelSpecs(*decomposed);
  if (failed(specs))
    return failure();
  if (maskPrep != "scan" && maskPrep != "kernel")
    return emitError(loc) << "attn-compile: mask-prep must be scan or kernel, "
                          << "got '" << maskPrep << "'";
  bool prepare = maskPrep == "kernel";

  // grad=true: the backward functions attn-differentiate derives, each
  // compiled as a kernel @<name>_grad after its forward.
  OwningOpRef<ModuleOp> differentiated;
  SmallVector<func::FuncOp> gradients(specs->size());
  SmallVector<SmallVector<KernelArgument>> gradientSignatures(specs->size());
  if (grad) {
    for (const auto &entry : *requests)
      if (!entry.first->compilesGradients())
        return emitError(loc) << "attn-compile: grad=true: the "
                              << entry.first->name()
                              << " target has no backward kernels yet "
                                 "(docs/backward.md)";
    differentiated = decomposed->clone();
    PassManager differentiate(&getContext());
    differentiate.addPass(createAttnDifferentiate());
    if (failed(differentiate.run(*differentiated)))
      return failure();
    for (auto [position, spec] : llvm::enumerate(*specs)) {
      std::string name = (spec.function.getSymName() + "_grad").str();
      gradients[position] = differentiated->lookupSymbol<func::FuncOp>(name);
      if (!gradients[position])
        return spec.function.emitError()
               << "grad=true: attn-differentiate derived no @" << name;
      FailureOr<SmallVector<KernelArgument>> signature =
          gradientArguments(spec, gradients[position]);
      if (failed(signature))
        return failure();
      gradientSignatures[position] = std::move(*signature);
    }
  }

  // mask-prep=kernel: each spec whose kernels scan a data operand reads its
  // key summary instead, which a kernel @<name>_prep writes (after the
  // backward's signature is taken: the backward scans nothing).
  if (prepare)
    for (KernelSpec &spec : *specs) {
      std::optional<unsigned> scanned = scannedOperandOf(spec);
      if (!scanned)
        continue;
      for (const auto &entry : *requests)
        if (!entry.first->preparesKeySummaries())
          return spec.function.emitError()
                 << "attn-compile: mask-prep=kernel: the "
                 << entry.first->name()
                 << " target has no preparation kernels yet (use "
                    "mask-prep=scan)";
      addKeySummaryArgument(spec, *scanned);
    }

  auto addKernel = [&](func::FuncOp function,
                       ArrayRef<KernelArgument> signature,
                       StringRef suffix = "") -> LogicalResult {
    std::string name = (function.getSymName() + suffix).str();
    if (!isIdentifier(name))
      return function.emitError()
             << "@" << name << " cannot name a bundle kernel: use letters, "
             << "digits and '_' (not starting with a digit)";
    FailureOr<std::vector<bundle::Arg>> arguments =
        bundleArguments(function, signature);
    if (failed(arguments))
      return failure();
    for (const auto &entry : *requests)
      entry.first->constrainArguments(*arguments);
    bundle::Kernel kernel;
    kernel.name = name;
    kernel.args = std::move(*arguments);
    result.kernels.push_back(std::move(kernel));
    return success();
  };
  for (auto [position, spec] : llvm::enumerate(*specs)) {
    if (failed(addKernel(spec.function, spec.arguments)))
      return failure();
    if (gradients[position] &&
        failed(addKernel(gradients[position], gradientSignatures[position])))
      return failure();
    if (spec.keySummaryArgument >= 0 &&
        failed(addKernel(spec.function, keySummaryPreparationArguments(spec),
                         "_prep")))
      return failure();
  }

  for (auto &[backend, request] : *requests) {
    std::vector<TiledSpec> tiled;
    for (auto [position, spec] : llvm::enumerate(*specs)) {
      Tiles tiles = backend->chooseTiles(spec, request);
      FailureOr<TiledSpec> one =
          tileSpec(spec, spec.function.getSymName(), tiles);
      if (failed(one))
        return failure();
      tiled.push_back(std::move(*one));
      if (gradients[position]) {
        FailureOr<TiledSpec> backward =
            tileGradient(gradients[position], gradientSignatures[position],
                         backend->chooseGradientTiles(spec, request));
        if (failed(backward))
          return failure();
        tiled.push_back(std::move(*backward));
      }
      if (spec.keySummaryArgument >= 0) {
        TiledSpec preparation;
        preparation.name = (spec.function.getSymName() + "_prep").str();
        preparation.spec = spec;
        preparation.keySummaryPreparation = true;
        tiled.push_back(std::move(preparation));
      }
    }
    CompileOutput compiled;
    if (failed(backend->compile(tiled, request, loc, compiled)))
      return failure();
    if (compiled.replacement) {
      replaceModuleBody(*compiled.replacement);
      return success();
    }
    for (auto [kernel, binaries] :
         llvm::zip(result.kernels, compiled.binaries))
      for (bundle::Binary &binary : binaries)
        kernel.binaries.push_back(std::move(binary));
  }
  if (emit != "bundle" || output.empty())
    return success();
  // Runtimes that read only older versions can still load the bundle unless
  // it needs what they lack (tensor maps).
  result.formatVersion = bundle::leastFormatVersion(result);
  std::string error;
  if (!bundle::writeFile(result, output, error))
    return emitError(loc) << "attn-compile: " << error;
  return success();
}

void mlir::attn::registerCompilerPasses() {
  registerAttnCompile();
  for (const std::unique_ptr<TargetBackend> &backend :
       registeredTargets().all())
    backend->registerPasses();
}
