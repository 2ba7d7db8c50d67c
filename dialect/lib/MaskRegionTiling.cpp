//===- MaskRegionTiling.cpp - Tile questions for an op's whole mask -------===//
//
// The custom mask region is evaluated by interval arithmetic: each integer
// value becomes the interval of values it takes when b, h, i and j range
// over a tile, and the yielded i1 becomes [1, 1] (every element kept),
// [0, 0] (none kept) or [0, 1] (unknown: partial). Intervals only ever
// widen, so the answers are sound; they are exact for comparisons of
// expressions in which each of i and j appears once (causal, windows,
// bands), and per element they are exact for every modelled op.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/MaskRegionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {
struct Interval {
  int64_t lo, hi;

  static Interval point(int64_t value) { return {value, value}; }
  static Interval all() {
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  }
  static Interval unknownBool() { return {0, 1}; }
  bool isNonNegative() const { return lo >= 0; }
};

/// Evaluates the ops of a mask region over intervals. Integer and index
/// arithmetic, comparisons, i1 logic, select and casts are modelled;
/// anything else (floats, data reads, nested regions) is not.
class IntervalEvaluator {
public:
  /// The interval of the yielded i1, or failure with `unsupported` set to
  /// the first op that is not modelled.
  FailureOr<Interval> run(Region &region, ArrayRef<Interval> arguments,
                          Operation *&unsupported);

private:
  FailureOr<Interval> lookup(Value value);
  FailureOr<Interval> evaluate(Operation *op);

  llvm::DenseMap<Value, Interval> values;
};
} // namespace

static bool isBool(Type type) { return type.isInteger(1); }

static bool isModelledInteger(Type type) {
  return type.isIndex() || type.isSignlessInteger();
}

static Interval fromConstant(const APInt &value) {
  return Interval::point(value.getBitWidth() == 1
                             ? static_cast<int64_t>(value.getZExtValue())
                             : value.getSExtValue());
}

/// [f(lhs corner, rhs corner)] over the four corners; unbounded when any
/// corner overflows.
template <typename Fn>
static Interval corners(Interval lhs, Interval rhs, Fn fn) {
  std::optional<int64_t> results[] = {fn(lhs.lo, rhs.lo), fn(lhs.lo, rhs.hi),
                                      fn(lhs.hi, rhs.lo), fn(lhs.hi, rhs.hi)};
  Interval hull{std::numeric_limits<int64_t>::max(),
                std::numeric_limits<int64_t>::min()};
  for (std::optional<int64_t> result : results) {
    if (!result)
      return Interval::all();
    hull.lo = std::min(hull.lo, *result);
    hull.hi = std::max(hull.hi, *result);
  }
  return hull;
}

/// A division or remainder by a positive constant is monotone in the
/// dividend; any other divisor leaves the result unbounded.
static std::optional<int64_t> positiveConstant(Interval divisor) {
  if (divisor.lo == divisor.hi && divisor.lo > 0)
    return divisor.lo;
  return std::nullopt;
}

static unsigned widthOf(Type type) {
  return type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
}

/// The unsigned reading of a single value of a `width`-bit type: the
/// interval holds signed readings, so a negative value wraps.
static std::optional<uint64_t> unsignedPoint(Interval value, unsigned width) {
  if (value.lo != value.hi)
    return std::nullopt;
  uint64_t bits = static_cast<uint64_t>(value.lo);
  return width >= 64 ? bits : bits & ((uint64_t(1) << width) - 1);
}

static Interval fromUnsigned(uint64_t value) {
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return Interval::all();
  return Interval::point(static_cast<int64_t>(value));
}

/// Results of `width`-bit arithmetic that may have wrapped are unbounded.
static Interval fitWidth(Interval value, unsigned width) {
  if (width >= 64)
    return value;
  int64_t limit = int64_t(1) << (width - 1);
  if (value.lo >= -limit && value.hi < limit)
    return value;
  return Interval::all();
}

