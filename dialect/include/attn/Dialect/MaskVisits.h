//===- MaskVisits.h - Row bands and listed key tiles for kernels -*- C++ -*-===//
//
// Two refinements of the tile-level emission of MaskLowering.h that kernels
// use when a mask allows them (dialect/lib/MaskLowering.cpp):
//
// - a row band: the mask keeps, in each query row, exactly the keys of one
//   interval, so a partial tile tests each element against per-row bounds
//   computed once per row, instead of evaluating the rule per element;
// - listed key tiles: the mask's data lists the key blocks of each query
//   block (block lists), so a query tile visits the listed tiles only,
//   instead of every key tile with an emptiness test.
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
/// key); otherwise std::nullopt. With positions and mask parameters at most
/// 2^30 (runtime and verifier), the bounds fit 32 bits.
std::optional<KeyBand> buildKeyBand(MaskAttrInterface mask,
                                    OpBuilder &builder, Location loc,
                                    const ElementIndices &at);

/// One visit of a listed range: key tile `tile`, visited only where
/// `valid` (i1).
struct ListedKeyTile {
  Value tile, valid;
};

/// The key tiles a query tile visits, listed from a mask's data: visits
/// v in [0, count) name tile `at(v).tile` where `at(v).valid`. Valid visits
/// lie in [0, ceil(Skv / blockKV)) and never repeat a tile. `isEmpty` is the
/// emptiness test of a valid visit's tile (it knows the tile is listed).
struct ListedKeyTiles {
  Value count;
  std::function<ListedKeyTile(OpBuilder &, Location, Value visit)> at;
  std::function<Value(OpBuilder &, Location, const TileIndices &)> isEmpty;
};

/// The listed form of `mask`'s key tiles for `tile`'s rows: a block list,
/// or an `and` with one, whose other operands clip the list to their hulls;
/// std::nullopt for other masks (they visit buildKeyTileRanges).
std::optional<ListedKeyTiles> buildListedKeyTiles(MaskAttrInterface mask,
                                                  OpBuilder &builder,
                                                  Location loc,
                                                  const TileIndices &tile);

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKVISITS_H
