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
// The evaluator is written once over an arithmetic domain: ConstantDomain
// evaluates it here on int64_t (reports, the interpreter, attn-sparsify),
// IRDomain emits it as i64 arith ops (kernels classify their tiles at run
// time), so the two cannot disagree. Every choice that depends on interval
// values is a select over both outcomes.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/MaskRegionTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"
#include <algorithm>
#include <limits>
#include <utility>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

/// Interval arithmetic on int64_t values, evaluated now.
struct ConstantDomain {
  using Int = int64_t;
  using Bool = bool;

  Int constant(int64_t value) { return value; }
  Int select(Bool condition, Int a, Int b) { return condition ? a : b; }
  Int fromBool(Bool value) { return value; }
  Bool either(Bool a, Bool b) { return a || b; }
  Bool both(Bool a, Bool b) { return a && b; }
  Bool lessThan(Int a, Int b) { return a < b; }
  Bool lessEqual(Int a, Int b) { return a <= b; }
  Bool equal(Int a, Int b) { return a == b; }
  Bool notEqual(Int a, Int b) { return a != b; }
  Bool unsignedLess(Int a, Int b) {
    return static_cast<uint64_t>(a) < static_cast<uint64_t>(b);
  }
  Bool unsignedLessEqual(Int a, Int b) {
    return static_cast<uint64_t>(a) <= static_cast<uint64_t>(b);
  }
  Int min(Int a, Int b) { return std::min(a, b); }
  Int max(Int a, Int b) { return std::max(a, b); }
  Int bitAnd(Int a, Int b) { return a & b; }
  Int bitOr(Int a, Int b) { return a | b; }
  Int bitXor(Int a, Int b) { return a ^ b; }
  /// Wrapped results and whether they overflowed.
  std::pair<Int, Bool> add(Int a, Int b) {
    std::optional<int64_t> sum = llvm::checkedAdd(a, b);
    return {sum.value_or(0), !sum};
  }
  std::pair<Int, Bool> sub(Int a, Int b) {
    std::optional<int64_t> difference = llvm::checkedSub(a, b);
    return {difference.value_or(0), !difference};
  }
  std::pair<Int, Bool> mul(Int a, Int b) {
    std::optional<int64_t> product = llvm::checkedMul(a, b);
    return {product.value_or(0), !product};
  }
  // Divisions: callers pass divisors >= 1 (unsigned ones != 0).
  Int divide(Int a, Int b) { return a / b; }
  Int remainder(Int a, Int b) { return a % b; }
  Int floorDivide(Int a, Int b) { return llvm::divideFloorSigned(a, b); }
  Int ceilDivide(Int a, Int b) { return llvm::divideCeilSigned(a, b); }
  Int unsignedDivide(Int a, Int b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) /
                                static_cast<uint64_t>(b));
  }
  Int unsignedRemainder(Int a, Int b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) %
                                static_cast<uint64_t>(b));
  }
};

/// The same arithmetic emitted as i64 arith ops; Bool values are i1. Each
/// method creates its ops in a fixed order.
struct IRDomain {
  using Int = Value;
  using Bool = Value;

  OpBuilder &b;
  Location loc;

