//===- HostKernel.cpp - attn.attention to loop-level host kernels ---------===//
//
// The kernel is the 1-pass cascade of SYSTEMS.md section 1 (FlashAttention-2)
// with p split into query tiles of blockQ rows and m into key tiles of
// blockKV columns:
//
//   for b, h, query tile:                       (g = h / (Hq / Hkv))
//     Qt = scale * Q[b, h, tile rows, :]        (f32)
//     running max RM = -inf, sum RD = 0, numerator RNV = 0
//     for each key tile in the visit range:
//       S = Qt K[b, g, tile cols, :]^T ; S' = score mods, mask (-inf)
//       RM' = max(RM, rowmax S'); P = exp(S' - RM'); c = exp(RM - RM')
//       RD = c RD + rowsum P ; RNV = c RNV + P V[b, g, tile cols, :]
//     O = RNV / RD (0 where RD = 0), LSE = RM + log RD (-inf where RD = 0)
//
// Tiles are clipped to the sequence ends, so ragged tails need no mask.
// Everything accumulates in f32; inputs are extended on load and O is rounded
// to the input element type on store.
//
//===----------------------------------------------------------------------===//
#include "attn/Host/HostKernel.h"

#include "attn/Dialect/MaskLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/TypeSwitch.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::host;

//===----------------------------------------------------------------------===//
// Kernel signatures
//===----------------------------------------------------------------------===//

namespace {
/// The runtime sizes of a signature. Every dimension is a variable; rules
/// that need two dimensions to be equal merge their variables, and a class
/// holding a static extent is static everywhere. A dynamic class is named
/// after its first variable, so B, Sq and Skv keep their names.
class SizeClasses {
public:
  unsigned add(std::string name, int64_t extent, std::string what) {
    parent.push_back(parent.size());
    names.push_back(std::move(name));
    extents.push_back(extent);
    descriptions.push_back(std::move(what));
    return parent.size() - 1;
  }

  unsigned find(unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  }

  /// Merges the classes of `a` and `b`; fails (with a diagnostic on `op`)
  /// when they hold different static extents.
  LogicalResult unite(unsigned a, unsigned b, Operation *op, StringRef why) {
    unsigned rootA = find(a), rootB = find(b);
    if (rootA == rootB)
      return success();
    int64_t extentA = extents[rootA], extentB = extents[rootB];
    if (!ShapedType::isDynamic(extentA) && !ShapedType::isDynamic(extentB) &&
        extentA != extentB)
      return op->emitOpError()
             << "cannot be compiled for the host: " << why << " needs "
             << descriptions[a] << " (" << extentA << ") to equal "
             << descriptions[b] << " (" << extentB << ")";
    if (rootB < rootA)
      std::swap(rootA, rootB);
    parent[rootB] = rootA;
    if (ShapedType::isDynamic(extents[rootA]))
      extents[rootA] = extents[rootB];
    return success();
  }

  int64_t extent(unsigned x) { return extents[find(x)]; }
  StringRef name(unsigned x) { return names[find(x)]; }

private:
  llvm::SmallVector<unsigned> parent;
  llvm::SmallVector<std::string> names;
  llvm::SmallVector<int64_t> extents;
  llvm::SmallVector<std::string> descriptions;
};

/// Signature construction: one size variable per dimension of every
/// argument, merged by the equalities the attention op implies.
class SignatureBuilder {
public:
  SignatureBuilder(AttentionOp op) : op(op) {}

  FailureOr<SmallVector<KernelArgument>> build();

private:
  /// Adds the argument's dimensions as variables.
  void addArgument(std::string name, RankedTensorType type, bool isOutput,
                   bool innermostContiguous);
  unsigned dimOf(unsigned argument, unsigned dim) {
    return firstVariable[argument] + dim;
  }
  LogicalResult equate(unsigned argument, unsigned dim, unsigned variable,
                       StringRef why) {
    return sizes.unite(dimOf(argument, dim), variable, op, why);
  }
  /// The equalities each mask and score mod needs between its data
  /// operands' dimensions and the attention sizes.
  LogicalResult constrainMask(MaskAttrInterface mask);
  LogicalResult constrainScoreMod(ScoreModAttrInterface mod);

  AttentionOp op;
  SizeClasses sizes;
  SmallVector<KernelArgument> arguments;
  SmallVector<unsigned> firstVariable;
  unsigned batch = 0, seqQ = 0, seqKV = 0;
  unsigned dataBegin = 3; // argument index of data operand #0
};
} // namespace

void SignatureBuilder::addArgument(std::string name, RankedTensorType type,
                                   bool isOutput, bool innermostContiguous) {
  firstVariable.push_back(0);
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    unsigned variable =
        sizes.add(name + "_dim" + std::to_string(dim), type.getDimSize(dim),
                  "dimension " + std::to_string(dim) + " of '" + name + "'");
    if (dim == 0)
      firstVariable.back() = variable;
  }
  KernelArgument argument;
  argument.name = std::move(name);
  argument.type = type;
  argument.isOutput = isOutput;
  argument.innermostContiguous = innermostContiguous;
  arguments.push_back(std::move(argument));
}

