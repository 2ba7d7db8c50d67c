//===- MaskLowering.cpp - IR emission of mask and score-mod rules ---------===//
//
// buildKeep / buildApply of every attribute: the element rules of
// AttnAttrs.cpp (docs/systems.md), emitted as arith/math/memref/
// scf ops on index Values. Each emitter mirrors the C++ rule of the same
// attribute line for line, so that the two can be compared by reading; the
// host target's numerics tests check that they agree, and
// test/unit/MaskLoweringTest.cpp evaluates the IR of every mask kind at
// random sizes against `keeps` (element rules) and against visitSet and
// classifyTile of MaskTiling.cpp (the tile-level forms below).
//
// Integer arithmetic is signed: differences such as i - j are negative for
// keys after the query, and divisions only ever see non-negative operands.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/MaskLowering.h"
#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/MaskVisits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
using Pred = arith::CmpIPredicate;

/// Integer arithmetic and data-operand loads at one location. Rules compute
/// in `type`: index, or the narrower integer type that the element indices
/// of a caller come in (GPU kernels use i32); memrefs are indexed by index.
class RuleEmitter {
public:
  RuleEmitter(OpBuilder &builder, Location loc, Type type)
      : b(loc, builder), type(type) {}
  RuleEmitter(OpBuilder &builder, Location loc)
      : RuleEmitter(builder, loc, builder.getIndexType()) {}
  RuleEmitter(OpBuilder &builder, Location loc, const ElementIndices &at)
      : RuleEmitter(builder, loc, at.i.getType()) {}

