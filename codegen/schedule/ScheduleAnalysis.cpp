//===- ScheduleAnalysis.cpp - What the schedule emitter decides up front --===//
//
// Three analyses of a tile program, run once before emission:
//
// * Pending factors. A value may travel as (v, c), standing for c * v, so the
//   constant of `QK = mul(Q, K, c)` rides through selects, maxima and
//   reductions (which commute with a positive factor) to the first
//   exponential, where exp(c x - c m) is one exp2 of a multiply-add.
//   resultFactor states, for every map kind, what factor its result carries;
//   running tensors keep one factor for the whole iteration, found by a
//   small fixed point over the body.
// * Keys past Skv. Only a ragged last key tile has them; mask tests fail
//   there. What each per-score tensor then holds decides whether a
//   reduction or the value product needs a select of its identity.
// * Lane-partial sums. A row sum that only feeds a linear recurrence
//   (RD = SLD + RD * PRM) stays a per-lane partial sum, added up across the
//   lanes of a row once, in the epilogue.
//
//===----------------------------------------------------------------------===//
#include "ScheduleAnalysis.h"

#include "attn/Dialect/AttnCascade.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::schedule;

namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();

class ScheduleAnalyzer {
public:
  ScheduleAnalyzer(const TileProgram &program, bool lanesShareRows)
      : program(program), lanesShareRows(lanesShareRows) {
    for (const auto &[name, tensor] : program.tensors)
      if (tensor.running)
        runningNames.push_back(name);
  }

  ScheduleAnalysis run() {
    inferRunningFactors();
    findLanePartialSums();
    analyzeOutsideValues();
    return std::move(result);
  }

private:
  void inferRunningFactors();
  void findLanePartialSums();
  bool outsideIsNeutral(std::optional<double> product);
  void analyzeOutsideValues();

  const TileProgram &program;
  bool lanesShareRows;
  SmallVector<StringAttr> runningNames;
  ScheduleAnalysis result;
};
} // namespace

/// The factor a map's result carries given the factors of its operands
/// (`constants[i]` is set for constant operands, whose factor is 1), or
/// nullopt when the operands must be materialized (factor 1) first. The
/// emitter and the inference of running tensors' factors both decide here.
std::optional<double>
mlir::attn::schedule::resultFactor(MapKind kind, ArrayRef<double> factors,
                                   ArrayRef<std::optional<double>> constants) {
  auto sharedFactor = [&](size_t first, bool positive) -> std::optional<double> {
    std::optional<double> shared;
    for (size_t position = first; position < factors.size(); ++position) {
      if (constants[position])
        continue;
      if (shared && *shared != factors[position])
        return std::nullopt;
      shared = factors[position];
    }
    if (!shared)
      return 1.0;
    if (positive ? *shared <= 0.0 : *shared == 0.0)
      return std::nullopt;
    return shared;
  };
  switch (kind) {
  case MapKind::Add:
  case MapKind::Sub:
    return sharedFactor(0, /*positive=*/false);
  case MapKind::Max:
  case MapKind::Min:
    return sharedFactor(0, /*positive=*/true);
  case MapKind::Select:
    return sharedFactor(1, /*positive=*/false);
  case MapKind::ExpDiff:
    if (!sharedFactor(0, /*positive=*/true))
      return std::nullopt;
    return 1.0;
  case MapKind::Mul: {
    double product = 1.0;
    for (auto [factor, constant] : llvm::zip_equal(factors, constants))
      product *= constant ? *constant : factor;
    return product;
  }
  case MapKind::Div:
  case MapKind::DivOrZero: {
    double divisor = constants[1] ? *constants[1] : factors[1];
    if (divisor == 0.0 || !std::isfinite(divisor))
      return std::nullopt;
    return (constants[0] ? 1.0 : factors[0]) / divisor;
  }
  case MapKind::Neg:
    return constants[0] ? 1.0 : -factors[0];
  default:
    return 1.0;
  }
}


