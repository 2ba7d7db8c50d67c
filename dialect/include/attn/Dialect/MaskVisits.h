//===- MaskVisits.h - Row bands and listed key tiles for kernels -*- C++ -*-===//
//
// Refinements of the tile-level emission of MaskLowering.h that kernels
// use when a mask allows them (dialect/lib/MaskLowering.cpp):
//
// - a row band: the mask keeps, in each query row, exactly the keys of one
//   interval, so a partial tile tests each element against per-row bounds
//   computed once per row, instead of evaluating the rule per element;
// - listed key tiles: the mask's data lists the key blocks of each query
//   block (block lists), so a query tile visits the listed tiles only,
//   instead of every key tile with an emptiness test;
// - scanned key tiles: the mask's data must be read to bound a query tile's
//   keys (documents given as ids, which need not be sorted), so the work
//   item reduces the data once, with its lanes sharing the reads, into its
//   key range and a test of full tiles;
// - query-tile ranges: the transpose, for a work item that is a tile of
//   keys (a backward's dK/dV phase), the one range of query tiles whose
//   rows can keep its keys, from closed-form row bounds or by bisection
//   over the rows' key hulls.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_MASKVISITS_H
#define ATTN_DIALECT_MASKVISITS_H

#include "attn/Dialect/AttnAttrs.h"

#include <functional>
#include <optional>