  Value constant(int64_t value) {
    if (type.isIndex())
      return arith::ConstantIndexOp::create(b, value);
    return arith::ConstantIntOp::create(b, type, value);
  }
  Value boolean(bool value) {
    return arith::ConstantIntOp::create(b, b.getI1Type(), value);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value div(Value x, Value y) { return arith::DivSIOp::create(b, x, y); }
  Value rem(Value x, Value y) { return arith::RemSIOp::create(b, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
  Value cmp(Pred pred, Value x, Value y) {
    return arith::CmpIOp::create(b, pred, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
  Value either(Value x, Value y) { return arith::OrIOp::create(b, x, y); }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, condition, x, y);
  }
  Value dim(Value memref, int64_t index) {
    Value extent = memref::DimOp::create(b, memref, index);
    return type.isIndex() ? extent
                          : Value(arith::IndexCastOp::create(b, type, extent));
  }

  /// Element `indices` of an integer memref, in the rule's type
  /// (sign-extended or truncated).
  Value loadIndex(Value memref, ValueRange indices) {
    Value element = memref::LoadOp::create(b, memref, asIndices(indices));
    if (type.isIndex())
      return arith::IndexCastOp::create(b, type, element);
    unsigned width = element.getType().getIntOrFloatBitWidth();
    unsigned wanted = type.getIntOrFloatBitWidth();
    if (width < wanted)
      return arith::ExtSIOp::create(b, type, element);
    if (width > wanted)
      return arith::TruncIOp::create(b, type, element);
    return element;
  }

  /// Element `indices` of a float memref, converted to `type`.
  Value loadFloat(Value memref, ValueRange indices, FloatType type) {
    Value element = memref::LoadOp::create(b, memref, asIndices(indices));
    auto loaded = cast<FloatType>(element.getType());
    if (loaded.getWidth() < type.getWidth())
      return arith::ExtFOp::create(b, type, element);
    if (loaded.getWidth() > type.getWidth())
      return arith::TruncFOp::create(b, type, element);
    if (loaded != type) // bf16 <-> f16: through f32
      return arith::TruncFOp::create(
          b, type, arith::ExtFOp::create(b, b.getF32Type(), element));
    return element;
  }

  /// An integer converted to the float type `type` (exact below 2^24 for
  /// f32).
  Value toFloat(Value integer, FloatType type) {
    if (integer.getType().isIndex())
      integer = arith::IndexCastOp::create(b, b.getI64Type(), integer);
    return arith::SIToFPOp::create(b, type, integer);
  }

  /// `indices` as memref indices.
  SmallVector<Value> asIndices(ValueRange indices) {
    SmallVector<Value> converted;
    for (Value value : indices)
      converted.push_back(value.getType().isIndex()
                              ? value
                              : Value(arith::IndexCastOp::create(
                                    b, b.getIndexType(), value)));
    return converted;
  }
  Value floatConstant(double value, FloatType type) {
    APFloat converted(value);
    bool losesInfo = false;
    converted.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                      &losesInfo);
    return arith::ConstantFloatOp::create(b, type, converted);
  }

  ImplicitLocOpBuilder b;
  Type type;
};
} // namespace

Value ElementIndices::buildKVHead(OpBuilder &builder, Location loc) const {
  RuleEmitter e(builder, loc, *this);
  return e.div(h, e.div(queryHeads, kvHeads));
}

//===----------------------------------------------------------------------===//
// Causal, window, sinks
//===----------------------------------------------------------------------===//

Value CausalAttr::buildKeep(OpBuilder &builder, Location loc,
                            const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  return e.cmp(Pred::sle, at.j, at.i);
}

Value WindowAttr::buildKeep(OpBuilder &builder, Location loc,
                            const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value distanceBehind = e.sub(at.i, at.j);
  Value left = e.constant(getLeft());
  Value behind = e.cmp(Pred::slt, distanceBehind, left);
  Value distanceAhead = e.sub(at.j, at.i);
  Value right = e.constant(getRight());
  Value ahead = e.cmp(Pred::sle, distanceAhead, right);
  return e.both(behind, ahead);
}

Value SinksAttr::buildKeep(OpBuilder &builder, Location loc,
                           const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  return e.cmp(Pred::slt, at.j, e.constant(getCount()));
}

//===----------------------------------------------------------------------===//
// Prefix-LM and documents
//===----------------------------------------------------------------------===//

Value PrefixLMAttr::buildKeep(OpBuilder &builder, Location loc,
                              const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value prefix = e.loadIndex(at.data[getOperand()], {at.b});
  Value causal = e.cmp(Pred::sle, at.j, at.i);
  Value inPrefix = e.cmp(Pred::slt, at.j, prefix);
  return e.either(causal, inPrefix);
}

/// The document of token `x` under the offsets layout: the last d with
/// offsets[d] <= x, by binary search (as documentOfOffset in AttnAttrs.cpp).
static Value buildDocumentOfOffset(RuleEmitter &e, Value offsets, Value x) {
  Type type = e.type;
  Value first = e.constant(0);
  Value count = e.dim(offsets, 0);
  Value one = e.constant(1);
  Value last = e.sub(count, one);
  auto search = scf::WhileOp::create(
      e.b, TypeRange{type, type}, ValueRange{first, last},
      [&](OpBuilder &builder, Location loc, ValueRange bounds) {
        RuleEmitter inner(builder, loc, type);
        Value open = inner.cmp(Pred::slt, bounds[0], bounds[1]);
        scf::ConditionOp::create(builder, loc, open, bounds);
      },
      [&](OpBuilder &builder, Location loc, ValueRange bounds) {
        RuleEmitter inner(builder, loc, type);
        Value lo = bounds[0], hi = bounds[1];
        Value width = inner.sub(hi, lo);
        Value one = inner.constant(1);
        Value roundedUp = inner.add(width, one);
        Value two = inner.constant(2);
        Value mid = inner.add(lo, inner.div(roundedUp, two));
        Value start = inner.loadIndex(offsets, {mid});
        Value startsBefore = inner.cmp(Pred::sle, start, x);
        Value nextLo = inner.select(startsBefore, mid, lo);
        Value belowMid = inner.sub(mid, one);
        Value nextHi = inner.select(startsBefore, hi, belowMid);
        scf::YieldOp::create(builder, loc, ValueRange{nextLo, nextHi});
      });
  return search.getResult(0);
}

Value DocumentsAttr::buildKeep(OpBuilder &builder, Location loc,
                               const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value documents = at.data[getOperand()];
  Value sameDocument;
  if (getLayout() == DocumentLayout::Offsets) {
    Value queryDocument = buildDocumentOfOffset(e, documents, at.i);
    Value keyDocument = buildDocumentOfOffset(e, documents, at.j);
    sameDocument = e.cmp(Pred::eq, queryDocument, keyDocument);
  } else {
    Value queryDocument = e.loadIndex(documents, {at.b, at.i});
    Value keyDocument = e.loadIndex(documents, {at.b, at.j});
    sameDocument = e.cmp(Pred::eq, queryDocument, keyDocument);
  }
  if (!getCausal())
    return sameDocument;
  Value causal = e.cmp(Pred::sle, at.j, at.i);
  return e.both(causal, sameDocument);
}

//===----------------------------------------------------------------------===//
// S2-Attention, LongLoRA shifted groups, Star Attention
//===----------------------------------------------------------------------===//

Value S2Attr::buildKeep(OpBuilder &builder, Location loc,
                        const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value causal = e.cmp(Pred::sle, at.j, at.i);
  Value kvHead =
      getHomoHead() ? e.constant(0) : at.buildKVHead(e.b, e.b.getLoc());
  Value denseHeads = e.constant(getDenseHeads());
  Value firstDense = e.sub(at.kvHeads, denseHeads);
  Value dense = e.cmp(Pred::sge, kvHead, firstDense);
  Value block = e.constant(getBlock());
  Value blockI = e.div(at.i, block);
  Value blockJ = e.div(at.j, block);
  Value blocksBehind = e.sub(blockI, blockJ);
  Value localBlocks = e.constant(getLocal());
  Value local = e.cmp(Pred::slt, blocksBehind, localBlocks);
  Value stride = e.constant(getStride());
  Value one = e.constant(1);
  Value sigma = e.max(one, e.div(stride, at.queryHeads));
  // (blockJ + kvHead * sigma + offset) mod stride, reduced term by term:
  // every term is at most 2^30 (verifier), so no partial sum reaches 2^31
  // and the 32-bit rules of GPU kernels compute it exactly.
  Value headShift = e.rem(e.mul(kvHead, sigma), stride);
  Value blockPhase = e.rem(blockJ, stride);
  Value phase = e.rem(e.add(blockPhase, headShift), stride);
  phase = e.add(phase, e.constant(getOffset() % getStride()));
  Value phaseInStride = e.rem(phase, stride);
  Value zero = e.constant(0);
  Value strided = e.cmp(Pred::eq, phaseInStride, zero);
  Value localOrStrided = e.either(local, strided);
  Value kept = e.either(dense, localOrStrided);
  return e.both(causal, kept);
}

Value ShiftedGroupsAttr::buildKeep(OpBuilder &builder, Location loc,
                                   const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value causal = e.cmp(Pred::sle, at.j, at.i);
  Value two = e.constant(2);
  Value shiftedHeads = e.div(at.queryHeads, two);
  Value unshifted = e.cmp(Pred::slt, at.h, shiftedHeads);
  Value noShift = e.constant(0);
  Value halfGroup = e.constant(getGroup() / 2);
  Value shift = e.select(unshifted, noShift, halfGroup);
  Value group = e.constant(getGroup());
  Value queryGroup = e.div(e.add(at.i, shift), group);
  Value keyGroup = e.div(e.add(at.j, shift), group);
  Value sameGroup = e.cmp(Pred::eq, queryGroup, keyGroup);
  return e.both(causal, sameGroup);
}

Value StarAnchorAttr::buildKeep(OpBuilder &builder, Location loc,
                                const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value block = e.constant(getBlock());
  Value blockI = e.div(at.i, block);
  Value blockJ = e.div(at.j, block);
  Value sameBlock = e.cmp(Pred::eq, blockJ, blockI);
  Value causal = e.cmp(Pred::sle, at.j, at.i);
  Value local = e.both(sameBlock, causal);
  Value zero = e.constant(0);
  Value anchor = e.cmp(Pred::eq, blockJ, zero);
  return e.either(local, anchor);
}

//===----------------------------------------------------------------------===//
// Neighborhood attention
//===----------------------------------------------------------------------===//

/// The per-dimension rule of docs/systems.md, "Neighborhood attention"
/// (neighborhoodKeeps1D in AttnAttrs.cpp) for grid extent n, kernel k,
/// stride s, dilation d.
static Value buildNeighborhood1D(RuleEmitter &e, Value xq, Value xk, int64_t n,
                                 int64_t k, int64_t s, int64_t d,
                                 bool causal) {
  Value dilation = e.constant(d);
  Value phaseQ = e.rem(xq, dilation);
  Value phaseK = e.rem(xk, dilation);
  Value sameGroup = e.cmp(Pred::eq, phaseQ, phaseK);
  Value uq = e.div(xq, dilation);
  Value uk = e.div(xk, dilation);
  Value shortLength = e.constant(n / d);
  Value longPhases = e.constant(n % d);
  Value inLongGroup = e.cmp(Pred::slt, phaseQ, longPhases);
  Value one = e.constant(1);
  Value zero = e.constant(0);
  Value extra = e.select(inLongGroup, one, zero);
  Value groupLength = e.add(shortLength, extra);
  Value lastInGroup = e.sub(groupLength, one);
  Value stride = e.constant(s);
  Value strideStart = e.mul(e.div(uq, stride), stride);
  Value inWindow;
  if (causal) {
    Value lead = e.min(e.add(strideStart, e.constant(s - 1)), lastInGroup);
    Value notAhead = e.cmp(Pred::sle, uk, uq);
    Value behindLead = e.sub(lead, uk);
    Value kernel = e.constant(k);
    Value inKernel = e.cmp(Pred::slt, behindLead, kernel);
    inWindow = e.both(notAhead, inKernel);
  } else {
    int64_t left = k / 2, right = k / 2 + (k % 2) - 1;
    Value lead = e.min(e.add(strideStart, e.constant(s / 2)), lastInGroup);
    Value leftExtent = e.constant(left);
    Value rightExtent = e.constant(right);
    Value lowestCentre = e.max(lead, leftExtent);
    Value highestCentre = e.sub(lastInGroup, rightExtent);
    Value centre = e.min(lowestCentre, highestCentre);
    Value behind = e.sub(centre, uk);
    Value ahead = e.sub(uk, centre);
    Value isBehind = e.cmp(Pred::sge, behind, zero);
    Value nearBehind = e.cmp(Pred::sle, behind, leftExtent);
    Value keptBehind = e.both(isBehind, nearBehind);
    Value isAhead = e.cmp(Pred::sge, ahead, zero);
    Value nearAhead = e.cmp(Pred::sle, ahead, rightExtent);
    Value keptAhead = e.both(isAhead, nearAhead);
    inWindow = e.either(keptBehind, keptAhead);
  }
  return e.both(sameGroup, inWindow);
}

Value NeighborhoodAttr::buildKeep(OpBuilder &builder, Location loc,
                                  const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  ArrayRef<int64_t> grid = getGrid();
  Value restQ = at.i, restK = at.j;
  Value keep = e.boolean(true);
  for (int dim = static_cast<int>(grid.size()) - 1; dim >= 0; --dim) {
    Value extent = e.constant(grid[dim]);
    Value xq = e.rem(restQ, extent), xk = e.rem(restK, extent);
    restQ = e.div(restQ, extent);
    restK = e.div(restK, extent);
    keep = e.both(keep, buildNeighborhood1D(e, xq, xk, grid[dim],
                                            getKernel()[dim], getStrideAt(dim),
                                            getDilationAt(dim),
                                            getCausalAt(dim)));
  }
  return keep;
}

//===----------------------------------------------------------------------===//
// Block lists and block masks
//===----------------------------------------------------------------------===//

Value BlockListAttr::buildKeep(OpBuilder &builder, Location loc,
                               const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value list = at.data[getOperand()];
  Value queryBlock = e.div(at.i, e.constant(getBlockQ()));
  Value keyBlock = e.div(at.j, e.constant(getBlockKv()));
  Value firstSlot = e.constant(0);
  Value slots = e.dim(list, 3);
  Value one = e.constant(1);
  Value notFound = e.boolean(false);
  auto scan = scf::ForOp::create(
      e.b, firstSlot, slots, one, ValueRange{notFound},
      [&](OpBuilder &builder, Location loc, Value slot, ValueRange found) {
        RuleEmitter inner(builder, loc, e.type);
        Value listed = inner.loadIndex(list, {at.b, at.h, queryBlock, slot});
        Value match = inner.cmp(Pred::eq, listed, keyBlock);
        scf::YieldOp::create(builder, loc,
                             ValueRange{inner.either(found[0], match)});
      });
  return scan.getResult(0);
}

Value BlockMaskAttr::buildKeep(OpBuilder &builder, Location loc,
                               const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value queryBlock = e.div(at.i, e.constant(getBlockQ()));
  Value keyBlock = e.div(at.j, e.constant(getBlockKv()));
  Value entry =
      e.loadIndex(at.data[getOperand()], {at.b, at.h, queryBlock, keyBlock});
  Value zero = e.constant(0);
  return e.cmp(Pred::ne, entry, zero);
}

//===----------------------------------------------------------------------===//
// Combinators
//===----------------------------------------------------------------------===//

Value AndAttr::buildKeep(OpBuilder &builder, Location loc,
                         const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value keep;
  for (MaskAttrInterface mask : getMasks()) {
    Value operand = mask.buildKeep(e.b, loc, at);
    keep = keep ? e.both(keep, operand) : operand;
  }
  return keep;
}

Value OrAttr::buildKeep(OpBuilder &builder, Location loc,
                        const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value keep;
  for (MaskAttrInterface mask : getMasks()) {
    Value operand = mask.buildKeep(e.b, loc, at);
    keep = keep ? e.either(keep, operand) : operand;
  }
  return keep;
}

//===----------------------------------------------------------------------===//
// Score modifications
//===----------------------------------------------------------------------===//

Value SoftcapAttr::buildApply(OpBuilder &builder, Location loc, Value score,
                              const ElementIndices &) const {
  RuleEmitter e(builder, loc);
  auto type = cast<FloatType>(score.getType());
  Value cap = e.floatConstant(getCap().convertToDouble(), type);
  Value squashed =
      math::TanhOp::create(e.b, arith::DivFOp::create(e.b, score, cap));
  return arith::MulFOp::create(e.b, cap, squashed);
}

Value AlibiAttr::buildApply(OpBuilder &builder, Location loc, Value score,
                            const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  auto type = cast<FloatType>(score.getType());
  // slope_h = 2^(-max_bias * (h + 1) / Hq)
  Value headRank = e.toFloat(e.add(at.h, e.constant(1)), type);
  Value negativeMaxBias =
      e.floatConstant(-getMaxBias().convertToDouble(), type);
  Value scaledRank = arith::MulFOp::create(e.b, negativeMaxBias, headRank);
  Value queryHeads = e.toFloat(at.queryHeads, type);
  Value exponent = arith::DivFOp::create(e.b, scaledRank, queryHeads);
  Value slope = math::Exp2Op::create(e.b, exponent);
  Value distance = e.toFloat(e.sub(at.i, at.j), type);
  Value penalty = arith::MulFOp::create(e.b, slope, distance);
  return arith::SubFOp::create(e.b, score, penalty);
}

Value BiasAttr::buildApply(OpBuilder &builder, Location loc, Value score,
                           const ElementIndices &at) const {
  RuleEmitter e(builder, loc, at);
  Value bias = at.data[getOperand()];
  // Size-1 batch and head dimensions broadcast.
  Value one = e.constant(1);
  Value zero = e.constant(0);
  Value batchExtent = e.dim(bias, 0);
  Value b = e.select(e.cmp(Pred::eq, batchExtent, one), zero, at.b);
  Value headExtent = e.dim(bias, 1);
  Value h = e.select(e.cmp(Pred::eq, headExtent, one), zero, at.h);
  Value added =
      e.loadFloat(bias, {b, h, at.i, at.j}, cast<FloatType>(score.getType()));
  return arith::AddFOp::create(e.b, score, added);
}

//===----------------------------------------------------------------------===//
// Tile-level emission: key-tile ranges and tile classes
//===----------------------------------------------------------------------===//
//
// Most kinds keep, in row i, the keys of an interval [lo(i), hi(i)] whose
// bounds never decrease with i (a monotone band). Then the rows of a query
// tile keep keys in [lo(first row), hi(last row)], and a tile is full iff
// its last row's lo and first row's hi enclose its keys. Kinds that keep a
// superset band answer ranges from it and never claim a full tile.

Value TileIndices::buildKVHead(OpBuilder &builder, Location loc) const {
  RuleEmitter e(builder, loc);
  return e.div(h, e.div(queryHeads, kvHeads));
}

ElementIndices TileIndices::elementAt(Value i, Value j) const {
  ElementIndices at;
  at.b = b;
  at.h = h;
  at.i = i;
  at.j = j;
  at.batch = batch;
  at.queryHeads = queryHeads;
  at.kvHeads = kvHeads;
  at.seqQ = seqQ;
  at.seqKV = seqKV;
  at.data = data;
  return at;
}

namespace {
/// Inclusive key bounds of one query row.
struct Band {
  Value lo, hi;
};

class TileEmitter : public RuleEmitter {
public:
  TileEmitter(OpBuilder &builder, Location loc, const TileIndices &tile)
      : RuleEmitter(builder, loc), tile(tile) {}

  Value lastRow() {
    Value one = constant(1);
    return sub(tile.rowEnd, one);
  }
  Value lastCol() {
    Value one = constant(1);
    return sub(tile.colEnd, one);
  }
  Value numKeyTiles() {
    Value blockKV = constant(tile.blockKV);
    return arith::CeilDivSIOp::create(b, tile.seqKV, blockKV);
  }

  /// The key tiles holding keys [first, last] (inclusive, clipped to the
  /// sequence); an empty range when first > last.
  KeyTileRange tilesOfKeys(Value first, Value last) {
    Value zero = constant(0);
    first = max(first, zero);
    Value one = constant(1);
    Value lastKey = sub(tile.seqKV, one);
    last = min(last, lastKey);
    Value blockKV = constant(tile.blockKV);
    Value begin = div(first, blockKV);
    Value nonEmpty = cmp(Pred::sle, first, last);
    Value lastTile = div(last, blockKV);
    Value pastLastTile = add(lastTile, one);
    Value end = select(nonEmpty, pastLastTile, begin);
    return {begin, end, 1};
  }

  /// The key tiles a monotone band visits from this tile's rows.
  KeyTileRange tilesOfBand(function_ref<Band(Value)> band) {
    Value first = band(tile.rowBegin).lo;
    Value last = band(lastRow()).hi;
    return tilesOfKeys(first, last);
  }

