//===- OnlineSoftmax.cpp - The 1-pass cascade with running tensors --------===//
//
// Turns the deferred-division cascade into FuseMax's 1-pass cascade. The
// key rank m is partitioned (m = m1 * M0 + m0) and m1 becomes iterative:
//
//   everything computed per key (QK, S)      -> per tile: BQK, BS
//   GM = max_m S                             -> LM = max_m0 BS;
//                                               RM[m1+1] = max(RM[m1], LM)
//   SN = exp_diff(S, GM)                     -> SLN = exp_diff(BS, RM[m1+1])
//   each X = sum_m SN * W                    -> SLX = sum_m0 SLN * W;
//                                               RX[m1+1] = SLX + RX[m1] * PRM
//   PRM = exp_diff(RM[m1], RM[m1+1]) rescales what earlier tiles summed
//   with an older maximum; readers of GM and X read RM[M1] and RX[M1].
//
// Names follow FuseMax (SD -> SLD, RD; SNV -> SLNV, RNV). The pattern is
// matched on the cascade's structure, not on names; anything else that
// traverses m (for instance the 3-pass division A = SN / SD) is diagnosed.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNONLINESOFTMAX
#include "attn/Passes/Passes.h.inc"

namespace {

/// The roles of the deferred-division cascade's Einsums over the key rank.
struct SoftmaxPattern {
  StringAttr rank;
  /// GM = max over `rank` of `scores`.
  EinsumOp maximum;
  StringAttr scores;
  /// SN = exp_diff(scores, GM).
  EinsumOp numerator;
  /// Einsums producing `scores` per key (QK, S), in order.
  SmallVector<EinsumOp> perKey;
  /// Sums over `rank` of SN times other per-key factors (SD, SNV).
  SmallVector<EinsumOp> sums;
};

SmallVector<StringAttr> outputRanks(EinsumOp op) {
  SmallVector<StringAttr> ranks;
  for (IndexTermAttr term : op.getIndices().getAsRange<IndexTermAttr>())
    collectTermRanks(term, ranks);
  return ranks;
}

/// Is `map` SN itself, or a product with SN as a direct factor whose other
/// factors are constants or accesses of inputs and per-key tensors?
bool isSumOfNumerator(Attribute map, StringAttr numerator,
                      const llvm::SmallDenseSet<StringAttr> &perKey,
                      const CascadeStructure &structure) {
  if (auto access = dyn_cast<AccessAttr>(map))
    return access.getTensor() == numerator;
  auto product = dyn_cast<MapAttr>(map);
  if (!product || product.getKind() != MapKind::Mul)
    return false;
  unsigned numeratorReads = 0;
  for (Attribute operand : product.getOperands()) {
    if (isa<FloatAttr>(operand))
      continue;
    auto access = dyn_cast<AccessAttr>(operand);
    if (!access)
      return false;
    StringAttr tensor = access.getTensor();
    if (tensor == numerator) {
      ++numeratorReads;
      continue;
    }
    if (structure.tensor(tensor).kind != CascadeTensor::Kind::Input &&
        !perKey.contains(tensor))
      return false;
  }
  return numeratorReads == 1;
}

FailureOr<SoftmaxPattern> matchSoftmax(CascadeOp cascade,
                                       const CascadeStructure &structure) {
  for (Operation &op : cascade.getBody().front())
    if (isa<IterateOp, PartitionOp>(op))
      return cascade.emitError()
             << "attn-online-softmax: cascade " << cascade.getCascadeName()
             << " already partitions or iterates a rank";

  SoftmaxPattern pattern;
  SmallVector<EinsumOp> einsums;
  for (Operation &op : cascade.getBody().front())
    if (auto einsum = dyn_cast<EinsumOp>(op))
      einsums.push_back(einsum);
  for (EinsumOp einsum : einsums) {
    EinsumDomain domain = getEinsumDomain(einsum);
    auto scores = dyn_cast<AccessAttr>(einsum.getMap());
    if (einsum.getReducer() == ReduceKind::Max &&
        domain.reducedRanks.size() == 1 && scores) {
      pattern.maximum = einsum;
      pattern.rank = domain.reducedRanks.front();
      pattern.scores = scores.getTensor();
      break;
    }
  }
  if (!pattern.maximum)
    return cascade.emitError()
           << "attn-online-softmax: cascade " << cascade.getCascadeName()
           << " has no maximum over a single rank (GM = max_m S) to turn "
              "into a running maximum";
  StringAttr rank = pattern.rank;
  StringAttr maximum = pattern.maximum.getTensorAttr();

  // Per-key producers: the scores and what they are computed from, as long
  // as it is computed per key.
  llvm::SmallDenseSet<StringAttr> perKey;
  SmallVector<StringAttr> worklist = {pattern.scores};
  while (!worklist.empty()) {
    StringAttr tensor = worklist.pop_back_val();
    const CascadeTensor &info = structure.tensor(tensor);
    if (info.kind != CascadeTensor::Kind::Einsum ||
        !llvm::is_contained(info.ranks, rank) || !perKey.insert(tensor).second)
      continue;
    EinsumOp definition = info.definition;
    walkAccesses(definition.getMap(), [&](AccessAttr access) {
      worklist.push_back(access.getTensor());
    });
  }

  for (EinsumOp einsum : einsums) {
    if (einsum == pattern.maximum)
      continue;
    EinsumDomain domain = getEinsumDomain(einsum);
    bool perKeyOutput = llvm::is_contained(domain.outputRanks, rank);
    bool reducesRank = llvm::is_contained(domain.reducedRanks, rank);
    if (!perKeyOutput && !reducesRank)
      continue;
    StringAttr name = einsum.getTensorAttr();
    if (perKey.contains(name)) {
      pattern.perKey.push_back(einsum);
      continue;
    }
    auto map = dyn_cast<MapAttr>(einsum.getMap());
    if (perKeyOutput && !pattern.numerator && map &&
        map.getKind() == MapKind::ExpDiff) {
      auto scores = dyn_cast<AccessAttr>(map.getOperands()[0]);
      auto shift = dyn_cast<AccessAttr>(map.getOperands()[1]);
      if (scores && shift && scores.getTensor() == pattern.scores &&
          shift.getTensor() == maximum) {
        pattern.numerator = einsum;
        continue;
      }
    }
    if (reducesRank && pattern.numerator &&
        einsum.getReducer() == ReduceKind::Sum &&
        domain.reducedRanks.size() == 1 &&
        isSumOfNumerator(einsum.getMap(), pattern.numerator.getTensorAttr(),
                         perKey, structure)) {
      SmallVector<StringAttr> ranks = outputRanks(einsum);
      if (llvm::all_of(outputRanks(pattern.maximum), [&](StringAttr r) {
            return llvm::is_contained(ranks, r);
          })) {
        pattern.sums.push_back(einsum);
        continue;
      }
    }
    return einsum.emitError()
           << "attn-online-softmax: @" << name.getValue() << " traverses "
           << rank.getValue()
           << " but is neither computed per key before the maximum @"
           << maximum.getValue() << ", nor exp_diff(@"
           << pattern.scores.getValue() << ", @" << maximum.getValue()
           << "), nor a sum over " << rank.getValue()
           << " of that numerator times per-key factors; run "
              "attn-defer-division first if it divides by such a sum";
  }
  if (!pattern.numerator || pattern.sums.empty())
    return cascade.emitError()
           << "attn-online-softmax: cascade " << cascade.getCascadeName()
           << " has no exp_diff(@" << pattern.scores.getValue() << ", @"
           << maximum.getValue() << ") summed over " << rank.getValue();
  return pattern;
}

/// Produces fresh tensor and rank names.
class NameTable {
public:
  explicit NameTable(const CascadeStructure &structure) {
    for (auto &[name, info] : structure.tensors)
      taken.insert(name.getValue());
    for (auto &[name, info] : structure.ranks)
      taken.insert(name.getValue());
  }
  std::string fresh(StringRef base) {
    std::string name = base.str();
    for (unsigned suffix = 1; taken.contains(name); ++suffix)
      name = base.str() + "_" + std::to_string(suffix);
    taken.insert(name);
    return name;
  }

private:
  llvm::StringSet<> taken;
};

/// FuseMax's prefixes: GM -> LM / RM, SD -> SLD / RD, SN -> SLN.
std::string localName(StringRef name) {
  if (name.starts_with("G"))
    return "L" + name.drop_front().str();
  if (name.starts_with("S"))
    return "SL" + name.drop_front().str();
  return "L" + name.str();
}
std::string runningName(StringRef name) {
  if (name.starts_with("G") || name.starts_with("S"))
    return "R" + name.drop_front().str();
  return "R" + name.str();
}

class OnlineSoftmaxRewriter {
public:
  OnlineSoftmaxRewriter(CascadeOp cascade, const CascadeStructure &structure,
                        SoftmaxPattern pattern, int64_t tile)
      : cascade(cascade), pattern(std::move(pattern)), tile(tile),
        context(cascade.getContext()), names(structure) {}