LogicalResult SignatureBuilder::constrainMask(MaskAttrInterface mask) {
  StringRef why = "the mask";
  auto data = [&](unsigned operand) { return dataBegin + operand; };
  return TypeSwitch<Attribute, LogicalResult>(mask)
      .Case([&](PrefixLMAttr attr) {
        return equate(data(attr.getOperand()), 0, batch, why);
      })
      .Case([&](DocumentsAttr attr) -> LogicalResult {
        if (attr.getLayout() == DocumentLayout::Offsets)
          return success();
        unsigned ids = data(attr.getOperand());
        if (failed(sizes.unite(seqQ, seqKV, op, "'#attn.documents' ids")) ||
            failed(equate(ids, 0, batch, why)))
          return failure();
        return equate(ids, 1, seqQ, why);
      })
      .Case([&](NeighborhoodAttr attr) -> LogicalResult {
        int64_t volume = 1;
        for (int64_t extent : attr.getGrid())
          volume *= extent;
        unsigned grid = sizes.add("grid", volume, "the neighborhood grid volume");
        if (failed(sizes.unite(seqQ, grid, op, why)))
          return failure();
        return sizes.unite(seqKV, grid, op, why);
      })
      .Case([&](BlockListAttr attr) -> LogicalResult {
        unsigned list = data(attr.getOperand());
        if (failed(equate(list, 0, batch, why)))
          return failure();
        return equate(list, 1, dimOf(0, 1), why);
      })
      .Case([&](BlockMaskAttr attr) -> LogicalResult {
        unsigned blocks = data(attr.getOperand());
        if (failed(equate(blocks, 0, batch, why)))
          return failure();
        return equate(blocks, 1, dimOf(0, 1), why);
      })
      .Case([&](AndAttr attr) {
        for (MaskAttrInterface nested : attr.getMasks())
          if (failed(constrainMask(nested)))
            return failure();
        return success();
      })
      .Case([&](OrAttr attr) {
        for (MaskAttrInterface nested : attr.getMasks())
          if (failed(constrainMask(nested)))
            return failure();
        return success();
      })
      .Default([](Attribute) { return success(); });
}

LogicalResult SignatureBuilder::constrainScoreMod(ScoreModAttrInterface mod) {
  auto bias = dyn_cast<BiasAttr>(mod);
  if (!bias)
    return success();
  // A size-1 batch or head dimension broadcasts; only a static 1 can, since
  // a dynamic one is bound to B (or Hq) here.
  unsigned operand = dataBegin + bias.getOperand();
  RankedTensorType type = arguments[operand].type;
  StringRef why = "'#attn.bias'";
  if (type.getDimSize(0) != 1 && failed(equate(operand, 0, batch, why)))
    return failure();
  if (type.getDimSize(1) != 1 &&
      failed(equate(operand, 1, dimOf(0, 1), why)))
    return failure();
  if (failed(equate(operand, 2, seqQ, why)))
    return failure();
  return equate(operand, 3, seqKV, why);
}

FailureOr<SmallVector<KernelArgument>> SignatureBuilder::build() {
  auto tensorType = [](Value value) {
    return cast<RankedTensorType>(value.getType());
  };
  // B, Sq and Skv come first so that their classes carry these names.
  batch = sizes.add("B", ShapedType::kDynamic, "the batch size B");
  seqQ = sizes.add("Sq", ShapedType::kDynamic, "the query length Sq");
  seqKV = sizes.add("Skv", ShapedType::kDynamic, "the key length Skv");

  addArgument("q", tensorType(op.getQuery()), false, true);
  addArgument("k", tensorType(op.getKey()), false, true);
  addArgument("v", tensorType(op.getValue()), false, true);
  for (auto [index, data] : llvm::enumerate(op.getData()))
    addArgument("data" + std::to_string(index), tensorType(data), false,
                false);
  addArgument("o", tensorType(op.getOutput()), true, true);
  if (Value lse = op.getLse())
    addArgument("lse", tensorType(lse), true, true);

  unsigned q = 0, k = 1, v = 2, o = dataBegin + op.getData().size();
  StringRef why = "attention";
  // Shapes: Q [B, Hq, Sq, E], K [B, Hkv, Skv, E], V [B, Hkv, Skv, F],
  // O [B, Hq, Sq, F], LSE [B, Hq, Sq].
  SmallVector<std::tuple<unsigned, unsigned, unsigned>> equalities = {
      {q, 0, batch},         {k, 0, batch},         {v, 0, batch},
      {o, 0, batch},         {q, 2, seqQ},          {o, 2, seqQ},
      {k, 2, seqKV},         {v, 2, seqKV},         {k, 1, dimOf(v, 1)},
      {o, 1, dimOf(q, 1)},   {k, 3, dimOf(q, 3)},   {o, 3, dimOf(v, 3)}};
  if (op.getLse()) {
    unsigned lse = o + 1;
    equalities.append({{lse, 0, batch}, {lse, 1, dimOf(q, 1)}, {lse, 2, seqQ}});
  }
  for (auto [argument, dim, variable] : equalities)
    if (failed(equate(argument, dim, variable, why)))
      return failure();
  if (MaskAttrInterface mask = op.getMaskRule())
    if (failed(constrainMask(mask)))
      return failure();
  for (ScoreModAttrInterface mod : op.getScoreMods())
    if (failed(constrainScoreMod(mod)))
      return failure();

  for (auto [index, argument] : llvm::enumerate(arguments)) {
    for (int64_t dim = 0; dim < argument.type.getRank(); ++dim) {
      unsigned variable = dimOf(index, dim);
      int64_t extent = sizes.extent(variable);
      argument.extents.push_back(extent);
      argument.dimSizes.push_back(
          ShapedType::isDynamic(extent) ? sizes.name(variable).str() : "");
    }
  }
  return arguments;
}

/// Custom regions become code inside the kernel's loops, where data operands
/// are memrefs: they may read them only through tensor.extract and
/// tensor.dim.
static LogicalResult checkRegionDataUses(AttentionOp op) {
  for (auto [index, data] : llvm::enumerate(op.getData())) {
    for (OpOperand &use : data.getUses()) {
      Operation *user = use.getOwner();
      if (!op->isProperAncestor(user))
        continue;
      bool readsElement = isa<tensor::ExtractOp>(user) && use.getOperandNumber() == 0;
      bool readsSize = isa<tensor::DimOp>(user) && use.getOperandNumber() == 0;
      if (!readsElement && !readsSize)
        return user->emitError()
               << "the host target lets custom regions read data operand #"
               << index << " only through tensor.extract and tensor.dim, not '"
               << user->getName() << "'";
    }
  }
  return success();
}