  /// Whether an exact monotone band keeps every element of the tile.
  Value bandIsFull(function_ref<Band(Value)> band) {
    Value lastRowLo = band(lastRow()).lo;
    Value behind = cmp(Pred::sle, lastRowLo, tile.colBegin);
    Value firstRowHi = band(tile.rowBegin).hi;
    Value ahead = cmp(Pred::sge, firstRowHi, lastCol());
    return both(behind, ahead);
  }

  KeyTileRange allKeyTiles() {
    Value zero = constant(0);
    return {zero, numKeyTiles(), 1};
  }

  /// `range` restricted to tiles in [lo, hi), keeping its progression.
  KeyTileRange clip(const KeyTileRange &range, Value lo, Value hi) {
    Value step = constant(range.step);
    Value before = sub(lo, range.begin);
    Value zero = constant(0);
    Value skip = max(before, zero);
    Value begin = add(range.begin,
                      mul(arith::CeilDivSIOp::create(b, skip, step), step));
    return {begin, min(range.end, hi), range.step};
  }

  const TileIndices &tile;
};
} // namespace

/// The smallest contiguous range of tiles holding every range of `ranges`.
static KeyTileRange hullOf(TileEmitter &e, ArrayRef<KeyTileRange> ranges) {
  Value begin = ranges.front().begin, end = ranges.front().end;
  for (const KeyTileRange &range : ranges.drop_front()) {
    begin = e.min(begin, range.begin);
    end = e.max(end, range.end);
  }
  return {begin, end, 1};
}

/// The key tiles [lo, hi) inside the hulls of the visit ranges of every
/// operand of an `and` but `skipped` (the one listing or scanning its own).
static std::pair<Value, Value> hullOfOthers(TileEmitter &e,
                                            ArrayRef<MaskAttrInterface> operands,
                                            size_t skipped,
                                            const TileIndices &tile) {
  Value lo = e.constant(0), hi = e.numKeyTiles();
  for (auto [index, operand] : llvm::enumerate(operands)) {
    if (index == skipped)
      continue;
    SmallVector<KeyTileRange> ranges;
    operand.buildKeyTileRanges(e.b, e.b.getLoc(), tile, ranges);
    KeyTileRange hull = hullOf(e, ranges);
    lo = e.max(lo, hull.begin);
    hi = e.min(hi, hull.end);
  }
  return {lo, hi};
}

// Causal, window and sinks are exact affine bands.

static Band causalBand(RuleEmitter &e, Value i) { return {e.constant(0), i}; }

void CausalAttr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                    const TileIndices &tile,
                                    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  ranges.push_back(e.tilesOfBand([&](Value i) { return causalBand(e, i); }));
}
Value CausalAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                   const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value CausalAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                  const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  return e.bandIsFull([&](Value i) { return causalBand(e, i); });
}

static Band windowBand(RuleEmitter &e, WindowAttr window, Value i) {
  return {e.add(i, e.constant(1 - window.getLeft())),
          e.add(i, e.constant(window.getRight()))};
}

void WindowAttr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                    const TileIndices &tile,
                                    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  ranges.push_back(
      e.tilesOfBand([&](Value i) { return windowBand(e, *this, i); }));
}
Value WindowAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                   const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value WindowAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                  const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  return e.bandIsFull([&](Value i) { return windowBand(e, *this, i); });
}

static Band sinksBand(RuleEmitter &e, SinksAttr sinks) {
  return {e.constant(0), e.constant(sinks.getCount() - 1)};
}

void SinksAttr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                   const TileIndices &tile,
                                   SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  ranges.push_back(e.tilesOfBand([&](Value) { return sinksBand(e, *this); }));
}
Value SinksAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                  const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value SinksAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                 const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  return e.bandIsFull([&](Value) { return sinksBand(e, *this); });
}

// Prefix-LM: j <= i or j < prefix[b] is the band [0, max(i, prefix[b] - 1)].

static Band prefixBand(RuleEmitter &e, Value prefix, Value i) {
  return {e.constant(0), e.max(i, e.sub(prefix, e.constant(1)))};
}

void PrefixLMAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  Value prefix = e.loadIndex(tile.data[getOperand()], {tile.b});
  ranges.push_back(e.tilesOfBand(
      [&](Value i) { return prefixBand(e, prefix, i); }));
}
Value PrefixLMAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                     const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value PrefixLMAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                    const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  Value prefix = e.loadIndex(tile.data[getOperand()], {tile.b});
  return e.bandIsFull([&](Value i) { return prefixBand(e, prefix, i); });
}

// Documents. With offsets, row i keeps the keys of its document (up to i
// when causal), an exact band because offsets never decrease. Ids may come
// in any order, so only the causal bound is known.

/// The band of row i under the offsets layout; `count` > 0 entries.
static Band documentBand(RuleEmitter &e, DocumentsAttr documents,
                         Value offsets, Value count, Value seqKV, Value i) {
  Value document = buildDocumentOfOffset(e, offsets, i);
  Value lastDocument = e.sub(count, e.constant(1));
  Value zero = e.constant(0);
  // Positions before offsets[0] belong to document 0, positions from the
  // last offset on to the last document.
  Value isFirst = e.cmp(Pred::eq, document, zero);
  Value documentOffset = e.loadIndex(offsets, {document});
  Value start = e.select(isFirst, zero, documentOffset);
  Value one = e.constant(1);
  Value next = e.min(e.add(document, one), lastDocument);
  Value isLast = e.cmp(Pred::eq, document, lastDocument);
  Value lastKey = e.sub(seqKV, one);
  Value nextOffset = e.loadIndex(offsets, {next});
  Value beforeNext = e.sub(nextOffset, one);
  Value end = e.select(isLast, lastKey, beforeNext);
  return {start, documents.getCausal() ? e.min(end, i) : end};
}

/// Emits `withBand` under a guard that the offsets operand is not empty
/// (an empty one makes a single document, where only causality matters);
/// both yield `types`.
static ValueRange guardOffsets(RuleEmitter &e, Value offsets, TypeRange types,
                               function_ref<SmallVector<Value>()> withBand,
                               function_ref<SmallVector<Value>()> without) {
  Value count = e.dim(offsets, 0);
  auto branch = scf::IfOp::create(
      e.b, types, e.cmp(Pred::sgt, count, e.constant(0)), /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(&branch.getThenRegion().front());
    scf::YieldOp::create(e.b, withBand());
    e.b.setInsertionPointToStart(&branch.getElseRegion().front());
    scf::YieldOp::create(e.b, without());
  }
  return branch.getResults();
}

void DocumentsAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  if (getLayout() == DocumentLayout::Ids) {
    ranges.push_back(getCausal() ? e.tilesOfBand([&](Value i) {
      return causalBand(e, i);
    })
                                 : e.allKeyTiles());
    return;
  }
  Value offsets = tile.data[getOperand()];
  Type index = e.b.getIndexType();
  ValueRange bounds = guardOffsets(
      e, offsets, {index, index},
      [&]() -> SmallVector<Value> {
        Value count = e.dim(offsets, 0);
        KeyTileRange range = e.tilesOfBand([&](Value i) {
          return documentBand(e, *this, offsets, count, tile.seqKV, i);
        });
        return {range.begin, range.end};
      },
      [&]() -> SmallVector<Value> {
        KeyTileRange range =
            getCausal()
                ? e.tilesOfBand([&](Value i) { return causalBand(e, i); })
                : e.allKeyTiles();
        return {range.begin, range.end};
      });
  ranges.push_back({bounds[0], bounds[1], 1});
}
Value DocumentsAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                      const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value DocumentsAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                     const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  if (getLayout() == DocumentLayout::Ids)
    return e.boolean(false);
  Value offsets = tile.data[getOperand()];
  ValueRange full = guardOffsets(
      e, offsets, {e.b.getI1Type()},
      [&]() -> SmallVector<Value> {
        Value count = e.dim(offsets, 0);
        return {e.bandIsFull([&](Value i) {
          return documentBand(e, *this, offsets, count, tile.seqKV, i);
        })};
      },
      [&]() -> SmallVector<Value> {
        return {getCausal()
                    ? e.bandIsFull([&](Value i) { return causalBand(e, i); })
                    : e.boolean(true)};
      });
  return full[0];
}

// S2-Attention: the local blocks of row i form the band
// [(blk(i) - local + 1) * block, i]; below it, row i keeps the strided
// blocks bj = r (mod stride) of its head; dense heads keep [0, i].

namespace {
struct S2Parts {
  Value dense;  // the head is dense
  Value phase;  // r: strided blocks are r, r + stride, ...
};
} // namespace

static S2Parts s2Parts(TileEmitter &e, S2Attr s2) {
  const TileIndices &tile = e.tile;
  Value kvHead = s2.getHomoHead() ? e.constant(0)
                                  : tile.buildKVHead(e.b, e.b.getLoc());
  Value denseHeads = e.constant(s2.getDenseHeads());
  Value firstDense = e.sub(tile.kvHeads, denseHeads);
  Value dense = e.cmp(Pred::sge, kvHead, firstDense);
  Value stride = e.constant(s2.getStride());
  Value one = e.constant(1);
  Value sigma = e.max(one, e.div(stride, tile.queryHeads));
  Value headShift = e.rem(e.mul(kvHead, sigma), stride);
  Value offset = e.constant(s2.getOffset() % s2.getStride());
  Value shift = e.rem(e.add(headShift, offset), stride);
  Value phase = e.rem(e.sub(stride, shift), stride);
  return {dense, phase};
}

static Band s2LocalBand(RuleEmitter &e, S2Attr s2, Value dense, Value i) {
  Value block = e.constant(s2.getBlock());
  Value blockOfRow = e.div(i, block);
  Value localBlocks = e.constant(s2.getLocal());
  Value beforeFirstLocal = e.sub(blockOfRow, localBlocks);
  Value one = e.constant(1);
  Value firstLocal = e.add(beforeFirstLocal, one);
  Value localStart = e.mul(firstLocal, block);
  Value zero = e.constant(0);
  Value clippedStart = e.max(localStart, zero);
  return {e.select(dense, zero, clippedStart), i};
}

void S2Attr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                const TileIndices &tile,
                                SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  S2Parts parts = s2Parts(e, *this);
  Band first = s2LocalBand(e, *this, parts.dense, tile.rowBegin);
  KeyTileRange local = e.tilesOfBand(
      [&](Value i) { return s2LocalBand(e, *this, parts.dense, i); });
  // Strided blocks lie below the first row's local band (none for dense
  // heads, whose band starts at 0).
  int64_t block = getBlock(), blockKV = tile.blockKV;
  // One progression per key tile of a block: past kMaxS2Progressions tiles
  // per block, the hull below keeps code size and compile time independent
  // of the block size (its tiles are classified at run time, as when tiles
  // straddle blocks).
  constexpr int64_t kMaxS2Progressions = 8;
  if (block % blockKV != 0 || block / blockKV > kMaxS2Progressions) {
    // Tiles straddle blocks: one range up to the end of the local tiles or
    // of the keys below the band, whichever is later.
    Value keysBelowBand = e.min(first.lo, tile.seqKV);
    Value tileKeys = e.constant(blockKV);
    Value belowBand =
        arith::CeilDivSIOp::create(e.b, keysBelowBand, tileKeys);
    Value zero = e.constant(0);
    ranges.push_back({zero, e.max(local.end, belowBand), 1});
    return;
  }
  // A block spans q whole key tiles, and the band starts on a block
  // boundary: tile bj * q + t (t < q) of block bj below it belongs to q
  // progressions of step stride * q, all before the local tiles.
  ranges.push_back(local);
  int64_t q = block / blockKV;
  for (int64_t t = 0; t < q; ++t) {
    Value firstTile = e.mul(parts.phase, e.constant(q));
    Value tileInBlock = e.constant(t);
    ranges.push_back(
        {e.add(firstTile, tileInBlock), local.begin, getStride() * q});
  }
}
Value S2Attr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                               const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value S2Attr::buildTileIsFull(OpBuilder &builder, Location loc,
                              const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  S2Parts parts = s2Parts(e, *this);
  Value causal = e.cmp(Pred::sle, e.lastCol(), tile.rowBegin);
  Value local = e.cmp(
      Pred::sle, s2LocalBand(e, *this, parts.dense, e.lastRow()).lo,
      tile.colBegin);
  Value block = e.constant(getBlock());
  Value firstBlock = e.div(tile.colBegin, block);
  Value lastBlock = e.div(e.lastCol(), block);
  Value oneBlock = e.cmp(Pred::eq, firstBlock, lastBlock);
  Value stride = e.constant(getStride());
  Value onPhase = e.cmp(Pred::eq, e.rem(firstBlock, stride), parts.phase);
  return e.both(causal, e.either(local, e.both(oneBlock, onPhase)));
}