namespace mlir::attn {

/// The keys [lo, hi] (inclusive, in the element indices' integer type) that
/// one query row keeps.
struct KeyBand {
  Value lo, hi;
};

/// When `mask` keeps, in row `at.i` (`at.j` is not read), exactly the keys
/// of one interval, emits its bounds (lo may be below 0, hi past the last
/// key); otherwise std::nullopt. Neither bound decreases as the row grows
/// (buildQueryTileRange relies on it). With positions and mask parameters
/// at most 2^30 (runtime and verifier), the bounds fit 32 bits.
std::optional<KeyBand> buildKeyBand(MaskAttrInterface mask,
                                    OpBuilder &builder, Location loc,
                                    const ElementIndices &at);

/// A band holding every key that row `at.i` keeps (its exact band where
/// buildKeyBand has one; [0, i] for the causal masks without one: S2,
/// documents given as ids; [0, max(i, block - 1)] for Star Attention; for
/// a neighborhood, the slabs of the grid's outermost dimension its window
/// spans; an `and` intersects the hulls its operands have, an `or` spans
/// its operands' if each has one); std::nullopt when nothing bounds the
/// keys (block lists and masks, documents given as ids without causality).
/// Neither bound decreases as the row grows.
std::optional<KeyBand> buildKeyHull(MaskAttrInterface mask,
                                    OpBuilder &builder, Location loc,
                                    const ElementIndices &at);

/// The transposed visits, for kernels whose work item is a tile of keys (a
/// backward's dK/dV phase): the contiguous range of query tiles (tiles of
/// `blockQ` queries) that can hold a row keeping a key of
/// [tile.colBegin, tile.colEnd) (tile.rowBegin and rowEnd are not read).
/// Where the mask bounds those rows in closed form (`causal` from the
/// first key on, windows, S2 up to `local` blocks past the key tile unless
/// one of its key blocks is strided, Star Attention within the key's block
/// unless the tile holds anchor keys, sinks; `and`s and `or`s of these),
/// their
/// tiles, O(1). Otherwise from the hulls (buildKeyHull): tile t is in it
/// iff the hull of its last row reaches the first key and the hull of its
/// first row starts by the last key; for an exact band, the tiles whose
/// forward visit range (buildKeyTileRanges) holds the key tile. Since no
/// hull bound decreases, each end is found by bisection over the
/// ceil(seqQ / blockQ) query tiles (O(log) hull evaluations).
/// std::nullopt for masks with neither.
std::optional<KeyTileRange> buildQueryTileRange(MaskAttrInterface mask,
                                                OpBuilder &builder,
                                                Location loc,
                                                const TileIndices &tile,
                                                int64_t blockQ);

/// One visit of a listed range: key tile `tile`, visited only where
/// `valid` (i1).
struct ListedKeyTile {
  Value tile, valid;
};

/// The key tiles a query tile visits, listed from a mask's data: visits
/// v in [0, count) name tile `at(v).tile` where `at(v).valid`. Valid visits
/// lie in [0, ceil(Skv / blockKV)) and never repeat a tile. `isEmpty` and
/// `isFull` are the emptiness and fullness tests of a valid visit's tile
/// (they know the tile is listed, so a block list needs no scan of its
/// list: the tile is full when the rows lie in one query block and the
/// listed block covers whole key tiles).
struct ListedKeyTiles {
  Value count;
  std::function<ListedKeyTile(OpBuilder &, Location, Value visit)> at;
  std::function<Value(OpBuilder &, Location, const TileIndices &)> isEmpty;
  std::function<Value(OpBuilder &, Location, const TileIndices &)> isFull;
};

/// The listed form of `mask`'s key tiles for `tile`'s rows: a block list,
/// or an `and` with one, whose other operands clip the list to their hulls;
/// std::nullopt for other masks (they visit buildKeyTileRanges).
std::optional<ListedKeyTiles> buildListedKeyTiles(MaskAttrInterface mask,
                                                  OpBuilder &builder,
                                                  Location loc,
                                                  const TileIndices &tile);

/// How a RangeReduction combines its values.
enum class ReductionKind { Min, Max };

/// The elements of a reduction at position k (an index Value): one value
/// per reduction, of the reduction's integer type.
using ReductionElements =
    function_ref<SmallVector<Value>(OpBuilder &, Location, Value k)>;

/// Emits, for k in [begin, end) (index Values), the reductions of
/// `elements(k)` (values of `type`, index or a signed integer type, one per
/// entry of `kinds`): min or max, with the type's largest / smallest value
/// for an empty range. Kernels pass one that shares the positions among the
/// lanes of a work item (ScheduleTarget::reduceOverRange); it may call
/// `elements` on positions of the range only, some more than once (min and
/// max do not mind).
using RangeReduction = std::function<SmallVector<Value>(
    OpBuilder &, Location, Value begin, Value end, Type type,
    ArrayRef<ReductionKind>, ReductionElements)>;

/// The value of `type` a reduction of `kind` starts from.
Value reductionIdentity(OpBuilder &builder, Location loc, Type type,
                        ReductionKind kind);

/// A RangeReduction as one loop over the range.
SmallVector<Value> reduceRangeInLoop(OpBuilder &builder, Location loc,
                                     Value begin, Value end, Type type,
                                     ArrayRef<ReductionKind> kinds,
                                     ReductionElements elements);

/// The key tiles of a query tile found by reducing the mask's data: the
/// contiguous range `range` holds every key tile in which a row of the tile
/// keeps a key; `isFull(tile)` (i1) is true only if every element of
/// `tile` (keys of one key tile of the range) is kept. Both are computed
/// from values the reduction left in the work item, so `isFull` may be
/// called anywhere they dominate.
struct ScannedKeyTiles {
  KeyTileRange range;
  std::function<Value(OpBuilder &, Location, const TileIndices &)> isFull;
};

/// Keys per entry of a key summary: entry [b, c] holds the smallest and
/// largest id of keys [c G, min((c + 1) G, Skv)) of batch row b. A
/// preparation kernel writes it once per call (O(B Skv)); kernels then read
/// O(Skv / G) entries per work item instead of O(Skv) ids. Fixed, so that
/// every target's kernels read the summary of the same preparation.
inline constexpr int64_t kKeySummaryChunk = 64;

/// The data operand (documents ids) whose reads bound `mask`'s key tiles in
/// buildScannedKeyTiles, or std::nullopt when it builds none.
std::optional<unsigned> scannedDataOperand(MaskAttrInterface mask);

/// The scanned form of `mask`'s key tiles for `tile`'s rows: documents in
/// the ids layout (docs/sparsity.md, "Documents with ids in kernels");
/// std::nullopt for other masks. Exact for any ids, tight when each
/// document's positions are contiguous: O(Skv) reads per query tile (O(Sq)
/// without causality), shared by the lanes through `reduce`. With
/// `keySummary` (a memref [B, ceil(Skv / kKeySummaryChunk), 2] of the ids'
/// element type, the preparation's output for the ids of the call), it reads
/// the summary instead: O(BQ + Skv / kKeySummaryChunk) per query tile.
std::optional<ScannedKeyTiles>
buildScannedKeyTiles(MaskAttrInterface mask, OpBuilder &builder, Location loc,
                     const TileIndices &tile, const RangeReduction &reduce,
                     Value keySummary = {});

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKVISITS_H