static Interval compare(arith::CmpIPredicate predicate, Interval lhs,
                        Interval rhs, unsigned width) {
  using P = arith::CmpIPredicate;
  bool isUnsigned = predicate == P::ult || predicate == P::ule ||
                    predicate == P::ugt || predicate == P::uge;
  if (isUnsigned && !(lhs.isNonNegative() && rhs.isNonNegative())) {
    std::optional<uint64_t> a = unsignedPoint(lhs, width);
    std::optional<uint64_t> b = unsignedPoint(rhs, width);
    if (!a || !b)
      return Interval::unknownBool();
    bool result = predicate == P::ult   ? *a < *b
                  : predicate == P::ule ? *a <= *b
                  : predicate == P::ugt ? *a > *b
                                        : *a >= *b;
    return Interval::point(result);
  }
  auto decide = [](bool alwaysTrue, bool alwaysFalse) {
    if (alwaysTrue)
      return Interval::point(1);
    return alwaysFalse ? Interval::point(0) : Interval::unknownBool();
  };
  switch (predicate) {
  case P::eq:
    return decide(lhs.lo == lhs.hi && rhs.lo == rhs.hi && lhs.lo == rhs.lo,
                  lhs.hi < rhs.lo || rhs.hi < lhs.lo);
  case P::ne:
    return decide(lhs.hi < rhs.lo || rhs.hi < lhs.lo,
                  lhs.lo == lhs.hi && rhs.lo == rhs.hi && lhs.lo == rhs.lo);
  case P::slt:
  case P::ult:
    return decide(lhs.hi < rhs.lo, lhs.lo >= rhs.hi);
  case P::sle:
  case P::ule:
    return decide(lhs.hi <= rhs.lo, lhs.lo > rhs.hi);
  case P::sgt:
  case P::ugt:
    return decide(lhs.lo > rhs.hi, lhs.hi <= rhs.lo);
  case P::sge:
  case P::uge:
    return decide(lhs.lo >= rhs.hi, lhs.hi < rhs.lo);
  }
  return Interval::unknownBool();
}

/// A cast keeps the interval when every value fits the result type.
static Interval castInterval(Interval value, Type sourceType, Type resultType,
                             bool zeroExtend) {
  if (zeroExtend && !value.isNonNegative()) {
    std::optional<uint64_t> bits = unsignedPoint(value, widthOf(sourceType));
    return bits ? fitWidth(fromUnsigned(*bits), widthOf(resultType))
                : Interval::all();
  }
  // Booleans are held as 0/1 but sign-extend to -1/0.
  if (isBool(sourceType) && !zeroExtend)
    return {-value.hi, -value.lo};
  unsigned width = widthOf(resultType);
  if (width >= 64)
    return value;
  if (width == 1)
    return value.lo == value.hi ? Interval::point(value.lo & 1)
                                : Interval::unknownBool();
  int64_t limit = int64_t(1) << (width - 1);
  if (value.lo >= -limit && value.hi < limit)
    return value;
  return Interval::all();
}

FailureOr<Interval> IntervalEvaluator::lookup(Value value) {
  auto it = values.find(value);
  if (it != values.end())
    return it->second;
  // Constants defined above the region are read like those inside it.
  if (Operation *def = value.getDefiningOp())
    if (auto constant = dyn_cast<arith::ConstantOp>(def))
      if (auto integer = dyn_cast<IntegerAttr>(constant.getValue()))
        return fromConstant(integer.getValue());
  return failure();
}