// LongLoRA shifted groups: the band [group start of i, i].

static Band shiftedGroupBand(TileEmitter &e, ShiftedGroupsAttr groups,
                             Value i) {
  const TileIndices &tile = e.tile;
  Value two = e.constant(2);
  Value shiftedHeads = e.div(tile.queryHeads, two);
  Value unshifted = e.cmp(Pred::slt, tile.h, shiftedHeads);
  Value zero = e.constant(0);
  Value halfGroup = e.constant(groups.getGroup() / 2);
  Value shift = e.select(unshifted, zero, halfGroup);
  Value group = e.constant(groups.getGroup());
  Value start = e.sub(e.mul(e.div(e.add(i, shift), group), group), shift);
  return {e.max(start, zero), i};
}

void ShiftedGroupsAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  ranges.push_back(
      e.tilesOfBand([&](Value i) { return shiftedGroupBand(e, *this, i); }));
}
Value ShiftedGroupsAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                          const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value ShiftedGroupsAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                         const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  return e.bandIsFull([&](Value i) { return shiftedGroupBand(e, *this, i); });
}

// Star Attention: the anchor block [0, block) for every row, plus the band
// [blk(i) * block, i].

static Band starLocalBand(RuleEmitter &e, StarAnchorAttr star, Value i) {
  Value block = e.constant(star.getBlock());
  return {e.mul(e.div(i, block), block), i};
}

void StarAnchorAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  Value zero = e.constant(0);
  Value lastAnchorKey = e.constant(getBlock() - 1);
  KeyTileRange anchor = e.tilesOfKeys(zero, lastAnchorKey);
  KeyTileRange local =
      e.tilesOfBand([&](Value i) { return starLocalBand(e, *this, i); });
  ranges.push_back(anchor);
  Value begin = e.max(local.begin, anchor.end);
  ranges.push_back({begin, e.max(local.end, begin), 1});
}
Value StarAnchorAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                       const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value StarAnchorAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                      const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  Value lastCol = e.lastCol();
  Value block = e.constant(getBlock());
  Value anchor = e.cmp(Pred::slt, lastCol, block);
  return e.either(anchor, e.bandIsFull([&](Value i) {
    return starLocalBand(e, *this, i);
  }));
}

// Neighborhoods: along the outermost grid dimension each query's window is
// an interval that moves monotonically, and every token of that slab of
// the grid is a candidate key. With dilation d the window lives in the
// query's dilation group (positions u * d + x mod d), whose length n' is
// n / d or one more; the centre grows with n', so the shorter group bounds
// the window from below and the longer from above. Exact for 1-D grids
// without dilation.

/// Bounds [lo, hi] on the grid coordinates of the keys of coordinate x
/// along a dimension of extent n (docs/systems.md, "Neighborhood
/// attention").
static Band neighborhoodWindow(RuleEmitter &e, Value x, int64_t n, int64_t k,
                               int64_t s, int64_t d, bool causal) {
  Value u = e.div(x, e.constant(d));
  Value stride = e.constant(s);
  Value strideStart = e.mul(e.div(u, stride), stride);
  int64_t shortGroup = n / d, longGroup = (n + d - 1) / d;
  Value lo, hi;
  if (causal) {
    Value strideEnd = e.add(strideStart, e.constant(s - 1));
    Value lastInGroup = e.constant(shortGroup - 1);
    Value lead = e.min(strideEnd, lastInGroup);
    lo = e.sub(lead, e.constant(k - 1));
    hi = u;
  } else {
    int64_t left = k / 2, right = k / 2 + (k % 2) - 1;
    auto centre = [&](int64_t groupLength) {
      Value strideMiddle = e.add(strideStart, e.constant(s / 2));
      Value lastInGroup = e.constant(groupLength - 1);
      Value lead = e.min(strideMiddle, lastInGroup);
      Value lowest = e.max(lead, e.constant(left));
      Value highest = e.constant(groupLength - 1 - right);
      return e.min(lowest, highest);
    };
    Value lowCentre = centre(shortGroup);
    lo = e.sub(lowCentre, e.constant(left));
    Value highCentre = centre(longGroup);
    hi = e.add(highCentre, e.constant(right));
  }
  Value dilation = e.constant(d);
  Value first = e.mul(lo, dilation);
  Value lastGroupStart = e.mul(hi, dilation);
  Value last = e.add(lastGroupStart, e.constant(d - 1));
  return {first, last};
}

/// The flat key band of query i from the outermost dimension.
static Band neighborhoodBand(RuleEmitter &e, NeighborhoodAttr attr, Value i) {
  ArrayRef<int64_t> grid = attr.getGrid();
  int64_t inner = 1;
  for (int64_t extent : grid.drop_front())
    inner *= extent;
  Value slab = e.constant(inner);
  Band window = neighborhoodWindow(
      e, e.div(i, slab), grid[0], attr.getKernel()[0], attr.getStrideAt(0),
      attr.getDilationAt(0), attr.getCausalAt(0));
  Value first = e.mul(window.lo, slab);
  Value one = e.constant(1);
  Value pastLast = e.mul(e.add(window.hi, one), slab);
  return {first, e.sub(pastLast, one)};
}

void NeighborhoodAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  ranges.push_back(
      e.tilesOfBand([&](Value i) { return neighborhoodBand(e, *this, i); }));
}
Value NeighborhoodAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                         const TileIndices &) const {
  return RuleEmitter(builder, loc).boolean(false);
}
Value NeighborhoodAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                        const TileIndices &tile) const {
  TileEmitter e(builder, loc, tile);
  if (getGrid().size() != 1 || getDilationAt(0) != 1)
    return e.boolean(false);
  return e.bandIsFull([&](Value i) { return neighborhoodBand(e, *this, i); });
}

// Block lists and block masks: every key tile is a candidate; the data
// decides per tile whether it is empty or full.

namespace {
/// The data blocks [first, last] covering a tile along one axis.
struct BlockSpan {
  Value first, last;
};
} // namespace

static BlockSpan blocksOf(RuleEmitter &e, Value begin, Value end,
                          int64_t block) {
  Value size = e.constant(block);
  return {e.div(begin, size), e.div(e.sub(end, e.constant(1)), size)};
}

/// Whether every data block the tile covers (q x k, q a query block, k a
/// key block) satisfies `keeps` (`every`), or whether any does.
static Value foldTileBlocks(
    RuleEmitter &e, const TileIndices &tile, int64_t blockQ, int64_t blockKv,
    bool every, function_ref<Value(RuleEmitter &, Value, Value)> keeps) {
  BlockSpan rows = blocksOf(e, tile.rowBegin, tile.rowEnd, blockQ);
  BlockSpan cols = blocksOf(e, tile.colBegin, tile.colEnd, blockKv);
  Value one = e.constant(1);
  Value rowsEnd = e.add(rows.last, one);
  Value initial = e.boolean(every);
  auto outer = scf::ForOp::create(
      e.b, rows.first, rowsEnd, one, ValueRange{initial},
      [&](OpBuilder &builder, Location loc, Value q, ValueRange found) {
        RuleEmitter outerEmitter(builder, loc);
        auto inner = scf::ForOp::create(
            builder, loc, cols.first, outerEmitter.add(cols.last, one), one,
            found,
            [&](OpBuilder &builder, Location loc, Value k, ValueRange acc) {
              RuleEmitter innerEmitter(builder, loc);
              Value value = keeps(innerEmitter, q, k);
              Value next = every ? innerEmitter.both(acc[0], value)
                                 : innerEmitter.either(acc[0], value);
              scf::YieldOp::create(builder, loc, next);
            });
        scf::YieldOp::create(builder, loc, inner.getResults());
      });
  return outer.getResult(0);
}

/// A tile of a block-granular data mask is empty when none of its blocks
/// is kept and full when all are.
static Value tileHasNoKeptBlock(
    OpBuilder &builder, Location loc, const TileIndices &tile, int64_t blockQ,
    int64_t blockKv, function_ref<Value(RuleEmitter &, Value, Value)> keeps) {
  RuleEmitter e(builder, loc);
  Value anyKept =
      foldTileBlocks(e, tile, blockQ, blockKv, /*every=*/false, keeps);
  return e.cmp(Pred::eq, anyKept, e.boolean(false));
}
static Value tileKeepsEveryBlock(
    OpBuilder &builder, Location loc, const TileIndices &tile, int64_t blockQ,
    int64_t blockKv, function_ref<Value(RuleEmitter &, Value, Value)> keeps) {
  RuleEmitter e(builder, loc);
  return foldTileBlocks(e, tile, blockQ, blockKv, /*every=*/true, keeps);
}

void BlockMaskAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  ranges.push_back(TileEmitter(builder, loc, tile).allKeyTiles());
}

/// Whether entry (q, k) of the block mask keeps its block.
static Value blockMaskEntry(RuleEmitter &e, BlockMaskAttr attr,
                            const TileIndices &tile, Value q, Value k) {
  Value entry =
      e.loadIndex(tile.data[attr.getOperand()], {tile.b, tile.h, q, k});
  return e.cmp(Pred::ne, entry, e.constant(0));
}

Value BlockMaskAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                      const TileIndices &tile) const {
  return tileHasNoKeptBlock(builder, loc, tile, getBlockQ(), getBlockKv(),
                            [&](RuleEmitter &e, Value q, Value k) {
                              return blockMaskEntry(e, *this, tile, q, k);
                            });
}
Value BlockMaskAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                     const TileIndices &tile) const {
  return tileKeepsEveryBlock(builder, loc, tile, getBlockQ(), getBlockKv(),
                             [&](RuleEmitter &e, Value q, Value k) {
                               return blockMaskEntry(e, *this, tile, q, k);
                             });
}

void BlockListAttr::buildKeyTileRanges(
    OpBuilder &builder, Location loc, const TileIndices &tile,
    SmallVectorImpl<KeyTileRange> &ranges) const {
  ranges.push_back(TileEmitter(builder, loc, tile).allKeyTiles());
}

