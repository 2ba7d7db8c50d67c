//===- MaskRegionTiling.h - Tile questions for an op's whole mask -*- C++ -*-===//
//
// An attention op keeps an element iff its mask attribute and its custom
// mask region both keep it. The attribute answers tile questions through
// MaskAttrInterface; the region is evaluated over index intervals when it
// is built from integer arithmetic and comparisons (docs/sparsity.md), and
// otherwise every tile the attribute does not rule out is partial. Kernels
// emit the same evaluation as IR (buildRegionTileTests) to classify their
// tiles at run time.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_MASKREGIONTILING_H
#define ATTN_DIALECT_MASKREGIONTILING_H

#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/MaskLowering.h"
#include "attn/Dialect/MaskTiling.h"
#include <optional>

namespace mlir::attn {

/// i1 Values: the region keeps no element of a tile / every element of it.
struct RegionTileTests {
  Value empty, full;
};

class EffectiveMaskTiling {
public:
  explicit EffectiveMaskTiling(AttentionOp op);
  /// A mask attribute and a mask region (either may be null) kept together,
  /// as a cascade's visit clause names them.
  EffectiveMaskTiling(MaskAttrInterface mask, Region *region);

  bool hasRegion() const { return region != nullptr; }
  /// True when there is no region or its ops are all evaluated over
  /// intervals; false means every tile the attribute keeps is partial and
  /// kept elements cannot be counted.
  bool regionIsAnalyzable() const { return !region || analyzable; }
  /// The op the region evaluator gave up on, if any.
  Operation *unsupportedOp() const { return firstUnsupported; }

  TileClass classifyTile(const TilingContext &ctx, int64_t b, int64_t h,
                         const TileRange &tile) const;
  VisitSet visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                    int64_t queryTile) const;
  /// Emits the region's class of `tile` (rows [rowBegin, rowEnd), columns
  /// [colBegin, colEnd), both non-empty) at run time: the interval
  /// evaluation of classifyTile's region part, as i64 arith ops, so that it
  /// gives the same answers. std::nullopt without an analyzable region.
  std::optional<RegionTileTests>
  buildRegionTileTests(OpBuilder &builder, Location loc,
                       const TileIndices &tile) const;
  /// Kept elements of `tile`; nullopt when the region is not analyzable.
  /// Needs `ctx.data` when the mask attribute reads data.
  std::optional<int64_t> countKept(const TilingContext &ctx, int64_t b,
                                   int64_t h, const TileRange &tile) const;

private:
  /// The region's class over the box of (b, h, i, j) ranges.
  TileClass classifyRegion(const TilingContext &ctx, int64_t b, int64_t h,
                           const TileRange &tile) const;
  /// The region's answer for one element of an analyzable region; nullopt
  /// where its arithmetic overflows.
  std::optional<bool> regionKeeps(const MaskPoint &point) const;

  MaskAttrInterface mask;
  Region *region = nullptr;
  bool analyzable = true;
  Operation *firstUnsupported = nullptr;
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKREGIONTILING_H
