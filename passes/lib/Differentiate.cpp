//===- Differentiate.cpp - backward cascades of an attention cascade ------===//
//
// For every function @f returning the results of one attention-shaped
// attn.cascade (any stage: 3-pass, 2-pass, 1-pass, tiled, written by hand),
// writes @f_grad(q, k, v, data..., o[, lse], do) -> (dq, dk, dv, dbias...)
// out of cascades (docs/backward.md):
//
//   softmax weights (P = exp(S - LSE) with the saved log-sum-exp):
//     D[b,h,p]    = sum_f dO * O                          (cascade f_grad_delta)
//     P           = exp_diff(S, LSE)      dP = sum_f dO V
//     dS          = P * (dP - D)
//   element-wise weights W = w(QK) (sigmoid attention):
//     dS          = dP (the gradient of W)
//   then, with T = the derivative of S (or W) by QK, built symbolically from
//   the score expression (masks, score mods, arithmetic):
//     dQK         = dS * T
//     dV[b,h,m,f] = sum_p P dO          dK[b,h,m,e] = sum_p dQK Q c
//                                                      (cascade f_grad_kv)
//     dQ[b,h,p,e] = sum_m dQK K c,      dBias = dS * dS/dbias
//                                                      (cascade f_grad_q)
//   and for GQA the per-query-head dK, dV summed over each group of heads
//   (cascades f_grad_reduce_k, f_grad_reduce_v).
//
// The score expression is the forward's chain of element-wise Einsums from
// the query-key product to the softmax input (or to the weights), inlined
// and untiled; anything it cannot differentiate (a max or min of scores, a
// custom score region) is an error naming it.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDIFFERENTIATE
#include "attn/Passes/Passes.h.inc"

namespace {

/// On @f_grad: for each result, the argument of @f it is the gradient of.
constexpr llvm::StringLiteral kGradientArgumentsAttr = "attn.gradient_of";

/// Symbolic map expressions with zero as a null attribute, so that the
/// derivative of a chain of score mods stays as small as the chain.
class ExpressionBuilder {
public:
  explicit ExpressionBuilder(MLIRContext *context) : context(context) {}

  Attribute constant(double value) {
    return FloatAttr::get(Float64Type::get(context), value);
  }
  static std::optional<double> constantValue(Attribute expression) {
    if (auto value = dyn_cast_if_present<FloatAttr>(expression))
      return value.getValueAsDouble();
    return std::nullopt;
  }
  Attribute add(Attribute a, Attribute b) {
    if (!a)
      return b;
    if (!b)
      return a;
    return makeMap(MapKind::Add, {a, b});
  }
  Attribute sub(Attribute a, Attribute b) {
    if (!b)
      return a;
    if (!a)
      return neg(b);
    return makeMap(MapKind::Sub, {a, b});
  }
  Attribute neg(Attribute a) {
    if (!a)
      return a;
    if (std::optional<double> value = constantValue(a))
      return constant(-*value);
    return makeMap(MapKind::Neg, {a});
  }
  /// mul(operands..., scale), without the factor when it is 1.
  Attribute scaled(SmallVector<Attribute> operands, double scale) {
    if (scale != 1.0)
      operands.push_back(constant(scale));
    return makeMap(MapKind::Mul, operands);
  }
  Attribute mul(Attribute a, Attribute b) {
    if (!a || !b)
      return {};
    if (constantValue(a) == 1.0)
      return b;
    if (constantValue(b) == 1.0)
      return a;
    return makeMap(MapKind::Mul, {a, b});
  }
  Attribute div(Attribute a, Attribute b) {
    if (!a)
      return a;
    return makeMap(MapKind::Div, {a, b});
  }
  /// 1 - t * t: the derivative of tanh at the point where it is t.
  Attribute oneMinusSquare(Attribute t) {
    return makeMap(MapKind::Sub, {constant(1.0), makeMap(MapKind::Mul, {t, t})});
  }

private:
  MLIRContext *context;
};

/// What the derivative is taken with respect to: the query-key product, or
/// the additive bias of one data operand.
struct Variable {
  bool isQueryKey = true;
  unsigned biasOperand = 0;
};

/// The derivative of an untiled score expression, in the same language.
class ExpressionDifferentiator {
public:
  /// With `deadWhereNegativeInfinite`, a score of -inf (a masked key) has
  /// weight 0 and gradient 0 whatever its derivative (softmax), so
  /// `select(mask, x, -inf)` differentiates to x' alone.
  ExpressionDifferentiator(ExpressionBuilder &build, StringAttr queryKey,
                           CascadeOp cascade, bool deadWhereNegativeInfinite)
      : build(build), queryKey(queryKey), cascade(cascade),
        deadWhereNegativeInfinite(deadWhereNegativeInfinite) {}

