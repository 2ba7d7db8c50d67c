//===- KernelSpec.cpp - The kernel ABI every target shares ----------------===//
#include "attn/Kernel/KernelSpec.h"
#include "attn/Dialect/MaskVisits.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

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
      return op->emitError()
             << "cannot be compiled: " << why << " needs "
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
  SignatureBuilder(CascadeOp op) : op(op) {}

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
  /// Records that dimension `dim` of data operand `operand` must hold at
  /// least ceil(size / divisor) entries (the size of class `variable`).
  void requireBlocks(unsigned operand, unsigned dim, unsigned variable,
                     int64_t divisor) {
    blockNeeds.push_back({dataBegin + operand, dim, variable, divisor});
  }

  struct BlockNeed {
    unsigned argument, dim, variable;
    int64_t divisor;
  };
  SmallVector<BlockNeed> blockNeeds;
  /// Document offsets: at least 2 entries, never decreasing.
  llvm::SmallSetVector<unsigned, 2> offsetArguments;

  CascadeOp op;
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
        if (attr.getLayout() == DocumentLayout::Offsets) {
          offsetArguments.insert(data(attr.getOperand()));
          return success();
        }
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
        requireBlocks(attr.getOperand(), 2, seqQ, attr.getBlockQ());
        return equate(list, 1, dimOf(0, 1), why);
      })
      .Case([&](BlockMaskAttr attr) -> LogicalResult {
        unsigned blocks = data(attr.getOperand());
        if (failed(equate(blocks, 0, batch, why)))
          return failure();
        requireBlocks(attr.getOperand(), 2, seqQ, attr.getBlockQ());
        requireBlocks(attr.getOperand(), 3, seqKV, attr.getBlockKv());
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

  ValueRange inputs = op.getInputs();
  addArgument("q", tensorType(inputs[0]), false, true);
  addArgument("k", tensorType(inputs[1]), false, true);
  addArgument("v", tensorType(inputs[2]), false, true);
  for (auto [index, data] : llvm::enumerate(op.getData()))
    addArgument("data" + std::to_string(index), tensorType(data), false,
                false);
  addArgument("o", tensorType(op.getResult(0)), true, true);
  bool hasLse = op.getResults().size() == 2;
  if (hasLse)
    addArgument("lse", tensorType(op.getResult(1)), true, true);

  unsigned q = 0, k = 1, v = 2, o = dataBegin + op.getData().size();
  StringRef why = "attention";
  // Shapes: Q [B, Hq, Sq, E], K [B, Hkv, Skv, E], V [B, Hkv, Skv, F],
  // O [B, Hq, Sq, F], LSE [B, Hq, Sq].
  SmallVector<std::tuple<unsigned, unsigned, unsigned>> equalities = {
      {q, 0, batch},         {k, 0, batch},         {v, 0, batch},
      {o, 0, batch},         {q, 2, seqQ},          {o, 2, seqQ},
      {k, 2, seqKV},         {v, 2, seqKV},         {k, 1, dimOf(v, 1)},
      {o, 1, dimOf(q, 1)},   {k, 3, dimOf(q, 3)},   {o, 3, dimOf(v, 3)}};
  if (hasLse) {
    unsigned lse = o + 1;
    equalities.append({{lse, 0, batch}, {lse, 1, dimOf(q, 1)}, {lse, 2, seqQ}});
  }
  for (auto [argument, dim, variable] : equalities)
    if (failed(equate(argument, dim, variable, why)))
      return failure();

  // Every rule any Einsum (or the visit clause) applies constrains the data
  // operands it reads; each distinct rule once.
  llvm::SetVector<Attribute> rules;
  op.getBody().walk([&](Operation *nested) {
    auto collect = [&](Attribute expression) {
      walkMaps(expression, [&](MapAttr map) {
        if (map.getKind() == MapKind::Mask || map.getKind() == MapKind::ScoreMod)
          rules.insert(map.getRule());
      });
    };
    if (auto einsum = dyn_cast<EinsumOp>(nested))
      collect(einsum.getMap());
    if (auto iterate = dyn_cast<IterateOp>(nested))
      if (ArrayAttr visit = iterate.getVisitAttr())
        for (Attribute test : visit)
          collect(test);
  });
  for (Attribute rule : rules) {
    if (auto mask = dyn_cast<MaskAttrInterface>(rule)) {
      if (failed(constrainMask(mask)))
        return failure();
    } else if (failed(constrainScoreMod(cast<ScoreModAttrInterface>(rule)))) {
      return failure();
    }
  }

  for (auto [index, argument] : llvm::enumerate(arguments)) {
    for (int64_t dim = 0; dim < argument.type.getRank(); ++dim) {
      unsigned variable = dimOf(index, dim);
      int64_t extent = sizes.extent(variable);
      argument.extents.push_back(extent);
      argument.dimSizes.push_back(
          ShapedType::isDynamic(extent) ? sizes.name(variable).str() : "");
    }
  }
  // The kernels read these operands at indices the signature's equalities
  // do not bound; the runtime checks the least extents at every launch.
  for (const BlockNeed &need : blockNeeds) {
    MinimumExtent least;
    least.dim = need.dim;
    least.divisor = need.divisor;
    int64_t extent = sizes.extent(need.variable);
    if (ShapedType::isDynamic(extent))
      least.size = sizes.name(need.variable).str();
    else
      least.constant = extent;
    arguments[need.argument].minimumExtents.push_back(least);
  }
  for (unsigned argument : offsetArguments) {
    arguments[argument].nonDecreasing = true;
    arguments[argument].minimumExtents.push_back(
        MinimumExtent{/*dim=*/0, /*size=*/"", /*constant=*/2, /*divisor=*/1});
  }
  return arguments;
}

/// Custom regions become code inside the kernel's loops, where data operands
/// are memrefs: they may read them only through tensor.extract and
/// tensor.dim.
static LogicalResult checkRegionDataUses(CascadeOp op) {
  for (auto [index, data] : llvm::enumerate(op.getData())) {
    for (OpOperand &use : data.getUses()) {
      Operation *user = use.getOwner();
      if (!op->isProperAncestor(user))
        continue;
      bool readsElement = isa<tensor::ExtractOp>(user) && use.getOperandNumber() == 0;
      bool readsSize = isa<tensor::DimOp>(user) && use.getOperandNumber() == 0;
      if (!readsElement && !readsSize)
        return user->emitError()
               << "compiled kernels let custom regions read data operand #"
               << index << " only through tensor.extract and tensor.dim, not '"
               << user->getName() << "'";
    }
  }
  return success();
}

/// Ranks and extents the kernels assume: rank-4 query, key and value
/// tensors and an O [B, Hq, Sq, F] (and LSE [B, Hq, Sq]) result.
static LogicalResult checkAttentionShaped(CascadeOp op) {
  auto fail = [&]() {
    return op.emitError()
           << "cannot be compiled: a compiled attention takes the query "
           << "[B, Hq, Sq, E], key [B, Hkv, Skv, E] and value "
           << "[B, Hkv, Skv, F] as its first three inputs and returns O "
           << "[B, Hq, Sq, F] (and optionally LSE [B, Hq, Sq])";
  };
  if (op.getInputs().size() != 3)
    return op.getInputs().size() < 3
               ? fail()
               : op.emitError()
                     << "cannot be compiled: it has "
                     << op.getInputs().size()
                     << " inputs; a compiled cascade reads the query, key "
                        "and value, and takes anything else as data operands";
  for (Value input : op.getInputs())
    if (cast<RankedTensorType>(input.getType()).getRank() != 4)
      return fail();
  ValueRange results = op.getResults();
  if (results.empty() || results.size() > 2 ||
      cast<RankedTensorType>(results[0].getType()).getRank() != 4 ||
      (results.size() == 2 &&
       cast<RankedTensorType>(results[1].getType()).getRank() != 3))
    return fail();
  AttentionShape shape = op.getAttentionShape();
  if (ShapedType::isDynamic(shape.queryHeads) ||
      ShapedType::isDynamic(shape.kvHeads) ||
      ShapedType::isDynamic(shape.headDimQK) ||
      ShapedType::isDynamic(shape.headDimV))
    return op.emitError() << "cannot be compiled: head counts and head "
                               "dimensions must be static";
  if (shape.kvHeads <= 0 || shape.queryHeads % shape.kvHeads != 0)
    return op.emitError()
           << "cannot be compiled: " << shape.queryHeads
           << " query heads are not a multiple of " << shape.kvHeads
           << " key/value heads";
  return success();
}

FailureOr<KernelSpec> mlir::attn::analyzeKernelSpec(func::FuncOp function) {
  StringRef name = function.getSymName();
  if (function.isExternal())
    return function.emitError() << "@" << name << " has no body to compile";
  Region &body = function.getBody();
  if (!body.hasOneBlock())
    return function.emitError()
           << "@" << name << " must have a single block to be compiled";
  Block &block = body.front();
  auto cascades = llvm::to_vector(block.getOps<CascadeOp>());
  if (cascades.size() != 1)
    return function.emitError()
           << "@" << name << " must contain exactly one attn.attention or "
           << "attn.cascade op to be compiled, found " << cascades.size();
  CascadeOp cascade = cascades.front();
  for (Operation &op : block) {
    if (&op == cascade.getOperation() || isa<func::ReturnOp>(op) ||
        op.hasTrait<OpTrait::ConstantLike>())
      continue;
    return op.emitError() << "@" << name << " may hold only one "
                          << "attn.attention or attn.cascade, constants and "
                          << "func.return to be compiled, but it holds '"
                          << op.getName() << "'";
  }
  if (failed(checkAttentionShaped(cascade)))
    return failure();

  auto ret = cast<func::ReturnOp>(block.getTerminator());
  bool returnsAll = ret.getOperands().size() == cascade.getResults().size() &&
                    llvm::equal(ret.getOperands(), cascade.getResults());
  if (!returnsAll)
    return ret.emitError() << "@" << name << " must return "
                           << (cascade.getResults().size() == 2
                                   ? "(output, lse)"
                                   : "(output)")
                           << " of its attention to be compiled";

  SmallVector<Value> operands(cascade.getInputs());
  llvm::append_range(operands, cascade.getData());
  if (function.getNumArguments() != operands.size())
    return function.emitError()
           << "@" << name << " takes " << function.getNumArguments()
           << " argument(s) but a compiled spec takes (query, key, value, "
           << "data...) = " << operands.size() << " for its attention";
  static constexpr const char *kRoles[] = {"query", "key", "value"};
  for (auto [position, operand] : llvm::enumerate(operands)) {
    if (operand == function.getArgument(position))
      continue;
    std::string role = position < 3
                           ? std::string(kRoles[position])
                           : "data operand #" + std::to_string(position - 3);
    return cascade.emitError()
           << "the " << role << " of the attention must be argument #"
           << position << " of @" << name
           << " (compiled specs take query, key, value, data... in order)";
  }
  if (failed(checkRegionDataUses(cascade)))
    return failure();

  FailureOr<SmallVector<KernelArgument>> arguments =
      SignatureBuilder(cascade).build();
  if (failed(arguments))
    return failure();
  return KernelSpec{function, cascade, std::move(*arguments)};
}

FailureOr<SmallVector<KernelSpec>>
mlir::attn::collectKernelSpecs(ModuleOp module) {
  SmallVector<KernelSpec> specs;
  for (func::FuncOp function : module.getOps<func::FuncOp>()) {
    bool hasCascade =
        function.walk([](CascadeOp) { return WalkResult::interrupt(); })
            .wasInterrupted();
    if (!hasCascade)
      continue;
    FailureOr<KernelSpec> spec = analyzeKernelSpec(function);
    if (failed(spec))
      return failure();
    specs.push_back(std::move(*spec));
  }
  if (specs.empty())
    return emitError(module.getLoc())
           << "no function in the module contains an attn.attention or "
              "attn.cascade op";
  return specs;
}

MemRefType mlir::attn::kernelArgumentMemRefType(const KernelArgument &argument) {
  MLIRContext *context = argument.type.getContext();
  SmallVector<int64_t> strides(argument.extents.size(), ShapedType::kDynamic);
  if (argument.innermostContiguous && !strides.empty())
    strides.back() = 1;
  auto layout =
      StridedLayoutAttr::get(context, ShapedType::kDynamic, strides);
  return MemRefType::get(argument.extents, argument.type.getElementType(),
                         layout);
}

KernelOperands mlir::attn::bindKernelOperands(const KernelSpec &spec,
                                              ValueRange arguments) {
  KernelOperands operands;
  operands.query = arguments[0];
  operands.key = arguments[1];
  operands.value = arguments[2];
  size_t dataCount = spec.numData();
  for (size_t position = 0; position < dataCount; ++position)
    operands.data.push_back(arguments[3 + position]);
  size_t next = 3 + dataCount;
  if (spec.keySummaryArgument >= 0)
    operands.keySummary = arguments[next++];
  operands.output = arguments[next];
  if (spec.hasLse())
    operands.lse = arguments[next + 1];
  return operands;
}

std::string mlir::attn::keySummaryName(unsigned data) {
  return "data" + std::to_string(data) + "_summary";
}

void mlir::attn::addKeySummaryArgument(KernelSpec &spec, unsigned data) {
  unsigned position = 3 + data;
  const KernelArgument &ids = spec.arguments[position];
  KernelArgument summary;
  summary.name = keySummaryName(data);
  summary.type = RankedTensorType::get(
      {ids.extents[0], ShapedType::kDynamic, 2}, ids.type.getElementType());
  summary.extents = {ids.extents[0], ShapedType::kDynamic, 2};
  summary.dimSizes = {ids.dimSizes[0], "key_chunks", ""};
  // The kernels read entries [0, ceil(Skv / chunk)) of every batch row.
  const KernelArgument &key = spec.arguments[1];
  MinimumExtent chunks;
  chunks.dim = 1;
  chunks.divisor = kKeySummaryChunk;
  if (key.dimSizes[2].empty())
    chunks.constant = key.extents[2];
  else
    chunks.size = key.dimSizes[2];
  summary.minimumExtents.push_back(chunks);
  unsigned at = 3 + spec.numData();
  spec.arguments.insert(spec.arguments.begin() + at, std::move(summary));
  spec.keySummaryArgument = static_cast<int>(at);
  spec.summarizedData = data;
}

SmallVector<KernelArgument>
mlir::attn::keySummaryPreparationArguments(const KernelSpec &spec) {
  assert(spec.keySummaryArgument >= 0 && "the spec has no key summary");
  KernelArgument ids = spec.arguments[3 + spec.summarizedData];
  ids.minimumExtents.clear();
  // The summary keeps its least extent: the runtime allocates it by it.
  KernelArgument summary = spec.arguments[spec.keySummaryArgument];
  summary.isOutput = true;
  return {std::move(ids), std::move(summary)};
}

/// Element `indices` of `memref` when every index lies inside its extent,
/// else a zero of the element type, without touching memory: a region's
/// indices are computed by the user, and the float64 reference reports an
/// out-of-range read as an error (docs/spec-language.md), which a kernel
/// cannot, so it must at least stay inside the operand.
static Value buildGuardedLoad(OpBuilder &b, Location loc, Value memref,
                              ValueRange indices) {
  Value inBounds;
  for (auto [dim, index] : llvm::enumerate(indices)) {
    Value extent = memref::DimOp::create(b, loc, memref, dim);
    // Unsigned: a negative index compares above every extent.
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         index, extent);
    inBounds = inBounds ? Value(arith::AndIOp::create(b, loc, inBounds, inside))
                        : inside;
  }
  Type elementType = cast<MemRefType>(memref.getType()).getElementType();
  if (!inBounds) // rank 0: nothing to guard
    return memref::LoadOp::create(b, loc, memref, indices);
  auto guarded = scf::IfOp::create(b, loc, TypeRange{elementType}, inBounds,
                                   /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&guarded.getThenRegion().front());
  Value element = memref::LoadOp::create(b, loc, memref, indices);
  scf::YieldOp::create(b, loc, element);
  b.setInsertionPointToStart(&guarded.getElseRegion().front());
  Value zero = arith::ConstantOp::create(b, loc, elementType,
                                         b.getZeroAttr(elementType));
  scf::YieldOp::create(b, loc, zero);
  return guarded.getResult(0);
}