FailureOr<Interval> IntervalEvaluator::evaluate(Operation *op) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0 ||
      !isModelledInteger(op->getResult(0).getType()))
    return failure();
  SmallVector<Interval, 3> operands;
  for (Value operand : op->getOperands()) {
    if (!isModelledInteger(operand.getType()))
      return failure();
    FailureOr<Interval> interval = lookup(operand);
    if (failed(interval))
      return failure();
    operands.push_back(*interval);
  }
  Type resultType = op->getResult(0).getType();
  bool boolResult = isBool(resultType);
  unsigned width = widthOf(resultType);
  auto monotoneDivide = [&](auto divide) -> Interval {
    std::optional<int64_t> divisor = positiveConstant(operands[1]);
    if (!divisor)
      return Interval::all();
    return {divide(operands[0].lo, *divisor), divide(operands[0].hi, *divisor)};
  };
  // Unsigned division of a negative (wrapped) value: exact for one value.
  auto wrappedDivide = [&](bool wantRemainder) -> Interval {
    std::optional<uint64_t> dividend = unsignedPoint(operands[0], width);
    std::optional<uint64_t> divisor = unsignedPoint(operands[1], width);
    if (!dividend || !divisor || *divisor == 0)
      return Interval::all();
    return fromUnsigned(wantRemainder ? *dividend % *divisor
                                      : *dividend / *divisor);
  };
  auto remainder = [&](bool isUnsigned) -> Interval {
    std::optional<int64_t> divisor = positiveConstant(operands[1]);
    Interval dividend = operands[0];
    if (isUnsigned && !dividend.isNonNegative())
      return wrappedDivide(/*wantRemainder=*/true);
    if (!divisor)
      return Interval::all();
    if (dividend.isNonNegative())
      return dividend.lo / *divisor == dividend.hi / *divisor
                 ? Interval{dividend.lo % *divisor, dividend.hi % *divisor}
                 : Interval{0, *divisor - 1};
    return {-(*divisor - 1), *divisor - 1};
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Interval>>(op)
      .Case([&](arith::ConstantOp constant) -> FailureOr<Interval> {
        auto integer = dyn_cast<IntegerAttr>(constant.getValue());
        if (!integer)
          return failure();
        return fromConstant(integer.getValue());
      })
      .Case([&](arith::AddIOp) -> FailureOr<Interval> {
        if (boolResult)
          return failure();
        return fitWidth(corners(operands[0], operands[1],
                                [](int64_t a, int64_t b) {
                                  return llvm::checkedAdd(a, b);
                                }),
                        width);
      })
      .Case([&](arith::SubIOp) -> FailureOr<Interval> {
        if (boolResult)
          return failure();
        return fitWidth(corners(operands[0], operands[1],
                                [](int64_t a, int64_t b) {
                                  return llvm::checkedSub(a, b);
                                }),
                        width);
      })
      .Case([&](arith::MulIOp) -> FailureOr<Interval> {
        if (boolResult)
          return failure();
        return fitWidth(corners(operands[0], operands[1],
                                [](int64_t a, int64_t b) {
                                  return llvm::checkedMul(a, b);
                                }),
                        width);
      })
      .Case([&](arith::DivSIOp) -> FailureOr<Interval> {
        return monotoneDivide([](int64_t a, int64_t b) { return a / b; });
      })
      .Case([&](arith::DivUIOp) -> FailureOr<Interval> {
        if (!operands[0].isNonNegative() || !operands[1].isNonNegative())
          return wrappedDivide(/*wantRemainder=*/false);
        return monotoneDivide([](int64_t a, int64_t b) { return a / b; });
      })
      .Case([&](arith::FloorDivSIOp) -> FailureOr<Interval> {
        return monotoneDivide([](int64_t a, int64_t b) {
          return llvm::divideFloorSigned(a, b);
        });
      })
      .Case([&](arith::CeilDivSIOp) -> FailureOr<Interval> {
        return monotoneDivide([](int64_t a, int64_t b) {
          return llvm::divideCeilSigned(a, b);
        });
      })
      .Case([&](arith::RemSIOp) -> FailureOr<Interval> {
        return remainder(/*isUnsigned=*/false);
      })
      .Case([&](arith::RemUIOp) -> FailureOr<Interval> {
        return remainder(/*isUnsigned=*/true);
      })
      .Case([&](arith::MinSIOp) -> FailureOr<Interval> {
        return Interval{std::min(operands[0].lo, operands[1].lo),
                        std::min(operands[0].hi, operands[1].hi)};
      })
      .Case([&](arith::MaxSIOp) -> FailureOr<Interval> {
        return Interval{std::max(operands[0].lo, operands[1].lo),
                        std::max(operands[0].hi, operands[1].hi)};
      })
      .Case([&](arith::MinUIOp) -> FailureOr<Interval> {
        if (!operands[0].isNonNegative() || !operands[1].isNonNegative())
          return Interval::all(); // a wrapped operand compares as huge
        return Interval{std::min(operands[0].lo, operands[1].lo),
                        std::min(operands[0].hi, operands[1].hi)};
      })
      .Case([&](arith::MaxUIOp) -> FailureOr<Interval> {
        if (!operands[0].isNonNegative() || !operands[1].isNonNegative())
          return Interval::all();
        return Interval{std::max(operands[0].lo, operands[1].lo),
                        std::max(operands[0].hi, operands[1].hi)};
      })
      .Case([&](arith::CmpIOp cmp) -> FailureOr<Interval> {
        // i1 operands compare as signed -1/0, which the 0/1 intervals of
        // booleans do not model.
        if (isBool(cmp.getLhs().getType()))
          return failure();
        return compare(cmp.getPredicate(), operands[0], operands[1],
                       widthOf(cmp.getLhs().getType()));
      })
      .Case([&](arith::AndIOp) -> FailureOr<Interval> {
        if (!boolResult)
          return failure();
        return Interval{operands[0].lo & operands[1].lo,
                        operands[0].hi & operands[1].hi};
      })
      .Case([&](arith::OrIOp) -> FailureOr<Interval> {
        if (!boolResult)
          return failure();
        return Interval{operands[0].lo | operands[1].lo,
                        operands[0].hi | operands[1].hi};
      })
      .Case([&](arith::XOrIOp) -> FailureOr<Interval> {
        if (!boolResult)
          return failure();
        if (operands[0].lo == operands[0].hi &&
            operands[1].lo == operands[1].hi)
          return Interval::point(operands[0].lo ^ operands[1].lo);
        return Interval::unknownBool();
      })
      .Case([&](arith::SelectOp) -> FailureOr<Interval> {
        Interval condition = operands[0];
        if (condition.lo == 1)
          return operands[1];
        if (condition.hi == 0)
          return operands[2];
        return Interval{std::min(operands[1].lo, operands[2].lo),
                        std::max(operands[1].hi, operands[2].hi)};
      })
      .Case<arith::ExtSIOp, arith::IndexCastOp, arith::TruncIOp>(
          [&](Operation *) -> FailureOr<Interval> {
            return castInterval(operands[0], op->getOperand(0).getType(),
                                resultType, /*zeroExtend=*/false);
          })
      .Case<arith::ExtUIOp, arith::IndexCastUIOp>(
          [&](Operation *) -> FailureOr<Interval> {
            return castInterval(operands[0], op->getOperand(0).getType(),
                                resultType, /*zeroExtend=*/true);
          })
      .Default([](Operation *) { return failure(); });
}