  /// Null means the derivative is 0.
  FailureOr<Attribute> derive(Attribute expression, Variable wrt) {
    if (auto access = dyn_cast<AccessAttr>(expression))
      return Attribute(wrt.isQueryKey && access.getTensor() == queryKey
                           ? build.constant(1.0)
                           : Attribute());
    if (isa<FloatAttr>(expression))
      return Attribute();
    auto map = cast<MapAttr>(expression);
    ArrayRef<Attribute> operands = map.getOperands();
    SmallVector<Attribute> derived;
    for (Attribute operand : operands) {
      if (auto test = dyn_cast<MapAttr>(operand);
          test && (test.getKind() == MapKind::Mask ||
                   test.getKind() == MapKind::MaskRegion)) {
        derived.push_back({});
        continue;
      }
      FailureOr<Attribute> d = derive(operand, wrt);
      if (failed(d))
        return failure();
      derived.push_back(*d);
    }
    auto anyNonZero = llvm::any_of(derived, [](Attribute d) { return !!d; });

    switch (map.getKind()) {
    case MapKind::Add: {
      Attribute sum;
      for (Attribute d : derived)
        sum = build.add(sum, d);
      return sum;
    }
    case MapKind::Sub:
      return build.sub(derived[0], derived[1]);
    case MapKind::Neg:
      return build.neg(derived[0]);
    case MapKind::Mul: {
      Attribute sum;
      for (auto [position, d] : llvm::enumerate(derived)) {
        Attribute term = d;
        for (auto [other, operand] : llvm::enumerate(operands))
          if (other != position)
            term = build.mul(term, operand);
        sum = build.add(sum, term);
      }
      return sum;
    }
    case MapKind::Div:
    case MapKind::DivOrZero: {
      // (a / b)' = a' / b - a b' / (b b); the guarded form keeps its guard.
      MapKind divide = map.getKind();
      Attribute a = operands[0], b = operands[1];
      Attribute first =
          derived[0] ? makeMap(divide, {derived[0], b}) : Attribute();
      Attribute second =
          derived[1] ? makeMap(divide, {build.mul(a, derived[1]),
                                        makeMap(MapKind::Mul, {b, b})})
                     : Attribute();
      return build.sub(first, second);
    }
    case MapKind::Exp:
      return build.mul(map, derived[0]);
    case MapKind::ExpDiff:
      return build.mul(map, build.sub(derived[0], derived[1]));
    case MapKind::Log:
      return build.div(derived[0], operands[0]);
    case MapKind::Tanh:
      return build.mul(build.oneMinusSquare(map), derived[0]);
    case MapKind::Select:
      if (!anyNonZero)
        return Attribute();
      if (deadWhereNegativeInfinite && !derived[2] &&
          ExpressionBuilder::constantValue(operands[2]) ==
              -std::numeric_limits<double>::infinity())
        return derived[1];
      return Attribute(makeMap(
          MapKind::Select,
          {operands[0], derived[1] ? derived[1] : build.constant(0.0),
           derived[2] ? derived[2] : build.constant(0.0)}));
    case MapKind::ScoreMod:
      return deriveScoreMod(map, derived[0], wrt);
    case MapKind::Max:
    case MapKind::Min:
      if (!anyNonZero)
        return Attribute();
      return fail() << "cannot differentiate '"
                    << stringifyMapKind(map.getKind())
                    << "' of the scores (its derivative selects an operand "
                       "by comparison, which a map cannot say)";
    case MapKind::ScoreRegion: {
      FailureOr<Attribute> inlined = translateScoreRegion(operands[0]);
      if (failed(inlined))
        return failure();
      FailureOr<Attribute> d = derive(*inlined, wrt);
      if (failed(d))
        return failure();
      bool opaque = false;
      if (*d)
        walkAccesses(*d, [&](AccessAttr access) {
          opaque |= access.getTensor().getValue().starts_with(kOpaque);
        });
      if (opaque)
        return fail() << "cannot differentiate the score region: the "
                         "derivative by the score needs a value computed "
                         "from the indices or data operands, which a map "
                         "cannot read";
      return *d;
    }
    case MapKind::Mask:
    case MapKind::MaskRegion:
      return Attribute();
    }
    return Attribute();
  }

private:
  /// Names of the region values a map cannot compute (index arithmetic,
  /// data reads): opaque constants for the derivative.
  static constexpr llvm::StringLiteral kOpaque = "region value ";

  InFlightDiagnostic fail() {
    return cascade->emitOpError() << "backward: ";
  }

  /// The score region applied to `score` as a map expression: its float
  /// arithmetic on the score becomes map actions, values that do not depend
  /// on the score and are not constants become opaque leaves.
  FailureOr<Attribute> translateScoreRegion(Attribute score) {
    Block &body = cascade.getScoreRegion().front();
    llvm::DenseMap<Value, Attribute> values;
    llvm::DenseSet<Value> onScore;
    values[body.getArgument(0)] = score;
    onScore.insert(body.getArgument(0));
    unsigned opaqueCount = 0;
    for (Operation &op : body) {
      bool dependsOnScore = llvm::any_of(
          op.getOperands(), [&](Value v) { return onScore.contains(v); });
      if (auto yield = dyn_cast<YieldOp>(op))
        return values.lookup(yield->getOperand(0));
      if (op.getNumResults() != 1)
        return fail() << "cannot differentiate the score region: '"
                      << op.getName() << "' has " << op.getNumResults()
                      << " results";
      Value result = op.getResult(0);
      if (auto constant = dyn_cast<arith::ConstantOp>(op))
        if (auto value = dyn_cast<FloatAttr>(constant.getValue())) {
          values[result] = build.constant(value.getValueAsDouble());
          continue;
        }
      if (!dependsOnScore) {
        values[result] = makeAccess(
            cascade.getContext(),
            (kOpaque + std::to_string(opaqueCount++)).str(), {});
        continue;
      }
      onScore.insert(result);
      SmallVector<Attribute> in = llvm::map_to_vector(
          op.getOperands(), [&](Value v) { return values.lookup(v); });
      auto binary = [&](MapKind kind) { return makeMap(kind, in); };
      Attribute mapped =
          llvm::TypeSwitch<Operation *, Attribute>(&op)
              .Case<arith::AddFOp>([&](auto) { return binary(MapKind::Add); })
              .Case<arith::SubFOp>([&](auto) { return binary(MapKind::Sub); })
              .Case<arith::MulFOp>([&](auto) { return binary(MapKind::Mul); })
              .Case<arith::DivFOp>([&](auto) { return binary(MapKind::Div); })
              .Case<arith::NegFOp>([&](auto) { return binary(MapKind::Neg); })
              .Case<arith::MaximumFOp, arith::MaxNumFOp>(
                  [&](auto) { return binary(MapKind::Max); })
              .Case<arith::MinimumFOp, arith::MinNumFOp>(
                  [&](auto) { return binary(MapKind::Min); })
              .Case<math::ExpOp>([&](auto) { return binary(MapKind::Exp); })
              .Case<math::LogOp>([&](auto) { return binary(MapKind::Log); })
              .Case<math::TanhOp>([&](auto) { return binary(MapKind::Tanh); })
              .Case<arith::ExtFOp, arith::TruncFOp>(
                  [&](auto) { return in[0]; })
              .Default([](Operation *) { return Attribute(); });
      if (!mapped)
        return fail() << "cannot differentiate the score region: '"
                      << op.getName()
                      << "' of the score has no derivative here";
      values[result] = mapped;
    }
    return fail() << "cannot differentiate the score region: no attn.yield";
  }

