//===- Tile.cpp - Query tiles for the 1-pass cascade ----------------------===//
//
// attn-tile partitions the query rank of a 1-pass cascade, p = p1 * P0 + p0,
// so that the cascade states the (query tile, key tile) blocks a kernel
// computes. Nothing else changes: the iteration over the key tiles m1 and its
// running tensors stay, now indexed per query tile. Tensors over p become
// tensors over (p1, p0); the query input and the mask and score rules read
// position p1 * P0 + p0; the results yield (p1, p0) as their p dimension.
// Optionally the key tile M0 is re-chosen (block-kv).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILE
#include "attn/Passes/Passes.h.inc"

namespace {

/// The pieces of a 1-pass attention cascade that tiling touches.
struct OnePassCascade {
  StringAttr queryRank;
  PartitionOp keyPartition;
  IterateOp iterate;
};

/// Checks that `cascade` is an attention cascade in the 1-pass form whose
/// query rank is not partitioned yet; diagnoses on the cascade otherwise.
FailureOr<OnePassCascade> matchOnePass(CascadeOp cascade,
                                       const CascadeStructure &structure) {
  auto fail = [&]() {
    return cascade.emitError()
           << "attn-tile: cascade '" << cascade.getCascadeName() << "' ";
  };
  auto inputs = cascade.getInputs();
  if (inputs.size() < 3 || llvm::any_of(inputs.take_front(3), [](Value v) {
        return cast<RankedTensorType>(v.getType()).getRank() != 4;
      }))
    return fail() << "is not an attention cascade: its first three inputs "
                     "must be the query, key and value, of rank 4 each";
  auto bindings = cascade.getBindings().getAsRange<AccessAttr>();
  auto binding = bindings.begin();
  StringAttr queryRank = (*binding).getIndices()[2].getRank();
  StringAttr keyRank = (*++binding).getIndices()[2].getRank();

  SmallVector<IterateOp> iterates;
  PartitionOp keyPartition;
  for (Operation &op : cascade.getBody().front()) {
    if (auto iterate = dyn_cast<IterateOp>(op))
      iterates.push_back(iterate);
    if (auto partition = dyn_cast<PartitionOp>(op)) {
      if (partition.getRankAttr() == queryRank)
        return fail() << "already partitions its query rank "
                      << queryRank.getValue() << " (into "
                      << partition.getOuter() << " * " << partition.getTile()
                      << " + " << partition.getInner() << ")";
      if (partition.getRankAttr() == keyRank)
        keyPartition = partition;
    }
  }
  if (iterates.size() != 1 || !keyPartition ||
      iterates.front().getRankAttr() != keyPartition.getOuterAttr())
    return fail() << "is not in the 1-pass form (one attn.iterate over the "
                     "key tiles of rank "
                  << keyRank.getValue()
                  << "); run attn-defer-division and attn-online-softmax "
                     "first";

  WalkResult reduces = cascade.getBody().walk([&](EinsumOp einsum) {
    if (llvm::is_contained(getEinsumDomain(einsum).reducedRanks, queryRank)) {
      einsum.emitError() << "attn-tile: reduces over the query rank "
                         << queryRank.getValue()
                         << ", so its query tiles are not independent";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (reduces.wasInterrupted())
    return failure();
  return OnePassCascade{queryRank, keyPartition, iterates.front()};
}

/// A rank name not used by the cascade: `base`, else base_2, base_3, ...
StringAttr freshRank(MLIRContext *context, const CascadeStructure &structure,
                     StringRef base) {
  StringAttr name = StringAttr::get(context, base);
  for (int suffix = 2; structure.ranks.contains(name); ++suffix)
    name = StringAttr::get(context, base + "_" + std::to_string(suffix));
  return name;
}

class QueryTiler {
public:
  QueryTiler(const CascadeStructure &structure, StringAttr rank,
             StringAttr outer, StringAttr inner)
      : structure(structure), rank(rank), outer(outer), inner(inner) {}

  /// Indices of a tensor stored over (outer, inner) instead of the rank.
  SmallVector<IndexTermAttr> splitDims(ArrayRef<IndexTermAttr> terms) const {
    SmallVector<IndexTermAttr> split;
    for (IndexTermAttr term : terms) {
      if (term.isRank() && term.getRank() == rank) {
        split.push_back(IndexTermAttr::getRank(outer));
        split.push_back(IndexTermAttr::getRank(inner));
        continue;
      }
      split.push_back(term);
    }
    return split;
  }

  /// Indices reading position outer * tile + inner of a tensor over the rank
  /// (cascade inputs and rule points).
  SmallVector<IndexTermAttr> tilePositions(ArrayRef<IndexTermAttr> terms) const {
    return llvm::map_to_vector(terms, [&](IndexTermAttr term) {
      return term.isRank() && term.getRank() == rank
                 ? IndexTermAttr::getTiled(outer, inner)
                 : term;
    });
  }

  AccessAttr rewriteAccess(AccessAttr access) const {
    bool isInput = structure.tensor(access.getTensor()).kind ==
                   CascadeTensor::Kind::Input;
    return AccessAttr::get(access.getContext(), access.getTensor(),
                           isInput ? tilePositions(access.getIndices())
                                   : splitDims(access.getIndices()));
  }

  Attribute rewriteMap(Attribute expression) const {
    return rewriteExpression(expression, [&](Attribute node) -> Attribute {
      if (auto access = dyn_cast<AccessAttr>(node))
        return rewriteAccess(access);
      auto map = dyn_cast<MapAttr>(node);
      if (!map || map.getPoint().empty())
        return node;
      return MapAttr::get(map.getContext(), map.getKind(), map.getOperands(),
                          map.getRule(), tilePositions(map.getPoint()));
    });
  }

  ArrayAttr rewriteAccesses(ArrayAttr accesses, bool splitOnly) const {
    SmallVector<Attribute> rewritten =
        llvm::map_to_vector(accesses.getAsRange<AccessAttr>(),
                            [&](AccessAttr access) -> Attribute {
                              if (splitOnly)
                                return AccessAttr::get(
                                    access.getContext(), access.getTensor(),
                                    splitDims(access.getIndices()));
                              return rewriteAccess(access);
                            });
    return ArrayAttr::get(accesses.getContext(), rewritten);
  }

  void run(CascadeOp cascade) const {
    MLIRContext *context = cascade.getContext();
    cascade.getBody().walk([&](Operation *op) {
      if (auto einsum = dyn_cast<EinsumOp>(op)) {
        SmallVector<IndexTermAttr> split = splitDims(
            llvm::to_vector(einsum.getIndices().getAsRange<IndexTermAttr>()));
        SmallVector<Attribute> indices(split.begin(), split.end());
        einsum.setIndicesAttr(ArrayAttr::get(context, indices));
        einsum.setMapAttr(rewriteMap(einsum.getMap()));
      } else if (auto iterate = dyn_cast<IterateOp>(op)) {
        iterate.setRunningAttr(
            rewriteAccesses(iterate.getRunning(), /*splitOnly=*/true));
        if (ArrayAttr visit = iterate.getVisitAttr())
          iterate.setVisitAttr(ArrayAttr::get(
              context, llvm::map_to_vector(visit, [&](Attribute test) {
                return rewriteMap(test);
              })));
      } else if (auto yield = dyn_cast<CascadeYieldOp>(op)) {
        yield.setTensorsAttr(rewriteAccesses(yield.getTensors(),
                                             /*splitOnly=*/false));
      }
    });
  }

private:
  const CascadeStructure &structure;
  StringAttr rank, outer, inner;
};

struct AttnTilePass : impl::AttnTileBase<AttnTilePass> {
  using impl::AttnTileBase<AttnTilePass>::AttnTileBase;

  void runOnOperation() override {
    if (blockQ < 1 || blockKV < 0) {
      emitError(getOperation()->getLoc())
          << "attn-tile: block-q must be >= 1 and block-kv >= 1 (or 0 to "
             "keep the key tile), got block-q="
          << static_cast<int64_t>(blockQ)
          << " block-kv=" << static_cast<int64_t>(blockKV);
      return signalPassFailure();
    }
    SmallVector<CascadeOp> cascades;
    getOperation()->walk([&](CascadeOp op) { cascades.push_back(op); });
    for (CascadeOp cascade : cascades) {
      FailureOr<CascadeStructure> structure = analyzeCascade(cascade);
      if (failed(structure)) {
        cascade.emitError() << "attn-tile: the cascade is malformed";
        return signalPassFailure();
      }
      FailureOr<OnePassCascade> onePass = matchOnePass(cascade, *structure);
      if (failed(onePass))
        return signalPassFailure();
      MLIRContext *context = cascade.getContext();
      StringRef query = onePass->queryRank.getValue();
      StringAttr outer = freshRank(context, *structure, (query + "1").str());
      StringAttr inner = freshRank(context, *structure, (query + "0").str());
      QueryTiler(*structure, onePass->queryRank, outer, inner).run(cascade);

      OpBuilder builder(onePass->keyPartition);
      PartitionOp::create(builder, onePass->keyPartition.getLoc(),
                          onePass->queryRank, outer, inner,
                          builder.getI64IntegerAttr(blockQ));
      if (blockKV > 0)
        onePass->keyPartition.setTile(blockKV);
      if (failed(analyzeCascade(cascade, /*emitDiagnostics=*/true))) {
        cascade.emitError() << "attn-tile: the tiled cascade is malformed";
        return signalPassFailure();
      }
    }
  }
};

} // namespace
} // namespace mlir::attn
