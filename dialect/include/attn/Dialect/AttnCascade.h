//===- AttnCascade.h - Structure of an Einsum cascade -----------*- C++ -*-===//
//
// What the cascade verifier learns about a cascade (its ranks, its tensors and
// where each is defined), kept so that the passes and the reference
// evaluator read one definition of the cascade semantics instead of
// re-deriving it from the IR.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTNCASCADE_H
#define ATTN_DIALECT_ATTNCASCADE_H

#include "attn/Dialect/AttnOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include <string>

namespace mlir::attn {

/// One named rank of a cascade.
struct CascadeRank {
  StringAttr name;
  /// Static extent, or ShapedType::kDynamic (known once inputs are bound).
  int64_t extent = ShapedType::kDynamic;
  /// For a rank named by an input binding: the first (input, dimension) that
  /// names it.
  unsigned input = 0, dim = 0;
  /// For the parts of `attn.partition parent = outer * tile + inner`.
  StringAttr parent;
  int64_t tile = 0;
  bool isOuter = false;

  bool isPartitionPart() const { return static_cast<bool>(parent); }
};

/// One named tensor of a cascade.
struct CascadeTensor {
  enum class Kind { Input, Einsum, Running };
  StringAttr name;
  Kind kind = Kind::Input;
  /// The rank of each dimension.
  SmallVector<StringAttr> ranks;
  /// Input: its position among the cascade's inputs.
  unsigned input = 0;
  /// Einsum: its definition; Running: its recurrence.
  EinsumOp definition;
  /// Running: the iteration that carries it, the position of the iterative
  /// rank among its dimensions and its initial value.
  IterateOp iterate;
  unsigned iterativeDim = 0;
  double initial = 0.0;
};

/// A verified cascade's ranks (in declaration order) and tensors (in
/// definition order). Partitioned ranks map to their (outer, inner) parts.
struct CascadeStructure {
  llvm::MapVector<StringAttr, CascadeRank> ranks;
  llvm::MapVector<StringAttr, CascadeTensor> tensors;
  llvm::DenseMap<StringAttr, std::pair<StringAttr, StringAttr>> partitions;

  const CascadeRank &rank(StringAttr name) const {
    return ranks.find(name)->second;
  }
  const CascadeTensor &tensor(StringAttr name) const {
    return tensors.find(name)->second;
  }
};

/// Builds the structure of `op`, diagnosing every violation of the cascade
/// rules on the offending op when `emitDiagnostics` is set. Verified
/// cascades always succeed.
FailureOr<CascadeStructure> analyzeCascade(CascadeOp op,
                                           bool emitDiagnostics = false);

/// The ranks an index term reads: `m` and `m + 1` read m, `m1 * M0 + m0`
/// reads m1 and m0, `g(h)` reads h, and an extent reads none.
void collectTermRanks(IndexTermAttr term, SmallVectorImpl<StringAttr> &ranks);

/// Calls `fn` on every tensor access of a map expression, in print order.
void walkAccesses(Attribute expression,
                  llvm::function_ref<void(AccessAttr)> fn);
/// Calls `fn` on every map node (kind mask, score_mod, ... included).
void walkMaps(Attribute expression, llvm::function_ref<void(MapAttr)> fn);

/// The ranks of an Einsum's iteration space: output ranks first (in output
/// order), then the reduced ranks; the iterative rank of an enclosing
/// attn.iterate is excluded (it is fixed per iteration).
struct EinsumDomain {
  SmallVector<StringAttr> outputRanks;
  SmallVector<StringAttr> reducedRanks;
  /// The iterative rank fixed by the enclosing attn.iterate, if any.
  StringAttr fixedRank;
};
EinsumDomain getEinsumDomain(EinsumOp op);

/// The spelling of a rank's extent: its name upper-cased (m1 -> M1).
std::string extentName(StringRef rank);

/// Rebuilds a map expression bottom-up: `fn` receives each node (access,
/// constant or map, the latter with its operands already rebuilt) and
/// returns its replacement.
Attribute rewriteExpression(Attribute expression,
                            llvm::function_ref<Attribute(Attribute)> fn);

/// Shorthands for building cascades in passes.
AccessAttr makeAccess(MLIRContext *context, StringRef tensor,
                      ArrayRef<IndexTermAttr> indices);
SmallVector<IndexTermAttr> rankTerms(MLIRContext *context,
                                     ArrayRef<StringRef> ranks);
MapAttr makeMap(MapKind kind, ArrayRef<Attribute> operands, Attribute rule = {},
                ArrayRef<IndexTermAttr> point = {});
EinsumOp createEinsum(OpBuilder &builder, Location loc, AccessAttr output,
                      Attribute map,
                      std::optional<ReduceKind> reducer = std::nullopt,
                      ArrayRef<StringAttr> reduced = {});

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTNCASCADE_H