/// Whether query block q lists key block k.
static Value blockListed(RuleEmitter &e, BlockListAttr attr,
                         const TileIndices &tile, Value q, Value k) {
  Value list = tile.data[attr.getOperand()];
  Value one = e.constant(1);
  Value firstSlot = e.constant(0);
  Value slots = e.dim(list, 3);
  Value notFound = e.boolean(false);
  auto scan = scf::ForOp::create(
      e.b, firstSlot, slots, one, ValueRange{notFound},
      [&](OpBuilder &builder, Location loc, Value slot, ValueRange found) {
        RuleEmitter inner(builder, loc);
        Value listed = inner.loadIndex(list, {tile.b, tile.h, q, slot});
        scf::YieldOp::create(
            builder, loc,
            ValueRange{inner.either(found[0],
                                    inner.cmp(Pred::eq, listed, k))});
      });
  return scan.getResult(0);
}

Value BlockListAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                      const TileIndices &tile) const {
  return tileHasNoKeptBlock(builder, loc, tile, getBlockQ(), getBlockKv(),
                            [&](RuleEmitter &e, Value q, Value k) {
                              return blockListed(e, *this, tile, q, k);
                            });
}
Value BlockListAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                                     const TileIndices &tile) const {
  return tileKeepsEveryBlock(builder, loc, tile, getBlockQ(), getBlockKv(),
                             [&](RuleEmitter &e, Value q, Value k) {
                               return blockListed(e, *this, tile, q, k);
                             });
}

// Combinators. `and` visits the ranges of its operand with the most ranges,
// clipped to the hulls of the others; `or` visits the disjoint union of its
// operands' contiguous ranges (or their hull when a range is strided or the
// pieces would multiply).

static constexpr size_t kMaxUnionPieces = 8;

void AndAttr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                 const TileIndices &tile,
                                 SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  SmallVector<SmallVector<KeyTileRange>> operands;
  for (MaskAttrInterface mask : getMasks())
    mask.buildKeyTileRanges(e.b, loc, tile, operands.emplace_back());
  size_t richest = 0;
  for (auto [index, operand] : llvm::enumerate(operands))
    if (operand.size() > operands[richest].size())
      richest = index;
  Value lo = e.constant(0), hi = e.numKeyTiles();
  for (auto [index, operand] : llvm::enumerate(operands)) {
    if (index == richest)
      continue;
    KeyTileRange hull = hullOf(e, operand);
    lo = e.max(lo, hull.begin);
    hi = e.min(hi, hull.end);
  }
  for (const KeyTileRange &range : operands[richest])
    ranges.push_back(e.clip(range, lo, hi));
}
Value AndAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                                const TileIndices &tile) const {
  RuleEmitter e(builder, loc);
  Value empty = e.boolean(false);
  for (MaskAttrInterface mask : getMasks())
    empty = e.either(empty, mask.buildTileIsEmpty(e.b, loc, tile));
  return empty;
}
Value AndAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                               const TileIndices &tile) const {
  RuleEmitter e(builder, loc);
  Value full = e.boolean(true);
  for (MaskAttrInterface mask : getMasks())
    full = e.both(full, mask.buildTileIsFull(e.b, loc, tile));
  return full;
}

void OrAttr::buildKeyTileRanges(OpBuilder &builder, Location loc,
                                const TileIndices &tile,
                                SmallVectorImpl<KeyTileRange> &ranges) const {
  TileEmitter e(builder, loc, tile);
  SmallVector<KeyTileRange> all;
  for (MaskAttrInterface mask : getMasks())
    mask.buildKeyTileRanges(e.b, loc, tile, all);
  // An empty range must have end == begin, or the differences below would
  // overlap.
  for (KeyTileRange &range : all)
    range.end = e.max(range.end, range.begin);
  // Each range minus the ones before it: [b0, b1) minus [a0, a1) leaves
  // [b0, min(b1, a0)) and [max(b0, a1), b1).
  SmallVector<KeyTileRange> pieces;
  bool contiguous =
      llvm::all_of(all, [](const KeyTileRange &r) { return r.step == 1; });
  for (const KeyTileRange &range : all) {
    if (!contiguous)
      break;
    SmallVector<KeyTileRange> remaining = {range};
    for (const KeyTileRange &earlier : ArrayRef(all).take_front(&range - all.data())) {
      SmallVector<KeyTileRange> next;
      for (const KeyTileRange &piece : remaining) {
        next.push_back({piece.begin, e.min(piece.end, earlier.begin), 1});
        next.push_back({e.max(piece.begin, earlier.end), piece.end, 1});
      }
      remaining = std::move(next);
    }
    llvm::append_range(pieces, remaining);
    contiguous = pieces.size() <= kMaxUnionPieces;
  }
  if (!contiguous) {
    ranges.push_back(hullOf(e, all));
    return;
  }
  llvm::append_range(ranges, pieces);
}
Value OrAttr::buildTileIsEmpty(OpBuilder &builder, Location loc,
                               const TileIndices &tile) const {
  RuleEmitter e(builder, loc);
  Value empty = e.boolean(true);
  for (MaskAttrInterface mask : getMasks())
    empty = e.both(empty, mask.buildTileIsEmpty(e.b, loc, tile));
  return empty;
}
Value OrAttr::buildTileIsFull(OpBuilder &builder, Location loc,
                              const TileIndices &tile) const {
  RuleEmitter e(builder, loc);
  Value full = e.boolean(false);
  for (MaskAttrInterface mask : getMasks())
    full = e.either(full, mask.buildTileIsFull(e.b, loc, tile));
  return full;
}

//===----------------------------------------------------------------------===//
// Row bands (MaskVisits.h)
//===----------------------------------------------------------------------===//

/// The bands of `masks` (`build`) folded by `combine`: std::nullopt where an
/// operand has none, unless `skipMissing` (then where none has one).
static std::optional<KeyBand>
foldBands(ArrayRef<MaskAttrInterface> masks, bool skipMissing,
          function_ref<std::optional<KeyBand>(MaskAttrInterface)> build,
          function_ref<KeyBand(KeyBand, KeyBand)> combine) {
  std::optional<KeyBand> folded;
  for (MaskAttrInterface mask : masks) {
    std::optional<KeyBand> next = build(mask);
    if (!next) {
      if (skipMissing)
        continue;
      return std::nullopt;
    }
    folded = folded ? combine(*folded, *next) : *next;
  }
  return folded;
}

static KeyBand intersect(RuleEmitter &e, KeyBand x, KeyBand y) {
  return {e.max(x.lo, y.lo), e.min(x.hi, y.hi)};
}

/// The bands of an `and`'s operands intersected (those without one
/// skipped) and of an `or`'s spanned (none when an operand has none): the
/// combinators of bounding bands.
static std::optional<KeyBand>
intersectBands(RuleEmitter &e, ArrayRef<MaskAttrInterface> masks,
               function_ref<std::optional<KeyBand>(MaskAttrInterface)> build) {
  return foldBands(masks, /*skipMissing=*/true, build,
                   [&](KeyBand x, KeyBand y) { return intersect(e, x, y); });
}
static std::optional<KeyBand>
spanBands(RuleEmitter &e, ArrayRef<MaskAttrInterface> masks,
          function_ref<std::optional<KeyBand>(MaskAttrInterface)> build) {
  return foldBands(masks, /*skipMissing=*/false, build,
                   [&](KeyBand x, KeyBand y) {
                     return KeyBand{e.min(x.lo, y.lo), e.max(x.hi, y.hi)};
                   });
}

std::optional<KeyBand> mlir::attn::buildKeyBand(MaskAttrInterface mask,
                                                OpBuilder &builder,
                                                Location loc,
                                                const ElementIndices &at) {
  RuleEmitter e(builder, loc, at);
  using Result = std::optional<KeyBand>;
  return TypeSwitch<Attribute, Result>(mask)
      .Case([&](CausalAttr) -> Result { return KeyBand{e.constant(0), at.i}; })
      .Case([&](WindowAttr window) -> Result {
        // i - j < left and j - i <= right.
        return KeyBand{e.add(at.i, e.constant(1 - window.getLeft())),
                       e.add(at.i, e.constant(window.getRight()))};
      })
      .Case([&](SinksAttr sinks) -> Result {
        return KeyBand{e.constant(0), e.constant(sinks.getCount() - 1)};
      })
      .Case([&](PrefixLMAttr prefixLM) -> Result {
        // j <= i or j < prefix[b]; prefixes below 1 add nothing to j <= i
        // (and the smallest one minus 1 would wrap).
        Value prefix = e.loadIndex(at.data[prefixLM.getOperand()], {at.b});
        Value first = e.constant(0);
        Value one = e.constant(1);
        Value lastPrefixed = e.sub(e.max(prefix, one), one);
        return KeyBand{first, e.max(at.i, lastPrefixed)};
      })
      .Case([&](DocumentsAttr documents) -> Result {
        // Ids may come in any order: no band.
        if (documents.getLayout() == DocumentLayout::Ids)
          return std::nullopt;
        Value offsets = at.data[documents.getOperand()];
        ValueRange bounds = guardOffsets(
            e, offsets, {e.type, e.type},
            [&]() -> SmallVector<Value> {
              Band band = documentBand(e, documents, offsets,
                                       e.dim(offsets, 0), at.seqKV, at.i);
              return {band.lo, band.hi};
            },
            [&]() -> SmallVector<Value> {
              return {e.constant(0), documents.getCausal()
                                         ? at.i
                                         : e.sub(at.seqKV, e.constant(1))};
            });
        return KeyBand{bounds[0], bounds[1]};
      })
      .Case([&](ShiftedGroupsAttr groups) -> Result {
        // j <= i in i's (shifted) group.
        Value unshifted =
            e.cmp(Pred::slt, at.h, e.div(at.queryHeads, e.constant(2)));
        Value noShift = e.constant(0);
        Value halfGroup = e.constant(groups.getGroup() / 2);
        Value shift = e.select(unshifted, noShift, halfGroup);
        Value group = e.constant(groups.getGroup());
        Value start =
            e.sub(e.mul(e.div(e.add(at.i, shift), group), group), shift);
        return KeyBand{start, at.i};
      })
      .Case([&](NeighborhoodAttr hood) -> Result {
        // One interval per row on a 1-D grid without dilation only.
        if (hood.getGrid().size() != 1 || hood.getDilationAt(0) != 1)
          return std::nullopt;
        Band band = neighborhoodBand(e, hood, at.i);
        return KeyBand{band.lo, band.hi};
      })
      .Case([&](AndAttr all) -> Result {
        return foldBands(
            all.getMasks(), /*skipMissing=*/false,
            [&](MaskAttrInterface operand) {
              return buildKeyBand(operand, e.b, loc, at);
            },
            [&](KeyBand x, KeyBand y) { return intersect(e, x, y); });
      })
      // S2 and Star Attention keep blocks apart from the local band,
      // neighborhoods of more dimensions (or dilated) a product of windows,
      // block masks and lists data, `or` a union with gaps.
      .Default([](Attribute) -> Result { return std::nullopt; });
}