  void run();

private:
  StringAttr str(StringRef text) { return StringAttr::get(context, text); }
  IndexTermAttr rank(StringAttr name) { return IndexTermAttr::getRank(name); }

  /// Replaces each `m` term by `m1, m0` (for per-tile copies of per-key
  /// tensors) or by `m1 * M0 + m0` (for inputs and rule points).
  SmallVector<IndexTermAttr> splitTerms(ArrayRef<IndexTermAttr> terms) {
    SmallVector<IndexTermAttr> split;
    for (IndexTermAttr term : terms) {
      if (term.isRank() && term.getRank() == pattern.rank) {
        split.push_back(rank(outer));
        split.push_back(rank(inner));
      } else {
        split.push_back(term);
      }
    }
    return split;
  }
  SmallVector<IndexTermAttr> tileTerms(ArrayRef<IndexTermAttr> terms) {
    return llvm::map_to_vector(terms, [&](IndexTermAttr term) {
      if (term.isRank() && term.getRank() == pattern.rank)
        return IndexTermAttr::getTiled(outer, inner);
      return term;
    });
  }
  Attribute perTile(Attribute expression) {
    return rewriteExpression(expression, [&](Attribute node) -> Attribute {
      if (auto access = dyn_cast<AccessAttr>(node)) {
        auto renamed = tiledNames.find(access.getTensor());
        if (renamed != tiledNames.end())
          return AccessAttr::get(context, renamed->second,
                                 splitTerms(access.getIndices()));
        return AccessAttr::get(context, access.getTensor(),
                               tileTerms(access.getIndices()));
      }
      if (auto map = dyn_cast<MapAttr>(node); map && !map.getPoint().empty())
        return MapAttr::get(context, map.getKind(), map.getOperands(),
                            map.getRule(), tileTerms(map.getPoint()));
      return node;
    });
  }
  /// `terms` with the iterative rank appended as `extra`.
  SmallVector<IndexTermAttr> withIterative(ArrayRef<IndexTermAttr> terms,
                                           IndexTermAttr extra) {
    SmallVector<IndexTermAttr> result(terms.begin(), terms.end());
    result.push_back(extra);
    return result;
  }
  SmallVector<IndexTermAttr> outputTerms(EinsumOp op) {
    return llvm::to_vector(op.getIndices().getAsRange<IndexTermAttr>());
  }

