//===- Sparsify.cpp - Visit only the key tiles the mask keeps -------------===//
//
// attn-sparsify gives the iteration over the key tiles of a tiled 1-pass
// cascade a visit clause naming the mask tests its scores are selected by.
// The clause means: per (batch, head, query tile), step only through the key
// tiles in the tests' visit set (closed-form unions of strided ranges from
// MaskAttrInterface::visitSet; from the data operand at run time for masks
// that read data), and skip the tests on the tiles classified full. A skipped
// step must be exact: the pass evaluates the body on a tile where every test
// keeps nothing and requires every running tensor to come out unchanged
// (softmax: -inf scores leave the running maximum, sum and numerator as they
// were; sigmoid attention: zero weights add nothing to the numerator).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSPARSIFY
#include "attn/Passes/Passes.h.inc"

namespace {

/// Data operands defined by dense constants, for counting at compile time.
class ConstantDataReader final : public DataOperandReader {
public:
  /// Fails when some operand `mask` reads is not a dense integer or float
  /// constant.
  LogicalResult read(CascadeOp cascade, ArrayRef<unsigned> operands) {
    tensors.resize(cascade.getData().size());
    for (unsigned operand : operands) {
      auto constant =
          cascade.getData()[operand].getDefiningOp<arith::ConstantOp>();
      auto elements =
          constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
      if (!elements)
        return failure();
      Constant &tensor = tensors[operand];
      llvm::append_range(tensor.shape, elements.getType().getShape());
      if (isa<IntegerType>(elements.getElementType()))
        for (const APInt &value : elements.getValues<APInt>())
          tensor.values.push_back(static_cast<double>(value.getSExtValue()));
      else if (isa<FloatType>(elements.getElementType()))
        for (const APFloat &value : elements.getValues<APFloat>())
          tensor.values.push_back(value.convertToDouble());
      else
        return failure();
    }
    return success();
  }

  int64_t dimSize(unsigned operand, unsigned dim) const override {
    return tensors[operand].shape[dim];
  }
  int64_t readInt(unsigned operand, ArrayRef<int64_t> indices) const override {
    return static_cast<int64_t>(readFloat(operand, indices));
  }
  double readFloat(unsigned operand, ArrayRef<int64_t> indices) const override {
    const Constant &tensor = tensors[operand];
    int64_t flat = 0;
    for (auto [index, extent] : llvm::zip_equal(indices, tensor.shape)) {
      // The masks' verifiers bound their reads by the operand shapes; clamp
      // anyway so a malformed constant cannot read out of bounds.
      flat = flat * extent + std::clamp<int64_t>(index, 0, extent - 1);
    }
    return tensor.values[flat];
  }

private:
  struct Constant {
    SmallVector<int64_t> shape;
    std::vector<double> values;
  };
  SmallVector<Constant> tensors;
};

/// The mask tests of a tiled iteration's body and where they are selected.
struct MaskedScores {
  SmallVector<Attribute> tests;
  ArrayRef<IndexTermAttr> point;
  /// Set when skipping would change this running tensor.
  StringAttr inexact;
};

/// What a tensor of the iteration's body holds on a key tile where every
/// mask test keeps nothing: a known constant, the value a running tensor
/// held before the step, or anything.
struct SkippedValue {
  enum class Kind { Unknown, Constant, Previous } kind = Kind::Unknown;
  double constant = 0.0;
  StringAttr running;

  static SkippedValue of(double value) {
    return {Kind::Constant, value, StringAttr()};
  }
  static SkippedValue previous(StringAttr running) {
    return {Kind::Previous, 0.0, running};
  }
  bool isConstant(double value) const {
    return kind == Kind::Constant && constant == value;
  }
  bool operator==(const SkippedValue &other) const {
    return kind == other.kind &&
           (kind != Kind::Constant || constant == other.constant) &&
           running == other.running;
  }
};

/// Evaluates the body of `iterate` on a tile where every test of `tests`
/// keeps nothing (each select on a test takes its third operand), to decide
/// whether skipping such a tile is exact: every running tensor must come
/// out as it went in. Values are assumed finite (0 * x = 0), and a running
/// maximum's rescaling exp_diff(R, R) is taken as 1: a row whose maximum is
/// still -inf has added only zeros to the sums it rescales.
class SkipNeutrality {
public:
  SkipNeutrality(IterateOp iterate, ArrayRef<Attribute> tests)
      : iterate(iterate), tests(tests) {}

