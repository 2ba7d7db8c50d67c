//===- MaskTiling.h - Plain data for tile classification --------*- C++ -*-===//
//
// The tile-level questions a mask answers (docs/sparsity.md): for a query
// tile and a key tile, is the tile empty, full or partial; and for a query
// tile, which key tiles to visit. These types carry the concrete sizes and
// the answers; the MaskAttrInterface methods compute them per mask kind.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_MASKTILING_H
#define ATTN_DIALECT_MASKTILING_H

#include "attn/Dialect/MaskSemantics.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>

namespace mlir::attn {

/// What a (query tile, key tile) pair needs: nothing (no element kept), the
/// contraction alone (every element kept) or the element rule as well.
enum class TileClass : uint8_t { Empty, Partial, Full };

/// The class of a tile of `and`-ed masks, from the classes of the operands.
TileClass meetTileClass(TileClass lhs, TileClass rhs);
/// The class of a tile of `or`-ed masks, from the classes of the operands.
TileClass joinTileClass(TileClass lhs, TileClass rhs);
llvm::StringRef stringifyTileClass(TileClass tileClass);

/// A tile as half-open position ranges of queries and keys.
struct TileRange {
  int64_t qBegin = 0, qEnd = 0, kBegin = 0, kEnd = 0;
  int64_t area() const {
    return qEnd <= qBegin || kEnd <= kBegin ? 0
                                            : (qEnd - qBegin) * (kEnd - kBegin);
  }
};

/// A permutation of the tokens of an N-dimensional grid into patch order:
/// patches of shape `patch` in row-major order over the patch grid, tokens
/// row-major inside each patch (patches at the far border are clipped). The
/// same permutation applies to queries and keys, so a run of positions that
/// covers whole patches is a dense N-dimensional box of tokens.
class TokenOrder {
public:
  /// `patch` must have the grid's rank with extents >= 1; the grid itself as
  /// the patch is the natural row-major order.
  TokenOrder(llvm::ArrayRef<int64_t> grid, llvm::ArrayRef<int64_t> patch);

  llvm::ArrayRef<int64_t> grid() const { return gridShape; }
  llvm::ArrayRef<int64_t> patch() const { return patchShape; }
  int64_t numTokens() const;

  /// The row-major token index at `position` of the permuted sequence.
  int64_t tokenAt(int64_t position) const;

  /// Calls `fn(lower, upper)` for disjoint boxes [lower, upper) of grid
  /// coordinates whose union is the tokens at positions [begin, end).
  void forEachBox(int64_t begin, int64_t end,
                  llvm::function_ref<void(llvm::ArrayRef<int64_t>,
                                          llvm::ArrayRef<int64_t>)>
                      fn) const;

  /// Calls `fn(begin, end)` for disjoint position ranges whose union is the
  /// positions of the tokens in the box [lower, upper).
  void forEachRunOfBox(llvm::ArrayRef<int64_t> lower,
                       llvm::ArrayRef<int64_t> upper,
                       llvm::function_ref<void(int64_t, int64_t)> fn) const;

private:
  int64_t patchExtent(unsigned dim, int64_t patchIndex) const;
  /// The first position of the patch with patch coordinates `patchIndex`.
  int64_t patchStart(llvm::ArrayRef<int64_t> patchIndex) const;

  llvm::SmallVector<int64_t> gridShape, patchShape;
};

/// The concrete sizes a tiling question is asked at.
struct TilingContext {
  int64_t batch = 1;
  int64_t queryHeads = 1, kvHeads = 1;
  int64_t seqQ = 0, seqKV = 0;
  /// Tile sizes in positions: BQ queries by BK keys.
  int64_t blockQ = 128, blockKV = 128;
  /// The `data` operands' values; null at compile time, where masks that
  /// read data answer conservatively (docs/sparsity.md).
  const DataOperandReader *data = nullptr;
  /// Non-null when queries and keys are permuted into patch order (only
  /// grid masks answer exactly then; others answer conservatively).
  const TokenOrder *order = nullptr;

  int64_t numQueryTiles() const { return (seqQ + blockQ - 1) / blockQ; }
  int64_t numKeyTiles() const { return (seqKV + blockKV - 1) / blockKV; }
  /// The tile of query tile `queryTile` and key tile `keyTile`, clipped to
  /// the sequence lengths.
  TileRange tile(int64_t queryTile, int64_t keyTile) const;
  /// The element at positions (i, j), with tokens read through `order`.
  MaskPoint point(int64_t b, int64_t h, int64_t i, int64_t j) const;
};

/// Tiles begin, begin + step, ... below end.
struct StridedRange {
  int64_t begin = 0, end = 0, step = 1;
  int64_t size() const { return end <= begin ? 0 : (end - begin - 1) / step + 1; }
  int64_t last() const { return begin + (size() - 1) * step; }
  bool contains(int64_t tile) const {
    return tile >= begin && tile < end && (tile - begin) % step == 0;
  }
};

/// Key tiles of one class.
struct VisitRange {
  StridedRange tiles;
  TileClass tileClass = TileClass::Partial;
};

/// The key tiles a query tile visits, each with its (non-empty) class, as a
/// short union of strided ranges ordered by their first tile.
class VisitSet {
public:
  /// Appends `tile`, which must exceed every tile added before; merges it
  /// into the last range when it continues that range's progression.
  void append(int64_t tile, TileClass tileClass);

  /// Classifies each tile of `candidates` (a superset of the visited tiles,
  /// in any order, possibly overlapping) with `classify` and keeps the
  /// non-empty ones.
  static VisitSet
  fromCandidates(llvm::ArrayRef<StridedRange> candidates,
                 llvm::function_ref<TileClass(int64_t)> classify);

  llvm::ArrayRef<VisitRange> ranges() const { return visitRanges; }
  /// Calls `fn(tile, class)` for every visited tile in increasing order.
  void forEachTile(llvm::function_ref<void(int64_t, TileClass)> fn) const;
  int64_t count(TileClass tileClass) const;
  int64_t size() const;

private:
  llvm::SmallVector<VisitRange> visitRanges;
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKTILING_H