Value mlir::attn::inlineSpecRegion(OpBuilder &b, CascadeOp cascade,
                                   Region &region, ValueRange arguments,
                                   ArrayRef<Value> dataMemrefs) {
  Location loc = cascade.getLoc();
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
  for (auto [tensor, memref] : llvm::zip_equal(cascade.getData(), dataMemrefs))
    memrefOf[tensor] = memref;
  SmallVector<Operation *> tensorReads;
  for (Operation *copy : copies)
    copy->walk([&](Operation *nested) {
      if (isa<tensor::ExtractOp, tensor::DimOp>(nested) &&
          memrefOf.contains(nested->getOperand(0)))
        tensorReads.push_back(nested);
    });
  auto yield = cast<YieldOp>(block.getTerminator());
  // The yielded value may itself be one of the reads replaced below.
  Value yielded = mapping.lookup(yield.getValues().front());
  for (Operation *read : tensorReads) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(read);
    Value memref = memrefOf.lookup(read->getOperand(0));
    Value replacement;
    if (auto extract = dyn_cast<tensor::ExtractOp>(read))
      replacement = buildGuardedLoad(b, loc, memref, extract.getIndices());
    else
      replacement = memref::DimOp::create(
          b, loc, memref, cast<tensor::DimOp>(read).getIndex());
    if (read->getResult(0) == yielded)
      yielded = replacement;
    read->getResult(0).replaceAllUsesWith(replacement);
    read->erase();
  }
  return yielded;
}

