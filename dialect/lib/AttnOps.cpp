//===- AttnOps.cpp - attn operations ---------------------------------------===//
#include "attn/Dialect/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#define GET_OP_CLASSES
#include "attn/Dialect/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

AttentionShape AttentionOp::getShape() {
  auto query = cast<RankedTensorType>(getQuery().getType());
  auto key = cast<RankedTensorType>(getKey().getType());
  auto value = cast<RankedTensorType>(getValue().getType());
  AttentionShape shape;
  shape.batch = query.getDimSize(0);
  shape.queryHeads = query.getDimSize(1);
  shape.seqQ = query.getDimSize(2);
  shape.headDimQK = query.getDimSize(3);
  shape.kvHeads = key.getDimSize(1);
  shape.seqKV = key.getDimSize(2);
  shape.headDimV = value.getDimSize(3);
  for (Value data : getData())
    shape.dataTypes.push_back(cast<RankedTensorType>(data.getType()));
  return shape;
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(getShape().headDimQK));
}

MaskAttrInterface AttentionOp::getMaskRule() {
  return dyn_cast_if_present<MaskAttrInterface>(getMaskAttr());
}

SmallVector<ScoreModAttrInterface> AttentionOp::getScoreMods() {
  SmallVector<ScoreModAttrInterface> mods;
  Attribute attr = getScoreModAttr();
  if (!attr)
    return mods;
  if (auto array = dyn_cast<ArrayAttr>(attr)) {
    for (Attribute element : array)
      mods.push_back(cast<ScoreModAttrInterface>(element));
    return mods;
  }
  mods.push_back(cast<ScoreModAttrInterface>(attr));
  return mods;
}

static bool isSupportedElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32();
}