FailureOr<KernelSpec> mlir::attn::host::analyzeKernelSpec(func::FuncOp function) {
  StringRef name = function.getSymName();
  if (function.isExternal())
    return function.emitError() << "@" << name
                                << " has no body to compile for the host";
  Region &body = function.getBody();
  if (!body.hasOneBlock())
    return function.emitError()
           << "@" << name << " must have a single block to be compiled";
  Block &block = body.front();
  auto attentionOps = llvm::to_vector(block.getOps<AttentionOp>());
  if (attentionOps.size() != 1)
    return function.emitError()
           << "@" << name << " must contain exactly one attn.attention op to "
           << "be compiled, found " << attentionOps.size();
  AttentionOp attention = attentionOps.front();
  for (Operation &op : block) {
    if (&op == attention.getOperation() || isa<func::ReturnOp>(op) ||
        op.hasTrait<OpTrait::ConstantLike>())
      continue;
    return op.emitError() << "@" << name << " may hold only one "
                          << "attn.attention, constants and func.return to "
                          << "be compiled, but it holds '" << op.getName()
                          << "'";
  }

  auto ret = cast<func::ReturnOp>(block.getTerminator());
  SmallVector<Value> results = {attention.getOutput()};
  if (Value lse = attention.getLse())
    results.push_back(lse);
  bool returnsAll = ret.getOperands().size() == results.size() &&
                    llvm::equal(ret.getOperands(), results);
  if (!returnsAll)
    return ret.emitError() << "@" << name << " must return "
                           << (attention.getLse() ? "(output, lse)" : "(output)")
                           << " of its attn.attention op to be compiled";

  SmallVector<Value> operands = {attention.getQuery(), attention.getKey(),
                                 attention.getValue()};
  llvm::append_range(operands, attention.getData());
  if (function.getNumArguments() != operands.size())
    return function.emitError()
           << "@" << name << " takes " << function.getNumArguments()
           << " argument(s) but a compiled spec takes (query, key, value, "
           << "data...) = " << operands.size() << " for its attn.attention";
  static constexpr const char *kRoles[] = {"query", "key", "value"};
  for (auto [position, operand] : llvm::enumerate(operands)) {
    if (operand == function.getArgument(position))
      continue;
    std::string role = position < 3
                           ? std::string(kRoles[position])
                           : "data operand #" + std::to_string(position - 3);
    return attention.emitError()
           << "the " << role << " of attn.attention must be argument #"
           << position << " of @" << name
           << " (compiled specs take query, key, value, data... in order)";
  }
  if (failed(checkRegionDataUses(attention)))
    return failure();

  FailureOr<SmallVector<KernelArgument>> arguments =
      SignatureBuilder(attention).build();
  if (failed(arguments))
    return failure();
  return KernelSpec{function, attention, std::move(*arguments)};
}

FailureOr<SmallVector<KernelSpec>>
mlir::attn::host::collectKernelSpecs(ModuleOp module) {
  SmallVector<KernelSpec> specs;
  for (func::FuncOp function : module.getOps<func::FuncOp>()) {
    bool hasAttention =
        function.walk([](AttentionOp) { return WalkResult::interrupt(); })
            .wasInterrupted();
    if (!hasAttention)
      continue;
    FailureOr<KernelSpec> spec = analyzeKernelSpec(function);
    if (failed(spec))
      return failure();
    specs.push_back(std::move(*spec));
  }
  if (specs.empty())
    return emitError(module.getLoc())
           << "no function in the module contains an attn.attention op";
  return specs;
}

//===----------------------------------------------------------------------===//
// Kernel emission
//===----------------------------------------------------------------------===//

namespace {
/// f32 lanes of the vectors the tile loops use (AVX2), and how many vector
/// accumulators a contraction keeps per row.
constexpr int64_t kVectorWidth = 8;
constexpr int64_t kAccumulators = 4;
/// The scratch tiles' stack budget, well inside common thread stacks.
constexpr int64_t kMaxScratchBytes = 1 << 20;

/// Emits one kernel body. Scratch tiles are stack buffers allocated once at
/// the entry. The contractions and the row updates run on vectors along
/// key columns (a key tile is a whole number of vectors) and along F.
class KernelEmitter : KernelOperands {
public:
  KernelEmitter(AttentionOp op, const HostTiling &tiling, func::FuncOp kernel)
      : op(op), tiling(tiling), kernel(kernel),
        b(kernel.getLoc(), kernel.getContext()) {}