  Int constant(int64_t value) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
  }
  Int select(Bool condition, Int x, Int y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }
  Int fromBool(Bool value) {
    return arith::ExtUIOp::create(b, loc, b.getI64Type(), value);
  }
  Bool either(Bool x, Bool y) { return arith::OrIOp::create(b, loc, x, y); }
  Bool both(Bool x, Bool y) { return arith::AndIOp::create(b, loc, x, y); }
  Bool cmp(arith::CmpIPredicate predicate, Int x, Int y) {
    return arith::CmpIOp::create(b, loc, predicate, x, y);
  }
  Bool lessThan(Int x, Int y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Bool lessEqual(Int x, Int y) { return cmp(arith::CmpIPredicate::sle, x, y); }
  Bool equal(Int x, Int y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Bool notEqual(Int x, Int y) { return cmp(arith::CmpIPredicate::ne, x, y); }
  Bool unsignedLess(Int x, Int y) {
    return cmp(arith::CmpIPredicate::ult, x, y);
  }
  Bool unsignedLessEqual(Int x, Int y) {
    return cmp(arith::CmpIPredicate::ule, x, y);
  }
  Int min(Int x, Int y) { return arith::MinSIOp::create(b, loc, x, y); }
  Int max(Int x, Int y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Int bitAnd(Int x, Int y) { return arith::AndIOp::create(b, loc, x, y); }
  Int bitOr(Int x, Int y) { return arith::OrIOp::create(b, loc, x, y); }
  Int bitXor(Int x, Int y) { return arith::XOrIOp::create(b, loc, x, y); }
  Bool isNegative(Int x) {
    Int zero = constant(0);
    return lessThan(x, zero);
  }
  // Signed overflow of x + y: both operands differ in sign from the sum.
  std::pair<Int, Bool> add(Int x, Int y) {
    Int sum = arith::AddIOp::create(b, loc, x, y);
    Int xFlips = bitXor(x, sum);
    Int yFlips = bitXor(y, sum);
    Int flips = bitAnd(xFlips, yFlips);
    return {sum, isNegative(flips)};
  }
  // Of x - y: the operands differ in sign and the result differs from x.
  std::pair<Int, Bool> sub(Int x, Int y) {
    Int difference = arith::SubIOp::create(b, loc, x, y);
    Int operandsDiffer = bitXor(x, y);
    Int resultDiffers = bitXor(x, difference);
    Int flips = bitAnd(operandsDiffer, resultDiffers);
    return {difference, isNegative(flips)};
  }
  // Of x * y: the wrapped product divided by x is not y (x != 0, -1), or
  // x = -1 and y = INT64_MIN. Needs no wider multiply on any target.
  std::pair<Int, Bool> mul(Int x, Int y) {
    Int product = arith::MulIOp::create(b, loc, x, y);
    Int zero = constant(0);
    Int minusOne = constant(-1);
    Int one = constant(1);
    Int smallest = constant(kMinInt);
    Bool xIsZero = equal(x, zero);
    Bool xIsMinusOne = equal(x, minusOne);
    Bool trivial = either(xIsZero, xIsMinusOne);
    Int safeX = select(trivial, one, x);
    Int quotient = divide(product, safeX);
    Bool inexact = notEqual(quotient, y);
    Bool yIsSmallest = equal(y, smallest);
    Bool negatedSmallest = both(xIsMinusOne, yIsSmallest);
    Bool overflows = select(trivial, negatedSmallest, inexact);
    return {product, overflows};
  }
  Int divide(Int x, Int y) { return arith::DivSIOp::create(b, loc, x, y); }
  Int remainder(Int x, Int y) { return arith::RemSIOp::create(b, loc, x, y); }
  Int floorDivide(Int x, Int y) {
    return arith::FloorDivSIOp::create(b, loc, x, y);
  }
  Int ceilDivide(Int x, Int y) {
    return arith::CeilDivSIOp::create(b, loc, x, y);
  }
  Int unsignedDivide(Int x, Int y) {
    return arith::DivUIOp::create(b, loc, x, y);
  }
  Int unsignedRemainder(Int x, Int y) {
    return arith::RemUIOp::create(b, loc, x, y);
  }
};

template <typename Domain> struct Interval {
  typename Domain::Int lo, hi;
};

static bool isBool(Type type) { return type.isInteger(1); }

static bool isModelledInteger(Type type) {
  return type.isIndex() || type.isSignlessInteger();
}

static unsigned widthOf(Type type) {
  return type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
}

static int64_t constantValue(const APInt &value) {
  return value.getBitWidth() == 1 ? static_cast<int64_t>(value.getZExtValue())
                                  : value.getSExtValue();
}

/// Evaluates the ops of a mask region over intervals in `Domain`. Integer
/// and index arithmetic, comparisons, i1 logic, select and casts are
/// modelled; anything else (floats, data reads, nested regions) is not.
/// Whether an op is modelled depends on its kind and types only, never on
/// the intervals.
template <typename Domain> class IntervalEvaluator {
  using Int = typename Domain::Int;
  using Bool = typename Domain::Bool;
  using Range = Interval<Domain>;

public:
  explicit IntervalEvaluator(Domain &domain) : d(domain) {}

  /// The interval of the yielded i1, or failure with `unsupported` set to
  /// the first op that is not modelled.
  FailureOr<Range> run(Region &region, ArrayRef<Range> arguments,
                       Operation *&unsupported);

  /// (empty, full): whether the i1 interval `kept` is [0, 0] or [1, 1].
  std::pair<Bool, Bool> classify(Range kept) {
    Bool single = isPoint(kept);
    Int zero = d.constant(0);
    Bool isZero = d.equal(kept.lo, zero);
    Bool isNonZero = d.notEqual(kept.lo, zero);
    Bool empty = d.both(single, isZero);
    Bool full = d.both(single, isNonZero);
    return {empty, full};
  }

  Range point(int64_t value) {
    Int constant = d.constant(value);
    return {constant, constant};
  }
  Range unbounded() {
    Int lo = d.constant(kMinInt);
    Int hi = d.constant(kMaxInt);
    return {lo, hi};
  }

private:
  FailureOr<Range> lookup(Value value);
  FailureOr<Range> evaluate(Operation *op);

  Range unknownBool() {
    Int lo = d.constant(0);
    Int hi = d.constant(1);
    return {lo, hi};
  }
  Range pick(Bool condition, Range a, Range b) {
    Int lo = d.select(condition, a.lo, b.lo);
    Int hi = d.select(condition, a.hi, b.hi);
    return {lo, hi};
  }
  Bool isPoint(Range value) { return d.equal(value.lo, value.hi); }
  Bool isNonNegative(Range value) {
    Int zero = d.constant(0);
    return d.lessEqual(zero, value.lo);
  }
  Bool bothNonNegative(Range a, Range b) {
    Bool aNonNegative = isNonNegative(a);
    Bool bNonNegative = isNonNegative(b);
    return d.both(aNonNegative, bNonNegative);
  }
  /// Whether `divisor` is a single positive value, and that value where it
  /// is (1 elsewhere, so that dividing by it is always defined).
  std::pair<Bool, Int> positivePoint(Range divisor) {
    Bool single = isPoint(divisor);
    Int zero = d.constant(0);
    Bool positive = d.lessThan(zero, divisor.lo);
    Bool usable = d.both(single, positive);
    Int one = d.constant(1);
    Int safe = d.select(usable, divisor.lo, one);
    return {usable, safe};
  }
  /// The unsigned reading of a single value of a `width`-bit type: the
  /// interval holds signed readings, so a negative value wraps.
  std::pair<Bool, Int> unsignedPoint(Range value, unsigned width) {
    Bool single = isPoint(value);
    if (width >= 64)
      return {single, value.lo};
    Int mask = d.constant(static_cast<int64_t>((uint64_t(1) << width) - 1));
    Int bits = d.bitAnd(value.lo, mask);
    return {single, bits};
  }
  /// An unsigned value as an interval of signed readings.
  Range fromUnsigned(Int bits) {
    Int zero = d.constant(0);
    Bool tooLarge = d.lessThan(bits, zero);
    Range all = unbounded();
    return pick(tooLarge, all, Range{bits, bits});
  }
  /// Results of `width`-bit arithmetic that may have wrapped are unbounded.
  Range fitWidth(Range value, unsigned width) {
    if (width >= 64)
      return value;
    int64_t limit = int64_t(1) << (width - 1);
    Int lowest = d.constant(-limit);
    Int highest = d.constant(limit - 1);
    Bool aboveLowest = d.lessEqual(lowest, value.lo);
    Bool belowHighest = d.lessEqual(value.hi, highest);
    Bool fits = d.both(aboveLowest, belowHighest);
    Range all = unbounded();
    return pick(fits, value, all);
  }
  /// The hull of `combine` over the four corners; unbounded when any corner
  /// overflows.
  template <typename Combine>
  Range corners(Range lhs, Range rhs, Combine combine) {
    std::pair<Int, Bool> first = combine(lhs.lo, rhs.lo);
    Range hull{first.first, first.first};
    Bool overflows = first.second;
    for (auto [a, b] : {std::pair(lhs.lo, rhs.hi), std::pair(lhs.hi, rhs.lo),
                        std::pair(lhs.hi, rhs.hi)}) {
      auto [value, overflow] = combine(a, b);
      hull.lo = d.min(hull.lo, value);
      hull.hi = d.max(hull.hi, value);
      overflows = d.either(overflows, overflow);
    }
    Range all = unbounded();
    return pick(overflows, all, hull);
  }
  /// A division by a positive single value is monotone in the dividend; any
  /// other divisor leaves the result unbounded.
  template <typename Divide>
  Range monotoneDivide(Range dividend, Range divisor, Divide divide) {
    auto [usable, safe] = positivePoint(divisor);
    Int lo = divide(dividend.lo, safe);
    Int hi = divide(dividend.hi, safe);
    Range all = unbounded();
    return pick(usable, Range{lo, hi}, all);
  }
  /// Unsigned division of single values, exact also where they wrap.
  Range wrappedDivide(Range dividend, Range divisor, unsigned width,
                      bool wantRemainder) {
    auto [dividendSingle, dividendBits] = unsignedPoint(dividend, width);
    auto [divisorSingle, divisorBits] = unsignedPoint(divisor, width);
    Int zero = d.constant(0);
    Bool nonZero = d.notEqual(divisorBits, zero);
    Bool singles = d.both(dividendSingle, divisorSingle);
    Bool usable = d.both(singles, nonZero);
    Int one = d.constant(1);
    Int safe = d.select(usable, divisorBits, one);
    Int result = wantRemainder ? d.unsignedRemainder(dividendBits, safe)
                               : d.unsignedDivide(dividendBits, safe);
    Range exact = fromUnsigned(result);
    Range all = unbounded();
    return pick(usable, exact, all);
  }
  Range remainder(Range dividend, Range divisor, unsigned width,
                  bool isUnsigned) {
    auto [usable, safe] = positivePoint(divisor);
    // A non-negative dividend whose interval stays within one multiple of
    // the divisor keeps its order; otherwise any remainder may occur.
    Int loQuotient = d.divide(dividend.lo, safe);
    Int hiQuotient = d.divide(dividend.hi, safe);
    Bool oneMultiple = d.equal(loQuotient, hiQuotient);
    Int loRemainder = d.remainder(dividend.lo, safe);
    Int hiRemainder = d.remainder(dividend.hi, safe);
    Int one = d.constant(1);
    Int zero = d.constant(0);
    Int largest = d.sub(safe, one).first;
    Int smallest = d.sub(zero, largest).first;
    Range ordered{loRemainder, hiRemainder};
    Range anyNonNegative{zero, largest};
    Range nonNegative = pick(oneMultiple, ordered, anyNonNegative);
    Bool dividendNonNegative = isNonNegative(dividend);
    Range signedResult =
        pick(dividendNonNegative, nonNegative, Range{smallest, largest});
    Range all = unbounded();
    Range result = pick(usable, signedResult, all);
    if (!isUnsigned)
      return result;
    Range wrapped = wrappedDivide(dividend, divisor, width,
                                  /*wantRemainder=*/true);
    return pick(dividendNonNegative, result, wrapped);
  }
  Range compare(arith::CmpIPredicate predicate, Range lhs, Range rhs,
                unsigned width);
  Range castInterval(Range value, Type sourceType, Type resultType,
                     bool zeroExtend);

  Domain &d;
  llvm::DenseMap<Value, Range> values;
};
} // namespace

template <typename Domain>
auto IntervalEvaluator<Domain>::compare(arith::CmpIPredicate predicate,
                                        Range lhs, Range rhs, unsigned width)
    -> Range {
  using P = arith::CmpIPredicate;
  auto decide = [&](Bool alwaysTrue, Bool alwaysFalse) {
    Range yes = point(1);
    Range no = point(0);
    Range unknown = unknownBool();
    Range decided = pick(alwaysFalse, no, unknown);
    return pick(alwaysTrue, yes, decided);
  };
  Range decision;
  switch (predicate) {
  case P::eq:
  case P::ne: {
    Bool lhsSingle = isPoint(lhs);
    Bool rhsSingle = isPoint(rhs);
    Bool singles = d.both(lhsSingle, rhsSingle);
    Bool sameValue = d.equal(lhs.lo, rhs.lo);
    Bool same = d.both(singles, sameValue);
    Bool lhsBelow = d.lessThan(lhs.hi, rhs.lo);
    Bool rhsBelow = d.lessThan(rhs.hi, lhs.lo);
    Bool disjoint = d.either(lhsBelow, rhsBelow);
    decision = predicate == P::eq ? decide(same, disjoint)
                                  : decide(disjoint, same);
    break;
  }
  case P::slt:
  case P::ult: {
    Bool yes = d.lessThan(lhs.hi, rhs.lo);
    Bool no = d.lessEqual(rhs.hi, lhs.lo);
    decision = decide(yes, no);
    break;
  }
  case P::sle:
  case P::ule: {
    Bool yes = d.lessEqual(lhs.hi, rhs.lo);
    Bool no = d.lessThan(rhs.hi, lhs.lo);
    decision = decide(yes, no);
    break;
  }
  case P::sgt:
  case P::ugt: {
    Bool yes = d.lessThan(rhs.hi, lhs.lo);
    Bool no = d.lessEqual(lhs.hi, rhs.lo);
    decision = decide(yes, no);
    break;
  }
  case P::sge:
  case P::uge: {
    Bool yes = d.lessEqual(rhs.hi, lhs.lo);
    Bool no = d.lessThan(lhs.hi, rhs.lo);
    decision = decide(yes, no);
    break;
  }
  }
  bool isUnsigned = predicate == P::ult || predicate == P::ule ||
                    predicate == P::ugt || predicate == P::uge;
  if (!isUnsigned)
    return decision;
  // Unsigned comparisons of possibly negative (wrapped) values are exact
  // for single values only.
  auto [lhsSingle, a] = unsignedPoint(lhs, width);
  auto [rhsSingle, b] = unsignedPoint(rhs, width);
  Bool singles = d.both(lhsSingle, rhsSingle);
  Bool result = predicate == P::ult   ? d.unsignedLess(a, b)
                : predicate == P::ule ? d.unsignedLessEqual(a, b)
                : predicate == P::ugt ? d.unsignedLess(b, a)
                                      : d.unsignedLessEqual(b, a);
  Int resultValue = d.fromBool(result);
  Range unknown = unknownBool();
  Range wrapped = pick(singles, Range{resultValue, resultValue}, unknown);
  Bool ordered = bothNonNegative(lhs, rhs);
  return pick(ordered, decision, wrapped);
}

/// A cast keeps the interval when every value fits the result type.
template <typename Domain>
auto IntervalEvaluator<Domain>::castInterval(Range value, Type sourceType,
                                             Type resultType, bool zeroExtend)
    -> Range {
  Range kept;
  unsigned width = widthOf(resultType);
  if (isBool(sourceType) && !zeroExtend) {
    // Booleans are held as 0/1 but sign-extend to -1/0.
    Int zero = d.constant(0);
    Int lo = d.sub(zero, value.hi).first;
    Int hi = d.sub(zero, value.lo).first;
    kept = {lo, hi};
  } else if (width >= 64) {
    kept = value;
  } else if (width == 1) {
    Int one = d.constant(1);
    Int bit = d.bitAnd(value.lo, one);
    Bool single = isPoint(value);
    Range unknown = unknownBool();
    kept = pick(single, Range{bit, bit}, unknown);
  } else {
    kept = fitWidth(value, width);
  }
  if (!zeroExtend)
    return kept;
  auto [single, bits] = unsignedPoint(value, widthOf(sourceType));
  Range exact = fromUnsigned(bits);
  Range fitted = fitWidth(exact, width);
  Range all = unbounded();
  Range wrapped = pick(single, fitted, all);
  Bool nonNegative = isNonNegative(value);
  return pick(nonNegative, kept, wrapped);
}

template <typename Domain>
auto IntervalEvaluator<Domain>::lookup(Value value) -> FailureOr<Range> {
  auto it = values.find(value);
  if (it != values.end())
    return it->second;
  // Constants defined above the region are read like those inside it.
  if (Operation *def = value.getDefiningOp())
    if (auto constant = dyn_cast<arith::ConstantOp>(def))
      if (auto integer = dyn_cast<IntegerAttr>(constant.getValue()))
        return point(constantValue(integer.getValue()));
  return failure();
}

template <typename Domain>
auto IntervalEvaluator<Domain>::evaluate(Operation *op) -> FailureOr<Range> {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0 ||
      !isModelledInteger(op->getResult(0).getType()))
    return failure();
  SmallVector<Range, 3> operands;
  for (Value operand : op->getOperands()) {
    if (!isModelledInteger(operand.getType()))
      return failure();
    FailureOr<Range> interval = lookup(operand);
    if (failed(interval))
      return failure();
    operands.push_back(*interval);
  }
  Type resultType = op->getResult(0).getType();
  bool boolResult = isBool(resultType);
  unsigned width = widthOf(resultType);
  auto arithmetic = [&](auto combine) -> FailureOr<Range> {
    if (boolResult)
      return failure();
    return fitWidth(corners(operands[0], operands[1], combine), width);
  };
  auto logic = [&](auto combine) -> FailureOr<Range> {
    if (!boolResult)
      return failure();
    Int lo = combine(operands[0].lo, operands[1].lo);
    Int hi = combine(operands[0].hi, operands[1].hi);
    return Range{lo, hi};
  };
  auto hullOf = [&](auto combine) -> Range {
    Int lo = combine(operands[0].lo, operands[1].lo);
    Int hi = combine(operands[0].hi, operands[1].hi);
    return Range{lo, hi};
  };
  auto min = [&](Int a, Int b) { return d.min(a, b); };
  auto max = [&](Int a, Int b) { return d.max(a, b); };
  // Unsigned min/max: a wrapped (negative) operand compares as huge.
  auto unsignedHull = [&](auto combine) -> Range {
    Range hull = hullOf(combine);
    Bool ordered = bothNonNegative(operands[0], operands[1]);
    Range all = unbounded();
    return pick(ordered, hull, all);
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Range>>(op)
      .Case([&](arith::ConstantOp constant) -> FailureOr<Range> {
        auto integer = dyn_cast<IntegerAttr>(constant.getValue());
        if (!integer)
          return failure();
        return point(constantValue(integer.getValue()));
      })
      .Case([&](arith::AddIOp) {
        return arithmetic([&](Int a, Int b) { return d.add(a, b); });
      })
      .Case([&](arith::SubIOp) {
        return arithmetic([&](Int a, Int b) { return d.sub(a, b); });
      })
      .Case([&](arith::MulIOp) {
        return arithmetic([&](Int a, Int b) { return d.mul(a, b); });
      })
      .Case([&](arith::DivSIOp) -> FailureOr<Range> {
        return monotoneDivide(operands[0], operands[1],
                              [&](Int a, Int b) { return d.divide(a, b); });
      })
      .Case([&](arith::DivUIOp) -> FailureOr<Range> {
        Range ordered =
            monotoneDivide(operands[0], operands[1],
                           [&](Int a, Int b) { return d.divide(a, b); });
        Range wrapped = wrappedDivide(operands[0], operands[1], width,
                                      /*wantRemainder=*/false);
        Bool nonNegative = bothNonNegative(operands[0], operands[1]);
        return pick(nonNegative, ordered, wrapped);
      })
      .Case([&](arith::FloorDivSIOp) -> FailureOr<Range> {
        return monotoneDivide(operands[0], operands[1], [&](Int a, Int b) {
          return d.floorDivide(a, b);
        });
      })
      .Case([&](arith::CeilDivSIOp) -> FailureOr<Range> {
        return monotoneDivide(operands[0], operands[1], [&](Int a, Int b) {
          return d.ceilDivide(a, b);
        });
      })
      .Case([&](arith::RemSIOp) -> FailureOr<Range> {
        return remainder(operands[0], operands[1], width,
                         /*isUnsigned=*/false);
      })
      .Case([&](arith::RemUIOp) -> FailureOr<Range> {
        return remainder(operands[0], operands[1], width,
                         /*isUnsigned=*/true);
      })
      .Case([&](arith::MinSIOp) -> FailureOr<Range> { return hullOf(min); })
      .Case([&](arith::MaxSIOp) -> FailureOr<Range> { return hullOf(max); })
      .Case([&](arith::MinUIOp) -> FailureOr<Range> {
        return unsignedHull(min);
      })
      .Case([&](arith::MaxUIOp) -> FailureOr<Range> {
        return unsignedHull(max);
      })
      .Case([&](arith::CmpIOp cmp) -> FailureOr<Range> {
        // i1 operands compare as signed -1/0, which the 0/1 intervals of
        // booleans do not model.
        if (isBool(cmp.getLhs().getType()))
          return failure();
        return compare(cmp.getPredicate(), operands[0], operands[1],
                       widthOf(cmp.getLhs().getType()));
      })
      .Case([&](arith::AndIOp) {
        return logic([&](Int a, Int b) { return d.bitAnd(a, b); });
      })
      .Case([&](arith::OrIOp) {
        return logic([&](Int a, Int b) { return d.bitOr(a, b); });
      })
      .Case([&](arith::XOrIOp) -> FailureOr<Range> {
        if (!boolResult)
          return failure();
        Bool lhsSingle = isPoint(operands[0]);
        Bool rhsSingle = isPoint(operands[1]);
        Bool singles = d.both(lhsSingle, rhsSingle);
        Int bit = d.bitXor(operands[0].lo, operands[1].lo);
        Range unknown = unknownBool();
        return pick(singles, Range{bit, bit}, unknown);
      })
      .Case([&](arith::SelectOp) -> FailureOr<Range> {
        Range condition = operands[0];
        Int one = d.constant(1);
        Int zero = d.constant(0);
        Bool alwaysTrue = d.equal(condition.lo, one);
        Bool alwaysFalse = d.equal(condition.hi, zero);
        Int lo = d.min(operands[1].lo, operands[2].lo);
        Int hi = d.max(operands[1].hi, operands[2].hi);
        Range either = pick(alwaysFalse, operands[2], Range{lo, hi});
        return pick(alwaysTrue, operands[1], either);
      })
      .template Case<arith::ExtSIOp, arith::IndexCastOp, arith::TruncIOp>(
          [&](Operation *) -> FailureOr<Range> {
            return castInterval(operands[0], op->getOperand(0).getType(),
                                resultType, /*zeroExtend=*/false);
          })
      .template Case<arith::ExtUIOp, arith::IndexCastUIOp>(
          [&](Operation *) -> FailureOr<Range> {
            return castInterval(operands[0], op->getOperand(0).getType(),
                                resultType, /*zeroExtend=*/true);
          })
      .Default([](Operation *) { return failure(); });
}

template <typename Domain>
auto IntervalEvaluator<Domain>::run(Region &region, ArrayRef<Range> arguments,
                                    Operation *&unsupported)
    -> FailureOr<Range> {
  values.clear();
  Block &block = region.front();
  for (auto [argument, interval] : llvm::zip(block.getArguments(), arguments))
    values[argument] = interval;
  for (Operation &op : block.without_terminator()) {
    FailureOr<Range> result = evaluate(&op);
    if (failed(result)) {
      unsupported = &op;
      return failure();
    }
    values[op.getResult(0)] = *result;
  }
  Operation *terminator = block.getTerminator();
  FailureOr<Range> yielded = lookup(terminator->getOperand(0));
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
  ConstantDomain domain;
  IntervalEvaluator<ConstantDomain> evaluator(domain);
  SmallVector<Interval<ConstantDomain>> arguments(4, evaluator.unbounded());
  analyzable =
      succeeded(evaluator.run(*region, arguments, firstUnsupported));
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
  ConstantDomain domain;
  IntervalEvaluator<ConstantDomain> evaluator(domain);
  Operation *unsupported = nullptr;
  FailureOr<Interval<ConstantDomain>> kept = evaluator.run(
      *region,
      {{b, b}, {h, h}, {tile.qBegin, tile.qEnd - 1},
       {tile.kBegin, tile.kEnd - 1}},
      unsupported);
  if (failed(kept))
    return TileClass::Partial;
  auto [empty, full] = evaluator.classify(*kept);
  return empty ? TileClass::Empty
               : full ? TileClass::Full : TileClass::Partial;
}

std::optional<RegionTileTests>
EffectiveMaskTiling::buildRegionTileTests(OpBuilder &builder, Location loc,
                                          const TileIndices &tile) const {
  if (!region || !analyzable)
    return std::nullopt;
  IRDomain domain{builder, loc};
  IntervalEvaluator<IRDomain> evaluator(domain);
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(builder, loc, builder.getI64Type(),
                                      index);
  };
  Value one = domain.constant(1);
  Value batch = toI64(tile.b);
  Value head = toI64(tile.h);
  Value rowBegin = toI64(tile.rowBegin);
  Value rowEnd = toI64(tile.rowEnd);
  Value lastRow = arith::SubIOp::create(builder, loc, rowEnd, one);
  Value colBegin = toI64(tile.colBegin);
  Value colEnd = toI64(tile.colEnd);
  Value lastCol = arith::SubIOp::create(builder, loc, colEnd, one);
  Operation *unsupported = nullptr;
  FailureOr<Interval<IRDomain>> kept = evaluator.run(
      *region,
      {{batch, batch}, {head, head}, {rowBegin, lastRow}, {colBegin, lastCol}},
      unsupported);
  // The constructor evaluated the same ops: whether an op is modelled does
  // not depend on the intervals.
  assert(succeeded(kept) && "an analyzable region failed to evaluate");
  auto [empty, full] = evaluator.classify(*kept);
  return RegionTileTests{empty, full};
}

std::optional<bool>
EffectiveMaskTiling::regionKeeps(const MaskPoint &point) const {
  ConstantDomain domain;
  IntervalEvaluator<ConstantDomain> evaluator(domain);
  Operation *unsupported = nullptr;
  FailureOr<Interval<ConstantDomain>> kept = evaluator.run(
      *region,
      {{point.b, point.b}, {point.h, point.h}, {point.i, point.i},
       {point.j, point.j}},
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