/// Diagnoses `a` != `b` when both are static.
static LogicalResult checkSameSize(Operation *op, int64_t a, int64_t b,
                                   StringRef what, StringRef aName,
                                   StringRef bName) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
    return success();
  return op->emitOpError() << what << " mismatch: " << aName << " has " << a
                           << " but " << bName << " has " << b;
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  auto query = cast<RankedTensorType>(getQuery().getType());
  auto key = cast<RankedTensorType>(getKey().getType());
  auto value = cast<RankedTensorType>(getValue().getType());
  auto output = cast<RankedTensorType>(getOutput().getType());

  for (auto [name, type] :
       {std::pair<StringRef, RankedTensorType>{"query", query},
        {"key", key},
        {"value", value},
        {"output", output}})
    if (type.getRank() != 4)
      return emitOpError() << name << " must have rank 4 ([B, H, S, D]), got "
                           << type;

  Type elementType = query.getElementType();
  if (!isSupportedElementType(elementType))
    return emitOpError() << "query element type must be f16, bf16 or f32, got "
                         << elementType;
  for (auto [name, type] :
       {std::pair<StringRef, RankedTensorType>{"key", key},
        {"value", value},
        {"output", output}})
    if (type.getElementType() != elementType)
      return emitOpError() << name << " element type " << type.getElementType()
                           << " differs from the query element type "
                           << elementType;

  // Heads and head dimensions fix the kernel's structure: they must be static.
  for (auto [name, type, dim] :
       {std::tuple<StringRef, RankedTensorType, int>{"query heads", query, 1},
        {"key heads", key, 1},
        {"value heads", value, 1},
        {"query head dimension", query, 3},
        {"key head dimension", key, 3},
        {"value head dimension", value, 3}})
    if (type.isDynamicDim(dim))
      return emitOpError() << name << " must be static, got " << type;

  AttentionShape shape = getShape();
  if (failed(checkSameSize(op, query.getDimSize(0), key.getDimSize(0),
                           "batch size", "query", "key")) ||
      failed(checkSameSize(op, key.getDimSize(0), value.getDimSize(0),
                           "batch size", "key", "value")) ||
      failed(checkSameSize(op, query.getDimSize(0), value.getDimSize(0),
                           "batch size", "query", "value")) ||
      failed(checkSameSize(op, key.getDimSize(1), value.getDimSize(1),
                           "KV head count", "key", "value")) ||
      failed(checkSameSize(op, key.getDimSize(2), value.getDimSize(2),
                           "key sequence length", "key", "value")) ||
      failed(checkSameSize(op, query.getDimSize(3), key.getDimSize(3),
                           "head dimension E", "query", "key")))
    return failure();
  if (shape.kvHeads < 1 || shape.queryHeads < 1)
    return emitOpError() << "head counts must be >= 1, got Hq = "
                         << shape.queryHeads << " and Hkv = " << shape.kvHeads;
  if (shape.queryHeads % shape.kvHeads != 0)
    return emitOpError() << "query heads (" << shape.queryHeads
                         << ") must be a multiple of key/value heads ("
                         << shape.kvHeads << ")";
  if (shape.headDimQK < 1 || shape.headDimV < 1)
    return emitOpError() << "head dimensions must be >= 1";

  // Static extents are bounded so that every size product of every tool
  // (buffers, reports, grids) fits in 64 bits and positions in 2^30.
  for (auto [name, extent, lowest, highest] :
       {std::tuple<StringRef, int64_t, int64_t, int64_t>{
            "batch size B", shape.batch, 1, kMaxPosition},
        {"query sequence length Sq", shape.seqQ, 1, kMaxPosition},
        {"key sequence length Skv", shape.seqKV, 1, kMaxPosition},
        {"query heads Hq", shape.queryHeads, 1, kMaxHeadsOrDims},
        {"key/value heads Hkv", shape.kvHeads, 1, kMaxHeadsOrDims},
        {"head dimension E", shape.headDimQK, 1, kMaxHeadsOrDims},
        {"head dimension F", shape.headDimV, 1, kMaxHeadsOrDims}})
    if (!ShapedType::isDynamic(extent) &&
        (extent < lowest || extent > highest))
      return emitOpError() << "static " << name << " must be in [" << lowest
                           << ", " << highest << "], got " << extent;

  SmallVector<int64_t> expectedOutput = {shape.batch, shape.queryHeads,
                                         shape.seqQ, shape.headDimV};
  for (auto [dim, expected] : llvm::enumerate(expectedOutput)) {
    int64_t actual = output.getDimSize(dim);
    if (ShapedType::isDynamic(expected) != ShapedType::isDynamic(actual) ||
        actual != expected)
    {
      InFlightDiagnostic diag = emitOpError()
                                << "output type " << output
                                << " must be [B, Hq, Sq, F] = [";
      llvm::interleaveComma(expectedOutput, diag, [&](int64_t size) {
        if (ShapedType::isDynamic(size))
          diag << "?";
        else
          diag << size;
      });
      return diag << "]";
    }
  }

  if (Value lse = getLse()) {
    auto lseType = cast<RankedTensorType>(lse.getType());
    if (!lseType.getElementType().isF32())
      return emitOpError() << "lse element type must be f32, got "
                           << lseType.getElementType();
    if (lseType.getShape() != query.getShape().take_front(3))
      return emitOpError() << "lse type " << lseType
                           << " must have the query's [B, Hq, Sq] shape";
  }

  if (std::optional<APFloat> scale = getScale()) {
    double value = scale->convertToDouble();
    if (!(value > 0.0) || !std::isfinite(value))
      return emitOpError() << "scale must be positive and finite, got "
                           << value;
  }

  llvm::SmallSet<unsigned, 4> readOperands;
  auto collect = [&](auto attr) {
    SmallVector<unsigned> indices;
    attr.collectDataOperands(indices);
    readOperands.insert(indices.begin(), indices.end());
  };

  if (Attribute maskAttr = getMaskAttr()) {
    auto mask = dyn_cast<MaskAttrInterface>(maskAttr);
    if (!mask)
      return emitOpError() << "'mask' must be a mask attribute such as "
                              "#attn.causal, got "
                           << maskAttr;
    if (failed(mask.verifyUse(shape, op)))
      return failure();
    collect(mask);
  }

  if (Attribute scoreAttr = getScoreModAttr()) {
    SmallVector<Attribute> elements;
    if (auto array = dyn_cast<ArrayAttr>(scoreAttr))
      llvm::append_range(elements, array.getValue());
    else
      elements.push_back(scoreAttr);
    if (elements.empty())
      return emitOpError() << "'score_mod' array must not be empty";
    for (Attribute element : elements) {
      auto mod = dyn_cast<ScoreModAttrInterface>(element);
      if (!mod)
        return emitOpError() << "'score_mod' must be a score-mod attribute "
                                "(#attn.softcap, #attn.alibi, #attn.bias) or "
                                "an array of them, got "
                             << element;
      if (failed(mod.verifyUse(shape, op)))
        return failure();
      collect(mod);
    }
  }

  // A data operand nothing reads is almost certainly a mistake in the spec.
  for (auto [index, data] : llvm::enumerate(getData())) {
    if (readOperands.contains(index))
      continue;
    bool usedInRegion = llvm::any_of(data.getUsers(), [&](Operation *user) {
      return op->isProperAncestor(user);
    });
    if (!usedInRegion)
      return emitOpError() << "data operand #" << index
                           << " is not read by the mask, the score mod or a "
                              "region";
  }
  return success();
}

/// Whether `op` is one the float64 reference evaluates (RegionEvaluator.cpp).
static bool isEvaluableRegionOp(Operation &op) {
  return isa<arith::ConstantOp, arith::AddFOp, arith::SubFOp, arith::MulFOp,
             arith::DivFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp, arith::NegFOp, arith::ExtFOp,
             arith::TruncFOp, math::ExpOp, math::Exp2Op, math::LogOp,
             math::TanhOp, math::SqrtOp, math::AbsFOp, arith::CmpFOp,
             arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::DivSIOp,
             arith::DivUIOp, arith::RemSIOp, arith::RemUIOp, arith::AndIOp,
             arith::OrIOp, arith::XOrIOp, arith::MaxSIOp, arith::MinSIOp,
             arith::CmpIOp, arith::IndexCastOp, arith::ExtSIOp,
             arith::TruncIOp, arith::IndexCastUIOp, arith::ExtUIOp,
             arith::SIToFPOp, arith::UIToFPOp, arith::SelectOp,
             tensor::ExtractOp, tensor::DimOp, YieldOp>(op);
}