  void emit();

private:
  // Small builders.
  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, value); }
  Value f32(double value) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(),
                                          APFloat(static_cast<float>(value)));
  }
  Value negativeInfinity() {
    return f32(-std::numeric_limits<float>::infinity());
  }
  Value load(Value memref, ValueRange indices) {
    return memref::LoadOp::create(b, memref, indices);
  }
  void store(Value value, Value memref, ValueRange indices) {
    memref::StoreOp::create(b, value, memref, indices);
  }
  /// An element of an input, extended to f32.
  Value loadF32(Value memref, ValueRange indices) {
    Value element = load(memref, indices);
    if (element.getType().isF32())
      return element;
    return arith::ExtFOp::create(b, b.getF32Type(), element);
  }
  Value scratch(ArrayRef<int64_t> shape) {
    return memref::AllocaOp::create(b, MemRefType::get(shape, b.getF32Type()));
  }
  /// for iv in [lower, upper): body(iv).
  void forEach(Value lower, Value upper, function_ref<void(Value)> body);
  /// A loop carrying `init` through body(iv, carried) over
  /// [lower, upper) by `step`; returns the final values.
  SmallVector<Value>
  reduceMany(Value lower, Value upper, ValueRange init,
             function_ref<SmallVector<Value>(Value, ValueRange)> body,
             int64_t step = 1);
  VectorType vectorType() {
    return VectorType::get({kVectorWidth}, b.getF32Type());
  }
  Value splat(double value) {
    return arith::ConstantOp::create(
        b, vectorType(),
        DenseElementsAttr::get(vectorType(), static_cast<float>(value)));
  }
  Value loadVector(Value memref, ValueRange indices) {
    return vector::LoadOp::create(b, vectorType(), memref, indices);
  }

  /// The score mods (attributes, then the score region) and the mask
  /// (attribute AND region) at `at`, applied to `score`.
  Value emitScoreMods(Value score, const ElementIndices &at);
  Value emitKeep(const ElementIndices &at);
  /// Inlines a custom region's body with its arguments bound to `arguments`;
  /// returns the yielded value.
  /// (analyzeKernelSpec has checked how it reads data operands.)
  Value inlineRegion(Region &region, ValueRange arguments);

  void emitQueryTile(Value batchIndex, Value h, Value kvHead,
                     Value queryTile);
  /// Visits the key tiles of a query tile: the mask's ranges, skipping
  /// empty tiles and applying the element rule only to partial ones.
  void emitVisits(Value batchIndex, Value h, Value kvHead, Value rowBegin,
                  Value rows);
  /// One key tile of the 1-pass cascade. The element rule runs where the
  /// tile is not known to be full: `full` is an i1 (constant or not), or
  /// null when every tile needs the rule.
  void emitKeyTile(Value batchIndex, Value h, Value kvHead, Value rowBegin,
                   Value rows, Value colBegin, Value full);
  /// S' = the score mods and, with `applyMask`, the mask, for the tile's
  /// rows and columns.
  void emitElementRules(Value batchIndex, Value h, Value rowBegin, Value rows,
                        Value colBegin, Value cols, bool applyMask);
  /// Whether the block-indexed data operands are large enough for this
  /// call; null when no operand needs checking.
  Value emitDataExtentsFit();
  /// Fills O and LSE with NaN: the result of a call whose data operands
  /// are too small to read safely.
  void emitPoisonedOutputs();
  /// scf.if on `condition`; `thenBody` and `elseBody` fill the branches.
  void ifElse(Value condition, function_ref<void()> thenBody,
              function_ref<void()> elseBody);

  AttentionOp op;
  const HostTiling &tiling;
  func::FuncOp kernel;
  ImplicitLocOpBuilder b;

  // Runtime sizes.
  Value batchSize, queryHeads, kvHeads, seqQ, seqKV;
  int64_t headDimQK = 0, headDimV = 0;
  // Scratch: Qt [BQ, E], Kt [E, BK] (transposed), Vt [BK, F], S [BQ, BK],
  // RNV [BQ, F], RM [BQ], RD [BQ].
  Value queryTileBuf, keyTileBuf, valueTileBuf, scoreTileBuf, numeratorBuf,
      runningMaxBuf, runningSumBuf;
  bool hasScoreMods = false;
};
} // namespace

void KernelEmitter::forEach(Value lower, Value upper,
                            function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, lower, upper, index(1));
  Block *loopBody = loop.getBody();
  OpBuilder::InsertionGuard guard(b);
  if (!loopBody->mightHaveTerminator()) {
    b.setInsertionPointToEnd(loopBody);
    scf::YieldOp::create(b);
  }
  b.setInsertionPoint(loopBody->getTerminator());
  body(loop.getInductionVar());
}

SmallVector<Value> KernelEmitter::reduceMany(
    Value lower, Value upper, ValueRange init,
    function_ref<SmallVector<Value>(Value, ValueRange)> body, int64_t step) {
  auto loop = scf::ForOp::create(b, lower, upper, index(step), init);
  Block *loopBody = loop.getBody();
  if (loopBody->mightHaveTerminator())
    loopBody->getTerminator()->erase();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(loopBody);
  SmallVector<Value> next =
      body(loop.getInductionVar(), loop.getRegionIterArgs());
  scf::YieldOp::create(b, next);
  return llvm::to_vector_of<Value>(loop.getResults());
}

KernelOperands mlir::attn::host::bindKernelOperands(AttentionOp op,
                                                   ValueRange arguments) {
  KernelOperands operands;
  operands.query = arguments[0];
  operands.key = arguments[1];
  operands.value = arguments[2];
  size_t dataCount = op.getData().size();
  for (size_t position = 0; position < dataCount; ++position)
    operands.data.push_back(arguments[3 + position]);
  operands.output = arguments[3 + dataCount];
  if (op.getLse())
    operands.lse = arguments[4 + dataCount];
  return operands;
}

Value mlir::attn::host::inlineSpecRegion(OpBuilder &b, AttentionOp op,
                                         Region &region, ValueRange arguments,
                                         ArrayRef<Value> dataMemrefs) {
  Location loc = op.getLoc();
  Block &block = region.front();
  IRMapping mapping;
  mapping.map(block.getArguments(), arguments);
  // Constants captured from the spec function are cloned in front.
  region.walk([&](Operation *nested) {
    for (Value operand : nested->getOperands()) {
      Operation *definition = operand.getDefiningOp();
      if (definition && !region.isAncestor(definition->getParentRegion()) &&
          definition->hasTrait<OpTrait::ConstantLike>() &&
          !mapping.contains(operand))
        mapping.map(operand, b.clone(*definition)->getResult(0));
    }
  });
  SmallVector<Operation *> copies;
  for (Operation &nested : block.without_terminator())
    copies.push_back(b.clone(nested, mapping));

  // The copies still read the spec's data tensors; read the memrefs instead.
  DenseMap<Value, Value> memrefOf;
  for (auto [tensor, memref] : llvm::zip_equal(op.getData(), dataMemrefs))
    memrefOf[tensor] = memref;
  SmallVector<Operation *> tensorReads;
  for (Operation *copy : copies)
    copy->walk([&](Operation *nested) {
      if (isa<tensor::ExtractOp, tensor::DimOp>(nested) &&
          memrefOf.contains(nested->getOperand(0)))
        tensorReads.push_back(nested);
    });
  for (Operation *read : tensorReads) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(read);
    Value memref = memrefOf.lookup(read->getOperand(0));
    Value replacement;
    if (auto extract = dyn_cast<tensor::ExtractOp>(read))
      replacement =
          memref::LoadOp::create(b, loc, memref, extract.getIndices());
    else
      replacement = memref::DimOp::create(
          b, loc, memref, cast<tensor::DimOp>(read).getIndex());
    read->getResult(0).replaceAllUsesWith(replacement);
    read->erase();
  }
  auto yield = cast<YieldOp>(block.getTerminator());
  return mapping.lookup(yield.getValues().front());
}

