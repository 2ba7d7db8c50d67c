//===- RegionEvaluator.cpp - float64 evaluation of custom regions ---------===//
//
// A straight-line interpreter: custom mask and score regions are single
// blocks of arith/math ops (and tensor.extract of data operands), so one walk
// in order evaluates them. Each float result is computed in double and
// rounded to its declared type (f32, f16, bf16; f64 stays), so that
// arith.truncf rounds and f32 overflow gives inf exactly as compiled code
// does (for + - * / the double result rounded once is the correctly rounded
// f32 one); integers in an APInt of their declared width, so that wrapping
// and unsigned operations behave as the compiled code would.
//
//===----------------------------------------------------------------------===//
#include "attn/Interpreter/RegionEvaluator.h"

#include "attn/Dialect/AttnOps.h"
#include "attn/Support/FloatBits.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APInt.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;
using llvm::APInt;

namespace {
/// One SSA value during evaluation: a float (as double) or an integer/index
/// (as APInt of the type's width; index is 64 bits).
struct Scalar {
  bool isFloat = false;
  double real = 0.0;
  APInt integer;

  static Scalar ofFloat(double value) {
    Scalar scalar;
    scalar.isFloat = true;
    scalar.real = value;
    return scalar;
  }
  static Scalar ofInteger(APInt value) {
    Scalar scalar;
    scalar.integer = std::move(value);
    return scalar;
  }
};

/// `value` rounded to the float type `type` (nearest even), as compiled code
/// holds a value of that type.
double roundToType(double value, Type type) {
  if (type.isF32())
    return static_cast<double>(static_cast<float>(value));
  if (type.isF16())
    return ::attn::support::widenHalf(
        ::attn::support::roundToHalf(value, ::attn::support::kF16),
        ::attn::support::kF16);
  if (type.isBF16())
    return ::attn::support::widenHalf(
        ::attn::support::roundToHalf(value, ::attn::support::kBF16),
        ::attn::support::kBF16);
  return value;
}

/// Bit width used for integers of `type` (index is 64 bits wide).
unsigned integerWidth(Type type) {
  if (type.isIndex())
    return 64;
  return cast<IntegerType>(type).getWidth();
}

class RegionInterpreter {
public:
  RegionInterpreter(const Bindings &inputs, ValueRange dataOperands)
      : inputs(inputs), dataOperands(dataOperands) {}

  /// Runs the region's single block on `arguments` and returns what its
  /// attn.yield yields.
  FailureOr<Scalar> run(Region &region, ArrayRef<Scalar> arguments);

private:
  FailureOr<Scalar> lookup(Operation *user, Value value);
  LogicalResult step(Operation &op);
  LogicalResult evaluateExtract(tensor::ExtractOp op);
  LogicalResult evaluateDim(tensor::DimOp op);
  FailureOr<size_t> boundDataOperand(Operation *op, Value tensor);
  LogicalResult evaluateConstant(Operation *op, Attribute attr, Value result);

  template <typename Fn> LogicalResult floatBinary(Operation *op, Fn fn);
  template <typename Fn> LogicalResult floatUnary(Operation *op, Fn fn);
  template <typename Fn> LogicalResult intBinary(Operation *op, Fn fn);

  const Bindings &inputs;
  ValueRange dataOperands;
  llvm::DenseMap<Value, Scalar> values;
};
} // namespace

FailureOr<Scalar> RegionInterpreter::lookup(Operation *user, Value value) {
  auto found = values.find(value);
  if (found != values.end())
    return found->second;
  // A value from above the region: only constants can be evaluated here.
  Attribute constant;
  if (Operation *definingOp = value.getDefiningOp();
      definingOp && matchPattern(value, m_Constant(&constant))) {
    if (failed(evaluateConstant(definingOp, constant, value)))
      return failure();
    return values.find(value)->second;
  }
  return user->emitOpError()
         << "reads a value defined outside the region that is neither a "
            "constant nor (through tensor.extract) a data operand; the "
            "reference evaluator cannot evaluate it";
}

LogicalResult RegionInterpreter::evaluateConstant(Operation *op, Attribute attr,
                                                  Value result) {
  if (auto floatAttr = dyn_cast<FloatAttr>(attr)) {
    values[result] = Scalar::ofFloat(
        roundToType(floatAttr.getValueAsDouble(), result.getType()));
    return success();
  }
  if (auto intAttr = dyn_cast<IntegerAttr>(attr)) {
    APInt value = intAttr.getValue();
    values[result] =
        Scalar::ofInteger(value.sextOrTrunc(integerWidth(result.getType())));
    return success();
  }
  return op->emitOpError() << "constant " << attr
                           << " is not a scalar float or integer; the "
                              "reference evaluator cannot evaluate it";
}