namespace {
/// What a mask needs of its data operands beyond the signature's sizes.
struct DataNeeds {
  /// dim(data #operand, dim) >= ceil((keys ? Skv : Sq) / block).
  SmallVector<std::tuple<unsigned, unsigned, bool, int64_t>> blockExtents;
  /// Document offsets: entries never decrease.
  llvm::SmallSetVector<unsigned, 2> sortedOperands;
};
} // namespace

/// Block lists and block masks are indexed by query (and key) block, whose
/// count the signature cannot tie to Sq (Skv); document offsets are binary
/// searched.
static void collectDataNeeds(MaskAttrInterface mask, DataNeeds &needs) {
  if (auto list = dyn_cast<BlockListAttr>(mask)) {
    needs.blockExtents.push_back(
        {list.getOperand(), 2, /*keys=*/false, list.getBlockQ()});
  } else if (auto blocks = dyn_cast<BlockMaskAttr>(mask)) {
    needs.blockExtents.push_back(
        {blocks.getOperand(), 2, false, blocks.getBlockQ()});
    needs.blockExtents.push_back(
        {blocks.getOperand(), 3, true, blocks.getBlockKv()});
  } else if (auto documents = dyn_cast<DocumentsAttr>(mask)) {
    if (documents.getLayout() == DocumentLayout::Offsets)
      needs.sortedOperands.insert(documents.getOperand());
  } else if (auto conjunction = dyn_cast<AndAttr>(mask)) {
    for (MaskAttrInterface nested : conjunction.getMasks())
      collectDataNeeds(nested, needs);
  } else if (auto disjunction = dyn_cast<OrAttr>(mask)) {
    for (MaskAttrInterface nested : disjunction.getMasks())
      collectDataNeeds(nested, needs);
  }
}