Value KernelEmitter::inlineRegion(Region &region, ValueRange arguments) {
  return inlineSpecRegion(b, op, region, arguments, data);
}

Value KernelEmitter::emitScoreMods(Value score, const ElementIndices &at) {
  for (ScoreModAttrInterface mod : op.getScoreMods())
    score = mod.buildApply(b, b.getLoc(), score, at);
  if (!op.getScoreRegion().empty())
    return inlineRegion(op.getScoreRegion(), {score, at.b, at.h, at.i, at.j});
  return score;
}

Value KernelEmitter::emitKeep(const ElementIndices &at) {
  Value keep;
  if (MaskAttrInterface mask = op.getMaskRule())
    keep = mask.buildKeep(b, b.getLoc(), at);
  if (!op.getMaskRegion().empty()) {
    Value regionKeep =
        inlineRegion(op.getMaskRegion(), {at.b, at.h, at.i, at.j});
    keep = keep ? Value(arith::AndIOp::create(b, keep, regionKeep))
                : regionKeep;
  }
  return keep;
}

void KernelEmitter::ifElse(Value condition, function_ref<void()> thenBody,
                           function_ref<void()> elseBody) {
  auto branch = scf::IfOp::create(b, condition, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(branch.thenBlock()->getTerminator());
  thenBody();
  b.setInsertionPoint(branch.elseBlock()->getTerminator());
  elseBody();
}

void KernelEmitter::emitVisits(Value batchIndex, Value h, Value kvHead,
                               Value rowBegin, Value rows) {
  Value blockKV = index(tiling.blockKV);
  Value keyTiles = arith::CeilDivSIOp::create(b, seqKV, blockKV);
  TileIndices tile;
  tile.b = batchIndex;
  tile.h = h;
  tile.rowBegin = rowBegin;
  tile.rowEnd = arith::AddIOp::create(b, rowBegin, rows);
  tile.blockKV = tiling.blockKV;
  tile.batch = batchSize;
  tile.queryHeads = queryHeads;
  tile.kvHeads = kvHeads;
  tile.seqQ = seqQ;
  tile.seqKV = seqKV;
  tile.data = data;

  MaskAttrInterface mask = op.getMaskRule();
  bool hasRegion = !op.getMaskRegion().empty();
  SmallVector<KeyTileRange> ranges;
  if (mask)
    mask.buildKeyTileRanges(b, b.getLoc(), tile, ranges);
  else
    ranges.push_back({index(0), keyTiles, 1});

  for (const KeyTileRange &range : ranges) {
    // Ranges may start before tile 0 or run past the last tile.
    Value step = index(range.step);
    Value skipped = arith::MaxSIOp::create(
        b, arith::SubIOp::create(b, index(0), range.begin), index(0));
    Value begin = arith::AddIOp::create(
        b, range.begin,
        arith::MulIOp::create(
            b, arith::CeilDivSIOp::create(b, skipped, step), step));
    Value end = arith::MinSIOp::create(b, range.end, keyTiles);
    auto loop = scf::ForOp::create(b, begin, end, step);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    Value colBegin = arith::MulIOp::create(b, loop.getInductionVar(), blockKV);
    tile.colBegin = colBegin;
    tile.colEnd = arith::MinSIOp::create(
        b, arith::AddIOp::create(b, colBegin, blockKV), seqKV);
    auto keyTile = [&](Value full) {
      emitKeyTile(batchIndex, h, kvHead, rowBegin, rows, colBegin, full);
    };
    if (!mask) {
      // Without a mask every tile is full; a custom mask region alone
      // makes every tile partial.
      keyTile(hasRegion ? Value() : Value(arith::ConstantIntOp::create(
                                        b, b.getI1Type(), 1)));
      continue;
    }
    Value empty = mask.buildTileIsEmpty(b, b.getLoc(), tile);
    // A custom mask region may drop elements of a tile the attribute keeps
    // whole, so with one every visited tile is partial.
    Value full = hasRegion ? Value() : mask.buildTileIsFull(b, b.getLoc(), tile);
    if (matchPattern(empty, m_Zero()))
      keyTile(full);
    else
      ifElse(empty, [] {}, [&]() { keyTile(full); });
  }
}

void KernelEmitter::emitQueryTile(Value batchIndex, Value h, Value kvHead,
                                  Value queryTile) {
  Value blockQ = index(tiling.blockQ);
  Value rowBegin = arith::MulIOp::create(b, queryTile, blockQ);
  Value rows = arith::MinSIOp::create(
      b, blockQ, arith::SubIOp::create(b, seqQ, rowBegin));
  Value zero = index(0);
  Value scale = f32(op.getEffectiveScale());

  // Qt = scale * Q tile; the running values start empty.
  forEach(zero, rows, [&](Value r) {
    Value i = arith::AddIOp::create(b, rowBegin, r);
    forEach(zero, index(headDimQK), [&](Value e) {
      Value q = loadF32(query, {batchIndex, h, i, e});
      store(arith::MulFOp::create(b, q, scale), queryTileBuf, {r, e});
    });
    store(negativeInfinity(), runningMaxBuf, {r});
    store(f32(0.0), runningSumBuf, {r});
    forEach(zero, index(headDimV), [&](Value f) {
      store(f32(0.0), numeratorBuf, {r, f});
    });
  });

  emitVisits(batchIndex, h, kvHead, rowBegin, rows);

  // O = RNV / RD and LSE = RM + log(RD); rows that kept nothing give 0 and
  // -inf.
  forEach(zero, rows, [&](Value r) {
    Value i = arith::AddIOp::create(b, rowBegin, r);
    Value sum = load(runningSumBuf, {r});
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, f32(0.0));
    Value inverse = arith::SelectOp::create(
        b, empty, f32(0.0), arith::DivFOp::create(b, f32(1.0), sum));
    Type outputElement = cast<MemRefType>(output.getType()).getElementType();
    forEach(zero, index(headDimV), [&](Value f) {
      Value normalized =
          arith::MulFOp::create(b, load(numeratorBuf, {r, f}), inverse);
      if (!outputElement.isF32())
        normalized = arith::TruncFOp::create(b, outputElement, normalized);
      store(normalized, output, {batchIndex, h, i, f});
    });
    if (lse) {
      Value logSum = arith::AddFOp::create(b, load(runningMaxBuf, {r}),
                                           math::LogOp::create(b, sum));
      store(arith::SelectOp::create(b, empty, negativeInfinity(), logSum), lse,
            {batchIndex, h, i});
    }
  });
}