  CascadeOp cascade;
  SoftmaxPattern pattern;
  int64_t tile;
  MLIRContext *context;
  NameTable names;
  StringAttr outer, inner;
  /// Per-key tensors and their per-tile copies (QK -> BQK, SN -> SLN).
  llvm::DenseMap<StringAttr, StringAttr> tiledNames;
};

void OnlineSoftmaxRewriter::run() {
  Block &body = cascade.getBody().front();
  StringRef rankName = pattern.rank.getValue();
  outer = str(names.fresh((rankName + "1").str()));
  inner = str(names.fresh((rankName + "0").str()));
  IndexTermAttr current = rank(outer);
  IndexTermAttr next = IndexTermAttr::getOffset(outer, 1);
  IndexTermAttr final = IndexTermAttr::getExtent(outer);

  OpBuilder builder(context);
  builder.setInsertionPointToStart(&body);
  Location loc = pattern.maximum.getLoc();
  PartitionOp::create(builder, loc, pattern.rank, outer, inner,
                      builder.getI64IntegerAttr(tile));

  // Everything that traverses m moves into the iteration, placed where the
  // last of it was; what read the maximum or the sums follows it.
  SmallVector<EinsumOp> replaced(pattern.perKey);
  replaced.push_back(pattern.maximum);
  replaced.push_back(pattern.numerator);
  llvm::append_range(replaced, pattern.sums);
  Operation *last = replaced.front();
  for (EinsumOp op : replaced)
    if (last->isBeforeInBlock(op))
      last = op;

  StringAttr maximum = pattern.maximum.getTensorAttr();
  SmallVector<IndexTermAttr> maximumTerms = outputTerms(pattern.maximum);
  StringAttr runningMax = str(names.fresh(runningName(maximum.getValue())));
  StringAttr localMax = str(names.fresh(localName(maximum.getValue())));
  StringAttr rescale = str(names.fresh("PRM"));
  llvm::DenseMap<StringAttr, StringAttr> finals = {{maximum, runningMax}};
  SmallVector<Attribute> running = {makeAccess(
      context, runningMax.getValue(), withIterative(maximumTerms, current))};
  SmallVector<double> initial = {-std::numeric_limits<double>::infinity()};
  SmallVector<std::pair<StringAttr, StringAttr>> sumNames;
  for (EinsumOp sum : pattern.sums) {
    StringRef name = sum.getTensor();
    StringAttr runningSum = str(names.fresh(runningName(name)));
    sumNames.push_back({str(names.fresh(localName(name))), runningSum});
    finals[sum.getTensorAttr()] = runningSum;
    running.push_back(makeAccess(context, runningSum.getValue(),
                                 withIterative(outputTerms(sum), current)));
    initial.push_back(0.0);
  }

  builder.setInsertionPoint(last);
  auto iterate = IterateOp::create(builder, loc, outer, final,
                                   builder.getArrayAttr(running),
                                   builder.getF64ArrayAttr(initial));
  builder.setInsertionPointToStart(&iterate.getBody().emplaceBlock());

  for (EinsumOp op : pattern.perKey) {
    StringAttr tiled = str(names.fresh(("B" + op.getTensor()).str()));
    Attribute map = perTile(op.getMap());
    tiledNames[op.getTensorAttr()] = tiled;
    SmallVector<StringAttr> reduced;
    if (ArrayAttr list = op.getReducedAttr())
      reduced = llvm::to_vector(list.getAsRange<StringAttr>());
    createEinsum(builder, op.getLoc(),
                 AccessAttr::get(context, tiled, splitTerms(outputTerms(op))),
                 map, op.getReducer(), reduced);
  }

  auto maxAt = [&](IndexTermAttr version) {
    return AccessAttr::get(context, runningMax,
                           withIterative(maximumTerms, version));
  };
  AccessAttr tileMax =
      AccessAttr::get(context, localMax, withIterative(maximumTerms, current));
  createEinsum(builder, loc, tileMax, perTile(pattern.maximum.getMap()),
               ReduceKind::Max, {inner});
  createEinsum(builder, loc, maxAt(next),
               makeMap(MapKind::Max, {maxAt(current), tileMax}));

  EinsumOp numerator = pattern.numerator;
  StringAttr localNumerator =
      str(names.fresh(localName(numerator.getTensor())));
  auto numeratorMap = cast<MapAttr>(numerator.getMap());
  auto shift = cast<AccessAttr>(numeratorMap.getOperands()[1]);
  createEinsum(
      builder, numerator.getLoc(),
      AccessAttr::get(context, localNumerator,
                      splitTerms(outputTerms(numerator))),
      makeMap(MapKind::ExpDiff,
              {perTile(numeratorMap.getOperands()[0]),
               AccessAttr::get(context, runningMax,
                               withIterative(shift.getIndices(), next))}));
  tiledNames[numerator.getTensorAttr()] = localNumerator;

  for (auto [sum, sumName] : llvm::zip_equal(pattern.sums, sumNames))
    createEinsum(builder, sum.getLoc(),
                 AccessAttr::get(context, sumName.first,
                                 withIterative(outputTerms(sum), current)),
                 perTile(sum.getMap()), ReduceKind::Sum, {inner});

  AccessAttr rescaleAt =
      AccessAttr::get(context, rescale, withIterative(maximumTerms, current));
  createEinsum(builder, loc, rescaleAt,
               makeMap(MapKind::ExpDiff, {maxAt(current), maxAt(next)}));
  for (auto [sum, sumName] : llvm::zip_equal(pattern.sums, sumNames)) {
    SmallVector<IndexTermAttr> terms = outputTerms(sum);
    auto runningAt = [&](IndexTermAttr version) {
      return AccessAttr::get(context, sumName.second,
                             withIterative(terms, version));
    };
    createEinsum(
        builder, sum.getLoc(), runningAt(next),
        makeMap(MapKind::Add,
                {AccessAttr::get(context, sumName.first,
                                 withIterative(terms, current)),
                 makeMap(MapKind::Mul, {runningAt(current), rescaleAt})}));
  }

  // After the iteration, the maximum and the sums are the running tensors'
  // final values.
  auto readFinal = [&](Attribute expression) {
    return rewriteExpression(expression, [&](Attribute node) -> Attribute {
      auto access = dyn_cast<AccessAttr>(node);
      if (!access)
        return node;
      auto renamed = finals.find(access.getTensor());
      if (renamed == finals.end())
        return node;
      return AccessAttr::get(context, renamed->second,
                             withIterative(access.getIndices(), final));
    });
  };
  for (EinsumOp op : replaced)
    op.erase();
  // Einsums placed before the iteration that read the finals (directly or
  // through one another) move after it, in order.
  llvm::SmallDenseSet<StringAttr> needsFinals;
  for (auto &[original, final] : finals)
    needsFinals.insert(original);
  auto readsFinals = [&](Attribute expression) {
    bool reads = false;
    walkAccesses(expression, [&](AccessAttr access) {
      reads |= needsFinals.contains(access.getTensor());
    });
    return reads;
  };
  Operation *anchor = iterate;
  for (Operation &op : llvm::make_early_inc_range(body)) {
    if (&op == iterate.getOperation())
      break;
    auto einsum = dyn_cast<EinsumOp>(op);
    if (!einsum || !readsFinals(einsum.getMap()))
      continue;
    needsFinals.insert(einsum.getTensorAttr());
    op.moveAfter(anchor);
    anchor = &op;
  }
  for (Operation &op : body) {
    if (auto einsum = dyn_cast<EinsumOp>(op))
      einsum.setMapAttr(readFinal(einsum.getMap()));
    if (auto yield = dyn_cast<CascadeYieldOp>(op)) {
      SmallVector<Attribute> yielded =
          llvm::map_to_vector(yield.getTensors(), [&](Attribute access) {
            return readFinal(access);
          });
      yield.setTensorsAttr(ArrayAttr::get(context, yielded));
    }
  }
}

struct AttnOnlineSoftmaxPass
    : impl::AttnOnlineSoftmaxBase<AttnOnlineSoftmaxPass> {
  using impl::AttnOnlineSoftmaxBase<
      AttnOnlineSoftmaxPass>::AttnOnlineSoftmaxBase;

  void runOnOperation() override {
    if (tileSize < 1) {
      emitError(getOperation()->getLoc())
          << "attn-online-softmax: tile-size must be >= 1, got "
          << static_cast<int64_t>(tileSize);
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp op) { cascades.push_back(op); });
    for (CascadeOp cascade : cascades) {
      FailureOr<CascadeStructure> structure = analyzeCascade(cascade);
      if (failed(structure)) {
        cascade.emitError() << "attn-online-softmax: the cascade is malformed";
        return signalPassFailure();
      }
      FailureOr<SoftmaxPattern> pattern = matchSoftmax(cascade, *structure);
      if (failed(pattern))
        return signalPassFailure();
      OnlineSoftmaxRewriter(cascade, *structure, *pattern, tileSize).run();
      if (failed(analyzeCascade(cascade))) {
        cascade.emitError()
            << "attn-online-softmax: the rewritten cascade is malformed";
        return signalPassFailure();
      }
    }
  }
};

} // namespace
} // namespace mlir::attn