std::optional<KeyBand> mlir::attn::buildKeyHull(MaskAttrInterface mask,
                                                OpBuilder &builder,
                                                Location loc,
                                                const ElementIndices &at) {
  RuleEmitter e(builder, loc, at);
  using Result = std::optional<KeyBand>;
  auto causal = [&]() -> Result { return KeyBand{e.constant(0), at.i}; };
  auto hullOf = [&](MaskAttrInterface operand) {
    return buildKeyHull(operand, e.b, loc, at);
  };
  return TypeSwitch<Attribute, Result>(mask)
      .Case([&](S2Attr) { return causal(); })
      .Case([&](StarAnchorAttr star) -> Result {
        Value lastAnchor = e.constant(star.getBlock() - 1);
        return KeyBand{e.constant(0), e.max(at.i, lastAnchor)};
      })
      .Case([&](DocumentsAttr documents) -> Result {
        if (documents.getLayout() == DocumentLayout::Ids)
          return documents.getCausal() ? causal() : std::nullopt;
        return buildKeyBand(mask, builder, loc, at);
      })
      .Case([&](NeighborhoodAttr hood) -> Result {
        // The slab of the grid's outermost dimension that the row's window
        // spans along it (neighborhoodBand).
        Band band = neighborhoodBand(e, hood, at.i);
        return KeyBand{band.lo, band.hi};
      })
      .Case([&](AndAttr all) {
        return intersectBands(e, all.getMasks(), hullOf);
      })
      .Case([&](OrAttr any) { return spanBands(e, any.getMasks(), hullOf); })
      .Default([&](Attribute) { return buildKeyBand(mask, builder, loc, at); });
}

/// The first tile t in [0, count) at which `holds(t)` (an i1) is true, or
/// count; `holds` must be false below some tile and true from it on.
static Value firstTileWhere(
    RuleEmitter &e, Value count,
    function_ref<Value(OpBuilder &, Location, Value)> holds) {
  Value zero = e.constant(0);
  auto search = scf::WhileOp::create(
      e.b, TypeRange{e.type, e.type}, ValueRange{zero, count},
      [&](OpBuilder &builder, Location loc, ValueRange bounds) {
        RuleEmitter inner(builder, loc, e.type);
        Value open = inner.cmp(Pred::slt, bounds[0], bounds[1]);
        scf::ConditionOp::create(builder, loc, open, bounds);
      },
      [&](OpBuilder &builder, Location loc, ValueRange bounds) {
        RuleEmitter inner(builder, loc, e.type);
        Value lo = bounds[0], hi = bounds[1];
        Value half = inner.div(inner.sub(hi, lo), inner.constant(2));
        Value mid = inner.add(lo, half);
        Value found = holds(builder, loc, mid);
        Value afterMid = inner.add(mid, inner.constant(1));
        scf::YieldOp::create(builder, loc,
                             ValueRange{inner.select(found, lo, afterMid),
                                        inner.select(found, mid, hi)});
      });
  return search.getResult(0);
}

/// The query rows [lo, hi] (inclusive; possibly empty or past the queries)
/// holding every row that keeps a key of [tile.colBegin, tile.colEnd), in
/// closed form where the mask has one: from the first key on for causal
/// masks; S2 up to `local` blocks past the last key's block unless a key
/// block of the tile is strided (or the head dense); Star Attention up to
/// the end of the last key's block, or every row where the tile holds
/// anchor keys; sinks every row or none; a
/// window its band shifted; an `and` intersects the operands that have
/// one (`complete` turns false when one has not), an `or` spans them when
/// each has one.
static std::optional<KeyBand> buildQueryBand(MaskAttrInterface mask,
                                             RuleEmitter &e,
                                             const TileIndices &tile,
                                             bool &complete) {
  using Result = std::optional<KeyBand>;
  Value one = e.constant(1);
  Value firstKey = tile.colBegin;
  Value lastKey = e.sub(tile.colEnd, one);
  Value lastRow = e.sub(tile.seqQ, one);
  auto bandOf = [&](MaskAttrInterface operand) {
    std::optional<KeyBand> band = buildQueryBand(operand, e, tile, complete);
    complete = complete && band;
    return band;
  };
  return TypeSwitch<Attribute, Result>(mask)
      .Case([&](CausalAttr) -> Result { return KeyBand{firstKey, lastRow}; })
      .Case([&](WindowAttr window) -> Result {
        // i - j < left and j - i <= right.
        return KeyBand{e.sub(firstKey, e.constant(window.getRight())),
                       e.add(lastKey, e.constant(window.getLeft() - 1))};
      })
      .Case([&](S2Attr s2) -> Result {
        ElementIndices at = tile.elementAt(firstKey, Value());
        Value kvHead = s2.getHomoHead() ? e.constant(0)
                                        : at.buildKVHead(e.b, e.b.getLoc());
        Value firstDense =
            e.sub(tile.kvHeads, e.constant(s2.getDenseHeads()));
        Value dense = e.cmp(Pred::sge, kvHead, firstDense);
        Value block = e.constant(s2.getBlock());
        Value firstBlock = e.div(firstKey, block);
        Value lastBlock = e.div(lastKey, block);
        // The first block's phase as S2Attr::buildKeep computes it; the
        // tile's next blocks have the next phases (mod stride), so one is
        // strided iff the first phase is 0 or the phases wrap.
        Value stride = e.constant(s2.getStride());
        Value sigma = e.max(one, e.div(stride, tile.queryHeads));
        Value headShift = e.rem(e.mul(kvHead, sigma), stride);
        Value phase = e.rem(e.add(e.rem(firstBlock, stride), headShift), stride);
        phase = e.rem(e.add(phase, e.constant(s2.getOffset() % s2.getStride())),
                      stride);
        Value lastPhase = e.add(phase, e.sub(lastBlock, firstBlock));
        Value strided = e.either(e.cmp(Pred::eq, phase, e.constant(0)),
                                 e.cmp(Pred::sge, lastPhase, stride));
        // Otherwise rows of blocks below lastBlock + local keep the tile's
        // keys: the last is that block's last row (clipped to the rows).
        Value lastRowBlock = e.div(lastRow, block);
        Value reach = e.min(e.constant(s2.getLocal() - 1),
                            e.sub(lastRowBlock, lastBlock));
        Value lastLocalBlock = e.add(lastBlock, reach);
        Value lastLocalRow =
            e.add(e.mul(lastLocalBlock, block), e.constant(s2.getBlock() - 1));
        Value hi = e.select(e.either(dense, strided), lastRow, lastLocalRow);
        return KeyBand{firstKey, hi};
      })
      .Case([&](SinksAttr sinks) -> Result {
        // Sink keys are kept by every row; a tile without one by none (an
        // empty band, [Sq, -1], which an `or` spans past).
        Value holdsSinks =
            e.cmp(Pred::slt, firstKey, e.constant(sinks.getCount()));
        return KeyBand{e.select(holdsSinks, e.constant(0), tile.seqQ),
                       e.select(holdsSinks, lastRow, e.constant(-1))};
      })
      .Case([&](StarAnchorAttr star) -> Result {
        // Anchor keys (block 0) are kept by every row; others by the rows
        // of their block from the key on.
        Value block = e.constant(star.getBlock());
        Value anchors = e.cmp(Pred::slt, firstKey, block);
        Value blockEnd = e.add(e.mul(e.div(lastKey, block), block),
                               e.constant(star.getBlock() - 1));
        return KeyBand{e.select(anchors, e.constant(0), firstKey),
                       e.select(anchors, lastRow, blockEnd)};
      })
      .Case([&](AndAttr all) {
        return intersectBands(e, all.getMasks(), bandOf);
      })
      .Case([&](OrAttr any) { return spanBands(e, any.getMasks(), bandOf); })
      .Default([](Attribute) -> Result { return std::nullopt; });
}

std::optional<KeyTileRange>
mlir::attn::buildQueryTileRange(MaskAttrInterface mask, OpBuilder &builder,
                                Location loc, const TileIndices &tile,
                                int64_t blockQ) {
  RuleEmitter e(builder, loc);
  Value block = e.constant(blockQ);
  Value count = arith::CeilDivSIOp::create(e.b, tile.seqQ, block);
  // A closed form of the rows: their tiles, met with the hulls' range
  // below where an operand of an `and` has no closed form.
  bool complete = true;
  std::optional<KeyTileRange> rowTiles;
  if (std::optional<KeyBand> rows = buildQueryBand(mask, e, tile, complete)) {
    Value lastRow = e.sub(tile.seqQ, e.constant(1));
    Value lo = e.max(rows->lo, e.constant(0));
    Value hi = e.min(rows->hi, lastRow);
    Value begin = e.min(e.div(lo, block), count);
    Value end = e.select(e.cmp(Pred::slt, hi, lo), begin,
                         e.add(e.div(hi, block), e.constant(1)));
    rowTiles = KeyTileRange{begin, end, 1};
    if (complete)
      return rowTiles;
  }
  // Bisections over the rows' hulls. The hull of row i (a placeholder
  // where the mask has none, and the search is dropped).
  bool banded = true;
  auto bandAt = [&](OpBuilder &at, Location atLoc, Value i) {
    std::optional<KeyBand> band =
        buildKeyHull(mask, at, atLoc, tile.elementAt(i, Value()));
    banded = banded && band;
    return band ? *band : KeyBand{i, i};
  };
  Value firstKey = tile.colBegin;
  Value lastKey = e.sub(tile.colEnd, e.constant(1));
  // The first tile whose last row keeps a key at or past the first key.
  Value begin = firstTileWhere(e, count, [&](OpBuilder &at, Location atLoc,
                                             Value t) {
    RuleEmitter inner(at, atLoc);
    Value end = inner.min(inner.mul(inner.add(t, inner.constant(1)), block),
                          tile.seqQ);
    Value last = inner.sub(end, inner.constant(1));
    return inner.cmp(Pred::sge, bandAt(at, atLoc, last).hi, firstKey);
  });
  if (!banded) {
    begin.getDefiningOp()->erase();
    return rowTiles;
  }
  // The first tile whose first row keeps nothing up to the last key.
  Value end = firstTileWhere(e, count, [&](OpBuilder &at, Location atLoc,
                                           Value t) {
    RuleEmitter inner(at, atLoc);
    Value first = inner.mul(t, block);
    return inner.cmp(Pred::sgt, bandAt(at, atLoc, first).lo, lastKey);
  });
  end = e.max(end, begin);
  if (!rowTiles)
    return KeyTileRange{begin, end, 1};
  Value first = e.max(begin, rowTiles->begin);
  return KeyTileRange{first, e.max(e.min(end, rowTiles->end), first), 1};
}

//===----------------------------------------------------------------------===//
// Listed key tiles (MaskVisits.h)
//===----------------------------------------------------------------------===//
//
// Visit v of a block list is (query block, slot, key tile of the listed
// block), a block's keys touching at most `span` consecutive key tiles. A
// visit is valid when its entry names a block of the sequence, its tile
// holds keys of that block, and no earlier visit chose the same tile (query
// blocks may list a block twice, and a key tile may hold several listed
// blocks): O(visits) per visit (O(entries) when blocks span whole key
// tiles), (rows / block_q + 1) * K * span visits per query tile, no scan of
// the key tiles. A listed tile is never empty: its
// query block has rows in the tile and the listed block keys there.

/// Key tiles of `blockKV` keys that `blockKv` consecutive keys starting at
/// a multiple of `blockKv` may touch.
static int64_t tilesPerBlock(int64_t blockKv, int64_t blockKV) {
  if (blockKv % blockKV == 0)
    return blockKv / blockKV;
  if (blockKV % blockKv == 0)
    return 1;
  return (blockKv - 1) / blockKV + 2;
}