static std::optional<double>
inferFactor(Attribute expression,
                             const DenseMap<StringAttr, double> &known,
                             bool &unknown) {
  if (isa<FloatAttr>(expression))
    return std::nullopt; // A constant: adapts to anything.
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    auto it = known.find(access.getTensor());
    if (it != known.end())
      return it->second;
    unknown = true;
    return std::nullopt;
  }
  auto map = cast<MapAttr>(expression);
  MapKind kind = map.getKind();
  if (kind == MapKind::Mask || kind == MapKind::MaskRegion)
    return std::nullopt;
  SmallVector<double> factors;
  SmallVector<std::optional<double>> constants;
  bool anyUnknown = false;
  std::optional<double> someKnown;
  for (Attribute operand : map.getOperands()) {
    bool operandUnknown = false;
    std::optional<double> factor = inferFactor(operand, known, operandUnknown);
    anyUnknown |= operandUnknown;
    if (auto constant = dyn_cast<FloatAttr>(operand))
      constants.push_back(constant.getValueAsDouble());
    else
      constants.push_back(std::nullopt);
    factors.push_back(factor.value_or(1.0));
    if (factor && !operandUnknown && !constants.back())
      someKnown = factor;
  }
  if (anyUnknown) {
    // An unknown factor takes that of the values it meets where factors
    // must agree; anything else stays unknown.
    bool agrees = llvm::is_contained({MapKind::Add, MapKind::Sub, MapKind::Max,
                                      MapKind::Min, MapKind::Select},
                                     kind);
    if (!agrees || !someKnown) {
      unknown = true;
      return std::nullopt;
    }
    for (auto [factor, constant] : llvm::zip_equal(factors, constants))
      if (!constant)
        factor = *someKnown;
  }
  if (kind == MapKind::Select) {
    // The test is not a value.
    factors[0] = 1.0;
    constants[0] = 1.0;
  }
  std::optional<double> result = resultFactor(kind, factors, constants);
  return result ? result : std::optional<double>(1.0);
}

void ScheduleAnalyzer::inferRunningFactors() {
  // A fixed point: running tensors start unknown, take the factor their
  // recurrence gives, and fall back to 1 when that does not settle.
  DenseMap<StringAttr, double> known;
  for (int round = 0; round < 4; ++round) {
    DenseMap<StringAttr, double> factors = known;
    // Inputs and the prologue's results carry no factor.
    for (const auto &[name, tensor] : program.tensors)
      if (tensor.input)
        factors[name] = 1.0;
    for (const TileOp &op : program.prologue)
      factors[op.result] = op.kind == TileOpKind::RowProduct ? op.scale : 1.0;
    bool changed = false;
    for (const TileOp &op : program.body) {
      std::optional<double> factor;
      bool unknown = false;
      switch (op.kind) {
      case TileOpKind::QueryKeyProduct:
      case TileOpKind::ScoreProduct:
      case TileOpKind::RowProduct:
        factor = op.scale;
        break;
      case TileOpKind::ValueProduct: {
        auto it = factors.find(op.probabilities);
        if (it == factors.end())
          unknown = true;
        else
          factor = it->second * op.scale;
        break;
      }
      case TileOpKind::RowReduce:
        factor = inferFactor(op.expression, factors, unknown);
        if (factor && op.reduction == ReduceKind::Max && *factor <= 0.0)
          factor = 1.0;
        break;
      case TileOpKind::Map:
        factor = inferFactor(op.expression, factors, unknown);
        break;
      }
      if (unknown || !factor)
        continue;
      const TileTensor &tensor = program.tensor(op.result);
      if (!tensor.running) {
        factors[op.result] = *factor;
        continue;
      }
      auto it = known.find(op.result);
      if (it == known.end()) {
        known[op.result] = *factor;
        changed = true;
      } else if (it->second != *factor && it->second != 1.0) {
        it->second = 1.0; // Conflicting: carry the plain value.
        changed = true;
      }
    }
    if (!changed)
      break;
  }
  for (StringAttr name : runningNames) {
    double factor = known.lookup(name);
    double initial = program.tensor(name).initial;
    // The initial value is stored divided by the factor; keep factors that
    // make that exact for the usual initials (0, -inf) or any finite one.
    result.runningFactor[name] =
        known.count(name) && factor != 0.0 && std::isfinite(factor) &&
                (std::isinf(initial) ? factor > 0.0 : true)
            ? factor
            : 1.0;
  }
}