/// Refuses region ops outside the evaluable set, and integer divisions
/// whose result could be undefined (arith leaves x / 0 and INT_MIN / -1
/// undefined; compiled kernels would compute whatever the hardware does).
static LogicalResult checkRegionOp(AttentionOp attention, StringRef name,
                                   Operation &op) {
  if (!isEvaluableRegionOp(op))
    return attention.emitOpError()
           << "'" << name << "' region uses '" << op.getName()
           << "', which the float64 reference cannot evaluate (allowed: "
              "scalar arith and math ops on integers, index and floats, "
              "select, tensor.extract and tensor.dim of data operands)";
  if (!isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp>(
          op))
    return success();
  bool isSigned = isa<arith::DivSIOp, arith::RemSIOp>(op);
  APInt divisor;
  if (!matchPattern(op.getOperand(1), m_ConstantInt(&divisor)))
    return attention.emitOpError()
           << "'" << name << "' region: the divisor of '" << op.getName()
           << "' must be a constant (division by zero"
           << (isSigned ? " and INT_MIN / -1 are" : " is")
           << " undefined, so only constant divisors are accepted)";
  if (divisor.isZero())
    return attention.emitOpError() << "'" << name << "' region: '"
                                   << op.getName() << "' divides by zero";
  if (isSigned && divisor.isAllOnes())
    return attention.emitOpError()
           << "'" << name << "' region: '" << op.getName()
           << "' by -1 overflows for the most negative value; use "
              "arith.subi from 0 instead";
  return success();
}

/// Checks a custom region's block signature and its yield.
static LogicalResult verifyCustomRegion(AttentionOp op, Region &region,
                                        StringRef name,
                                        ArrayRef<Type> expectedArgs,
                                        Type expectedYield,
                                        StringRef signature) {
  if (region.empty())
    return success();
  Block &block = region.front();
  if (block.getArgumentTypes() != TypeRange(expectedArgs))
    return op.emitOpError()
           << "'" << name << "' region must take " << signature << ", got ("
           << block.getArgumentTypes() << ")";
  auto yield = dyn_cast_if_present<YieldOp>(block.empty() ? nullptr
                                                          : &block.back());
  if (!yield)
    return op.emitOpError() << "'" << name
                            << "' region must end with attn.yield";
  if (yield.getValues().size() != 1 ||
      yield.getValues().front().getType() != expectedYield)
    return op.emitOpError() << "'" << name << "' region must yield one "
                            << expectedYield << ", got ("
                            << yield.getValues().getTypes() << ")";

  // The region is an element rule, evaluated per element, hoisted or skipped
  // at will: it must not have side effects.
  for (Operation &nested : block)
    if (!isMemoryEffectFree(&nested))
      return op.emitOpError() << "'" << name
                              << "' region must be free of side effects, but '"
                              << nested.getName() << "' may have some";

  // Only ops that the float64 reference evaluates, so that every accepted
  // region can be checked, and none whose result is undefined behaviour.
  for (Operation &nested : block) {
    if (failed(checkRegionOp(op, name, nested)))
      return failure();
  }

  // Lowering rebuilds the region inside generated loops, where only its
  // arguments, the data operands and constants (which canonicalization
  // hoists out of regions) are available.
  WalkResult captures = region.walk([&](Operation *nested) {
    for (OpOperand &use : nested->getOpOperands()) {
      Value value = use.get();
      if (region.isAncestor(value.getParentRegion()) ||
          llvm::is_contained(op.getData(), value))
        continue;
      Operation *definition = value.getDefiningOp();
      if (definition && definition->hasTrait<OpTrait::ConstantLike>())
        continue;
      op.emitOpError() << "'" << name << "' region may read only its "
                       << "arguments, data operands and constants, but operand #"
                       << use.getOperandNumber() << " of '" << nested->getName()
                       << "' is defined outside the region";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(captures.wasInterrupted());
}

LogicalResult AttentionOp::verifyRegions() {
  Builder builder(getContext());
  Type index = builder.getIndexType();
  Type f32 = builder.getF32Type();
  if (failed(verifyCustomRegion(*this, getMaskRegion(), "mask",
                                {index, index, index, index},
                                builder.getI1Type(),
                                "(b, h, i, j : index)")))
    return failure();
  return verifyCustomRegion(*this, getScoreRegion(), "score",
                            {f32, index, index, index, index}, f32,
                            "(s : f32, b, h, i, j : index)");
}