void KernelEmitter::emitElementRules(Value batchIndex, Value h,
                                     Value rowBegin, Value rows,
                                     Value colBegin, Value cols,
                                     bool applyMask) {
  Value zero = index(0);
  forEach(zero, rows, [&](Value r) {
    forEach(zero, cols, [&](Value c) {
      ElementIndices at;
      at.b = batchIndex;
      at.h = h;
      at.i = arith::AddIOp::create(b, rowBegin, r);
      at.j = arith::AddIOp::create(b, colBegin, c);
      at.batch = batchSize;
      at.queryHeads = queryHeads;
      at.kvHeads = kvHeads;
      at.seqQ = seqQ;
      at.seqKV = seqKV;
      at.data = data;
      Value score = emitScoreMods(load(scoreTileBuf, {r, c}), at);
      if (applyMask)
        score = arith::SelectOp::create(b, emitKeep(at), score,
                                        negativeInfinity());
      store(score, scoreTileBuf, {r, c});
    });
  });
}

void KernelEmitter::emitKeyTile(Value batchIndex, Value h, Value kvHead,
                                Value rowBegin, Value rows, Value colBegin,
                                Value full) {
  Value blockKV = index(tiling.blockKV);
  Value cols = arith::MinSIOp::create(
      b, blockKV, arith::SubIOp::create(b, seqKV, colBegin));
  Value zero = index(0);
  Value headDimQKValue = index(headDimQK), headDimVValue = index(headDimV);

  // Kt (transposed, so that S is computed along contiguous columns) and Vt;
  // Kt's columns past the sequence end are zero.
  forEach(zero, cols, [&](Value c) {
    Value j = arith::AddIOp::create(b, colBegin, c);
    forEach(zero, headDimQKValue, [&](Value e) {
      store(loadF32(key, {batchIndex, kvHead, j, e}), keyTileBuf, {e, c});
    });
    forEach(zero, headDimVValue, [&](Value f) {
      store(loadF32(value, {batchIndex, kvHead, j, f}), valueTileBuf, {c, f});
    });
  });
  forEach(cols, blockKV, [&](Value c) {
    forEach(zero, headDimQKValue,
            [&](Value e) { store(f32(0.0), keyTileBuf, {e, c}); });
  });

  // S = Qt Kt over whole vectors of columns, a few accumulators per row.
  int64_t columnVectors = tiling.blockKV / kVectorWidth;
  forEach(zero, rows, [&](Value r) {
    for (int64_t first = 0; first < columnVectors; first += kAccumulators) {
      int64_t count = std::min(kAccumulators, columnVectors - first);
      SmallVector<Value> init(count, splat(0.0));
      SmallVector<Value> sums =
          reduceMany(zero, headDimQKValue, init, [&](Value e, ValueRange acc) {
            Value q = vector::BroadcastOp::create(b, vectorType(),
                                                  load(queryTileBuf, {r, e}));
            SmallVector<Value> next;
            for (int64_t u = 0; u < count; ++u) {
              Value k = loadVector(keyTileBuf,
                                   {e, index((first + u) * kVectorWidth)});
              next.push_back(vector::FMAOp::create(b, q, k, acc[u]));
            }
            return next;
          });
      for (int64_t u = 0; u < count; ++u)
        vector::StoreOp::create(b, sums[u], scoreTileBuf,
                                ValueRange{r, index((first + u) * kVectorWidth)});
    }
  });

  // S' = score mods, then the mask where the tile is not known to be full.
  auto rules = [&](bool applyMask) {
    emitElementRules(batchIndex, h, rowBegin, rows, colBegin, cols, applyMask);
  };
  if (!full || matchPattern(full, m_Zero())) {
    rules(/*applyMask=*/true);
  } else if (!matchPattern(full, m_One())) {
    ifElse(
        full,
        [&]() {
          if (hasScoreMods)
            rules(/*applyMask=*/false);
        },
        [&]() { rules(/*applyMask=*/true); });
  } else if (hasScoreMods) {
    rules(/*applyMask=*/false);
  }
  // Columns past the sequence end are -inf, so that the row updates below
  // run over whole vectors.
  forEach(zero, rows, [&](Value r) {
    forEach(cols, blockKV, [&](Value c) {
      store(negativeInfinity(), scoreTileBuf, {r, c});
    });
  });

  // The online-softmax update of each row.
  forEach(zero, rows, [&](Value r) {
    Value previousMax = load(runningMaxBuf, {r});
    Value maxVector = reduceMany(
        zero, blockKV, {splat(-std::numeric_limits<double>::infinity())},
        [&](Value c, ValueRange m) -> SmallVector<Value> {
          return {arith::MaximumFOp::create(b, m[0],
                                            loadVector(scoreTileBuf, {r, c}))};
        },
        kVectorWidth)[0];
    Value tileMax = vector::ReductionOp::create(
        b, vector::CombiningKind::MAXIMUMF, maxVector);
    Value newMax = arith::MaximumFOp::create(b, previousMax, tileMax);
    // While every score seen is -inf, subtract 0 instead: exp(-inf - -inf)
    // would be NaN.
    Value nothingKept = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ,
                                              newMax, negativeInfinity());
    Value shift = arith::SelectOp::create(b, nothingKept, f32(0.0), newMax);
    Value correction = math::ExpOp::create(
        b, arith::SubFOp::create(b, previousMax, shift));
    Value shiftVector = vector::BroadcastOp::create(b, vectorType(), shift);
    Value sumVector = reduceMany(
        zero, blockKV, {splat(0.0)},
        [&](Value c, ValueRange sum) -> SmallVector<Value> {
          Value p = math::ExpOp::create(
              b, arith::SubFOp::create(b, loadVector(scoreTileBuf, {r, c}),
                                       shiftVector));
          vector::StoreOp::create(b, p, scoreTileBuf, ValueRange{r, c});
          return {arith::AddFOp::create(b, sum[0], p)};
        },
        kVectorWidth)[0];
    Value tileSum =
        vector::ReductionOp::create(b, vector::CombiningKind::ADD, sumVector);
    Value runningSum = arith::AddFOp::create(
        b, arith::MulFOp::create(b, load(runningSumBuf, {r}), correction),
        tileSum);
    store(runningSum, runningSumBuf, {r});
    store(newMax, runningMaxBuf, {r});

    // RNV = correction * RNV + P Vt, a few vectors of F at a time, then the
    // columns of F past the last whole vector.
    Value correctionVector =
        vector::BroadcastOp::create(b, vectorType(), correction);
    int64_t valueVectors = headDimV / kVectorWidth;
    for (int64_t first = 0; first < valueVectors; first += kAccumulators) {
      int64_t count = std::min(kAccumulators, valueVectors - first);
      SmallVector<Value> init;
      for (int64_t u = 0; u < count; ++u)
        init.push_back(arith::MulFOp::create(
            b, loadVector(numeratorBuf, {r, index((first + u) * kVectorWidth)}),
            correctionVector));
      SmallVector<Value> sums =
          reduceMany(zero, cols, init, [&](Value c, ValueRange acc) {
            Value p = vector::BroadcastOp::create(b, vectorType(),
                                                  load(scoreTileBuf, {r, c}));
            SmallVector<Value> next;
            for (int64_t u = 0; u < count; ++u) {
              Value v = loadVector(valueTileBuf,
                                   {c, index((first + u) * kVectorWidth)});
              next.push_back(vector::FMAOp::create(b, p, v, acc[u]));
            }
            return next;
          });
      for (int64_t u = 0; u < count; ++u)
        vector::StoreOp::create(
            b, sums[u], numeratorBuf,
            ValueRange{r, index((first + u) * kVectorWidth)});
    }
    forEach(index(valueVectors * kVectorWidth), headDimVValue, [&](Value f) {
      Value rescaled =
          arith::MulFOp::create(b, load(numeratorBuf, {r, f}), correction);
      Value sum = reduceMany(
          zero, cols, {rescaled},
          [&](Value c, ValueRange acc) -> SmallVector<Value> {
            return {math::FmaOp::create(b, load(scoreTileBuf, {r, c}),
                                        load(valueTileBuf, {c, f}), acc[0])};
          })[0];
      store(sum, numeratorBuf, {r, f});
    });
  });
}