template <typename Fn>
LogicalResult RegionInterpreter::floatBinary(Operation *op, Fn fn) {
  FailureOr<Scalar> lhs = lookup(op, op->getOperand(0));
  FailureOr<Scalar> rhs = lookup(op, op->getOperand(1));
  if (failed(lhs) || failed(rhs))
    return failure();
  values[op->getResult(0)] = Scalar::ofFloat(
      roundToType(fn(lhs->real, rhs->real), op->getResult(0).getType()));
  return success();
}

template <typename Fn>
LogicalResult RegionInterpreter::floatUnary(Operation *op, Fn fn) {
  FailureOr<Scalar> operand = lookup(op, op->getOperand(0));
  if (failed(operand))
    return failure();
  values[op->getResult(0)] = Scalar::ofFloat(
      roundToType(fn(operand->real), op->getResult(0).getType()));
  return success();
}

template <typename Fn>
LogicalResult RegionInterpreter::intBinary(Operation *op, Fn fn) {
  FailureOr<Scalar> lhs = lookup(op, op->getOperand(0));
  FailureOr<Scalar> rhs = lookup(op, op->getOperand(1));
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<APInt> result = fn(lhs->integer, rhs->integer);
  if (failed(result))
    return failure();
  values[op->getResult(0)] = Scalar::ofInteger(*result);
  return success();
}

/// Integer division and remainder by zero are undefined behaviour in arith;
/// the reference reports them instead of picking a value.
static FailureOr<APInt> checkedDivision(Operation *op, const APInt &lhs,
                                        const APInt &rhs,
                                        APInt (APInt::*fn)(const APInt &)
                                            const) {
  if (rhs.isZero()) {
    op->emitOpError() << "divides by zero during reference evaluation";
    return failure();
  }
  return (lhs.*fn)(rhs);
}

static bool compareFloats(arith::CmpFPredicate predicate, double lhs,
                          double rhs) {
  bool unordered = std::isnan(lhs) || std::isnan(rhs);
  using P = arith::CmpFPredicate;
  switch (predicate) {
  case P::AlwaysFalse:
    return false;
  case P::AlwaysTrue:
    return true;
  case P::OEQ:
    return !unordered && lhs == rhs;
  case P::OGT:
    return !unordered && lhs > rhs;
  case P::OGE:
    return !unordered && lhs >= rhs;
  case P::OLT:
    return !unordered && lhs < rhs;
  case P::OLE:
    return !unordered && lhs <= rhs;
  case P::ONE:
    return !unordered && lhs != rhs;
  case P::ORD:
    return !unordered;
  case P::UEQ:
    return unordered || lhs == rhs;
  case P::UGT:
    return unordered || lhs > rhs;
  case P::UGE:
    return unordered || lhs >= rhs;
  case P::ULT:
    return unordered || lhs < rhs;
  case P::ULE:
    return unordered || lhs <= rhs;
  case P::UNE:
    return unordered || lhs != rhs;
  case P::UNO:
    return unordered;
  }
  return false;
}

static bool compareIntegers(arith::CmpIPredicate predicate, const APInt &lhs,
                            const APInt &rhs) {
  using P = arith::CmpIPredicate;
  switch (predicate) {
  case P::eq:
    return lhs.eq(rhs);
  case P::ne:
    return lhs.ne(rhs);
  case P::slt:
    return lhs.slt(rhs);
  case P::sle:
    return lhs.sle(rhs);
  case P::sgt:
    return lhs.sgt(rhs);
  case P::sge:
    return lhs.sge(rhs);
  case P::ult:
    return lhs.ult(rhs);
  case P::ule:
    return lhs.ule(rhs);
  case P::ugt:
    return lhs.ugt(rhs);
  case P::uge:
    return lhs.uge(rhs);
  }
  return false;
}

