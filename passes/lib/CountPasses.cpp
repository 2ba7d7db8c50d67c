//===- CountPasses.cpp - FuseMax's pass analysis of Einsum cascades -------===//
//
// A pass over rank r is one traversal of a fiber over r. An Einsum that
// reads a fiber of tensor T over r, after (transitively) depending on a
// reduction over r that needed T's fiber in full, cannot run in the same
// traversal: that read-read dependency starts a new pass. Each Einsum gets
// the pass it must run in; the cascade's count is the largest pass of an
// Einsum that reads a fiber over r (1 + the longest dependency chain).
//
// Bookkeeping per tensor, for a fixed r:
//  - pass: the pass in which its fibers over r are produced (a reader of
//    them cannot run earlier: it consumes them as they stream out);
//  - streamed: the tensors whose fibers over r were read in that same pass
//    to produce it, so that a reduction of it also completes their reads;
//  - completed: the (tensor, pass) traversals it depends on having finished.
//
// For a partitioned rank m = m1 * M0 + m0, an access of m1 or m0 reads a
// fiber of m (and an access of m reads fibers of m1 and m0), but only a
// reduction that removes every part completes one (a max over m0 that
// keeps m1 is a partial result). An iteration over m1
// completes m1 (and m) when its running tensors are read at M1 afterwards.
// A running tensor read at m1 holds the previous iteration's value, which
// depends only on fibers the current iteration never reads again.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCOUNTPASSES
#include "attn/Passes/Passes.h.inc"

namespace {

using Traversal = std::pair<StringAttr, unsigned>;

struct TensorState {
  unsigned pass = 0;
  llvm::SmallSetVector<StringAttr, 4> streamed;
  llvm::DenseSet<Traversal> completed;
};

/// Which value of a running tensor an access reads.
enum class RunningVersion { Current, Next, Final };

class PassCounter {
public:
  PassCounter(const CascadeStructure &structure, StringAttr rank)
      : structure(structure) {
    // A partitioned rank is read through either part, and a part is read
    // whenever its whole rank is.
    related.insert(rank);
    if (auto parts = structure.partitions.find(rank);
        parts != structure.partitions.end()) {
      related.insert(parts->second.first);
      related.insert(parts->second.second);
    }
    if (const CascadeRank &info = structure.rank(rank); info.isPartitionPart())
      related.insert(info.parent);
  }

  /// The number of passes over the rank.
  unsigned count(CascadeOp cascade) {
    for (Operation &op : cascade.getBody().front()) {
      if (auto einsum = dyn_cast<EinsumOp>(op))
        visit(einsum);
      if (auto iterate = dyn_cast<IterateOp>(op))
        visitIteration(iterate);
    }
    return std::max(passes, 1u);
  }

private:
  bool touches(IndexTermAttr term) const {
    SmallVector<StringAttr> ranks;
    collectTermRanks(term, ranks);
    return llvm::any_of(ranks,
                        [&](StringAttr r) { return related.contains(r); });
  }
  bool touches(AccessAttr access) const {
    return llvm::any_of(access.getIndices(),
                        [&](IndexTermAttr term) { return touches(term); });
  }

  /// The state an access reads: running tensors have one per version.
  TensorState &stateOf(AccessAttr access) {
    StringAttr name = access.getTensor();
    const CascadeTensor &tensor = structure.tensor(name);
    if (tensor.kind != CascadeTensor::Kind::Running)
      return states[name];
    IndexTermAttr term = access.getIndices()[tensor.iterativeDim];
    switch (term.getKind()) {
    case IndexTermKind::Offset:
      return nextStates[name];
    case IndexTermKind::Extent:
      return finalStates[name];
    default:
      return initialState;
    }
  }