void KernelEmitter::emit() {
  Block *entry = kernel.addEntryBlock();
  b.setInsertionPointToStart(entry);
  static_cast<KernelOperands &>(*this) =
      bindKernelOperands(op, entry->getArguments());

  AttentionShape shape = op.getShape();
  headDimQK = shape.headDimQK;
  headDimV = shape.headDimV;
  hasScoreMods = !op.getScoreMods().empty() || !op.getScoreRegion().empty();

  batchSize = memref::DimOp::create(b, query, 0);
  queryHeads = index(shape.queryHeads);
  kvHeads = index(shape.kvHeads);
  seqQ = memref::DimOp::create(b, query, 2);
  seqKV = memref::DimOp::create(b, key, 2);

  int64_t blockQ = tiling.blockQ, blockKV = tiling.blockKV;
  queryTileBuf = scratch({blockQ, headDimQK});
  keyTileBuf = scratch({headDimQK, blockKV});
  valueTileBuf = scratch({blockKV, headDimV});
  scoreTileBuf = scratch({blockQ, blockKV});
  numeratorBuf = scratch({blockQ, headDimV});
  runningMaxBuf = scratch({blockQ});
  runningSumBuf = scratch({blockQ});

  Value zero = index(0);
  Value groupSize = index(shape.queryHeads / shape.kvHeads);
  Value queryTiles = arith::CeilDivSIOp::create(b, seqQ, index(blockQ));
  auto attention = [&]() {
    forEach(zero, batchSize, [&](Value batchIndex) {
      forEach(zero, queryHeads, [&](Value h) {
        Value kvHead = arith::DivUIOp::create(b, h, groupSize);
        forEach(zero, queryTiles, [&](Value queryTile) {
          emitQueryTile(batchIndex, h, kvHead, queryTile);
        });
      });
    });
  };
  if (Value fits = emitDataExtentsFit())
    ifElse(fits, attention, [&]() { emitPoisonedOutputs(); });
  else
    attention();
  func::ReturnOp::create(b);
}