FailureOr<Interval> IntervalEvaluator::run(Region &region,
                                           ArrayRef<Interval> arguments,
                                           Operation *&unsupported) {
  values.clear();
  Block &block = region.front();
  for (auto [argument, interval] : llvm::zip(block.getArguments(), arguments))
    values[argument] = interval;
  for (Operation &op : block.without_terminator()) {
    FailureOr<Interval> result = evaluate(&op);
    if (failed(result)) {
      unsupported = &op;
      return failure();
    }
    values[op.getResult(0)] = *result;
  }
  Operation *terminator = block.getTerminator();
  FailureOr<Interval> yielded = lookup(terminator->getOperand(0));
  if (failed(yielded))
    unsupported = terminator;
  return yielded;
}

//===----------------------------------------------------------------------===//
// EffectiveMaskTiling
//===----------------------------------------------------------------------===//

EffectiveMaskTiling::EffectiveMaskTiling(AttentionOp op)
    : EffectiveMaskTiling(op.getMaskRule(), &op.getMaskRegion()) {}

EffectiveMaskTiling::EffectiveMaskTiling(MaskAttrInterface mask,
                                         Region *maskRegion)
    : mask(mask) {
  if (!maskRegion || maskRegion->empty())
    return;
  region = maskRegion;
  IntervalEvaluator evaluator;
  analyzable = succeeded(evaluator.run(*region, SmallVector<Interval>(4, Interval::all()),
                                       firstUnsupported));
}

