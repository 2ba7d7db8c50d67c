//===- Decompose.cpp - attn.attention to the 3-pass Einsum cascade --------===//
//
// Writes docs/systems.md's definition of attention as FuseMax's 3-pass
// cascade, with batch and head ranks explicit and the GQA head map g(h):
//
//   QK[b,h,p,m] = sum_e Q[b,h,p,e] * K[b,g(h),m,e] * scale
//   S[b,h,p,m]  = select(mask, score_mods(QK), -inf)   (only when needed)
//   GM[b,h,p]   = max_m S            SN = exp_diff(S, GM)
//   SD[b,h,p]   = sum_m SN           A  = div_or_zero(SN, SD)
//   AV[b,h,p,f] = sum_m A * V[b,g(h),m,f]
//   LSE[b,h,p]  = GM + log(SD)                        (when requested)
//
// The guarded exp_diff and div_or_zero give O = 0 and LSE = -inf on rows
// that keep no key, where the plain forms would give NaN.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDECOMPOSE
#include "attn/Passes/Passes.h.inc"

namespace {

/// Builds the cascade's Einsums in order at the builder's insertion point.
class ThreePassBuilder {
public:
  ThreePassBuilder(OpBuilder &builder, Location loc)
      : builder(builder), loc(loc), context(builder.getContext()) {}

  AccessAttr access(StringRef tensor, ArrayRef<StringRef> ranks) {
    return makeAccess(context, tensor, rankTerms(context, ranks));
  }
  /// K and V are indexed by the KV head g(h) of query head h.
  AccessAttr keyValueAccess(StringRef tensor, StringRef lastRank) {
    StringAttr g = StringAttr::get(context, "g"),
               h = StringAttr::get(context, "h");
    SmallVector<IndexTermAttr> terms = rankTerms(context, {"b"});
    terms.push_back(IndexTermAttr::getHeadMap(g, h));
    llvm::append_range(terms, rankTerms(context, {"m", lastRank}));
    return makeAccess(context, tensor, terms);
  }
  Attribute constant(double value) { return builder.getF64FloatAttr(value); }
  void einsum(AccessAttr output, Attribute map,
              std::optional<ReduceKind> reducer = std::nullopt,
              StringRef reduced = {}) {
    SmallVector<StringAttr> reducedRanks;
    if (reducer)
      reducedRanks.push_back(StringAttr::get(context, reduced));
    createEinsum(builder, loc, output, map, reducer, reducedRanks);
  }

private:
  OpBuilder &builder;
  Location loc;
  MLIRContext *context;
};

/// The name of the cascade replacing `op`: its function's name, suffixed
/// when the function holds several attention ops.
std::string cascadeName(AttentionOp op, unsigned ordinal) {
  auto function = op->getParentOfType<func::FuncOp>();
  std::string name = function ? function.getSymName().str() : "attention";
  if (ordinal > 0)
    name += "_" + std::to_string(ordinal);
  return name;
}

void decompose(AttentionOp op, StringRef name) {
  OpBuilder builder(op);
  MLIRContext *context = op.getContext();
  Location loc = op.getLoc();
  ThreePassBuilder cascade(builder, loc);

  SmallVector<Attribute> bindings = {cascade.access("Q", {"b", "h", "p", "e"}),
                                     cascade.access("K", {"b", "g", "m", "e"}),
                                     cascade.access("V", {"b", "g", "m", "f"})};
  auto cascadeOp = CascadeOp::create(
      builder, loc, op->getResultTypes(),
      ValueRange{op.getQuery(), op.getKey(), op.getValue()}, op.getData(),
      builder.getStringAttr(name), builder.getArrayAttr(bindings));
  cascadeOp.getMaskRegion().takeBody(op.getMaskRegion());
  cascadeOp.getScoreRegion().takeBody(op.getScoreRegion());
  builder.setInsertionPointToStart(&cascadeOp.getBody().emplaceBlock());

  double negativeInfinity = -std::numeric_limits<double>::infinity();
  SmallVector<IndexTermAttr> point = rankTerms(context, {"b", "h", "p", "m"});
  AccessAttr scores = cascade.access("QK", {"b", "h", "p", "m"});
  cascade.einsum(
      scores,
      makeMap(MapKind::Mul, {cascade.access("Q", {"b", "h", "p", "e"}),
                             cascade.keyValueAccess("K", "e"),
                             cascade.constant(op.getEffectiveScale())}),
      ReduceKind::Sum, "e");

  // Score mods in order, then the score region, then the mask: S' is
  // computed on every element and the mask replaces what it drops by -inf.
  Attribute modified = scores;
  for (ScoreModAttrInterface mod : op.getScoreMods())
    modified = makeMap(MapKind::ScoreMod, {modified}, mod, point);
  if (!cascadeOp.getScoreRegion().empty())
    modified = makeMap(MapKind::ScoreRegion, {modified}, {}, point);
  if (!cascadeOp.getMaskRegion().empty())
    modified = makeMap(MapKind::Select,
                       {makeMap(MapKind::MaskRegion, {}, {}, point), modified,
                        cascade.constant(negativeInfinity)});
  if (MaskAttrInterface mask = op.getMaskRule())
    modified = makeMap(MapKind::Select,
                       {makeMap(MapKind::Mask, {}, mask, point), modified,
                        cascade.constant(negativeInfinity)});
  if (modified != scores) {
    scores = cascade.access("S", {"b", "h", "p", "m"});
    cascade.einsum(scores, modified);
  }

  AccessAttr maximum = cascade.access("GM", {"b", "h", "p"});
  AccessAttr numerator = cascade.access("SN", {"b", "h", "p", "m"});
  AccessAttr denominator = cascade.access("SD", {"b", "h", "p"});
  AccessAttr probability = cascade.access("A", {"b", "h", "p", "m"});
  AccessAttr output = cascade.access("AV", {"b", "h", "p", "f"});
  cascade.einsum(maximum, scores, ReduceKind::Max, "m");
  cascade.einsum(numerator, makeMap(MapKind::ExpDiff, {scores, maximum}));
  cascade.einsum(denominator, numerator, ReduceKind::Sum, "m");
  cascade.einsum(probability,
                 makeMap(MapKind::DivOrZero, {numerator, denominator}));
  cascade.einsum(
      output,
      makeMap(MapKind::Mul, {probability, cascade.keyValueAccess("V", "f")}),
      ReduceKind::Sum, "m");
  SmallVector<Attribute> yielded = {output};
  if (op.getLse()) {
    AccessAttr lse = cascade.access("LSE", {"b", "h", "p"});
    cascade.einsum(
        lse,
        makeMap(MapKind::Add, {maximum, makeMap(MapKind::Log, {denominator})}));
    yielded.push_back(lse);
  }
  CascadeYieldOp::create(builder, loc, builder.getArrayAttr(yielded));

  op->replaceAllUsesWith(cascadeOp->getResults());
  op->erase();
}

struct AttnDecomposePass : impl::AttnDecomposeBase<AttnDecomposePass> {
  void runOnOperation() override {
    llvm::DenseMap<Operation *, unsigned> opsPerFunction;
    SmallVector<std::pair<AttentionOp, std::string>> work;
    getOperation()->walk([&](AttentionOp op) {
      Operation *function = op->getParentOfType<func::FuncOp>();
      work.push_back({op, cascadeName(op, opsPerFunction[function]++)});
    });
    for (auto &[op, name] : work)
      decompose(op, name);
  }
};

} // namespace
} // namespace mlir::attn