/// Block lists and block masks are indexed by query (and key) block, whose
/// count the signature cannot tie to Sq (Skv): collects the per-call
/// requirement dim(data, d) >= ceil(size / block).
static void collectBlockExtents(
    MaskAttrInterface mask,
    SmallVectorImpl<std::tuple<unsigned, unsigned, bool, int64_t>> &needs) {
  if (auto list = dyn_cast<BlockListAttr>(mask)) {
    needs.push_back({list.getOperand(), 2, /*keys=*/false, list.getBlockQ()});
  } else if (auto blocks = dyn_cast<BlockMaskAttr>(mask)) {
    needs.push_back({blocks.getOperand(), 2, false, blocks.getBlockQ()});
    needs.push_back({blocks.getOperand(), 3, true, blocks.getBlockKv()});
  } else if (auto conjunction = dyn_cast<AndAttr>(mask)) {
    for (MaskAttrInterface nested : conjunction.getMasks())
      collectBlockExtents(nested, needs);
  } else if (auto disjunction = dyn_cast<OrAttr>(mask)) {
    for (MaskAttrInterface nested : disjunction.getMasks())
      collectBlockExtents(nested, needs);
  }
}

Value mlir::attn::host::buildDataExtentsFit(OpBuilder &b, Location loc,
                                            AttentionOp op,
                                            ArrayRef<Value> dataMemrefs,
                                            Value seqQ, Value seqKV) {
  SmallVector<std::tuple<unsigned, unsigned, bool, int64_t>> needs;
  if (MaskAttrInterface mask = op.getMaskRule())
    collectBlockExtents(mask, needs);
  Value fits;
  for (auto [operand, dim, keys, block] : needs) {
    Value blockSize = arith::ConstantIndexOp::create(b, loc, block);
    Value blocks =
        arith::CeilDivSIOp::create(b, loc, keys ? seqKV : seqQ, blockSize);
    Value extent = memref::DimOp::create(b, loc, dataMemrefs[operand], dim);
    Value fit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                      extent, blocks);
    fits = fits ? Value(arith::AndIOp::create(b, loc, fits, fit)) : fit;
  }
  return fits;
}

Value KernelEmitter::emitDataExtentsFit() {
  return buildDataExtentsFit(b, b.getLoc(), op, data, seqQ, seqKV);
}

void KernelEmitter::emitPoisonedOutputs() {
  Value zero = index(0);
  Value nan = f32(std::numeric_limits<float>::quiet_NaN());
  Type outputElement = cast<MemRefType>(output.getType()).getElementType();
  Value outputNaN =
      outputElement.isF32()
          ? nan
          : Value(arith::TruncFOp::create(b, outputElement, nan));
  forEach(zero, batchSize, [&](Value batchIndex) {
    forEach(zero, queryHeads, [&](Value h) {
      forEach(zero, seqQ, [&](Value i) {
        forEach(zero, index(headDimV), [&](Value f) {
          store(outputNaN, output, {batchIndex, h, i, f});
        });
        if (lse)
          store(nan, lse, {batchIndex, h, i});
      });
    });
  });
}

MemRefType
mlir::attn::host::kernelArgumentMemRefType(const KernelArgument &argument) {
  MLIRContext *context = argument.type.getContext();
  SmallVector<int64_t> strides(argument.extents.size(), ShapedType::kDynamic);
  if (argument.innermostContiguous && !strides.empty())
    strides.back() = 1;
  auto layout =
      StridedLayoutAttr::get(context, ShapedType::kDynamic, strides);
  return MemRefType::get(argument.extents, argument.type.getElementType(),
                         layout);
}

FailureOr<func::FuncOp>
mlir::attn::host::buildHostKernel(const KernelSpec &spec,
                                  const HostTiling &tiling,
                                  StringRef kernelName, ModuleOp into) {
  AttentionOp op = spec.attention;
  if (tiling.blockQ < 1 || tiling.blockKV < 1 ||
      tiling.blockKV % kVectorWidth != 0)
    return emitError(op.getLoc()) << "host tiles need block-q >= 1 and block-kv a "
                          << "positive multiple of " << kVectorWidth
                          << ", got block-q = " << tiling.blockQ
                          << " and block-kv = " << tiling.blockKV;
  // Scratch tiles live on the caller's stack (see KernelEmitter).
  AttentionShape shape = op.getShape();
  int64_t e = shape.headDimQK, f = shape.headDimV;
  int64_t bq = tiling.blockQ, bk = tiling.blockKV;
  if (llvm::any_of(ArrayRef<int64_t>{bq, bk, e, f},
                   [](int64_t extent) { return extent > kMaxScratchBytes; }) ||
      4 * (bq * e + e * bk + bk * f + bq * bk + bq * f + 2 * bq) >
          kMaxScratchBytes)
    return emitError(op.getLoc())
           << "host tiles of " << bq << " x " << bk << " with E = " << e
           << " and F = " << f << " need more than the "
           << kMaxScratchBytes / 1024 << " KiB of stack the host kernel may "
           << "use; choose smaller block-q or block-kv";
  SmallVector<Type> argumentTypes;
  for (const KernelArgument &argument : spec.arguments)
    argumentTypes.push_back(kernelArgumentMemRefType(argument));
  OpBuilder builder = OpBuilder::atBlockEnd(into.getBody());
  auto kernel = func::FuncOp::create(
      builder, op.getLoc(), kernelName,
      builder.getFunctionType(argumentTypes, /*results=*/{}));
  KernelEmitter(op, tiling, kernel).emit();
  return kernel;
}