void ScheduleAnalyzer::findLanePartialSums() {
  if (!lanesShareRows)
    return; // One lane holds each row whole: nothing to save.
  // Readers of each tensor: (op index, number of reads).
  DenseMap<StringAttr, SmallVector<size_t>> readers;
  auto noteReads = [&](ArrayRef<TileOp> ops, size_t offset) {
    for (auto [position, op] : llvm::enumerate(ops)) {
      auto note = [&](Attribute expression) {
        walkAccesses(expression, [&](AccessAttr access) {
          readers[access.getTensor()].push_back(offset + position);
        });
      };
      if (op.expression)
        note(op.expression);
      if (op.kind == TileOpKind::ValueProduct)
        readers[op.probabilities].push_back(offset + position);
    }
  };
  noteReads(program.body, 0);
  noteReads(program.epilogue, program.body.size());

  // R[m1 + 1] = add(X, mul(R[m1], U)) (either order) with X a row sum and
  // U any per-row expression not involving X or R: R stays a lane-partial
  // sum if its only other readers are the epilogue's (after a lane
  // reduction) and X's only reader is R's recurrence.
  for (const TileOp &op : program.body) {
    const TileTensor &tensor = program.tensor(op.result);
    if (!tensor.running || tensor.shape != TileShape::Row ||
        op.kind != TileOpKind::Map)
      continue;
    auto sum = dyn_cast<MapAttr>(op.expression);
    if (!sum || sum.getKind() != MapKind::Add || sum.getOperands().size() != 2)
      continue;
    for (unsigned side = 0; side < 2; ++side) {
      auto partial = dyn_cast<AccessAttr>(sum.getOperands()[side]);
      auto scaled = dyn_cast<MapAttr>(sum.getOperands()[1 - side]);
      if (!partial || !scaled || scaled.getKind() != MapKind::Mul ||
          scaled.getOperands().size() != 2)
        continue;
      const TileOp *reduce = nullptr;
      for (const TileOp &candidate : program.body)
        if (candidate.result == partial.getTensor() &&
            candidate.kind == TileOpKind::RowReduce &&
            candidate.reduction == ReduceKind::Sum)
          reduce = &candidate;
      if (!reduce || readers[partial.getTensor()].size() != 1)
        continue;
      bool recurrenceForm = false;
      for (unsigned factorSide = 0; factorSide < 2; ++factorSide) {
        auto self = dyn_cast<AccessAttr>(scaled.getOperands()[factorSide]);
        Attribute uniform = scaled.getOperands()[1 - factorSide];
        bool usesPartial = false;
        walkAccesses(uniform, [&](AccessAttr access) {
          usesPartial |= access.getTensor() == op.result ||
                         access.getTensor() == partial.getTensor() ||
                         result.lanePartial.contains(access.getTensor());
        });
        recurrenceForm |= self && self.getTensor() == op.result &&
                          runningReadOf(self, program) ==
                              RunningRead::Previous &&
                          !usesPartial;
      }
      if (!recurrenceForm)
        continue;
      // Every reader of R other than its recurrence is in the epilogue.
      bool onlyEpilogue = llvm::all_of(readers[op.result], [&](size_t reader) {
        return reader >= program.body.size() ||
               program.body[reader].result == op.result;
      });
      if (!onlyEpilogue)
        continue;
      result.lanePartial.insert(op.result);
      result.lanePartial.insert(partial.getTensor());
    }
  }
}