FailureOr<size_t> RegionInterpreter::boundDataOperand(Operation *op,
                                                     Value tensor) {
  auto position = llvm::find(dataOperands, tensor);
  if (position == dataOperands.end())
    return op->emitOpError() << "reads a tensor that is not one of the "
                                "op's data operands; the reference evaluator "
                                "can only read data operands";
  size_t operand = std::distance(dataOperands.begin(), position);
  if (operand >= inputs.data.size())
    return op->emitOpError()
           << "reads data operand #" << operand << ", which is not bound ("
           << inputs.data.size() << " data tensors given)";
  return operand;
}

LogicalResult RegionInterpreter::evaluateDim(tensor::DimOp op) {
  FailureOr<size_t> operand = boundDataOperand(op, op.getSource());
  if (failed(operand))
    return failure();
  FailureOr<Scalar> index = lookup(op, op.getIndex());
  if (failed(index))
    return failure();
  const Tensor64 &tensor = inputs.data[*operand];
  int64_t dim = index->integer.getSExtValue();
  if (dim < 0 || dim >= static_cast<int64_t>(tensor.shape.size()))
    return op.emitOpError() << "asks for dimension " << dim
                            << " of data operand #" << *operand << " of rank "
                            << tensor.shape.size();
  values[op.getResult()] =
      Scalar::ofInteger(APInt(64, tensor.shape[dim], /*isSigned=*/true));
  return success();
}

LogicalResult RegionInterpreter::evaluateExtract(tensor::ExtractOp op) {
  FailureOr<size_t> bound = boundDataOperand(op, op.getTensor());
  if (failed(bound))
    return failure();
  size_t operand = *bound;
  const Tensor64 &tensor = inputs.data[operand];
  SmallVector<int64_t> indices;
  for (Value index : op.getIndices()) {
    FailureOr<Scalar> scalar = lookup(op, index);
    if (failed(scalar))
      return failure();
    indices.push_back(scalar->integer.getSExtValue());
  }
  std::optional<int64_t> flat = flatIndex(tensor.shape, indices);
  if (!flat)
    return op.emitOpError()
           << "reads element " << formatShape(indices) << " of data operand #"
           << operand << ", outside its bound shape "
           << formatShape(tensor.shape);
  double element = tensor.values[*flat];
  Type elementType = op.getResult().getType();
  if (isa<FloatType>(elementType)) {
    values[op.getResult()] = Scalar::ofFloat(roundToType(element, elementType));
    return success();
  }
  if (!elementType.isIntOrIndex())
    return op.emitOpError() << "extracts an element of type " << elementType
                            << ", which the reference evaluator cannot "
                               "represent";
  values[op.getResult()] = Scalar::ofInteger(
      APInt(integerWidth(elementType), static_cast<int64_t>(element),
            /*isSigned=*/true, /*implicitTrunc=*/true));
  return success();
}