  void visit(EinsumOp op) {
    SmallVector<std::pair<StringAttr, TensorState *>> reads;
    llvm::SmallSetVector<StringAttr, 4> fiberReads;
    unsigned pass = 1;
    walkAccesses(op.getMap(), [&](AccessAttr access) {
      TensorState &state = stateOf(access);
      reads.push_back({access.getTensor(), &state});
      if (!touches(access))
        return;
      fiberReads.insert(access.getTensor());
      pass = std::max(pass, state.pass);
    });
    for (auto &[name, state] : reads)
      for (const Traversal &done : state->completed)
        if (fiberReads.contains(done.first))
          pass = std::max(pass, done.second + 1);

    TensorState result;
    for (auto &[name, state] : reads)
      result.completed.insert(state->completed.begin(), state->completed.end());
    // Fibers streamed into this Einsum in its own pass.
    llvm::SmallSetVector<StringAttr, 4> streamed = fiberReads;
    for (auto &[name, state] : reads)
      if (fiberReads.contains(name) && state->pass == pass)
        streamed.insert(state->streamed.begin(), state->streamed.end());

    bool outputTouches =
        llvm::any_of(op.getIndices().getAsRange<IndexTermAttr>(),
                     [&](IndexTermAttr term) { return touches(term); });
    if (!fiberReads.empty()) {
      passes = std::max(passes, pass);
      if (currentIteration) {
        iterationReads.insert(iterationReads.end(), streamed.begin(),
                              streamed.end());
        iterationPass = std::max(iterationPass, pass);
      }
    }
    if (outputTouches) {
      result.pass = pass;
      result.streamed = streamed;
    } else if (!fiberReads.empty()) {
      // A reduction that removes every part of the rank: the fibers it
      // streamed are now read in full.
      for (StringAttr tensor : streamed)
        result.completed.insert({tensor, pass});
    }

    StringAttr name = op.getTensorAttr();
    if (structure.tensor(name).kind == CascadeTensor::Kind::Running)
      nextStates[name] = std::move(result);
    else
      states[name] = std::move(result);
  }

  void visitIteration(IterateOp op) {
    currentIteration = op;
    iterationReads.clear();
    iterationPass = 0;
    for (Operation &nested : op.getBody().front())
      visit(cast<EinsumOp>(nested));
    currentIteration = nullptr;

    // Reading a running tensor at its final index M1 needs every iteration:
    // a traversal of the iterative rank (and of the rank it partitions).
    StringAttr iterative = op.getRankAttr();
    bool completesRank = related.contains(iterative);
    for (AccessAttr running : op.getRunning().getAsRange<AccessAttr>()) {
      StringAttr name = running.getTensor();
      TensorState final = nextStates[name];
      final.pass = 0;
      final.streamed.clear();
      if (completesRank)
        for (StringAttr tensor : iterationReads)
          final.completed.insert({tensor, iterationPass});
      finalStates[name] = std::move(final);
    }
  }

  const CascadeStructure &structure;
  llvm::SmallDenseSet<StringAttr> related;
  llvm::DenseMap<StringAttr, TensorState> states, nextStates, finalStates;
  TensorState initialState;
  IterateOp currentIteration;
  SmallVector<StringAttr> iterationReads;
  unsigned iterationPass = 0;
  unsigned passes = 0;
};

/// Ranks some Einsum reduces or some iteration runs over, with the ranks
/// they partition, in declaration order.
SmallVector<StringAttr> traversedRanks(CascadeOp cascade,
                                       const CascadeStructure &structure) {
  llvm::SmallDenseSet<StringAttr> traversed;
  auto mark = [&](StringAttr rank) {
    traversed.insert(rank);
    if (const CascadeRank &info = structure.rank(rank); info.isPartitionPart())
      traversed.insert(info.parent);
  };
  cascade.getBody().walk([&](Operation *op) {
    if (auto einsum = dyn_cast<EinsumOp>(op))
      for (StringAttr rank : getEinsumDomain(einsum).reducedRanks)
        mark(rank);
    if (auto iterate = dyn_cast<IterateOp>(op))
      mark(iterate.getRankAttr());
  });
  SmallVector<StringAttr> ranks;
  for (auto &[name, info] : structure.ranks)
    if (traversed.contains(name))
      ranks.push_back(name);
  return ranks;
}

struct AttnCountPassesPass : impl::AttnCountPassesBase<AttnCountPassesPass> {
  void runOnOperation() override {
    getOperation()->walk([&](CascadeOp cascade) {
      FailureOr<CascadeStructure> structure = analyzeCascade(cascade);
      if (failed(structure)) {
        cascade.emitError() << "attn-count-passes: the cascade is malformed";
        return signalPassFailure();
      }
      for (StringAttr rank : traversedRanks(cascade, *structure)) {
        unsigned passes = PassCounter(*structure, rank).count(cascade);
        emitRemark(cascade.getLoc())
            << "cascade " << cascade.getCascadeName() << ": " << passes
            << " passes over rank " << rank.getValue();
      }
    });
  }
};

} // namespace
} // namespace mlir::attn