std::optional<double>
ScheduleAnalysis::outsideValueOf(Attribute expression) const {
  if (auto constant = dyn_cast<FloatAttr>(expression))
    return constant.getValueAsDouble();
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    auto found = outsideValues.find(access.getTensor());
    if (found == outsideValues.end())
      return std::nullopt;
    return found->second;
  }
  auto map = cast<MapAttr>(expression);
  ArrayRef<Attribute> operands = map.getOperands();
  MapKind kind = map.getKind();
  if (kind == MapKind::Select) {
    auto test = dyn_cast<MapAttr>(operands[0]);
    if (test && (test.getKind() == MapKind::Mask ||
                 test.getKind() == MapKind::MaskRegion))
      return outsideValueOf(operands[2]);
    return std::nullopt;
  }
  SmallVector<std::optional<double>> values;
  for (Attribute operand : operands)
    values.push_back(outsideValueOf(operand));
  auto is = [](std::optional<double> value, double expected) {
    return value && *value == expected;
  };
  bool known = llvm::all_of(values, [](auto value) { return value.has_value(); });
  switch (kind) {
  case MapKind::Mul:
    // Values are finite: a zero factor absorbs the others.
    if (llvm::any_of(values, [&](auto value) { return is(value, 0.0); }))
      return 0.0;
    break;
  case MapKind::Max:
    if (llvm::any_of(values, [&](auto value) { return is(value, kInfinity); }))
      return kInfinity;
    break;
  case MapKind::Min:
    if (llvm::any_of(values,
                     [&](auto value) { return is(value, -kInfinity); }))
      return -kInfinity;
    break;
  case MapKind::Exp:
    if (is(values[0], -kInfinity))
      return 0.0;
    break;
  case MapKind::ExpDiff:
    // exp(-inf - m) is 0 for any m, and so is the guarded m = -inf case.
    if (is(values[0], -kInfinity) || is(values[1], -kInfinity))
      return 0.0;
    break;
  case MapKind::DivOrZero:
    if (is(values[0], 0.0))
      return 0.0;
    break;
  default:
    break;
  }
  if (!known)
    return std::nullopt;
  switch (kind) {
  case MapKind::Add: {
    double sum = 0.0;
    for (auto value : values)
      sum += *value;
    return sum;
  }
  case MapKind::Mul: {
    double product = 1.0;
    for (auto value : values)
      product *= *value;
    return product;
  }
  case MapKind::Max:
  case MapKind::Min: {
    double result = *values[0];
    for (auto value : ArrayRef(values).drop_front())
      result = kind == MapKind::Max ? std::fmax(result, *value)
                                    : std::fmin(result, *value);
    return result;
  }
  case MapKind::Sub:
    return *values[0] - *values[1];
  case MapKind::Neg:
    return -*values[0];
  case MapKind::Exp:
    return std::exp(*values[0]);
  default:
    return std::nullopt;
  }
}

bool ScheduleAnalyzer::outsideIsNeutral(std::optional<double> product) {
  result.outsideValues.clear();
  result.outsideProduct = StringAttr();
  bool neutral = true;
  for (const TileOp &op : program.body) {
    switch (op.kind) {
    case TileOpKind::QueryKeyProduct:
    case TileOpKind::ScoreProduct:
      // The first product (the scores) only: setting a second one (dP) to
      // an infinity would meet the first's zeros.
      if (!result.outsideProduct) {
        result.outsideProduct = op.result;
        if (product)
          result.outsideValues[op.result] = *product;
      }
      break;
    case TileOpKind::RowProduct:
      break;
    case TileOpKind::Map:
      if (op.shape == TileShape::Score)
        if (std::optional<double> value = result.outsideValueOf(op.expression))
          result.outsideValues[op.result] = *value;
      break;
    case TileOpKind::RowReduce: {
      double identity = op.reduction == ReduceKind::Max ? -kInfinity : 0.0;
      neutral &= result.outsideValueOf(op.expression) == identity;
      break;
    }
    case TileOpKind::ValueProduct: {
      auto found = result.outsideValues.find(op.probabilities);
      neutral &= found != result.outsideValues.end() && found->second == 0.0;
      break;
    }
    }
  }
  return neutral;
}

void ScheduleAnalyzer::analyzeOutsideValues() {
  // Keys past Skv exist only in a ragged last tile. Prefer what the mask
  // tests already do there (they fail); else set the product's such keys
  // once to a value every consumer ignores (-inf for softmax, 0 for sums);
  // else each consumer selects its identity itself.
  for (std::optional<double> product :
       {std::optional<double>(), std::optional<double>(-kInfinity),
        std::optional<double>(0.0)})
    if (outsideIsNeutral(product)) {
      result.productOutside = product;
      return;
    }
  result.productOutside.reset();
  outsideIsNeutral(std::nullopt);
}

ScheduleAnalysis mlir::attn::schedule::analyzeSchedule(const TileProgram &program,
                                                       bool lanesShareRows) {
  return ScheduleAnalyzer(program, lanesShareRows).run();
}