LogicalResult RegionInterpreter::step(Operation &operation) {
  Operation *op = &operation;
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<arith::ConstantOp>([&](arith::ConstantOp constant) {
        return evaluateConstant(op, constant.getValue(), constant.getResult());
      })
      // Floating point.
      .Case<arith::AddFOp>(
          [&](auto) { return floatBinary(op, std::plus<double>()); })
      .Case<arith::SubFOp>(
          [&](auto) { return floatBinary(op, std::minus<double>()); })
      .Case<arith::MulFOp>(
          [&](auto) { return floatBinary(op, std::multiplies<double>()); })
      .Case<arith::DivFOp>(
          [&](auto) { return floatBinary(op, std::divides<double>()); })
      .Case<arith::MaximumFOp>([&](auto) {
        return floatBinary(op, [](double a, double b) {
          return std::isnan(a) || std::isnan(b)
                     ? std::numeric_limits<double>::quiet_NaN()
                     : std::fmax(a, b);
        });
      })
      .Case<arith::MinimumFOp>([&](auto) {
        return floatBinary(op, [](double a, double b) {
          return std::isnan(a) || std::isnan(b)
                     ? std::numeric_limits<double>::quiet_NaN()
                     : std::fmin(a, b);
        });
      })
      .Case<arith::MaxNumFOp>([&](auto) {
        return floatBinary(op,
                           [](double a, double b) { return std::fmax(a, b); });
      })
      .Case<arith::MinNumFOp>([&](auto) {
        return floatBinary(op,
                           [](double a, double b) { return std::fmin(a, b); });
      })
      .Case<arith::NegFOp>(
          [&](auto) { return floatUnary(op, [](double a) { return -a; }); })
      .Case<arith::ExtFOp, arith::TruncFOp>(
          [&](auto) { return floatUnary(op, [](double a) { return a; }); })
      .Case<math::ExpOp>([&](auto) {
        return floatUnary(op, [](double a) { return std::exp(a); });
      })
      .Case<math::Exp2Op>([&](auto) {
        return floatUnary(op, [](double a) { return std::exp2(a); });
      })
      .Case<math::LogOp>([&](auto) {
        return floatUnary(op, [](double a) { return std::log(a); });
      })
      .Case<math::TanhOp>([&](auto) {
        return floatUnary(op, [](double a) { return std::tanh(a); });
      })
      .Case<math::SqrtOp>([&](auto) {
        return floatUnary(op, [](double a) { return std::sqrt(a); });
      })
      .Case<math::AbsFOp>([&](auto) {
        return floatUnary(op, [](double a) { return std::fabs(a); });
      })
      .Case<arith::CmpFOp>([&](arith::CmpFOp cmp) -> LogicalResult {
        FailureOr<Scalar> lhs = lookup(op, cmp.getLhs());
        FailureOr<Scalar> rhs = lookup(op, cmp.getRhs());
        if (failed(lhs) || failed(rhs))
          return failure();
        values[cmp.getResult()] = Scalar::ofInteger(
            APInt(1, compareFloats(cmp.getPredicate(), lhs->real, rhs->real)));
        return success();
      })
      // Integers and indices.
      .Case<arith::AddIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a + b);
        });
      })
      .Case<arith::SubIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a - b);
        });
      })
      .Case<arith::MulIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a * b);
        });
      })
      .Case<arith::DivSIOp>([&](auto) {
        return intBinary(op, [&](const APInt &a, const APInt &b) {
          return checkedDivision(op, a, b, &APInt::sdiv);
        });
      })
      .Case<arith::DivUIOp>([&](auto) {
        return intBinary(op, [&](const APInt &a, const APInt &b) {
          return checkedDivision(op, a, b, &APInt::udiv);
        });
      })
      .Case<arith::RemSIOp>([&](auto) {
        return intBinary(op, [&](const APInt &a, const APInt &b) {
          return checkedDivision(op, a, b, &APInt::srem);
        });
      })
      .Case<arith::RemUIOp>([&](auto) {
        return intBinary(op, [&](const APInt &a, const APInt &b) {
          return checkedDivision(op, a, b, &APInt::urem);
        });
      })
      .Case<arith::AndIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a & b);
        });
      })
      .Case<arith::OrIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a | b);
        });
      })
      .Case<arith::XOrIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a ^ b);
        });
      })
      .Case<arith::MaxSIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a.sge(b) ? a : b);
        });
      })
      .Case<arith::MinSIOp>([&](auto) {
        return intBinary(op, [](const APInt &a, const APInt &b) {
          return FailureOr<APInt>(a.sle(b) ? a : b);
        });
      })
      .Case<arith::CmpIOp>([&](arith::CmpIOp cmp) -> LogicalResult {
        FailureOr<Scalar> lhs = lookup(op, cmp.getLhs());
        FailureOr<Scalar> rhs = lookup(op, cmp.getRhs());
        if (failed(lhs) || failed(rhs))
          return failure();
        values[cmp.getResult()] = Scalar::ofInteger(
            APInt(1, compareIntegers(cmp.getPredicate(), lhs->integer,
                                     rhs->integer)));
        return success();
      })
      .Case<arith::IndexCastOp, arith::ExtSIOp, arith::TruncIOp>(
          [&](auto) -> LogicalResult {
            FailureOr<Scalar> operand = lookup(op, op->getOperand(0));
            if (failed(operand))
              return failure();
            values[op->getResult(0)] =
                Scalar::ofInteger(operand->integer.sextOrTrunc(
                    integerWidth(op->getResult(0).getType())));
            return success();
          })
      .Case<arith::IndexCastUIOp, arith::ExtUIOp>([&](auto) -> LogicalResult {
        FailureOr<Scalar> operand = lookup(op, op->getOperand(0));
        if (failed(operand))
          return failure();
        values[op->getResult(0)] =
            Scalar::ofInteger(operand->integer.zextOrTrunc(
                integerWidth(op->getResult(0).getType())));
        return success();
      })
      .Case<arith::SIToFPOp, arith::UIToFPOp>([&](auto) -> LogicalResult {
        FailureOr<Scalar> operand = lookup(op, op->getOperand(0));
        if (failed(operand))
          return failure();
        bool isSigned = isa<arith::SIToFPOp>(op);
        double value = isSigned ? operand->integer.roundToDouble(true)
                                : operand->integer.roundToDouble(false);
        values[op->getResult(0)] =
            Scalar::ofFloat(roundToType(value, op->getResult(0).getType()));
        return success();
      })
      .Case<arith::SelectOp>([&](arith::SelectOp select) -> LogicalResult {
        FailureOr<Scalar> condition = lookup(op, select.getCondition());
        FailureOr<Scalar> whenTrue = lookup(op, select.getTrueValue());
        FailureOr<Scalar> whenFalse = lookup(op, select.getFalseValue());
        if (failed(condition) || failed(whenTrue) || failed(whenFalse))
          return failure();
        if (condition->isFloat || condition->integer.getBitWidth() != 1)
          return select.emitOpError() << "needs a scalar i1 condition in the "
                                         "reference evaluator";
        values[select.getResult()] =
            condition->integer.isOne() ? *whenTrue : *whenFalse;
        return success();
      })
      .Case<tensor::ExtractOp>(
          [&](tensor::ExtractOp extract) { return evaluateExtract(extract); })
      .Case<tensor::DimOp>([&](tensor::DimOp dim) { return evaluateDim(dim); })
      .Default([&](Operation *other) {
        return other->emitOpError()
               << "is not supported by the float64 reference evaluator of "
                  "custom regions (supported: arith and math scalar ops, and "
                  "tensor.extract of data operands)";
      });
}

