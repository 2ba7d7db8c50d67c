//===- DeferDivision.cpp - Reassociate a division past a contraction ------===//
//
// FuseMax's deferred division: when A = div(SN, SD) and every reader of A
// is a sum over the ranks SD lacks of a product with A, the division moves
// after the sum:
//
//   A[b,h,p,m]  = div_or_zero(SN[b,h,p,m], SD[b,h,p])
//   AV[b,h,p,f] = sum_m A[b,h,p,m] * V[b,g(h),m,f]
// becomes
//   SNV[b,h,p,f] = sum_m SN[b,h,p,m] * V[b,g(h),m,f]
//   AV[b,h,p,f]  = div_or_zero(SNV[b,h,p,f], SD[b,h,p])
//
// This is exact up to rounding (SD does not depend on the summed ranks),
// divides F * P instead of M * P times, and removes the pass that re-read
// SN after SD. A zero denominator still gives 0 (the numerators are 0).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDEFERDIVISION
#include "attn/Passes/Passes.h.inc"

namespace {

/// The ranks of an access whose terms are all plain ranks, or std::nullopt.
std::optional<SmallVector<StringAttr>> plainRanks(AccessAttr access) {
  SmallVector<StringAttr> ranks;
  for (IndexTermAttr term : access.getIndices()) {
    if (!term.isRank())
      return std::nullopt;
    ranks.push_back(term.getRank());
  }
  return ranks;
}

unsigned countReads(Attribute expression, StringAttr tensor) {
  unsigned reads = 0;
  walkAccesses(expression, [&](AccessAttr access) {
    reads += access.getTensor() == tensor;
  });
  return reads;
}

/// A division whose result only feeds sums that can absorb it.
struct Deferral {
  EinsumOp division;
  AccessAttr numerator, denominator;
  SmallVector<EinsumOp> consumers;
};

/// Checks that `consumer` is `sum over ranks(quotient) - ranks(denominator)
/// of (quotient * other factors)`, reading the quotient once.
bool canAbsorb(EinsumOp consumer, StringAttr quotient,
               ArrayRef<StringAttr> droppedRanks,
               ArrayRef<StringAttr> denominatorRanks) {
  if (consumer.getReducer() != ReduceKind::Sum ||
      countReads(consumer.getMap(), quotient) != 1 ||
      isa<IterateOp>(consumer->getParentOp()))
    return false;
  Attribute map = consumer.getMap();
  bool isFactor = false;
  if (auto access = dyn_cast<AccessAttr>(map))
    isFactor = access.getTensor() == quotient;
  else if (auto product = dyn_cast<MapAttr>(map);
           product && product.getKind() == MapKind::Mul)
    isFactor = llvm::any_of(product.getOperands(), [&](Attribute operand) {
      auto access = dyn_cast<AccessAttr>(operand);
      return access && access.getTensor() == quotient;
    });
  if (!isFactor)
    return false;
  EinsumDomain domain = getEinsumDomain(consumer);
  return llvm::all_of(droppedRanks,
                      [&](StringAttr rank) {
                        return llvm::is_contained(domain.reducedRanks, rank);
                      }) &&
         llvm::all_of(denominatorRanks, [&](StringAttr rank) {
           return llvm::is_contained(domain.outputRanks, rank);
         });
}

std::optional<Deferral> matchDeferral(CascadeOp cascade, EinsumOp division) {
  auto map = dyn_cast<MapAttr>(division.getMap());
  if (!map ||
      (map.getKind() != MapKind::Div && map.getKind() != MapKind::DivOrZero) ||
      isa<IterateOp>(division->getParentOp()))
    return std::nullopt;
  auto numerator = dyn_cast<AccessAttr>(map.getOperands()[0]);
  auto denominator = dyn_cast<AccessAttr>(map.getOperands()[1]);
  if (!numerator || !denominator)
    return std::nullopt;
  std::optional<SmallVector<StringAttr>> numeratorRanks = plainRanks(numerator);
  std::optional<SmallVector<StringAttr>> denominatorRanks =
      plainRanks(denominator);
  if (!numeratorRanks || !denominatorRanks)
    return std::nullopt;
  SmallVector<StringAttr> dropped;
  for (StringAttr rank : *numeratorRanks)
    if (!llvm::is_contained(*denominatorRanks, rank))
      dropped.push_back(rank);
  if (dropped.empty())
    return std::nullopt;

  StringAttr quotient = division.getTensorAttr();
  for (AccessAttr yielded :
       cascade.getYield().getTensors().getAsRange<AccessAttr>())
    if (yielded.getTensor() == quotient)
      return std::nullopt;
  Deferral deferral{division, numerator, denominator, {}};
  bool absorbed = true;
  cascade.getBody().walk([&](EinsumOp einsum) {
    if (countReads(einsum.getMap(), quotient) == 0)
      return;
    absorbed &= canAbsorb(einsum, quotient, dropped, *denominatorRanks);
    deferral.consumers.push_back(einsum);
  });
  if (!absorbed || deferral.consumers.empty())
    return std::nullopt;
  return deferral;
}

/// FuseMax's naming: the numerator's name followed by the other tensors of
/// the product (SN and V give SNV), made unique in the cascade.
std::string sumName(EinsumOp consumer, StringAttr quotient,
                    AccessAttr numerator, const CascadeStructure &structure,
                    llvm::StringSet<> &taken) {
  std::string base = numerator.getTensor().getValue().str();
  bool hasFactors = false;
  walkAccesses(consumer.getMap(), [&](AccessAttr access) {
    if (access.getTensor() == quotient)
      return;
    base += access.getTensor().getValue().str();
    hasFactors = true;
  });
  if (!hasFactors)
    base += "R";
  std::string name = base;
  for (unsigned suffix = 1;
       taken.contains(name) ||
       structure.tensors.contains(StringAttr::get(consumer.getContext(), name));
       ++suffix)
    name = base + "_" + std::to_string(suffix);
  taken.insert(name);
  return name;
}

void applyDeferral(const Deferral &deferral, const CascadeStructure &structure,
                   llvm::StringSet<> &taken) {
  EinsumOp division = deferral.division;
  StringAttr quotient = division.getTensorAttr();
  MapKind divisionKind = cast<MapAttr>(division.getMap()).getKind();
  for (EinsumOp consumer : deferral.consumers) {
    OpBuilder builder(consumer);
    MLIRContext *context = builder.getContext();
    EinsumDomain domain = getEinsumDomain(consumer);
    std::string name =
        sumName(consumer, quotient, deferral.numerator, structure, taken);
    SmallVector<IndexTermAttr> outputTerms =
        llvm::to_vector(consumer.getIndices().getAsRange<IndexTermAttr>());
    AccessAttr sum = makeAccess(context, name, outputTerms);
    Attribute summed =
        rewriteExpression(consumer.getMap(), [&](Attribute node) -> Attribute {
          auto access = dyn_cast<AccessAttr>(node);
          if (access && access.getTensor() == quotient)
            return deferral.numerator;
          return node;
        });
    createEinsum(builder, consumer.getLoc(), sum, summed, ReduceKind::Sum,
                 domain.reducedRanks);
    consumer.setMapAttr(makeMap(divisionKind, {sum, deferral.denominator}));
    consumer.removeReducerAttr();
    consumer.removeReducedAttr();
  }
  division.erase();
}

struct AttnDeferDivisionPass
    : impl::AttnDeferDivisionBase<AttnDeferDivisionPass> {
  void runOnOperation() override {
    getOperation()->walk([&](CascadeOp cascade) {
      FailureOr<CascadeStructure> structure = analyzeCascade(cascade);
      if (failed(structure)) {
        cascade.emitError() << "attn-defer-division: the cascade is malformed";
        return signalPassFailure();
      }
      SmallVector<Deferral> deferrals;
      for (Operation &op : cascade.getBody().front())
        if (auto einsum = dyn_cast<EinsumOp>(op))
          if (std::optional<Deferral> deferral = matchDeferral(cascade, einsum))
            deferrals.push_back(*deferral);
      llvm::StringSet<> taken;
      for (const Deferral &deferral : deferrals)
        applyDeferral(deferral, *structure, taken);
    });
  }
};

} // namespace
} // namespace mlir::attn