/// Whether the entries of the rank-1 integer memref never decrease: one
/// pass, x from 1 to its extent.
static Value buildNonDecreasing(OpBuilder &b, Location loc, Value memref) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value count = memref::DimOp::create(b, loc, memref, 0);
  Value sorted = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
  auto scan = scf::ForOp::create(
      b, loc, one, count, one, ValueRange{sorted},
      [&](OpBuilder &builder, Location loc, Value x, ValueRange carried) {
        Value before = arith::SubIOp::create(builder, loc, x, one);
        Value previous = memref::LoadOp::create(builder, loc, memref, before);
        Value current = memref::LoadOp::create(builder, loc, memref, x);
        Value inOrder = arith::CmpIOp::create(
            builder, loc, arith::CmpIPredicate::sle, previous, current);
        Value stillSorted =
            arith::AndIOp::create(builder, loc, carried[0], inOrder);
        scf::YieldOp::create(builder, loc, stillSorted);
      });
  return scan.getResult(0);
}

Value mlir::attn::buildDataOperandsValid(OpBuilder &b, Location loc,
                                         MaskAttrInterface mask,
                                         ArrayRef<Value> dataMemrefs,
                                         Value seqQ, Value seqKV) {
  DataNeeds needs;
  if (mask)
    collectDataNeeds(mask, needs);
  Value valid;
  auto conjoin = [&](Value condition) {
    valid = valid ? Value(arith::AndIOp::create(b, loc, valid, condition))
                  : condition;
  };
  for (auto [operand, dim, keys, block] : needs.blockExtents) {
    Value blockSize = arith::ConstantIndexOp::create(b, loc, block);
    Value blocks =
        arith::CeilDivSIOp::create(b, loc, keys ? seqKV : seqQ, blockSize);
    Value extent = memref::DimOp::create(b, loc, dataMemrefs[operand], dim);
    conjoin(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, extent,
                                  blocks));
  }
  for (unsigned operand : needs.sortedOperands)
    conjoin(buildNonDecreasing(b, loc, dataMemrefs[operand]));
  return valid;
}