/// Entry `entry` of `attr`'s lists for `tile`'s rows: slot entry mod K of
/// query block first + entry / K.
static Value listEntry(RuleEmitter &e, BlockListAttr attr,
                       const TileIndices &tile, Value entry) {
  Value list = tile.data[attr.getOperand()];
  Value slots = e.dim(list, 3);
  Value firstRowBlock = e.div(tile.rowBegin, e.constant(attr.getBlockQ()));
  Value queryBlock = e.add(firstRowBlock, e.div(entry, slots));
  return e.loadIndex(list, {tile.b, tile.h, queryBlock, e.rem(entry, slots)});
}

/// Visit `visit` of `attr`'s list for `tile`'s rows, repeats included;
/// `block` is set to the listed block.
static ListedKeyTile listedVisit(RuleEmitter &e, BlockListAttr attr,
                                 const TileIndices &tile, Value visit,
                                 Value *listedBlock = nullptr) {
  int64_t span = tilesPerBlock(attr.getBlockKv(), tile.blockKV);
  Value part = e.rem(visit, e.constant(span));
  Value block = listEntry(e, attr, tile, e.div(visit, e.constant(span)));
  if (listedBlock)
    *listedBlock = block;
  Value blockKv = e.constant(attr.getBlockKv());
  Value keyBlocks = arith::CeilDivSIOp::create(e.b, tile.seqKV, blockKv);
  Value zero = e.constant(0);
  Value notBefore = e.cmp(Pred::sge, block, zero);
  Value notAfter = e.cmp(Pred::slt, block, keyBlocks);
  Value inSequence = e.both(notBefore, notAfter);
  Value firstKey = e.mul(e.select(inSequence, block, zero), blockKv);
  Value end = e.min(e.add(firstKey, blockKv), tile.seqKV);
  Value lastKey = e.sub(end, e.constant(1));
  Value blockKV = e.constant(tile.blockKV);
  Value keyTile = e.add(e.div(firstKey, blockKV), part);
  Value lastTile = e.div(lastKey, blockKV);
  Value holdsBlock = e.cmp(Pred::sle, keyTile, lastTile);
  return {keyTile, e.both(inSequence, holdsBlock)};
}

static ListedKeyTiles listBlocks(RuleEmitter &e, BlockListAttr attr,
                                 const TileIndices &tile) {
  Value list = tile.data[attr.getOperand()];
  BlockSpan rows = blocksOf(e, tile.rowBegin, tile.rowEnd, attr.getBlockQ());
  ListedKeyTiles listed;
  Value rowSpan = e.sub(rows.last, rows.first);
  Value rowBlocks = e.add(rowSpan, e.constant(1));
  Value entries = e.mul(rowBlocks, e.dim(list, 3));
  listed.count =
      e.mul(entries, e.constant(tilesPerBlock(attr.getBlockKv(), tile.blockKV)));
  // Blocks of whole key tiles repeat a tile only when an earlier entry
  // lists the same block: one load per earlier entry. Otherwise earlier
  // visits are compared by tile.
  bool wholeTiles = attr.getBlockKv() % tile.blockKV == 0;
  int64_t span = tilesPerBlock(attr.getBlockKv(), tile.blockKV);
  listed.at = [attr, tile, wholeTiles, span](OpBuilder &builder, Location loc,
                                             Value visit) {
    RuleEmitter e(builder, loc);
    Value block;
    ListedKeyTile at = listedVisit(e, attr, tile, visit, &block);
    Value earlierCount = wholeTiles ? e.div(visit, e.constant(span)) : visit;
    Value firstEarlier = e.constant(0);
    Value step = e.constant(1);
    Value notFound = e.boolean(false);
    auto earlier = scf::ForOp::create(
        e.b, firstEarlier, earlierCount, step, ValueRange{notFound},
        [&](OpBuilder &builder, Location loc, Value before, ValueRange found) {
          RuleEmitter inner(builder, loc);
          Value same;
          if (wholeTiles) {
            same = inner.cmp(Pred::eq, listEntry(inner, attr, tile, before),
                             block);
          } else {
            ListedKeyTile other = listedVisit(inner, attr, tile, before);
            same = inner.both(other.valid,
                              inner.cmp(Pred::eq, other.tile, at.tile));
          }
          scf::YieldOp::create(builder, loc,
                               ValueRange{inner.either(found[0], same)});
        });
    Value repeated = earlier.getResult(0);
    return ListedKeyTile{at.tile,
                         e.both(at.valid, e.cmp(Pred::eq, repeated,
                                                e.boolean(false)))};
  };
  listed.isEmpty = [](OpBuilder &builder, Location loc, const TileIndices &) {
    return RuleEmitter(builder, loc).boolean(false);
  };
  // Every visit of rows in one query block comes from that block's list;
  // a listed block of whole key tiles then holds every key of the tile.
  // Other tiles scan the lists of their blocks.
  listed.isFull = [attr, wholeTiles](OpBuilder &builder, Location loc,
                                     const TileIndices &at) {
    RuleEmitter e(builder, loc);
    if (!wholeTiles)
      return attr.buildTileIsFull(e.b, loc, at);
    BlockSpan rows = blocksOf(e, at.rowBegin, at.rowEnd, attr.getBlockQ());
    Value oneBlock = e.cmp(Pred::eq, rows.first, rows.last);
    auto branch = scf::IfOp::create(e.b, e.b.getI1Type(), oneBlock,
                                    /*withElse=*/true);
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(&branch.getThenRegion().front());
    scf::YieldOp::create(e.b, loc, ValueRange{e.boolean(true)});
    e.b.setInsertionPointToStart(&branch.getElseRegion().front());
    Value scanned = attr.buildTileIsFull(e.b, loc, at);
    scf::YieldOp::create(e.b, loc, ValueRange{scanned});
    return branch.getResult(0);
  };
  return listed;
}

std::optional<ListedKeyTiles>
mlir::attn::buildListedKeyTiles(MaskAttrInterface mask, OpBuilder &builder,
                                Location loc, const TileIndices &tile) {
  TileEmitter e(builder, loc, tile);
  if (auto list = dyn_cast<BlockListAttr>(mask))
    return listBlocks(e, list, tile);
  auto all = dyn_cast<AndAttr>(mask);
  if (!all)
    return std::nullopt;
  // The first listed operand, clipped to the hulls of the others.
  ArrayRef<MaskAttrInterface> operands = all.getMasks();
  std::optional<ListedKeyTiles> listed;
  size_t listing = 0;
  for (; listing < operands.size() && !listed; ++listing)
    listed = buildListedKeyTiles(operands[listing], e.b, loc, tile);
  if (!listed)
    return std::nullopt;
  --listing;
  auto [lo, hi] = hullOfOthers(e, operands, listing, tile);
  ListedKeyTiles clipped;
  clipped.count = listed->count;
  clipped.at = [at = listed->at, lo, hi](OpBuilder &builder, Location loc,
                                         Value visit) {
    ListedKeyTile tile = at(builder, loc, visit);
    RuleEmitter e(builder, loc);
    Value notBelow = e.cmp(Pred::sge, tile.tile, lo);
    Value below = e.cmp(Pred::slt, tile.tile, hi);
    Value inside = e.both(notBelow, below);
    return ListedKeyTile{tile.tile, e.both(tile.valid, inside)};
  };
  clipped.isFull = [all, listing, isListedFull = listed->isFull](
                       OpBuilder &builder, Location loc,
                       const TileIndices &tile) {
    RuleEmitter e(builder, loc);
    Value full = isListedFull(e.b, loc, tile);
    for (auto [index, operand] : llvm::enumerate(all.getMasks()))
      if (index != listing)
        full = e.both(full, operand.buildTileIsFull(e.b, loc, tile));
    return full;
  };
  clipped.isEmpty = [all, listing, isListedEmpty = listed->isEmpty](
                        OpBuilder &builder, Location loc,
                        const TileIndices &tile) {
    RuleEmitter e(builder, loc);
    Value empty = isListedEmpty(e.b, loc, tile);
    for (auto [index, operand] : llvm::enumerate(all.getMasks()))
      if (index != listing)
        empty = e.either(empty, operand.buildTileIsEmpty(e.b, loc, tile));
    return empty;
  };
  return clipped;
}

//===----------------------------------------------------------------------===//
// Scanned key tiles (MaskVisits.h)
//===----------------------------------------------------------------------===//
//
// Documents given as ids [B, S] may be in any order, so which keys a query
// tile keeps is known only from the ids themselves. The work item reduces
// them once: its rows' smallest and largest id [qmin, qmax], then, over the
// keys it could keep (before its first row when causal, all otherwise), the
// first and last key whose id lies in [qmin, qmax] (its key range: no key
// outside holds an id of its rows) and, when the rows hold one id d, the
// nearest keys around the rows whose id is not d (the keys between hold d
// only: tiles there are full where causality allows). For sorted
// contiguous ids this is exactly the tiles of the documents the rows
// overlap, and exactly the full ones.

Value mlir::attn::reductionIdentity(OpBuilder &builder, Location loc,
                                    Type type, ReductionKind kind) {
  unsigned width = type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
  APInt value = kind == ReductionKind::Min ? APInt::getSignedMaxValue(width)
                                           : APInt::getSignedMinValue(width);
  return RuleEmitter(builder, loc, type).constant(value.getSExtValue());
}