FailureOr<Scalar> RegionInterpreter::run(Region &region,
                                         ArrayRef<Scalar> arguments) {
  if (!region.hasOneBlock())
    return emitError(region.getLoc()) << "reference evaluator: a custom region "
                                         "must have exactly one block";
  Block &block = region.front();
  if (block.getNumArguments() != arguments.size())
    return emitError(region.getLoc())
           << "reference evaluator: region takes " << block.getNumArguments()
           << " arguments but " << arguments.size() << " were given";
  // Float arguments arrive as their declared type (the score is an f32).
  for (auto [argument, scalar] :
       llvm::zip_equal(block.getArguments(), arguments))
    values[argument] = scalar.isFloat ? Scalar::ofFloat(roundToType(
                                            scalar.real, argument.getType()))
                                      : scalar;
  for (Operation &op : block) {
    if (auto yield = dyn_cast<YieldOp>(&op)) {
      if (yield.getValues().size() != 1)
        return yield.emitOpError()
               << "must yield exactly one value for the reference evaluator";
      return lookup(yield, yield.getValues().front());
    }
    if (failed(step(op)))
      return failure();
  }
  return emitError(region.getLoc())
         << "reference evaluator: custom region does not end with attn.yield";
}

static SmallVector<Scalar> indexArguments(ArrayRef<int64_t> indices) {
  SmallVector<Scalar> arguments;
  for (int64_t index : indices)
    arguments.push_back(Scalar::ofInteger(APInt(64, index, /*isSigned=*/true)));
  return arguments;
}

FailureOr<bool> mlir::attn::interpreter::evaluateMaskRegion(
    Region &region, int64_t b, int64_t h, int64_t i, int64_t j,
    const Bindings &inputs, ValueRange dataOperands) {
  RegionInterpreter interpreter(inputs, dataOperands);
  FailureOr<Scalar> keep =
      interpreter.run(region, indexArguments({b, h, i, j}));
  if (failed(keep))
    return failure();
  if (keep->isFloat || keep->integer.getBitWidth() != 1)
    return emitError(region.getLoc())
           << "reference evaluator: a mask region must yield an i1";
  return keep->integer.isOne();
}

FailureOr<double> mlir::attn::interpreter::evaluateScoreRegion(
    Region &region, double s, int64_t b, int64_t h, int64_t i, int64_t j,
    const Bindings &inputs, ValueRange dataOperands) {
  SmallVector<Scalar> arguments = {Scalar::ofFloat(s)};
  llvm::append_range(arguments, indexArguments({b, h, i, j}));
  RegionInterpreter interpreter(inputs, dataOperands);
  FailureOr<Scalar> score = interpreter.run(region, arguments);
  if (failed(score))
    return failure();
  if (!score->isFloat)
    return emitError(region.getLoc())
           << "reference evaluator: a score region must yield a float";
  return score->real;
}