  FailureOr<Attribute> deriveScoreMod(MapAttr map, Attribute derivedScore,
                                      Variable wrt) {
    Attribute rule = map.getRule();
    if (auto softcap = dyn_cast<SoftcapAttr>(rule)) {
      // cap * tanh(x / cap) has derivative 1 - tanh(x / cap)^2.
      double cap = softcap.getCap().convertToDouble();
      Attribute t = makeMap(
          MapKind::Tanh,
          {makeMap(MapKind::Mul, {map.getOperands()[0], build.constant(1.0 / cap)})});
      return build.mul(build.oneMinusSquare(t), derivedScore);
    }
    if (isa<AlibiAttr>(rule))
      return derivedScore;
    if (auto bias = dyn_cast<BiasAttr>(rule)) {
      bool isVariable =
          !wrt.isQueryKey && bias.getOperand() == wrt.biasOperand;
      return build.add(derivedScore,
                       isVariable ? build.constant(1.0) : Attribute());
    }
    return fail() << "cannot differentiate score mod " << rule
                  << ": its derivative is not known";
  }

  ExpressionBuilder &build;
  StringAttr queryKey;
  CascadeOp cascade;
  bool deadWhereNegativeInfinite;
};

/// The forward cascade, read as attention: O = sum_m weights * V.
struct ForwardAttention {
  CascadeOp cascade;
  CascadeStructure structure;
  /// Binding ranks of the query [b, h, p, e], key [b, g, m, e] and value
  /// [b, g, m, f], and the names of the three inputs.
  SmallVector<StringAttr> queryRanks, keyRanks, valueRanks;
  StringAttr queryName, keyName, valueName;
  /// The constant factors of the query-key product and the value product.
  double queryKeyScale = 1.0, valueScale = 1.0;
  /// True for softmax weights exp(S - LSE); false for element-wise weights.
  bool softmax = false;
  /// The softmax input S or the weights W, untiled, as an expression of
  /// @QK[b, h, p, m] (the name `queryKeyName`), the inputs and the rules.
  Attribute scoreExpression;
  StringAttr queryKeyName;
  /// Float data operands read by #attn.bias score mods.
  SmallVector<unsigned> biasOperands;
};

class ForwardReader {
public:
  ForwardReader(CascadeOp cascade, CascadeStructure structure)
      : cascade(cascade), context(cascade.getContext()) {
    forward.cascade = cascade;
    forward.structure = std::move(structure);
  }

  FailureOr<ForwardAttention> read();

private:
  InFlightDiagnostic error() {
    return cascade.emitOpError() << "backward: ";
  }
  const CascadeStructure &structure() const { return forward.structure; }
  EinsumOp definition(StringAttr tensor) const {
    auto found = structure().tensors.find(tensor);
    if (found == structure().tensors.end())
      return {};
    return found->second.definition;
  }
  bool isInput(StringAttr tensor, unsigned position) const {
    auto found = structure().tensors.find(tensor);
    return found != structure().tensors.end() &&
           found->second.kind == CascadeTensor::Kind::Input &&
           found->second.input == position;
  }
  /// Whether `einsum` is sum_e Q K (times constants, whose product goes to
  /// `scale`).
  bool isQueryKeyProduct(EinsumOp einsum, double &scale) const;
  FailureOr<Attribute> inlineScores(StringAttr tensor, unsigned depth);
  IndexTermAttr untile(IndexTermAttr term) const;
  /// Checks that the yielded O (and LSE) are the attention of the weights
  /// the value product reads, so that the backward's formulas apply.
  LogicalResult checkOutputs(EinsumOp valueProduct, EinsumOp exponent,
                             StringAttr normalizer);

