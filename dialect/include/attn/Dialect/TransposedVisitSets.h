//===- TransposedVisitSets.h - key tile -> visiting query tiles -*- C++ -*-===//
//
// The backward pass that accumulates dK and dV walks, for each key tile, the
// query tiles that visit it (docs/backward.md): the transpose of the
// forward's visit sets, with the same tile classes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_TRANSPOSEDVISITSETS_H
#define ATTN_DIALECT_TRANSPOSEDVISITSETS_H

#include "attn/Dialect/MaskTiling.h"

namespace mlir::attn {

/// For each of `numKeyTiles` key tiles, the query tiles whose visit set
/// (`visitSetOf`) holds it, with the same class, in increasing order. It
/// costs one visit set per query tile plus O(1) per visited tile, so
/// O(tiles) for every mask kind, data masks included.
llvm::SmallVector<VisitSet>
transposeVisitSets(int64_t numQueryTiles, int64_t numKeyTiles,
                   llvm::function_ref<VisitSet(int64_t)> visitSetOf);

} // namespace mlir::attn

#endif // ATTN_DIALECT_TRANSPOSEDVISITSETS_H