SmallVector<Value> mlir::attn::reduceRangeInLoop(
    OpBuilder &builder, Location loc, Value begin, Value end, Type type,
    ArrayRef<ReductionKind> kinds, ReductionElements elements) {
  RuleEmitter e(builder, loc);
  SmallVector<Value> initial;
  for (ReductionKind kind : kinds)
    initial.push_back(reductionIdentity(e.b, loc, type, kind));
  Value one = e.constant(1);
  auto loop = scf::ForOp::create(
      e.b, begin, end, one, initial,
      [&](OpBuilder &inner, Location at, Value k, ValueRange partial) {
        RuleEmitter body(inner, at);
        SmallVector<Value> values = elements(inner, at, k);
        SmallVector<Value> combined;
        for (auto [kind, value, sofar] : llvm::zip_equal(kinds, values, partial))
          combined.push_back(kind == ReductionKind::Min ? body.min(sofar, value)
                                                        : body.max(sofar, value));
        scf::YieldOp::create(inner, at, combined);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The key tiles of rows whose ids lie in [lowest, highest] (values of
/// `type`), from the key summary the preparation kernel wrote: chunk c of
/// batch row b holds [min, max] of the ids of keys [c G, (c + 1) G). The
/// work item reduces the chunks it could keep (O(Skv / G) reads, shared by
/// its lanes): the first and last chunk whose [min, max] meets the rows'.
/// A chunk that does not meet it holds no id of the rows, so the range is
/// exact up to chunks (and exact for sorted ids, where a chunk meeting the
/// rows' interval holds one of their ids); a tile is full where every chunk
/// it touches holds the rows' one id only.
static ScannedKeyTiles summarizedDocumentIds(TileEmitter &e,
                                             const TileIndices &tile,
                                             Value keySummary, Type type,
                                             Value lowest, Value highest,
                                             bool causal,
                                             const RangeReduction &reduce) {
  Value chunk = e.constant(kKeySummaryChunk);
  auto chunkBounds = [keySummary, type, b = tile.b](OpBuilder &builder,
                                                    Location loc, Value c) {
    RuleEmitter inner(builder, loc, type);
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    Value lo = inner.loadIndex(keySummary, {b, c, zero});
    Value hi = inner.loadIndex(keySummary, {b, c, one});
    return std::pair{lo, hi};
  };
  // Causal rows keep no key past their last; their own keys match, so
  // chunks from the one holding the first row on need no reading.
  Value scannedKeys = causal ? tile.rowBegin : tile.seqKV;
  Value chunks = arith::CeilDivSIOp::create(e.b, scannedKeys, chunk);
  auto none = [&](OpBuilder &builder, Location loc, ReductionKind kind) {
    return reductionIdentity(builder, loc, type, kind);
  };
  SmallVector<Value> found = reduce(
      e.b, e.b.getLoc(), e.constant(0), chunks, type,
      {ReductionKind::Min, ReductionKind::Max},
      [&](OpBuilder &builder, Location loc, Value c) {
        RuleEmitter inner(builder, loc, type);
        auto [lo, hi] = chunkBounds(builder, loc, c);
        Value notBelow = inner.cmp(Pred::sge, hi, lowest);
        Value notAbove = inner.cmp(Pred::sle, lo, highest);
        Value meets = inner.both(notBelow, notAbove);
        Value position =
            type.isIndex() ? c
                           : arith::IndexCastOp::create(builder, loc, type, c);
        return SmallVector<Value>{
            inner.select(meets, position,
                         none(builder, loc, ReductionKind::Min)),
            inner.select(meets, position,
                         none(builder, loc, ReductionKind::Max))};
      });
  auto toIndex = [&](Value value) -> Value {
    if (type.isIndex())
      return value;
    return arith::IndexCastOp::create(e.b, e.b.getIndexType(), value);
  };
  // No chunk found: the identities give first > last, an empty range.
  Value first = e.mul(toIndex(found[0]), chunk);
  Value last;
  if (causal) {
    first = e.min(first, tile.rowBegin);
    last = e.lastRow();
  } else {
    Value lastChunk = toIndex(found[1]);
    Value pastLastChunk = e.add(lastChunk, e.constant(1));
    Value afterLast = e.mul(pastLastChunk, chunk);
    last = e.sub(afterLast, e.constant(1));
  }
  ScannedKeyTiles scannedTiles;
  scannedTiles.range = e.tilesOfKeys(first, last);
  Value oneId = e.cmp(Pred::eq, lowest, highest);
  scannedTiles.isFull = [oneId, lowest, causal, type, chunkBounds,
                         rowBegin = tile.rowBegin](OpBuilder &builder,
                                                   Location loc,
                                                   const TileIndices &at) {
    RuleEmitter e(builder, loc);
    Value chunk = e.constant(kKeySummaryChunk);
    Value lastKey = e.sub(at.colEnd, e.constant(1));
    Value firstChunk = e.div(at.colBegin, chunk);
    Value lastChunk = e.div(lastKey, chunk);
    Value pastLastChunk = e.add(lastChunk, e.constant(1));
    SmallVector<Value> bounds = reduceRangeInLoop(
        builder, loc, firstChunk, pastLastChunk, type,
        {ReductionKind::Min, ReductionKind::Max},
        [&](OpBuilder &inner, Location innerLoc, Value c) {
          auto [lo, hi] = chunkBounds(inner, innerLoc, c);
          return SmallVector<Value>{lo, hi};
        });
    RuleEmitter typed(builder, loc, type);
    Value lowIsRows = typed.cmp(Pred::eq, bounds[0], lowest);
    Value highIsRows = typed.cmp(Pred::eq, bounds[1], lowest);
    Value onlyRowsId = typed.both(lowIsRows, highIsRows);
    Value full = e.both(oneId, onlyRowsId);
    if (causal)
      full = e.both(full, e.cmp(Pred::sle, lastKey, rowBegin));
    return full;
  };
  return scannedTiles;
}

static ScannedKeyTiles scanDocumentIds(TileEmitter &e, DocumentsAttr documents,
                                       const TileIndices &tile,
                                       const RangeReduction &reduce,
                                       Value keySummary) {
  Value ids = tile.data[documents.getOperand()];
  // Ids of up to 32 bits reduce in i32 (positions are below 2^30), which
  // GPUs compute in half the instructions of 64-bit values.
  unsigned idBits =
      cast<MemRefType>(ids.getType()).getElementType().getIntOrFloatBitWidth();
  Type type = idBits <= 32 ? Type(e.b.getI32Type()) : e.b.getIndexType();
  auto inType = [&](OpBuilder &builder, Location loc, Value k) -> Value {
    if (type.isIndex())
      return k;
    return arith::IndexCastOp::create(builder, loc, type, k);
  };
  auto idAt = [&](OpBuilder &builder, Location loc, Value k) {
    RuleEmitter inner(builder, loc, type);
    return inner.loadIndex(ids, {tile.b, k});
  };
  auto toIndex = [&](Value value) -> Value {
    if (type.isIndex())
      return value;
    return arith::IndexCastOp::create(e.b, e.b.getIndexType(), value);
  };
  SmallVector<Value> rowIds =
      reduce(e.b, e.b.getLoc(), tile.rowBegin, tile.rowEnd, type,
             {ReductionKind::Min, ReductionKind::Max},
             [&](OpBuilder &builder, Location loc, Value k) {
               Value id = idAt(builder, loc, k);
               return SmallVector<Value>{id, id};
             });
  Value lowest = rowIds[0], highest = rowIds[1];
  bool causal = documents.getCausal();
  if (keySummary)
    return summarizedDocumentIds(e, tile, keySummary, type, lowest, highest,
                                 causal, reduce);
  // Per key k: whether its id may be a row's, and whether it differs from
  // the rows' one id (when they have one).
  auto classify = [&](OpBuilder &builder, Location loc, Value k) {
    RuleEmitter inner(builder, loc, type);
    Value id = idAt(builder, loc, k);
    Value matches = inner.both(inner.cmp(Pred::sge, id, lowest),
                               inner.cmp(Pred::sle, id, highest));
    Value other = inner.cmp(Pred::ne, id, lowest);
    return std::pair{matches, other};
  };
  auto none = [&](OpBuilder &builder, Location loc, ReductionKind kind) {
    return reductionIdentity(builder, loc, type, kind);
  };
  Value first, last, otherBefore, otherAfter;
  if (causal) {
    // Keys after the first row matter only up to the rows, whose own ids
    // match: the first match is at most rowBegin.
    SmallVector<Value> scanned = reduce(
        e.b, e.b.getLoc(), e.constant(0), tile.rowBegin, type,
        {ReductionKind::Min, ReductionKind::Max},
        [&](OpBuilder &builder, Location loc, Value k) {
          RuleEmitter inner(builder, loc, type);
          auto [matches, other] = classify(builder, loc, k);
          Value position = inType(builder, loc, k);
          return SmallVector<Value>{
              inner.select(matches, position,
                           none(builder, loc, ReductionKind::Min)),
              inner.select(other, position,
                           none(builder, loc, ReductionKind::Max))};
        });
    first = e.min(toIndex(scanned[0]), tile.rowBegin);
    last = e.lastRow();
    otherBefore = toIndex(scanned[1]);
    otherAfter = toIndex(none(e.b, e.b.getLoc(), ReductionKind::Min));
  } else {
    SmallVector<Value> scanned = reduce(
        e.b, e.b.getLoc(), e.constant(0), tile.seqKV, type,
        {ReductionKind::Min, ReductionKind::Max, ReductionKind::Max,
         ReductionKind::Min},
        [&](OpBuilder &builder, Location loc, Value k) {
          RuleEmitter inner(builder, loc, type);
          auto [matches, other] = classify(builder, loc, k);
          Value position = inType(builder, loc, k);
          Value noneAfter = none(builder, loc, ReductionKind::Min);
          Value noneBefore = none(builder, loc, ReductionKind::Max);
          RuleEmitter indices(builder, loc);
          Value before = indices.cmp(Pred::slt, k, tile.rowBegin);
          Value after = indices.cmp(Pred::sge, k, tile.rowBegin);
          return SmallVector<Value>{
              inner.select(matches, position, noneAfter),
              inner.select(matches, position, noneBefore),
              inner.select(inner.both(other, before), position, noneBefore),
              inner.select(inner.both(other, after), position, noneAfter)};
        });
    first = toIndex(scanned[0]);
    last = toIndex(scanned[1]);
    otherBefore = toIndex(scanned[2]);
    otherAfter = toIndex(scanned[3]);
  }
  ScannedKeyTiles scannedTiles;
  scannedTiles.range = e.tilesOfKeys(first, last);
  Value oneId = e.cmp(Pred::eq, lowest, highest);
  scannedTiles.isFull = [oneId, otherBefore, otherAfter, causal,
                         rowBegin = tile.rowBegin](OpBuilder &builder,
                                                   Location loc,
                                                   const TileIndices &at) {
    RuleEmitter e(builder, loc);
    Value lastKey = e.sub(at.colEnd, e.constant(1));
    Value afterOthers = e.cmp(Pred::sgt, at.colBegin, otherBefore);
    // Causal: every key at or before the first row (whose id is the rows'
    // one id); otherwise every key before the next other id.
    Value beforeOthers = causal ? e.cmp(Pred::sle, lastKey, rowBegin)
                                : e.cmp(Pred::slt, lastKey, otherAfter);
    return e.both(oneId, e.both(afterOthers, beforeOthers));
  };
  return scannedTiles;
}

std::optional<unsigned>
mlir::attn::scannedDataOperand(MaskAttrInterface mask) {
  if (auto documents = dyn_cast<DocumentsAttr>(mask))
    return documents.getLayout() == DocumentLayout::Ids
               ? std::optional<unsigned>(documents.getOperand())
               : std::nullopt;
  if (auto all = dyn_cast<AndAttr>(mask))
    for (MaskAttrInterface operand : all.getMasks())
      if (std::optional<unsigned> scanned = scannedDataOperand(operand))
        return scanned;
  return std::nullopt;
}

std::optional<ScannedKeyTiles>
mlir::attn::buildScannedKeyTiles(MaskAttrInterface mask, OpBuilder &builder,
                                 Location loc, const TileIndices &tile,
                                 const RangeReduction &reduce,
                                 Value keySummary) {
  TileEmitter e(builder, loc, tile);
  if (auto documents = dyn_cast<DocumentsAttr>(mask))
    return documents.getLayout() == DocumentLayout::Ids
               ? std::optional(
                     scanDocumentIds(e, documents, tile, reduce, keySummary))
               : std::nullopt;
  auto all = dyn_cast<AndAttr>(mask);
  if (!all)
    return std::nullopt;
  // The first scanned operand, clipped to the hulls of the others; full
  // where every operand is.
  ArrayRef<MaskAttrInterface> operands = all.getMasks();
  std::optional<ScannedKeyTiles> scanned;
  size_t scanning = 0;
  for (; scanning < operands.size() && !scanned; ++scanning)
    scanned = buildScannedKeyTiles(operands[scanning], e.b, loc, tile, reduce,
                                   keySummary);
  if (!scanned)
    return std::nullopt;
  --scanning;
  auto [lo, hi] = hullOfOthers(e, operands, scanning, tile);
  ScannedKeyTiles clipped;
  clipped.range = e.clip(scanned->range, lo, hi);
  clipped.isFull = [all, scanning, isScannedFull = scanned->isFull](
                       OpBuilder &builder, Location loc,
                       const TileIndices &at) {
    RuleEmitter e(builder, loc);
    Value full = isScannedFull(e.b, loc, at);
    for (auto [index, operand] : llvm::enumerate(all.getMasks()))
      if (index != scanning)
        full = e.both(full, operand.buildTileIsFull(e.b, loc, at));
    return full;
  };
  return clipped;
}