  CascadeOp cascade;
  MLIRContext *context;
  ForwardAttention forward;
  llvm::DenseMap<StringAttr, StringAttr> partitionParent;
};

bool ForwardReader::isQueryKeyProduct(EinsumOp einsum, double &scale) const {
  auto map = dyn_cast<MapAttr>(einsum.getMap());
  if (!map || map.getKind() != MapKind::Mul ||
      einsum.getReducer() != ReduceKind::Sum)
    return false;
  bool readsQuery = false, readsKey = false;
  double product = 1.0;
  for (Attribute operand : map.getOperands()) {
    if (auto value = ExpressionBuilder::constantValue(operand)) {
      product *= *value;
      continue;
    }
    auto access = dyn_cast<AccessAttr>(operand);
    if (!access)
      return false;
    if (isInput(access.getTensor(), 0) && !readsQuery)
      readsQuery = true;
    else if (isInput(access.getTensor(), 1) && !readsKey)
      readsKey = true;
    else
      return false;
  }
  scale = product;
  return readsQuery && readsKey;
}

IndexTermAttr ForwardReader::untile(IndexTermAttr term) const {
  if (term.getKind() != IndexTermKind::Tiled)
    return term;
  return IndexTermAttr::getRank(partitionParent.lookup(term.getRank()));
}

FailureOr<Attribute> ForwardReader::inlineScores(StringAttr tensor,
                                                 unsigned depth) {
  EinsumOp einsum = definition(tensor);
  if (!einsum || depth > 64)
    return error() << "the scores depend on @" << tensor.getValue()
                   << ", which is not an Einsum of the cascade";
  double scale = 1.0;
  if (isQueryKeyProduct(einsum, scale)) {
    if (forward.queryKeyName && forward.queryKeyName != tensor)
      return error() << "the scores read two query-key products, @"
                     << forward.queryKeyName.getValue() << " and @"
                     << tensor.getValue();
    forward.queryKeyName = tensor;
    forward.queryKeyScale = scale;
    SmallVector<IndexTermAttr> terms = rankTerms(
        context, {forward.queryRanks[0], forward.queryRanks[1],
                  forward.queryRanks[2], forward.keyRanks[2]});
    return Attribute(AccessAttr::get(context, tensor, terms));
  }
  if (einsum.getReducer())
    return error() << "the scores depend on @" << tensor.getValue()
                   << ", a reduction that is not the query-key product; "
                      "only element-wise functions of Q.K differentiate";
  if (einsum->getParentOfType<IterateOp>() &&
      structure().tensor(tensor).kind == CascadeTensor::Kind::Running)
    return error() << "the scores depend on running tensor @"
                   << tensor.getValue();
  bool failedRead = false;
  Attribute inlined =
      rewriteExpression(einsum.getMap(), [&](Attribute node) -> Attribute {
        if (auto access = dyn_cast<AccessAttr>(node)) {
          if (failedRead)
            return node;
          FailureOr<Attribute> replaced =
              inlineScores(access.getTensor(), depth + 1);
          if (failed(replaced)) {
            failedRead = true;
            return node;
          }
          return *replaced;
        }
        if (auto map = dyn_cast<MapAttr>(node); map && !map.getPoint().empty()) {
          SmallVector<IndexTermAttr> point = llvm::map_to_vector(
              map.getPoint(), [&](IndexTermAttr term) { return untile(term); });
          return MapAttr::get(context, map.getKind(), map.getOperands(),
                              map.getRule(), point);
        }
        return node;
      });
  if (failedRead)
    return failure();
  return inlined;
}

LogicalResult ForwardReader::checkOutputs(EinsumOp valueProduct,
                                          EinsumOp exponent,
                                          StringAttr normalizer) {
  CascadeYieldOp yield = cascade.getYield();
  ArrayRef<Attribute> yielded = yield.getTensors().getValue();
  StringAttr output = cast<AccessAttr>(yielded[0]).getTensor();
  StringAttr product = valueProduct.getTensorAttr();
  // Whether `tensor` is the value product, or a running tensor whose
  // recurrence adds it.
  auto accumulates = [&](StringAttr tensor) {
    if (tensor == product)
      return true;
    const CascadeTensor &found = structure().tensor(tensor);
    if (found.kind != CascadeTensor::Kind::Running || !found.definition)
      return false;
    bool reads = false;
    walkAccesses(EinsumOp(found.definition).getMap(), [&](AccessAttr access) {
      reads |= access.getTensor() == product;
    });
    return reads;
  };

  if (!forward.softmax) {
    // O = sum_m W V, possibly as a running sum read at its final index.
    EinsumOp outputEinsum = definition(output);
    StringAttr accumulated = output;
    if (output != product) {
      auto copy = outputEinsum ? dyn_cast<AccessAttr>(outputEinsum.getMap())
                               : AccessAttr();
      if (!copy)
        return error() << "the output @" << output.getValue()
                       << " is not the value product @" << product.getValue()
                       << " or a running sum of it";
      accumulated = copy.getTensor();
      const CascadeTensor &running = structure().tensor(accumulated);
      auto recurrence =
          running.definition ? dyn_cast<MapAttr>(EinsumOp(running.definition).getMap())
                             : MapAttr();
      bool plainSum = recurrence && recurrence.getKind() == MapKind::Add &&
                      recurrence.getOperands().size() == 2 &&
                      llvm::all_of(recurrence.getOperands(), [&](Attribute a) {
                        auto access = dyn_cast<AccessAttr>(a);
                        return access && (access.getTensor() == product ||
                                          access.getTensor() == accumulated);
                      });
      if (running.kind != CascadeTensor::Kind::Running || !plainSum)
        return error() << "the output @" << output.getValue()
                       << " must be the value product @" << product.getValue()
                       << " summed over the key tiles (add(@R[.., m1], @"
                       << product.getValue() << "[.., m1]))";
    }
    return success();
  }

  // Softmax: O = numerator / Dn (or the value product of div_or_zero(SN, Dn))
  // and LSE = M + log(Dn), with M the maximum exp_diff subtracts.
  if (yielded.size() != 2)
    return error() << "the backward of softmax attention reads the forward's "
                      "log-sum-exp: return it as the cascade's second result "
                      "(attn.attention ... -> (o, lse))";
  StringAttr lse = cast<AccessAttr>(yielded[1]).getTensor();
  StringAttr maximum =
      cast<AccessAttr>(cast<MapAttr>(exponent.getMap()).getOperands()[1])
          .getTensor();
  EinsumOp lseEinsum = definition(lse);
  auto lseMap = lseEinsum ? dyn_cast<MapAttr>(lseEinsum.getMap()) : MapAttr();
  auto readsTensor = [](Attribute a, StringAttr tensor) {
    auto access = dyn_cast<AccessAttr>(a);
    return access && access.getTensor() == tensor;
  };
  StringAttr denominator = normalizer;
  if (!denominator) {
    EinsumOp outputEinsum = definition(output);
    auto outputMap =
        outputEinsum ? dyn_cast<MapAttr>(outputEinsum.getMap()) : MapAttr();
    if (!outputMap || outputMap.getKind() != MapKind::DivOrZero ||
        !isa<AccessAttr>(outputMap.getOperands()[0]) ||
        !isa<AccessAttr>(outputMap.getOperands()[1]) ||
        !accumulates(
            cast<AccessAttr>(outputMap.getOperands()[0]).getTensor()))
      return error() << "the output @" << output.getValue()
                     << " must divide the value product @"
                     << product.getValue()
                     << " (or its running sum) by the softmax denominator";
    denominator = cast<AccessAttr>(outputMap.getOperands()[1]).getTensor();
  } else if (output != product) {
    return error() << "the output @" << output.getValue()
                   << " must be the value product @" << product.getValue();
  }
  bool isLse = lseMap && lseMap.getKind() == MapKind::Add &&
               lseMap.getOperands().size() == 2 &&
               readsTensor(lseMap.getOperands()[0], maximum);
  if (isLse) {
    auto log = dyn_cast<MapAttr>(lseMap.getOperands()[1]);
    isLse = log && log.getKind() == MapKind::Log &&
            readsTensor(log.getOperands()[0], denominator);
  }
  if (!isLse)
    return error() << "the second result @" << lse.getValue()
                   << " must be the log-sum-exp add(@" << maximum.getValue()
                   << ", log(@" << denominator.getValue()
                   << ")) of the softmax the output divides by";
  return success();
}

FailureOr<ForwardAttention> ForwardReader::read() {
  auto inputs = cascade.getInputs();
  if (inputs.size() != 3 ||
      llvm::any_of(inputs, [](Value v) {
        return cast<RankedTensorType>(v.getType()).getRank() != 4;
      }))
    return error() << "differentiates attention cascades: three inputs, the "
                      "query, key and value, of rank 4 each";
  if (cascade.getNumResults() < 1 || cascade.getNumResults() > 2)
    return error() << "differentiates cascades returning O (and the "
                      "log-sum-exp), got "
                   << cascade.getNumResults() << " results";
  auto bindingRanks = [](AccessAttr binding) {
    return llvm::map_to_vector(binding.getIndices(),
                               [](IndexTermAttr t) { return t.getRank(); });
  };
  auto bindings = cascade.getBindings().getAsRange<AccessAttr>();
  auto binding = bindings.begin();
  forward.queryName = (*binding).getTensor();
  forward.queryRanks = bindingRanks(*binding++);
  forward.keyName = (*binding).getTensor();
  forward.keyRanks = bindingRanks(*binding++);
  forward.valueName = (*binding).getTensor();
  forward.valueRanks = bindingRanks(*binding);
  for (auto &[parent, parts] : structure().partitions) {
    partitionParent[parts.first] = parent;
    partitionParent[parts.second] = parent;
  }

  // The value product: sum over the keys of weights times V.
  EinsumOp valueProduct;
  StringAttr weights;
  WalkResult walk = cascade.getBody().walk([&](EinsumOp einsum) {
    auto map = dyn_cast<MapAttr>(einsum.getMap());
    if (!map || map.getKind() != MapKind::Mul)
      return WalkResult::advance();
    bool readsValue = false;
    StringAttr other;
    unsigned others = 0;
    double scale = 1.0;
    for (Attribute operand : map.getOperands()) {
      if (auto value = ExpressionBuilder::constantValue(operand)) {
        scale *= *value;
        continue;
      }
      auto access = dyn_cast<AccessAttr>(operand);
      if (access && isInput(access.getTensor(), 2))
        readsValue = true;
      else if (access) {
        other = access.getTensor();
        ++others;
      } else {
        ++others;
      }
    }
    if (!readsValue)
      return WalkResult::advance();
    if (valueProduct || others != 1 || !other ||
        einsum.getReducer() != ReduceKind::Sum) {
      error() << "the value @" << forward.valueName.getValue()
              << " must be read once, by a sum over the keys of one weight "
                 "tensor times V (and constants)";
      return WalkResult::interrupt();
    }
    valueProduct = einsum;
    weights = other;
    forward.valueScale = scale;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!valueProduct)
    return error() << "no Einsum reads the value @"
                   << forward.valueName.getValue();

  // Softmax weights: exp_diff(S, M), divided (3-pass) or not (deferred).
  EinsumOp exponent = definition(weights);
  StringAttr normalizer;
  if (auto map = exponent ? dyn_cast<MapAttr>(exponent.getMap()) : MapAttr();
      map && map.getKind() == MapKind::DivOrZero &&
      isa<AccessAttr>(map.getOperands()[0]) &&
      isa<AccessAttr>(map.getOperands()[1])) {
    normalizer = cast<AccessAttr>(map.getOperands()[1]).getTensor();
    exponent = definition(cast<AccessAttr>(map.getOperands()[0]).getTensor());
  }
  auto exponentMap =
      exponent ? dyn_cast<MapAttr>(exponent.getMap()) : MapAttr();
  forward.softmax = exponentMap && exponentMap.getKind() == MapKind::ExpDiff &&
                    isa<AccessAttr>(exponentMap.getOperands()[0]) &&
                    isa<AccessAttr>(exponentMap.getOperands()[1]);
  if (!forward.softmax && normalizer)
    return error() << "@" << weights.getValue()
                   << " divides something other than exp_diff(S, M) by @"
                   << normalizer.getValue();
  if (failed(checkOutputs(valueProduct, exponent, normalizer)))
    return failure();

  StringAttr scores =
      forward.softmax
          ? cast<AccessAttr>(exponentMap.getOperands()[0]).getTensor()
          : weights;
  FailureOr<Attribute> expression = inlineScores(scores, 0);
  if (failed(expression))
    return failure();
  if (!forward.queryKeyName)
    return error() << "the scores @" << scores.getValue()
                   << " do not read a query-key product (sum_e Q K)";
  forward.scoreExpression = *expression;

  walkMaps(forward.scoreExpression, [&](MapAttr map) {
    if (auto bias = dyn_cast_if_present<BiasAttr>(map.getRule()))
      if (!llvm::is_contained(forward.biasOperands, bias.getOperand()))
        forward.biasOperands.push_back(bias.getOperand());
  });
  for (unsigned operand : forward.biasOperands) {
    auto type = cast<RankedTensorType>(
        cascade.getData()[operand].getType());
    if (!isa<FloatType>(type.getElementType()))
      return error() << "bias operand #" << operand << " is not a float tensor";
  }
  return forward;
}

/// Builds @<name>_grad next to the forward function.
class BackwardBuilder {
public:
  BackwardBuilder(ForwardAttention forward, func::FuncOp function)
      : forward(std::move(forward)), function(function),
        context(function.getContext()), build(context),
        loc(forward.cascade.getLoc()) {
    for (StringAttr name : {this->forward.queryName, this->forward.keyName,
                            this->forward.valueName})
      taken.insert(name.getValue());
  }

  LogicalResult run();

private:
  /// A tensor name that does not shadow one of the bound inputs.
  std::string fresh(StringRef name) {
    std::string candidate = name.str();
    while (taken.contains(candidate))
      candidate += "_";
    return candidate;
  }
  StringRef rank(unsigned input, unsigned dim) const {
    const SmallVector<StringAttr> &ranks =
        input == 0 ? forward.queryRanks
                   : (input == 1 ? forward.keyRanks : forward.valueRanks);
    return ranks[dim].getValue();
  }
  AccessAttr access(StringRef tensor, ArrayRef<StringRef> ranks) {
    return makeAccess(context, tensor, rankTerms(context, ranks));
  }
  /// K or V read at the KV head of query head h.
  AccessAttr keyValueAccess(StringRef tensor, unsigned input) {
    SmallVector<IndexTermAttr> terms = rankTerms(context, {rank(0, 0)});
    StringAttr kvHead = StringAttr::get(context, rank(input, 1));
    StringAttr queryHead = StringAttr::get(context, rank(0, 1));
    terms.push_back(kvHead == queryHead
                        ? IndexTermAttr::getRank(queryHead)
                        : IndexTermAttr::getHeadMap(kvHead, queryHead));
    llvm::append_range(terms, rankTerms(context, {rank(input, 2), rank(input, 3)}));
    return makeAccess(context, tensor, terms);
  }
  AccessAttr perScore(StringRef tensor) {
    return access(tensor, {rank(0, 0), rank(0, 1), rank(0, 2), rank(1, 2)});
  }
  AccessAttr perRow(StringRef tensor) {
    return access(tensor, {rank(0, 0), rank(0, 1), rank(0, 2)});
  }
  AccessAttr gradientOfOutput() {
    return access(names.outputGradient,
                  {rank(0, 0), rank(0, 1), rank(0, 2), rank(2, 3)});
  }
  void einsum(OpBuilder &builder, AccessAttr output, Attribute map,
              ArrayRef<StringRef> reduced = {}) {
    SmallVector<StringAttr> ranks = llvm::map_to_vector(
        reduced, [&](StringRef r) { return StringAttr::get(context, r); });
    createEinsum(builder, loc, output, map,
                 reduced.empty() ? std::nullopt
                                 : std::optional<ReduceKind>(ReduceKind::Sum),
                 ranks);
  }
  CascadeOp createCascade(OpBuilder &builder, StringRef suffix,
                          TypeRange results, ArrayRef<Value> inputs,
                          ArrayRef<Attribute> bindings, ValueRange data,
                          bool withRegions);
  /// Recomputes the scores and their gradient dS (softmax) or dW, then dQK.
  void emitScoreGradients(OpBuilder &builder);
  RankedTensorType perRowType(Type element) const;

  ForwardAttention forward;
  func::FuncOp function;
  MLIRContext *context;
  ExpressionBuilder build;
  Location loc;
  llvm::StringSet<> taken;
  Attribute queryKeyDerivative;
  SmallVector<Attribute> biasDerivatives;
  struct Names {
    std::string outputGradient, output, lse, delta, queryKey, scores,
        probabilities, probabilityGradient, scoreGradient, queryKeyGradient;
  } names;
};

RankedTensorType BackwardBuilder::perRowType(Type element) const {
  auto query = cast<RankedTensorType>(
      CascadeOp(forward.cascade).getInputs()[0].getType());
  return RankedTensorType::get(query.getShape().take_front(3), element);
}

CascadeOp BackwardBuilder::createCascade(OpBuilder &builder, StringRef suffix,
                                         TypeRange results,
                                         ArrayRef<Value> inputs,
                                         ArrayRef<Attribute> bindings,
                                         ValueRange data, bool withRegions) {
  std::string name =
      (forward.cascade.getCascadeName() + "_grad_" + suffix).str();
  auto cascade =
      CascadeOp::create(builder, loc, results, inputs, data,
                        builder.getStringAttr(name),
                        builder.getArrayAttr(bindings));
  if (withRegions) {
    IRMapping mapping;
    forward.cascade.getMaskRegion().cloneInto(&cascade.getMaskRegion(),
                                              mapping);
    forward.cascade.getScoreRegion().cloneInto(&cascade.getScoreRegion(),
                                               mapping);
  }
  cascade.getBody().emplaceBlock();
  return cascade;
}

void BackwardBuilder::emitScoreGradients(OpBuilder &builder) {
  einsum(builder, perScore(names.queryKey),
         build.scaled({access(forward.queryName, {rank(0, 0), rank(0, 1),
                                                  rank(0, 2), rank(0, 3)}),
                       keyValueAccess(forward.keyName, 1)},
                      forward.queryKeyScale),
         {rank(0, 3)});
  einsum(builder, perScore(names.scores), forward.scoreExpression);
  if (forward.softmax)
    einsum(builder, perScore(names.probabilities),
           makeMap(MapKind::ExpDiff,
                   {perScore(names.scores), perRow(names.lse)}));
  einsum(builder, perScore(names.probabilityGradient),
         build.scaled({gradientOfOutput(), keyValueAccess(forward.valueName, 2)},
                      forward.valueScale),
         {rank(2, 3)});
  if (forward.softmax)
    einsum(builder, perScore(names.scoreGradient),
           makeMap(MapKind::Mul,
                   {perScore(names.probabilities),
                    makeMap(MapKind::Sub, {perScore(names.probabilityGradient),
                                           perRow(names.delta)})}));
  // dQK = dS * T; when T is 1 (no score mods), dS is dQK.
  Attribute gradient = build.mul(perScore(names.scoreGradient),
                                 queryKeyDerivative
                                     ? queryKeyDerivative
                                     : build.constant(0.0));
  if (gradient != perScore(names.scoreGradient))
    einsum(builder, perScore(names.queryKeyGradient), gradient);
  else
    names.queryKeyGradient = names.scoreGradient;
}

LogicalResult BackwardBuilder::run() {
  CascadeOp cascade = forward.cascade;
  ExpressionDifferentiator differentiate(build, forward.queryKeyName, cascade,
                                         forward.softmax);
  FailureOr<Attribute> derivative =
      differentiate.derive(forward.scoreExpression, Variable{});
  if (failed(derivative))
    return failure();
  queryKeyDerivative = *derivative;
  for (unsigned operand : forward.biasOperands) {
    FailureOr<Attribute> biasDerivative =
        differentiate.derive(forward.scoreExpression, Variable{false, operand});
    if (failed(biasDerivative))
      return failure();
    biasDerivatives.push_back(*biasDerivative);
  }

  names.outputGradient = fresh("DO");
  names.output = fresh("O");
  names.lse = fresh("LSE");
  names.delta = fresh("D");
  names.queryKey = fresh("QK");
  names.scores = fresh("S");
  names.probabilities = forward.softmax ? fresh("P") : names.scores;
  names.probabilityGradient = fresh("DP");
  names.scoreGradient =
      forward.softmax ? fresh("DS") : names.probabilityGradient;
  names.queryKeyGradient = fresh("DQK");
  // The expressions read the query-key product under the forward's name.
  auto renameQueryKey = [&](Attribute e) -> Attribute {
    if (!e)
      return e;
    return rewriteExpression(e, [&](Attribute node) -> Attribute {
      if (auto a = dyn_cast<AccessAttr>(node);
          a && a.getTensor() == forward.queryKeyName)
        return perScore(names.queryKey);
      return node;
    });
  };
  forward.scoreExpression = renameQueryKey(forward.scoreExpression);
  queryKeyDerivative = renameQueryKey(queryKeyDerivative);
  for (Attribute &d : biasDerivatives)
    d = renameQueryKey(d);

  // The signature: the forward's arguments, its results, then dO.
  auto argumentOf = [&](Value value) -> std::optional<unsigned> {
    auto argument = dyn_cast<BlockArgument>(value);
    if (!argument || argument.getOwner()->getParentOp() != function)
      return std::nullopt;
    return argument.getArgNumber();
  };
  SmallVector<Value> operands(cascade->getOperands());
  for (Value operand : operands)
    if (!argumentOf(operand))
      return cascade.emitOpError()
             << "backward: every input and data operand must be an argument "
                "of @"
             << function.getSymName();
  SmallVector<Type> argumentTypes(function.getArgumentTypes());
  llvm::append_range(argumentTypes, cascade.getResultTypes());
  Type outputType = cascade.getResultTypes()[0];
  argumentTypes.push_back(outputType);

  auto queryType = cast<RankedTensorType>(cascade.getInputs()[0].getType());
  auto keyType = cast<RankedTensorType>(cascade.getInputs()[1].getType());
  auto valueType = cast<RankedTensorType>(cascade.getInputs()[2].getType());
  Type f32 = Float32Type::get(context);
  SmallVector<Type> resultTypes = {queryType, keyType, valueType};
  for (unsigned operand : forward.biasOperands) {
    auto bias = cast<RankedTensorType>(cascade.getData()[operand].getType());
    resultTypes.push_back(RankedTensorType::get(
        {queryType.getDimSize(0), queryType.getDimSize(1),
         queryType.getDimSize(2), keyType.getDimSize(2)},
        bias.getElementType()));
  }

  OpBuilder builder(function);
  builder.setInsertionPointAfter(function);
  std::string gradName = (function.getSymName() + "_grad").str();
  auto grad = func::FuncOp::create(
      builder, function.getLoc(), gradName,
      builder.getFunctionType(argumentTypes, resultTypes));
  Block *entry = grad.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  auto mapped = [&](Value forwardValue) {
    return entry->getArgument(*argumentOf(forwardValue));
  };
  unsigned resultBase = function.getNumArguments();
  Value outputValue = entry->getArgument(resultBase);
  Value lseValue = cascade.getNumResults() == 2
                       ? entry->getArgument(resultBase + 1)
                       : Value();
  Value outputGradient = entry->getArgument(entry->getNumArguments() - 1);
  Value query = mapped(cascade.getInputs()[0]),
        key = mapped(cascade.getInputs()[1]),
        value = mapped(cascade.getInputs()[2]);
  SmallVector<Value> data;
  for (Value v : cascade.getData())
    data.push_back(mapped(v));

  SmallVector<StringRef> outputRanks = {rank(0, 0), rank(0, 1), rank(0, 2),
                                        rank(2, 3)};
  Value delta;
  if (forward.softmax) {
    CascadeOp deltaCascade = createCascade(
        builder, "delta", {perRowType(f32)}, {outputValue, outputGradient},
        {access(names.output, outputRanks), gradientOfOutput()}, {}, false);
    OpBuilder body = OpBuilder::atBlockBegin(&deltaCascade.getBody().front());
    einsum(body, perRow(names.delta),
           makeMap(MapKind::Mul,
                   {gradientOfOutput(), access(names.output, outputRanks)}),
           {rank(2, 3)});
    CascadeYieldOp::create(body, loc,
                           body.getArrayAttr({perRow(names.delta)}));
    delta = deltaCascade.getResult(0);
  }

  SmallVector<Value> inputs = {query, key, value, outputGradient};
  SmallVector<Attribute> bindings = llvm::to_vector(cascade.getBindings());
  bindings.push_back(gradientOfOutput());
  if (forward.softmax) {
    inputs.push_back(lseValue);
    bindings.push_back(perRow(names.lse));
    inputs.push_back(delta);
    bindings.push_back(perRow(names.delta));
  }

  // dK and dV per query head: sums over the queries of each key.
  bool grouped = rank(1, 1) != rank(0, 1) &&
                 queryType.getDimSize(1) != keyType.getDimSize(1);
  auto perQueryHead = [&](RankedTensorType kv) {
    return grouped ? RankedTensorType::get(
                         {queryType.getDimSize(0), queryType.getDimSize(1),
                          kv.getDimSize(2), kv.getDimSize(3)},
                         f32)
                   : kv;
  };
  std::string keyGradient = fresh("DK"), valueGradient = fresh("DV");
  CascadeOp kv = createCascade(builder, "kv",
                               {perQueryHead(keyType), perQueryHead(valueType)},
                               inputs, bindings, data, true);
  {
    OpBuilder body = OpBuilder::atBlockBegin(&kv.getBody().front());
    emitScoreGradients(body);
    AccessAttr dk = access(keyGradient, {rank(0, 0), rank(0, 1), rank(1, 2),
                                         rank(1, 3)});
    AccessAttr dv = access(valueGradient, {rank(0, 0), rank(0, 1), rank(1, 2),
                                           rank(2, 3)});
    einsum(body, dv,
           build.scaled({perScore(names.probabilities), gradientOfOutput()},
                        forward.valueScale),
           {rank(0, 2)});
    einsum(body, dk,
           build.scaled({perScore(names.queryKeyGradient),
                         access(forward.queryName, {rank(0, 0), rank(0, 1),
                                                    rank(0, 2), rank(0, 3)})},
                        forward.queryKeyScale),
           {rank(0, 2)});
    CascadeYieldOp::create(body, loc, body.getArrayAttr({dk, dv}));
  }

  // GQA: sum the per-query-head gradients over each group of query heads.
  auto reduceGroups = [&](Value perHead, RankedTensorType type,
                          StringRef suffix, unsigned input) -> Value {
    if (!grouped)
      return perHead;
    int64_t group = queryType.getDimSize(1) / keyType.getDimSize(1);
    std::string head = rank(0, 1).str();
    std::string outer = head + "1", inner = head + "0";
    SmallVector<StringRef> ranks = {rank(0, 0), head, rank(input, 2),
                                    rank(input, 3)};
    CascadeOp reduce = createCascade(builder, suffix, {type}, {perHead},
                                     {access("G", ranks)}, {}, false);
    OpBuilder body = OpBuilder::atBlockBegin(&reduce.getBody().front());
    PartitionOp::create(body, loc, head, outer, inner, group);
    SmallVector<IndexTermAttr> read = rankTerms(context, {rank(0, 0)});
    read.push_back(IndexTermAttr::getTiled(StringAttr::get(context, outer),
                                           StringAttr::get(context, inner)));
    llvm::append_range(read,
                       rankTerms(context, {rank(input, 2), rank(input, 3)}));
    AccessAttr sum = access(
        "GS", {rank(0, 0), outer, rank(input, 2), rank(input, 3)});
    einsum(body, sum, makeAccess(context, "G", read), {inner});
    CascadeYieldOp::create(body, loc, body.getArrayAttr({sum}));
    return reduce.getResult(0);
  };
  Value keyResult = reduceGroups(kv.getResult(0), keyType, "reduce_k", 1);
  Value valueResult = reduceGroups(kv.getResult(1), valueType, "reduce_v", 2);

  // dQ per query (a second pass over the keys) and each bias gradient.
  SmallVector<Type> queryResults = {queryType};
  for (Type t : ArrayRef<Type>(resultTypes).drop_front(3))
    queryResults.push_back(t);
  CascadeOp queryCascade =
      createCascade(builder, "q", queryResults, inputs, bindings, data, true);
  {
    OpBuilder body = OpBuilder::atBlockBegin(&queryCascade.getBody().front());
    emitScoreGradients(body);
    AccessAttr dq = access(fresh("DQ"), {rank(0, 0), rank(0, 1), rank(0, 2),
                                         rank(0, 3)});
    einsum(body, dq,
           build.scaled({perScore(names.queryKeyGradient),
                         keyValueAccess(forward.keyName, 1)},
                        forward.queryKeyScale),
           {rank(1, 2)});
    SmallVector<Attribute> yielded = {dq};
    for (auto [operand, d] :
         llvm::zip(forward.biasOperands, biasDerivatives)) {
      AccessAttr db = perScore(fresh("DB" + std::to_string(operand)));
      // A bias added where the query-key product is has dQK as gradient.
      Attribute gradient =
          d == queryKeyDerivative
              ? Attribute(perScore(names.queryKeyGradient))
              : build.mul(perScore(names.scoreGradient),
                          d ? d : build.constant(0.0));
      einsum(body, db, gradient);
      yielded.push_back(db);
    }
    CascadeYieldOp::create(body, loc, body.getArrayAttr(yielded));
  }

  // Which forward argument each result is the gradient of.
  SmallVector<int64_t> gradientOf = {*argumentOf(cascade.getInputs()[0]),
                                     *argumentOf(cascade.getInputs()[1]),
                                     *argumentOf(cascade.getInputs()[2])};
  for (unsigned operand : forward.biasOperands)
    gradientOf.push_back(*argumentOf(cascade.getData()[operand]));
  grad->setAttr(kGradientArgumentsAttr,
                builder.getDenseI64ArrayAttr(gradientOf));

  SmallVector<Value> returned = {queryCascade.getResult(0), keyResult,
                                 valueResult};
  llvm::append_range(returned, queryCascade.getResults().drop_front());
  func::ReturnOp::create(builder, loc, returned);
  return success();
}

struct AttnDifferentiatePass
    : impl::AttnDifferentiateBase<AttnDifferentiatePass> {
  void runOnOperation() override {
    SmallVector<std::pair<func::FuncOp, CascadeOp>> work;
    bool failedAny = false;
    getOperation()->walk([&](func::FuncOp function) {
      if (!function.getOps<AttentionOp>().empty()) {
        function.emitOpError()
            << "holds attn.attention: run attn-decompose before "
               "attn-differentiate";
        failedAny = true;
        return;
      }
      SmallVector<CascadeOp> cascades;
      function.walk([&](CascadeOp op) { cascades.push_back(op); });
      if (cascades.empty())
        return;
      if (cascades.size() != 1) {
        function.emitOpError() << "holds " << cascades.size()
                               << " cascades; attn-differentiate takes a "
                                  "function computing one attention";
        failedAny = true;
        return;
      }
      work.push_back({function, cascades.front()});
    });
    for (auto &[function, cascade] : work) {
      FailureOr<CascadeStructure> structure = analyzeCascade(cascade, true);
      if (failed(structure)) {
        failedAny = true;
        continue;
      }
      FailureOr<ForwardAttention> forward =
          ForwardReader(cascade, std::move(*structure)).read();
      if (failed(forward) || failed(BackwardBuilder(*forward, function).run()))
        failedAny = true;
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::attn