  /// The first running tensor a skipped tile would change, or null.
  StringAttr changedRunningTensor() {
    for (AccessAttr access : iterate.getRunning().getAsRange<AccessAttr>())
      running.insert(access.getTensor());
    for (EinsumOp einsum : iterate.getBody().getOps<EinsumOp>()) {
      SkippedValue value = evaluate(einsum.getMap());
      if (std::optional<ReduceKind> reducer = einsum.getReducer()) {
        bool keeps = (*reducer == ReduceKind::Sum && value.isConstant(0.0)) ||
                     (*reducer == ReduceKind::Max &&
                      value.isConstant(-kInfinity));
        if (!keeps)
          value = SkippedValue();
      }
      StringAttr tensor = einsum.getTensorAttr();
      if (running.contains(tensor)) {
        next[tensor] = value;
        if (!(value == SkippedValue::previous(tensor)))
          return tensor;
        continue;
      }
      values[tensor] = value;
    }
    return StringAttr();
  }

private:
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();

  SkippedValue read(AccessAttr access) {
    StringAttr tensor = access.getTensor();
    StringAttr iterative = iterate.getRankAttr();
    for (IndexTermAttr term : access.getIndices()) {
      if (!running.contains(tensor))
        break;
      if (term.getRank() != iterative)
        continue;
      if (term.getKind() == IndexTermKind::Rank)
        return SkippedValue::previous(tensor);
      if (term.getKind() == IndexTermKind::Offset) {
        auto it = next.find(tensor);
        return it == next.end() ? SkippedValue() : it->second;
      }
    }
    auto it = values.find(tensor);
    return it == values.end() ? SkippedValue() : it->second;
  }

  SkippedValue evaluate(Attribute expression) {
    if (auto constant = dyn_cast<FloatAttr>(expression))
      return SkippedValue::of(constant.getValueAsDouble());
    if (auto access = dyn_cast<AccessAttr>(expression))
      return read(access);
    auto map = cast<MapAttr>(expression);
    ArrayRef<Attribute> operands = map.getOperands();
    if (map.getKind() == MapKind::Select &&
        llvm::is_contained(tests, operands[0]))
      return evaluate(operands[2]);
    SmallVector<SkippedValue> values;
    for (Attribute operand : operands)
      values.push_back(evaluate(operand));
    auto allConstant = [&] {
      return llvm::all_of(values, [](const SkippedValue &value) {
        return value.kind == SkippedValue::Kind::Constant;
      });
    };
    // The operands other than those equal to `identity`: the result is
    // the one left, if one is.
    auto dropIdentity = [&](double identity) -> SkippedValue {
      SmallVector<SkippedValue> rest;
      for (const SkippedValue &value : values)
        if (!value.isConstant(identity))
          rest.push_back(value);
      if (rest.empty())
        return SkippedValue::of(identity);
      return rest.size() == 1 ? rest.front() : SkippedValue();
    };
    switch (map.getKind()) {
    case MapKind::Add:
      if (allConstant()) {
        double sum = 0.0;
        for (const SkippedValue &value : values)
          sum += value.constant;
        return SkippedValue::of(sum);
      }
      return dropIdentity(0.0);
    case MapKind::Mul:
      if (llvm::any_of(values, [](const SkippedValue &value) {
            return value.isConstant(0.0);
          }))
        return SkippedValue::of(0.0);
      return dropIdentity(1.0);
    case MapKind::Max:
      return dropIdentity(-kInfinity);
    case MapKind::Min:
      return dropIdentity(kInfinity);
    case MapKind::Sub:
      if (values[1].isConstant(0.0))
        return values[0];
      break;
    case MapKind::Exp:
      if (values[0].kind == SkippedValue::Kind::Constant)
        return SkippedValue::of(std::exp(values[0].constant));
      break;
    case MapKind::ExpDiff:
      if (values[0].isConstant(-kInfinity) || values[1].isConstant(-kInfinity))
        return SkippedValue::of(0.0);
      if (values[0].kind == SkippedValue::Kind::Previous && values[0] == values[1])
        return SkippedValue::of(1.0);
      break;
    case MapKind::DivOrZero:
      if (values[0].isConstant(0.0))
        return SkippedValue::of(0.0);
      break;
    default:
      break;
    }
    return SkippedValue();
  }