//===----------------------------------------------------------------------===//
// Tile shapes
//===----------------------------------------------------------------------===//

std::optional<int64_t> mlir::attn::visitedTileArea(const KernelSpec &spec,
                                                   int64_t blockQ,
                                                   int64_t blockKV,
                                                   int64_t seqQ,
                                                   int64_t seqKV) {
  CascadeOp cascade = spec.cascade;
  MaskAttrInterface mask;
  Region *region = nullptr;
  bool known = true;
  cascade.getBody().walk([&](EinsumOp einsum) {
    walkMaps(einsum.getMap(), [&](MapAttr map) {
      if (map.getKind() == MapKind::MaskRegion) {
        region = &cascade.getMaskRegion();
      } else if (map.getKind() == MapKind::Mask) {
        auto rule = cast<MaskAttrInterface>(map.getRule());
        known &= !mask || mask == rule;
        mask = rule;
      }
    });
  });
  if (!known || (mask && isa<NeighborhoodAttr>(mask)))
    return std::nullopt;
  SmallVector<unsigned> dataOperands;
  if (mask)
    mask.collectDataOperands(dataOperands);
  AttentionShape shape = cascade.getAttentionShape();
  if (!dataOperands.empty() || ShapedType::isDynamic(shape.queryHeads) ||
      ShapedType::isDynamic(shape.kvHeads))
    return std::nullopt;
  EffectiveMaskTiling tiling(mask, region);
  if (!tiling.regionIsAnalyzable())
    return std::nullopt;
  TilingContext ctx;
  ctx.queryHeads = shape.queryHeads;
  ctx.kvHeads = shape.kvHeads;
  ctx.seqQ = ShapedType::isDynamic(shape.seqQ) ? seqQ : shape.seqQ;
  ctx.seqKV = ShapedType::isDynamic(shape.seqKV) ? seqKV : shape.seqKV;
  ctx.blockQ = blockQ;
  ctx.blockKV = blockKV;
  // A compile-time estimate: bound its work (static lengths can be long).
  constexpr int64_t kMaxCountedQueryTiles = int64_t(1) << 20;
  if (ctx.seqQ < 1 || ctx.seqKV < 1 || blockQ < 1 || blockKV < 1 ||
      ctx.numQueryTiles() > kMaxCountedQueryTiles / ctx.queryHeads)
    return std::nullopt;
  int64_t area = 0;
  for (int64_t head = 0; head < ctx.queryHeads; ++head)
    for (int64_t queryTile = 0; queryTile < ctx.numQueryTiles(); ++queryTile)
      tiling.visitSet(ctx, /*b=*/0, head, queryTile)
          .forEachTile([&](int64_t keyTile, TileClass) {
            area += ctx.tile(queryTile, keyTile).area();
          });
  return area;
}