TileClass EffectiveMaskTiling::classifyRegion(const TilingContext &ctx,
                                              int64_t b, int64_t h,
                                              const TileRange &tile) const {
  if (tile.area() == 0)
    return TileClass::Empty;
  if (!region)
    return TileClass::Full;
  // Positions of a permuted order are not intervals of tokens.
  if (!analyzable || ctx.order)
    return TileClass::Partial;
  IntervalEvaluator evaluator;
  Operation *unsupported = nullptr;
  FailureOr<Interval> kept = evaluator.run(
      *region,
      {Interval::point(b), Interval::point(h),
       Interval{tile.qBegin, tile.qEnd - 1},
       Interval{tile.kBegin, tile.kEnd - 1}},
      unsupported);
  if (failed(kept) || kept->lo != kept->hi)
    return TileClass::Partial;
  return kept->lo ? TileClass::Full : TileClass::Empty;
}

std::optional<bool>
EffectiveMaskTiling::regionKeeps(const MaskPoint &point) const {
  IntervalEvaluator evaluator;
  Operation *unsupported = nullptr;
  FailureOr<Interval> kept = evaluator.run(
      *region,
      {Interval::point(point.b), Interval::point(point.h),
       Interval::point(point.i), Interval::point(point.j)},
      unsupported);
  if (failed(kept) || kept->lo != kept->hi)
    return std::nullopt;
  return kept->lo == 1;
}

TileClass EffectiveMaskTiling::classifyTile(const TilingContext &ctx,
                                            int64_t b, int64_t h,
                                            const TileRange &tile) const {
  TileClass attrClass = mask ? mask.classifyTile(ctx, b, h, tile)
                             : classifyRegion(ctx, b, h, tile);
  if (!mask || attrClass == TileClass::Empty)
    return attrClass;
  return meetTileClass(attrClass, classifyRegion(ctx, b, h, tile));
}

VisitSet EffectiveMaskTiling::visitSet(const TilingContext &ctx, int64_t b,
                                       int64_t h, int64_t queryTile) const {
  if (mask && !region)
    return mask.visitSet(ctx, b, h, queryTile);
  if (!mask)
    return VisitSet::fromCandidates(
        {StridedRange{0, ctx.numKeyTiles(), 1}}, [&](int64_t keyTile) {
          return classifyRegion(ctx, b, h, ctx.tile(queryTile, keyTile));
        });
  VisitSet refined;
  mask.visitSet(ctx, b, h, queryTile)
      .forEachTile([&](int64_t keyTile, TileClass attrClass) {
        TileClass tileClass = meetTileClass(
            attrClass, classifyRegion(ctx, b, h, ctx.tile(queryTile, keyTile)));
        if (tileClass != TileClass::Empty)
          refined.append(keyTile, tileClass);
      });
  return refined;
}

std::optional<int64_t>
EffectiveMaskTiling::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                               const TileRange &tile) const {
  TileClass tileClass = classifyTile(ctx, b, h, tile);
  if (tileClass != TileClass::Partial)
    return tileClass == TileClass::Full ? tile.area() : 0;
  if (!region)
    return mask.countKept(ctx, b, h, tile);
  if (!analyzable)
    return std::nullopt;
  if (mask && classifyRegion(ctx, b, h, tile) == TileClass::Full)
    return mask.countKept(ctx, b, h, tile);
  int64_t kept = 0;
  for (int64_t i = tile.qBegin; i < tile.qEnd; ++i)
    for (int64_t j = tile.kBegin; j < tile.kEnd; ++j) {
      MaskPoint point = ctx.point(b, h, i, j);
      if (mask && !mask.keeps(point))
        continue;
      // Undecided only where 64-bit index arithmetic overflows.
      std::optional<bool> keeps = regionKeeps(point);
      if (!keeps)
        return std::nullopt;
      kept += *keeps;
    }
  return kept;
}