  IterateOp iterate;
  ArrayRef<Attribute> tests;
  DenseSet<StringAttr> running;
  DenseMap<StringAttr, SkippedValue> values, next;
};

/// Finds the mask tests of `iterate`'s body: conditions of selects, all at
/// one point with partitioned query and key indices.
FailureOr<MaskedScores> findMaskedScores(CascadeOp cascade, IterateOp iterate,
                                         const CascadeStructure &structure,
                                         bool fallbackToDense) {
  auto fail = [&](Operation *at) {
    return at->emitError() << "attn-sparsify: cascade '"
                           << cascade.getCascadeName() << "': ";
  };
  MaskedScores found;
  for (EinsumOp einsum : iterate.getBody().getOps<EinsumOp>()) {
    LogicalResult result = success();
    walkMaps(einsum.getMap(), [&](MapAttr map) {
      if (failed(result) || (map.getKind() != MapKind::Mask &&
                             map.getKind() != MapKind::MaskRegion))
        return;
      if (found.point.empty())
        found.point = map.getPoint();
      else if (found.point != map.getPoint())
        result = fail(einsum) << "the mask tests are evaluated at different "
                                 "points";
      if (!llvm::is_contained(found.tests, Attribute(map)))
        found.tests.push_back(map);
    });
    if (failed(result))
      return failure();
  }
  if (found.tests.empty())
    return found;
  IndexTermAttr query = found.point[2], key = found.point[3];
  if (query.getKind() != IndexTermKind::Tiled)
    return fail(cascade) << "its queries are not tiled (the mask reads query "
                            "index '"
                         << query.getRank().getValue()
                         << "'); run attn-tile first";
  if (key.getKind() != IndexTermKind::Tiled ||
      key.getRank() != iterate.getRankAttr())
    return fail(cascade) << "the mask's key index is not the key tile "
                            "iterated by attn.iterate "
                         << iterate.getRank();
  if (StringAttr changed =
          SkipNeutrality(iterate, found.tests).changedRunningTensor()) {
    found.inexact = changed;
    if (!fallbackToDense)
      return fail(iterate)
             << "skipping a key tile where the mask keeps nothing would "
                "change running tensor @"
             << changed.getValue()
             << " (a tile of dropped keys must leave every running tensor "
                "as it was: select -inf into a running maximum, or 0 into "
                "a sum)";
  }
  return found;
}

struct AttnSparsifyPass : impl::AttnSparsifyBase<AttnSparsifyPass> {
  using impl::AttnSparsifyBase<AttnSparsifyPass>::AttnSparsifyBase;

  void runOnOperation() override {
    if (seqQ < 0 || seqKV < 0 || seqQ > kMaxPosition || seqKV > kMaxPosition) {
      emitError(getOperation()->getLoc())
          << "attn-sparsify: seq-q and seq-kv must be in [1, " << kMaxPosition
          << "], got seq-q=" << static_cast<int64_t>(seqQ)
          << " seq-kv=" << static_cast<int64_t>(seqKV);
      return signalPassFailure();
    }
    if (!count && (seqQ > 0 || seqKV > 0)) {
      emitError(getOperation()->getLoc())
          << "attn-sparsify: seq-q and seq-kv are lengths to count at: they "
             "need count=true and must be >= 1, got seq-q="
          << static_cast<int64_t>(seqQ)
          << " seq-kv=" << static_cast<int64_t>(seqKV);
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp op) { cascades.push_back(op); });
    for (CascadeOp cascade : cascades)
      if (failed(sparsify(cascade)))
        return signalPassFailure();
  }

  LogicalResult sparsify(CascadeOp cascade) {
    FailureOr<CascadeStructure> structure = analyzeCascade(cascade);
    if (failed(structure))
      return cascade.emitError() << "attn-sparsify: the cascade is malformed";
    SmallVector<IterateOp> iterates;
    for (Operation &op : cascade.getBody().front())
      if (auto iterate = dyn_cast<IterateOp>(op))
        iterates.push_back(iterate);
    if (iterates.size() != 1)
      return cascade.emitError()
             << "attn-sparsify: cascade '" << cascade.getCascadeName()
             << "' is not in the tiled 1-pass form (one attn.iterate over "
                "the key tiles); run attn-online-softmax and attn-tile first";
    IterateOp iterate = iterates.front();
    FailureOr<MaskedScores> masked =
        findMaskedScores(cascade, iterate, *structure, fallbackToDense);
    if (failed(masked))
      return failure();
    // Without a mask every tile is full: there is nothing to skip.
    if (masked->tests.empty())
      return success();
    if (masked->inexact) {
      emitRemark(iterate.getLoc())
          << "attn-sparsify: cascade '" << cascade.getCascadeName()
          << "' visits every key tile: skipping one where the mask keeps "
             "nothing would change running tensor @"
          << masked->inexact.getValue();
      return success();
    }
    iterate.setVisitAttr(ArrayAttr::get(cascade.getContext(), masked->tests));
    if (failed(analyzeCascade(cascade, /*emitDiagnostics=*/true)))
      return cascade.emitError()
             << "attn-sparsify: the sparsified cascade is malformed";
    if (count)
      return countTiles(cascade, *structure, *masked);
    return success();
  }

