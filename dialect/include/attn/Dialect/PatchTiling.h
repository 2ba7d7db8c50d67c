//===- PatchTiling.h - N-dimensional patch tiles of grid masks --*- C++ -*-===//
//
// How kernels tile a neighborhood mask (NATTEN, Swin windows) on its token
// grid (docs/sparsity.md, "Patch tiles in the kernels"): a query tile is a
// patch (an N-dimensional box) of the grid, a key tile a patch of a second
// shape, and each query patch visits the key patches its neighborhoods
// reach, each classified full or partial at compile time. The user's
// tensors stay in sequence order: a patch is read as rows of contiguous
// tokens.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_PATCHTILING_H
#define ATTN_DIALECT_PATCHTILING_H

#include "attn/Dialect/AttnAttrs.h"

#include <optional>

namespace mlir::attn {

/// One key patch a query patch visits.
struct PatchVisit {
  int64_t keyPatch = 0;
  /// Every (query, key) pair of the two (clipped) patches is kept, and the
  /// key tile is whole: no element rule and no existence test needed.
  bool full = false;
  /// Every column of the key tile holds a key: the patch fills the tile and
  /// is not clipped by the grid's far border.
  bool whole = false;
};

/// Query patches of extents `patch` and key patches of extents `keyPatch`
/// over `grid`, each numbered row-major over its patch grid (last dimension
/// fastest); patches at the far border of a dimension whose extent the
/// patch does not divide are clipped.
struct PatchTiling {
  llvm::SmallVector<int64_t> grid, patch, keyPatch;
  /// Per query patch, its visited key patches in increasing order (never
  /// an empty one).
  llvm::SmallVector<llvm::SmallVector<PatchVisit>> visits;
  /// Tile pairs that sequence-order tiles of the same sizes visit, for
  /// comparison (docs/sparsity.md).
  int64_t sequenceVisited = 0;

  /// Patches of extents `shape` along each dimension.
  llvm::SmallVector<int64_t> patchCounts(llvm::ArrayRef<int64_t> shape) const;
  /// Query patches.
  int64_t numPatches() const;
  int64_t numKeyPatches() const;
  /// Tokens of a whole query patch and of a whole key patch (at most the
  /// tile sizes).
  int64_t volume() const;
  int64_t keyVolume() const;
  /// The first grid coordinates of patch `index` of extents `shape` and its
  /// clipped extents.
  void box(llvm::ArrayRef<int64_t> shape, int64_t index,
           llvm::SmallVectorImpl<int64_t> &lower,
           llvm::SmallVectorImpl<int64_t> &extents) const;
  int64_t visited() const;
  int64_t visitedFull() const;
};

/// The patch tiling for query tiles of `blockQ` and key tiles of `blockKV`
/// positions that visits the fewest tile pairs (so the largest fraction of
/// the visited pairs' elements is kept), then the fewest partial ones, then
/// the one using the most lanes, then the fewest clipped dimensions, then
/// longer extents in later dimensions (longer contiguous rows). Candidates
/// are the boxes of more than half and at most all of a tile's tokens that
/// fit the grid, for queries and keys. std::nullopt when the grid is
/// 1-dimensional or no pair of patches visits fewer tile pairs than
/// sequence order.
std::optional<PatchTiling> choosePatchTiling(NeighborhoodAttr mask,
                                             int64_t blockQ, int64_t blockKV);

/// The tiling of `mask` with query patches of extents `patch` and key
/// patches of extents `keyPatch` (each at least 1 and at most the grid's
/// extent) on key tiles of `blockKV` columns (at least the key patch's
/// volume).
PatchTiling buildPatchTiling(NeighborhoodAttr mask,
                             llvm::ArrayRef<int64_t> patch,
                             llvm::ArrayRef<int64_t> keyPatch,
                             int64_t blockKV);

/// Kept (query, key) pairs of two patches of `tiling` (for densities).
int64_t countPatchPairKept(NeighborhoodAttr mask, const PatchTiling &tiling,
                           int64_t queryPatch, int64_t keyPatch);

} // namespace mlir::attn

#endif // ATTN_DIALECT_PATCHTILING_H