  /// Emits the visited/partial/full tile counts per query head at the
  /// requested sizes, as the evaluator and the kernels would visit them.
  LogicalResult countTiles(CascadeOp cascade, const CascadeStructure &structure,
                           const MaskedScores &masked) {
    MaskAttrInterface mask;
    Region *region = nullptr;
    for (auto test : llvm::map_range(masked.tests, [](Attribute attr) {
           return cast<MapAttr>(attr);
         })) {
      if (test.getKind() == MapKind::Mask)
        mask = cast<MaskAttrInterface>(test.getRule());
      else
        region = &cascade.getMaskRegion();
    }
    AttentionShape shape = cascade.getAttentionShape();
    TilingContext ctx;
    for (auto [name, extent, option, length] :
         {std::tuple<StringRef, int64_t, int64_t, int64_t *>{
              "seq-q", shape.seqQ, seqQ, &ctx.seqQ},
          {"seq-kv", shape.seqKV, seqKV, &ctx.seqKV}}) {
      if (ShapedType::isDynamic(extent) && option == 0)
        return cascade.emitError()
               << "attn-sparsify: cascade '" << cascade.getCascadeName()
               << "' has a dynamic length; pass " << name
               << "=N to count its tiles";
      if (!ShapedType::isDynamic(extent) && option != 0 && option != extent)
        return cascade.emitError()
               << "attn-sparsify: " << name << "=" << option
               << " differs from the cascade's static length " << extent;
      *length = ShapedType::isDynamic(extent) ? option : extent;
    }
    if (ShapedType::isDynamic(shape.queryHeads) ||
        ShapedType::isDynamic(shape.kvHeads))
      return cascade.emitError() << "attn-sparsify: counting needs static "
                                    "head counts";
    ctx.batch = ShapedType::isDynamic(shape.batch) ? 1 : shape.batch;
    ctx.queryHeads = shape.queryHeads;
    ctx.kvHeads = shape.kvHeads;
    ctx.blockQ = structure.rank(masked.point[2].getOperand()).tile;
    ctx.blockKV = structure.rank(masked.point[3].getOperand()).tile;

    SmallVector<unsigned> dataOperands;
    if (mask)
      mask.collectDataOperands(dataOperands);
    ConstantDataReader data;
    if (failed(data.read(cascade, dataOperands))) {
      emitRemark(cascade.getLoc())
          << "cascade " << cascade.getCascadeName()
          << ": data-dependent visit lists (data operands that are not "
             "constants); they are computed from the operands at run time";
      return success();
    }
    ctx.data = &data;
    // Counting classifies every tile pair of every head: bound the work
    // before it starts (and keep the products below in 64 bits).
    constexpr int64_t kMaxHeadTilePairs = int64_t(1) << 28;
    for (auto [name, length] : {std::pair<StringRef, int64_t>{"Sq", ctx.seqQ},
                                {"Skv", ctx.seqKV}})
      if (length < 1 || length > kMaxPosition)
        return cascade.emitError()
               << "attn-sparsify: cannot count at " << name << " = " << length
               << " (must be in [1, " << kMaxPosition << "])";
    if (ctx.blockQ < 1 || ctx.blockKV < 1 || ctx.queryHeads < 1 ||
        ctx.queryHeads > kMaxHeadsOrDims)
      return cascade.emitError()
             << "attn-sparsify: cannot count with tiles " << ctx.blockQ << "x"
             << ctx.blockKV << " and " << ctx.queryHeads << " query heads";
    int64_t total = ctx.numQueryTiles() * ctx.numKeyTiles();
    if (total > kMaxHeadTilePairs / ctx.queryHeads)
      return cascade.emitError()
             << "attn-sparsify: counting " << ctx.queryHeads << " heads x "
             << total << " tile pairs exceeds the limit of "
             << kMaxHeadTilePairs << "; count at shorter lengths";
    EffectiveMaskTiling tiling(mask, region);
    for (int64_t h = 0; h < ctx.queryHeads; ++h) {
      int64_t visited = 0, partial = 0;
      for (int64_t queryTile = 0; queryTile < ctx.numQueryTiles();
           ++queryTile) {
        VisitSet visits = tiling.visitSet(ctx, /*b=*/0, h, queryTile);
        visited += visits.size();
        partial += visits.count(TileClass::Partial);
      }
      emitRemark(cascade.getLoc())
          << "cascade " << cascade.getCascadeName() << " head " << h
          << ": visited " << visited << "/" << total << " partial " << partial
          << " full " << visited - partial;
    }
    return success();
  }
};

} // namespace
} // namespace mlir::attn
