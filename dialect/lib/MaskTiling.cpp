//===- MaskTiling.cpp - Tile classes and visit sets of every mask ---------===//
//
// Each mask kind answers the tile questions of docs/sparsity.md in closed
// form: a few evaluations of per-row interval bounds per tile, never a loop
// over the tile's elements (countKept loops over rows at most). The unit
// test test/unit/MaskTilingTest.cpp checks every answer against the element
// rule `keeps` by brute force.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/PatchTiling.h"
#include "attn/Dialect/TransposedVisitSets.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

using namespace mlir;
using namespace mlir::attn;

/// Beyond any sequence length; attribute values are clamped to it so that
/// the closed forms never overflow.
static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max() / 4;

static int64_t clampToUnbounded(int64_t value) {
  return std::min(value, kUnbounded);
}

/// a * b for a, b >= 0, saturated at kUnbounded.
static int64_t saturatingProduct(int64_t a, int64_t b) {
  return a != 0 && b > kUnbounded / a ? kUnbounded : a * b;
}

/// x mod m in [0, m) for m > 0.
static int64_t floorMod(int64_t x, int64_t m) { return ((x % m) + m) % m; }

/// The size of [lo, hi] (inclusive bounds), 0 when empty.
static int64_t overlapSize(int64_t lo, int64_t hi) {
  return hi < lo ? 0 : hi - lo + 1;
}

//===----------------------------------------------------------------------===//
// Plain data
//===----------------------------------------------------------------------===//

TileClass mlir::attn::meetTileClass(TileClass lhs, TileClass rhs) {
  if (lhs == TileClass::Empty || rhs == TileClass::Empty)
    return TileClass::Empty;
  if (lhs == TileClass::Full && rhs == TileClass::Full)
    return TileClass::Full;
  return TileClass::Partial;
}

TileClass mlir::attn::joinTileClass(TileClass lhs, TileClass rhs) {
  if (lhs == TileClass::Full || rhs == TileClass::Full)
    return TileClass::Full;
  if (lhs == TileClass::Empty && rhs == TileClass::Empty)
    return TileClass::Empty;
  return TileClass::Partial;
}

StringRef mlir::attn::stringifyTileClass(TileClass tileClass) {
  switch (tileClass) {
  case TileClass::Empty:
    return "empty";
  case TileClass::Partial:
    return "partial";
  case TileClass::Full:
    return "full";
  }
  llvm_unreachable("unknown tile class");
}

TileRange TilingContext::tile(int64_t queryTile, int64_t keyTile) const {
  TileRange range;
  range.qBegin = queryTile * blockQ;
  range.qEnd = std::min(seqQ, range.qBegin + blockQ);
  range.kBegin = keyTile * blockKV;
  range.kEnd = std::min(seqKV, range.kBegin + blockKV);
  return range;
}

MaskPoint TilingContext::point(int64_t b, int64_t h, int64_t i,
                               int64_t j) const {
  MaskPoint p;
  p.b = b;
  p.h = h;
  p.i = order ? order->tokenAt(i) : i;
  p.j = order ? order->tokenAt(j) : j;
  p.batch = batch;
  p.queryHeads = queryHeads;
  p.kvHeads = kvHeads;
  p.seqQ = seqQ;
  p.seqKV = seqKV;
  p.data = data;
  return p;
}

void VisitSet::append(int64_t tile, TileClass tileClass) {
  assert(tileClass != TileClass::Empty && "empty tiles are not visited");
  if (!visitRanges.empty()) {
    VisitRange &lastRange = visitRanges.back();
    StridedRange &tiles = lastRange.tiles;
    assert(tile > tiles.last() && "tiles must be appended in order");
    if (lastRange.tileClass == tileClass) {
      if (tiles.size() == 1) {
        tiles.step = tile - tiles.begin;
        tiles.end = tile + 1;
        return;
      }
      if (tile == tiles.last() + tiles.step) {
        tiles.end = tile + 1;
        return;
      }
    }
  }
  visitRanges.push_back({{tile, tile + 1, 1}, tileClass});
}

VisitSet
VisitSet::fromCandidates(ArrayRef<StridedRange> candidates,
                         function_ref<TileClass(int64_t)> classify) {
  SmallVector<int64_t> tiles;
  for (const StridedRange &range : candidates)
    for (int64_t tile = range.begin; tile < range.end; tile += range.step)
      tiles.push_back(tile);
  llvm::sort(tiles);
  tiles.erase(std::unique(tiles.begin(), tiles.end()), tiles.end());
  VisitSet set;
  for (int64_t tile : tiles) {
    TileClass tileClass = classify(tile);
    if (tileClass != TileClass::Empty)
      set.append(tile, tileClass);
  }
  return set;
}

void VisitSet::forEachTile(function_ref<void(int64_t, TileClass)> fn) const {
  // Ranges are ordered by their first tile but may interleave (a strided
  // range with gaps that another range fills), so merge them.
  SmallVector<std::pair<int64_t, TileClass>> tiles;
  for (const VisitRange &range : visitRanges)
    for (int64_t tile = range.tiles.begin; tile < range.tiles.end;
         tile += range.tiles.step)
      tiles.push_back({tile, range.tileClass});
  llvm::sort(tiles, [](const auto &lhs, const auto &rhs) {
    return lhs.first < rhs.first;
  });
  for (auto [tile, tileClass] : tiles)
    fn(tile, tileClass);
}

int64_t VisitSet::count(TileClass tileClass) const {
  int64_t total = 0;
  for (const VisitRange &range : visitRanges)
    if (range.tileClass == tileClass)
      total += range.tiles.size();
  return total;
}

int64_t VisitSet::size() const {
  int64_t total = 0;
  for (const VisitRange &range : visitRanges)
    total += range.tiles.size();
  return total;
}

SmallVector<VisitSet> mlir::attn::transposeVisitSets(
    int64_t numQueryTiles, int64_t numKeyTiles,
    function_ref<VisitSet(int64_t)> visitSetOf) {
  SmallVector<VisitSet> byKeyTile(numKeyTiles);
  // Query tiles in increasing order keep each key tile's appends sorted.
  for (int64_t queryTile = 0; queryTile < numQueryTiles; ++queryTile)
    visitSetOf(queryTile).forEachTile([&](int64_t keyTile, TileClass c) {
      if (keyTile < numKeyTiles)
        byKeyTile[keyTile].append(queryTile, c);
    });
  return byKeyTile;
}

//===----------------------------------------------------------------------===//
// Token order
//===----------------------------------------------------------------------===//

TokenOrder::TokenOrder(ArrayRef<int64_t> grid, ArrayRef<int64_t> patch)
    : gridShape(grid), patchShape(patch) {
  assert(grid.size() == patch.size() && "patch rank differs from the grid's");
}

int64_t TokenOrder::numTokens() const {
  int64_t volume = 1;
  for (int64_t extent : gridShape)
    volume *= extent;
  return volume;
}

int64_t TokenOrder::patchExtent(unsigned dim, int64_t patchIndex) const {
  return std::min(patchShape[dim],
                  gridShape[dim] - patchIndex * patchShape[dim]);
}

int64_t TokenOrder::patchStart(ArrayRef<int64_t> patchIndex) const {
  // Patches before this one: those with a smaller coordinate in the first
  // dimension that differs, whose tokens fill whole slabs of the grid.
  int64_t start = 0, clippedPrefix = 1;
  for (unsigned dim = 0; dim < gridShape.size(); ++dim) {
    int64_t suffix = 1;
    for (unsigned rest = dim + 1; rest < gridShape.size(); ++rest)
      suffix *= gridShape[rest];
    start += clippedPrefix * patchIndex[dim] * patchShape[dim] * suffix;
    clippedPrefix *= patchExtent(dim, patchIndex[dim]);
  }
  return start;
}

namespace {
/// A position of the permuted sequence: the patch holding it and the
/// row-major offset inside that patch.
struct PatchPosition {
  SmallVector<int64_t> patchIndex;
  SmallVector<int64_t> extents;
  int64_t offset = 0;
};
} // namespace

static PatchPosition locate(ArrayRef<int64_t> grid, ArrayRef<int64_t> patch,
                            int64_t position) {
  PatchPosition located;
  int64_t rest = position, clippedPrefix = 1;
  for (unsigned dim = 0; dim < grid.size(); ++dim) {
    int64_t suffix = 1;
    for (unsigned later = dim + 1; later < grid.size(); ++later)
      suffix *= grid[later];
    int64_t unit = clippedPrefix * patch[dim] * suffix;
    int64_t patches = llvm::divideCeilSigned(grid[dim], patch[dim]);
    int64_t index = std::min(rest / unit, patches - 1);
    rest -= index * unit;
    int64_t extent = std::min(patch[dim], grid[dim] - index * patch[dim]);
    located.patchIndex.push_back(index);
    located.extents.push_back(extent);
    clippedPrefix *= extent;
  }
  located.offset = rest;
  return located;
}

int64_t TokenOrder::tokenAt(int64_t position) const {
  PatchPosition located = locate(gridShape, patchShape, position);
  unsigned rank = gridShape.size();
  SmallVector<int64_t> coords(rank);
  int64_t rest = located.offset;
  for (int dim = rank - 1; dim >= 0; --dim) {
    coords[dim] = located.patchIndex[dim] * patchShape[dim] +
                  rest % located.extents[dim];
    rest /= located.extents[dim];
  }
  int64_t token = 0;
  for (unsigned dim = 0; dim < rank; ++dim)
    token = token * gridShape[dim] + coords[dim];
  return token;
}

/// Emits boxes covering the row-major offsets [begin, end) of a box of
/// `extents` at `origin`, with the dimensions before `dim` fixed to `prefix`.
static void decomposeRowMajor(
    ArrayRef<int64_t> extents, ArrayRef<int64_t> origin, unsigned dim,
    SmallVectorImpl<int64_t> &prefix, int64_t begin, int64_t end,
    function_ref<void(ArrayRef<int64_t>, ArrayRef<int64_t>)> fn) {
  unsigned rank = extents.size();
  int64_t slab = 1;
  for (unsigned later = dim + 1; later < rank; ++later)
    slab *= extents[later];
  auto emit = [&](int64_t first, int64_t last) {
    SmallVector<int64_t> lower, upper;
    for (unsigned d = 0; d < rank; ++d) {
      int64_t lo = d < dim ? prefix[d] : d == dim ? first : 0;
      int64_t hi = d < dim ? prefix[d] + 1 : d == dim ? last : extents[d];
      lower.push_back(origin[d] + lo);
      upper.push_back(origin[d] + hi);
    }
    fn(lower, upper);
  };
  if (begin % slab == 0 && end % slab == 0) {
    emit(begin / slab, end / slab);
    return;
  }
  int64_t first = begin / slab, last = (end - 1) / slab;
  auto recurse = [&](int64_t index, int64_t from, int64_t to) {
    prefix.push_back(index);
    decomposeRowMajor(extents, origin, dim + 1, prefix, from, to, fn);
    prefix.pop_back();
  };
  if (first == last) {
    recurse(first, begin - first * slab, end - first * slab);
    return;
  }
  int64_t wholeBegin = first, wholeEnd = last + 1;
  if (begin % slab != 0) {
    recurse(first, begin - first * slab, slab);
    wholeBegin = first + 1;
  }
  if (end % slab != 0)
    wholeEnd = last;
  if (wholeBegin < wholeEnd)
    emit(wholeBegin, wholeEnd);
  if (end % slab != 0)
    recurse(last, 0, end - last * slab);
}

void TokenOrder::forEachBox(
    int64_t begin, int64_t end,
    function_ref<void(ArrayRef<int64_t>, ArrayRef<int64_t>)> fn) const {
  for (int64_t position = begin; position < end;) {
    PatchPosition located = locate(gridShape, patchShape, position);
    int64_t volume = 1;
    SmallVector<int64_t> origin;
    for (auto [dim, extent] : llvm::enumerate(located.extents)) {
      volume *= extent;
      origin.push_back(located.patchIndex[dim] * patchShape[dim]);
    }
    int64_t take = std::min(end - position, volume - located.offset);
    SmallVector<int64_t> prefix;
    decomposeRowMajor(located.extents, origin, 0, prefix, located.offset,
                      located.offset + take, fn);
    position += take;
  }
}

void TokenOrder::forEachRunOfBox(ArrayRef<int64_t> lower,
                                 ArrayRef<int64_t> upper,
                                 function_ref<void(int64_t, int64_t)> fn) const {
  unsigned rank = gridShape.size();
  SmallVector<int64_t> firstPatch, lastPatch;
  for (unsigned dim = 0; dim < rank; ++dim) {
    if (lower[dim] >= upper[dim])
      return;
    firstPatch.push_back(lower[dim] / patchShape[dim]);
    lastPatch.push_back((upper[dim] - 1) / patchShape[dim]);
  }
  SmallVector<int64_t> patchIndex(firstPatch);
  while (true) {
    // The box's part inside this patch, in patch-local coordinates.
    SmallVector<int64_t> extents, lo, hi, strides(rank, 1);
    for (unsigned dim = 0; dim < rank; ++dim) {
      int64_t origin = patchIndex[dim] * patchShape[dim];
      extents.push_back(patchExtent(dim, patchIndex[dim]));
      lo.push_back(std::max(lower[dim], origin) - origin);
      hi.push_back(std::min(upper[dim], origin + extents[dim]) - origin);
    }
    for (int dim = rank - 2; dim >= 0; --dim)
      strides[dim] = strides[dim + 1] * extents[dim + 1];
    // Trailing dimensions the part covers whole merge into one run.
    unsigned runDim = rank - 1;
    while (runDim > 0 && lo[runDim] == 0 && hi[runDim] == extents[runDim])
      --runDim;
    int64_t start = patchStart(patchIndex);
    int64_t runLength = (hi[runDim] - lo[runDim]) * strides[runDim];
    SmallVector<int64_t> outer(lo.begin(), lo.begin() + runDim);
    while (true) {
      int64_t offset = lo[runDim] * strides[runDim];
      for (unsigned dim = 0; dim < runDim; ++dim)
        offset += outer[dim] * strides[dim];
      fn(start + offset, start + offset + runLength);
      int dim = static_cast<int>(runDim) - 1;
      while (dim >= 0 && ++outer[dim] == hi[dim]) {
        outer[dim] = lo[dim];
        --dim;
      }
      if (dim < 0)
        break;
    }
    int dim = static_cast<int>(rank) - 1;
    while (dim >= 0 && ++patchIndex[dim] > lastPatch[dim]) {
      patchIndex[dim] = firstPatch[dim];
      --dim;
    }
    if (dim < 0)
      return;
  }
}

//===----------------------------------------------------------------------===//
// Shared closed forms
//===----------------------------------------------------------------------===//

namespace {
/// Row i keeps exactly the keys [lo(i), hi(i)], with lo(i) <= hi(i) and both
/// non-decreasing in i. Most masks are such a band, or a union of bands over
/// disjoint key columns.
struct MonotoneBand {
  function_ref<int64_t(int64_t)> lo, hi;
};
} // namespace

static TileClass classifyBand(const MonotoneBand &band, const TileRange &t) {
  if (t.qBegin >= t.qEnd || t.kBegin >= t.kEnd)
    return TileClass::Empty;
  // The first row reaching the tile's first key has the smallest lower
  // bound among the rows reaching it, so it decides emptiness.
  int64_t first = t.qBegin, last = t.qEnd;
  while (first < last) {
    int64_t mid = first + (last - first) / 2;
    if (band.hi(mid) >= t.kBegin)
      last = mid;
    else
      first = mid + 1;
  }
  if (first == t.qEnd || band.lo(first) > t.kEnd - 1)
    return TileClass::Empty;
  if (band.lo(t.qEnd - 1) <= t.kBegin && band.hi(t.qBegin) >= t.kEnd - 1)
    return TileClass::Full;
  return TileClass::Partial;
}

static int64_t countBand(const MonotoneBand &band, const TileRange &t) {
  int64_t kept = 0;
  for (int64_t i = t.qBegin; i < t.qEnd; ++i)
    kept += overlapSize(std::max(band.lo(i), t.kBegin),
                        std::min(band.hi(i), t.kEnd - 1));
  return kept;
}

/// The key tiles holding the union of the rows' intervals of query tile
/// `queryTile`: [lo(first row), hi(last row)] contains it.
static StridedRange bandCandidates(const MonotoneBand &band,
                                   const TilingContext &ctx,
                                   int64_t queryTile) {
  TileRange rows = ctx.tile(queryTile, 0);
  int64_t first = std::max<int64_t>(0, band.lo(rows.qBegin));
  int64_t last = std::min(ctx.seqKV - 1, band.hi(rows.qEnd - 1));
  if (first > last)
    return {0, 0, 1};
  return {first / ctx.blockKV, last / ctx.blockKV + 1, 1};
}

/// Combines the classes of disjoint parts that together make up a tile.
static TileClass combineParts(ArrayRef<TileClass> parts) {
  bool allEmpty = true, allFull = true;
  for (TileClass part : parts) {
    allEmpty &= part == TileClass::Empty;
    allFull &= part == TileClass::Full;
  }
  if (allEmpty)
    return TileClass::Empty;
  return allFull ? TileClass::Full : TileClass::Partial;
}

static VisitSet visitCandidates(MaskAttrInterface mask,
                                const TilingContext &ctx, int64_t b, int64_t h,
                                int64_t queryTile,
                                ArrayRef<StridedRange> candidates) {
  return VisitSet::fromCandidates(candidates, [&](int64_t keyTile) {
    return mask.classifyTile(ctx, b, h, ctx.tile(queryTile, keyTile));
  });
}

static VisitSet visitAllKeyTiles(MaskAttrInterface mask,
                                 const TilingContext &ctx, int64_t b,
                                 int64_t h, int64_t queryTile) {
  StridedRange all{0, ctx.numKeyTiles(), 1};
  return visitCandidates(mask, ctx, b, h, queryTile, all);
}

/// Counts kept elements one by one: the fallback for combinations with
/// several partial operands and for sequence masks in a permuted order.
static int64_t countKeptByElements(MaskAttrInterface mask,
                                   const TilingContext &ctx, int64_t b,
                                   int64_t h, const TileRange &t) {
  int64_t kept = 0;
  for (int64_t i = t.qBegin; i < t.qEnd; ++i)
    for (int64_t j = t.kBegin; j < t.kEnd; ++j)
      kept += mask.keeps(ctx.point(b, h, i, j));
  return kept;
}

/// Sequence masks know nothing about a grid permutation: there they only
/// know that a non-degenerate tile may hold kept elements.
static bool isPermuted(const TilingContext &ctx) { return ctx.order; }

static TileClass unknownClass(const TileRange &t) {
  return t.area() > 0 ? TileClass::Partial : TileClass::Empty;
}

static MaskAttrInterface asMask(Attribute attr) {
  return cast<MaskAttrInterface>(attr);
}

//===----------------------------------------------------------------------===//
// Causal, window, sinks
//===----------------------------------------------------------------------===//

namespace {
/// Evaluates bounds that are the same affine function of i in every row.
struct AffineBounds {
  int64_t loSlope, loOffset, hiSlope, hiOffset;
  int64_t lo(int64_t i) const { return loSlope * i + loOffset; }
  int64_t hi(int64_t i) const { return hiSlope * i + hiOffset; }
};
} // namespace

/// Answers the tile questions of a mask whose rows keep [lo(i), hi(i)]
/// with affine bounds.
static TileClass classifyAffine(const AffineBounds &bounds,
                                const TilingContext &ctx, const TileRange &t) {
  if (isPermuted(ctx))
    return unknownClass(t);
  auto lo = [&](int64_t i) { return bounds.lo(i); };
  auto hi = [&](int64_t i) { return bounds.hi(i); };
  return classifyBand({lo, hi}, t);
}

static VisitSet visitAffine(MaskAttrInterface mask, const AffineBounds &bounds,
                            const TilingContext &ctx, int64_t b, int64_t h,
                            int64_t queryTile) {
  if (isPermuted(ctx))
    return visitAllKeyTiles(mask, ctx, b, h, queryTile);
  auto lo = [&](int64_t i) { return bounds.lo(i); };
  auto hi = [&](int64_t i) { return bounds.hi(i); };
  return visitCandidates(mask, ctx, b, h, queryTile,
                         bandCandidates({lo, hi}, ctx, queryTile));
}

static int64_t countAffine(MaskAttrInterface mask, const AffineBounds &bounds,
                           const TilingContext &ctx, int64_t b, int64_t h,
                           const TileRange &t) {
  if (isPermuted(ctx))
    return countKeptByElements(mask, ctx, b, h, t);
  auto lo = [&](int64_t i) { return bounds.lo(i); };
  auto hi = [&](int64_t i) { return bounds.hi(i); };
  return countBand({lo, hi}, t);
}

static AffineBounds causalBounds() { return {0, 0, 1, 0}; }

TileClass CausalAttr::classifyTile(const TilingContext &ctx, int64_t,
                                   int64_t, const TileRange &t) const {
  return classifyAffine(causalBounds(), ctx, t);
}
VisitSet CausalAttr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                              int64_t queryTile) const {
  return visitAffine(asMask(*this), causalBounds(), ctx, b, h, queryTile);
}
int64_t CausalAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                              const TileRange &t) const {
  return countAffine(asMask(*this), causalBounds(), ctx, b, h, t);
}
SmallVector<int64_t> CausalAttr::queryTileShape(const TilingContext &) const {
  return {};
}

/// keep iff i - j < left and j - i <= right: j in [i - left + 1, i + right].
static AffineBounds windowBounds(WindowAttr window) {
  return {1, 1 - clampToUnbounded(window.getLeft()), 1,
          clampToUnbounded(window.getRight())};
}

TileClass WindowAttr::classifyTile(const TilingContext &ctx, int64_t,
                                   int64_t, const TileRange &t) const {
  return classifyAffine(windowBounds(*this), ctx, t);
}
VisitSet WindowAttr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                              int64_t queryTile) const {
  return visitAffine(asMask(*this), windowBounds(*this), ctx, b, h,
                     queryTile);
}
int64_t WindowAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                              const TileRange &t) const {
  return countAffine(asMask(*this), windowBounds(*this), ctx, b, h, t);
}
SmallVector<int64_t> WindowAttr::queryTileShape(const TilingContext &) const {
  return {};
}

static AffineBounds sinksBounds(SinksAttr sinks) {
  return {0, 0, 0, sinks.getCount() - 1};
}

TileClass SinksAttr::classifyTile(const TilingContext &ctx, int64_t, int64_t,
                                  const TileRange &t) const {
  return classifyAffine(sinksBounds(*this), ctx, t);
}
VisitSet SinksAttr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                             int64_t queryTile) const {
  return visitAffine(asMask(*this), sinksBounds(*this), ctx, b, h, queryTile);
}
int64_t SinksAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                             const TileRange &t) const {
  return countAffine(asMask(*this), sinksBounds(*this), ctx, b, h, t);
}
SmallVector<int64_t> SinksAttr::queryTileShape(const TilingContext &) const {
  return {};
}

//===----------------------------------------------------------------------===//
// Prefix-LM and documents
//===----------------------------------------------------------------------===//

/// Counting kept elements of a data mask needs its data; the callers (the
/// sparsity report, the tests) supply it, so a missing reader is a bug.
static const DataOperandReader &requireData(const TilingContext &ctx,
                                            StringRef maskName) {
  if (!ctx.data)
    llvm::report_fatal_error(llvm::Twine("countKept of ") + maskName +
                             " needs the data operands");
  return *ctx.data;
}

TileClass PrefixLMAttr::classifyTile(const TilingContext &ctx, int64_t b,
                                     int64_t, const TileRange &t) const {
  if (isPermuted(ctx))
    return unknownClass(t);
  if (!ctx.data) {
    // The causal part is kept whatever the prefix length is.
    TileClass causal = classifyAffine(causalBounds(), ctx, t);
    return causal == TileClass::Full ? TileClass::Full : unknownClass(t);
  }
  int64_t prefix = ctx.data->readInt(getOperand(), {b});
  auto lo = [](int64_t) -> int64_t { return 0; };
  auto hi = [&](int64_t i) { return std::max(i + 1, prefix) - 1; };
  return classifyBand({lo, hi}, t);
}
VisitSet PrefixLMAttr::visitSet(const TilingContext &ctx, int64_t b,
                                int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx) || !ctx.data)
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  int64_t prefix = ctx.data->readInt(getOperand(), {b});
  auto lo = [](int64_t) -> int64_t { return 0; };
  auto hi = [&](int64_t i) { return std::max(i + 1, prefix) - 1; };
  return visitCandidates(asMask(*this), ctx, b, h, queryTile,
                         bandCandidates({lo, hi}, ctx, queryTile));
}
int64_t PrefixLMAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                                const TileRange &t) const {
  const DataOperandReader &data = requireData(ctx, "#attn.prefix_lm");
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  int64_t prefix = data.readInt(getOperand(), {b});
  auto lo = [](int64_t) -> int64_t { return 0; };
  auto hi = [&](int64_t i) { return std::max(i + 1, prefix) - 1; };
  return countBand({lo, hi}, t);
}
SmallVector<int64_t> PrefixLMAttr::queryTileShape(const TilingContext &) const {
  return {};
}

namespace {
/// Document spans under the offsets layout. The document of token x is the
/// last d with offsets[d] <= x (document 0 also holds tokens before
/// offsets[0]); with non-decreasing offsets its tokens are
/// [offsets[d], offsets[d + 1]), so rows keep a monotone band.
struct OffsetDocuments {
  const DataOperandReader &data;
  unsigned operand;

  int64_t entries() const { return data.dimSize(operand, 0); }
  int64_t documentOf(int64_t x) const {
    int64_t lo = 0, hi = entries() - 1;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo + 1) / 2;
      if (data.readInt(operand, {mid}) <= x)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }
  int64_t firstToken(int64_t x) const {
    int64_t d = documentOf(x);
    return d == 0 ? 0 : data.readInt(operand, {d});
  }
  int64_t lastToken(int64_t x) const {
    int64_t d = documentOf(x);
    return d + 1 < entries() ? data.readInt(operand, {d + 1}) - 1 : kUnbounded;
  }
};
} // namespace

/// Calls `fn` with the band of the offsets layout.
template <typename Fn>
static auto withOffsetBand(DocumentsAttr docs, const DataOperandReader &data,
                           Fn fn) {
  OffsetDocuments spans{data, docs.getOperand()};
  bool causal = docs.getCausal();
  auto lo = [&](int64_t i) { return spans.firstToken(i); };
  auto hi = [&](int64_t i) { return causal ? i : spans.lastToken(i); };
  return fn(MonotoneBand{lo, hi});
}

/// Ids need not be sorted, so the ids layout reads each token of the tile's
/// rows and columns once (O(BQ + BK) per tile) instead of assuming bands.
static TileClass classifyIds(DocumentsAttr docs, const DataOperandReader &data,
                             int64_t b, const TileRange &t) {
  unsigned operand = docs.getOperand();
  auto id = [&](int64_t x) { return data.readInt(operand, {b, x}); };
  bool causal = docs.getCausal();
  if (t.area() == 0 || (causal && t.kBegin > t.qEnd - 1))
    return TileClass::Empty;
  if (!causal || t.kEnd - 1 <= t.qBegin) {
    int64_t first = id(t.qBegin);
    bool sameDocument = true;
    for (int64_t x = t.qBegin; x < t.qEnd && sameDocument; ++x)
      sameDocument = id(x) == first;
    for (int64_t x = t.kBegin; x < t.kEnd && sameDocument; ++x)
      sameDocument = id(x) == first;
    if (sameDocument)
      return TileClass::Full;
  }
  llvm::SmallDenseSet<int64_t, 32> rowIds;
  if (!causal || t.kEnd - 1 <= t.qBegin) {
    for (int64_t i = t.qBegin; i < t.qEnd; ++i)
      rowIds.insert(id(i));
    for (int64_t j = t.kBegin; j < t.kEnd; ++j)
      if (rowIds.contains(id(j)))
        return TileClass::Partial;
    return TileClass::Empty;
  }
  // Overlapping ranges: sweep down from the last row so that the set holds
  // the ids of the rows at or after each key.
  for (int64_t x = t.qEnd - 1; x >= t.kBegin; --x) {
    if (x >= t.qBegin)
      rowIds.insert(id(x));
    if (x < t.kEnd && rowIds.contains(id(x)))
      return TileClass::Partial;
  }
  return TileClass::Empty;
}

static int64_t countIds(DocumentsAttr docs, const DataOperandReader &data,
                        int64_t b, const TileRange &t) {
  unsigned operand = docs.getOperand();
  llvm::DenseMap<int64_t, SmallVector<int64_t>> keysOfDocument;
  for (int64_t j = t.kBegin; j < t.kEnd; ++j)
    keysOfDocument[data.readInt(operand, {b, j})].push_back(j);
  int64_t kept = 0;
  for (int64_t i = t.qBegin; i < t.qEnd; ++i) {
    auto it = keysOfDocument.find(data.readInt(operand, {b, i}));
    if (it == keysOfDocument.end())
      continue;
    ArrayRef<int64_t> keys = it->second;
    kept += docs.getCausal() ? llvm::upper_bound(keys, i) - keys.begin()
                             : static_cast<int64_t>(keys.size());
  }
  return kept;
}

TileClass DocumentsAttr::classifyTile(const TilingContext &ctx, int64_t b,
                                      int64_t, const TileRange &t) const {
  if (isPermuted(ctx))
    return unknownClass(t);
  if (!ctx.data) {
    // Without the documents only the causal part's emptiness is known.
    if (getCausal() &&
        classifyAffine(causalBounds(), ctx, t) == TileClass::Empty)
      return TileClass::Empty;
    return unknownClass(t);
  }
  if (getLayout() == DocumentLayout::Ids)
    return classifyIds(*this, *ctx.data, b, t);
  return withOffsetBand(*this, *ctx.data, [&](const MonotoneBand &band) {
    return classifyBand(band, t);
  });
}
VisitSet DocumentsAttr::visitSet(const TilingContext &ctx, int64_t b,
                                 int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx))
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  if (ctx.data && getLayout() == DocumentLayout::Offsets) {
    StridedRange candidates =
        withOffsetBand(*this, *ctx.data, [&](const MonotoneBand &band) {
          return bandCandidates(band, ctx, queryTile);
        });
    return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
  }
  if (getCausal())
    return visitAffine(asMask(*this), causalBounds(), ctx, b, h, queryTile);
  return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
}
int64_t DocumentsAttr::countKept(const TilingContext &ctx, int64_t b,
                                 int64_t h, const TileRange &t) const {
  const DataOperandReader &data = requireData(ctx, "#attn.documents");
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  if (getLayout() == DocumentLayout::Ids)
    return countIds(*this, data, b, t);
  return withOffsetBand(*this, data, [&](const MonotoneBand &band) {
    return countBand(band, t);
  });
}
SmallVector<int64_t>
DocumentsAttr::queryTileShape(const TilingContext &) const {
  return {};
}

//===----------------------------------------------------------------------===//
// S2-Attention
//===----------------------------------------------------------------------===//

namespace {
/// The S2 pattern of one head. Key block c is "strided" when
/// c = residue (mod stride); a row keeps the strided columns up to the
/// diagonal and, of the other columns, those in its local band
/// [bandStart(i), i].
struct S2Head {
  int64_t block, local, stride, residue;
  bool dense;

  S2Head(S2Attr attr, const TilingContext &ctx, int64_t h)
      : block(clampToUnbounded(attr.getBlock())),
        local(clampToUnbounded(attr.getLocal())),
        stride(clampToUnbounded(attr.getStride())) {
    int64_t kvHead =
        attr.getHomoHead() ? 0 : h / (ctx.queryHeads / ctx.kvHeads);
    dense = kvHead >= ctx.kvHeads - attr.getDenseHeads();
    int64_t sigma = std::max<int64_t>(1, stride / ctx.queryHeads);
    residue = floorMod(-floorMod(kvHead * sigma, stride) -
                           floorMod(attr.getOffset(), stride),
                       stride);
  }

  bool isStridedBlock(int64_t c) const { return c % stride == residue; }
  /// First key of the local band of row i; beyond i when there is no band.
  int64_t bandStart(int64_t i) const {
    if (local == 0)
      return kUnbounded;
    return local > i / block ? 0 : (i / block - local + 1) * block;
  }
  /// Strided columns in [0, x).
  int64_t stridedBefore(int64_t x) const {
    int64_t period = saturatingProduct(stride, block);
    return x / period * block +
           std::clamp<int64_t>(x % period - saturatingProduct(residue, block),
                               0, block);
  }
  int64_t stridedIn(int64_t first, int64_t last) const {
    return last < first ? 0 : stridedBefore(last + 1) - stridedBefore(first);
  }
  /// The first column >= x of a strided block.
  int64_t nextStridedColumn(int64_t x) const {
    int64_t c = x / block;
    if (isStridedBlock(c))
      return x;
    return saturatingProduct(c + floorMod(residue - c, stride), block);
  }
  /// The first column >= x outside strided blocks, if below `end`.
  std::optional<int64_t> nextPlainColumn(int64_t x, int64_t end) const {
    if (!isStridedBlock(x / block))
      return x;
    int64_t next = (x / block + 1) * block;
    if (stride > 1 && next < end)
      return next;
    return std::nullopt;
  }
};
} // namespace

TileClass S2Attr::classifyTile(const TilingContext &ctx, int64_t, int64_t h,
                               const TileRange &t) const {
  if (isPermuted(ctx))
    return unknownClass(t);
  TileClass causal = classifyAffine(causalBounds(), ctx, t);
  S2Head head(*this, ctx, h);
  if (causal == TileClass::Empty || head.dense)
    return causal;
  std::optional<int64_t> firstPlain = head.nextPlainColumn(t.kBegin, t.kEnd);
  if (causal == TileClass::Full &&
      (!firstPlain || head.bandStart(t.qEnd - 1) <= *firstPlain))
    return TileClass::Full;
  // Some row keeps a strided column iff the first one is on or below the
  // diagonal of the last row.
  int64_t strided = head.nextStridedColumn(t.kBegin);
  if (strided < t.kEnd && strided <= t.qEnd - 1)
    return TileClass::Partial;
  // Every column of [bandStart(first row), last row] is in some row's band.
  int64_t first = std::max(t.kBegin, head.bandStart(t.qBegin));
  int64_t last = std::min(t.kEnd - 1, t.qEnd - 1);
  if (first <= last && head.stridedIn(first, last) < last - first + 1)
    return TileClass::Partial;
  return TileClass::Empty;
}

VisitSet S2Attr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                          int64_t queryTile) const {
  if (isPermuted(ctx))
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  S2Head head(*this, ctx, h);
  TileRange rows = ctx.tile(queryTile, 0);
  int64_t lastColumn = std::min(rows.qEnd - 1, ctx.seqKV - 1);
  if (lastColumn < 0)
    return {};
  int64_t lastTile = lastColumn / ctx.blockKV;
  SmallVector<StridedRange> candidates;
  if (head.dense) {
    candidates.push_back({0, lastTile + 1, 1});
  } else {
    int64_t bandStart = std::max<int64_t>(0, head.bandStart(rows.qBegin));
    if (bandStart <= lastColumn)
      candidates.push_back({bandStart / ctx.blockKV, lastTile + 1, 1});
    // One range of key tiles per strided block left of the band.
    for (int64_t c = head.residue;
         saturatingProduct(c, head.block) <= std::min(lastColumn, bandStart - 1);
         c += head.stride) {
      int64_t first = c * head.block;
      int64_t last = std::min(first + head.block - 1, lastColumn);
      candidates.push_back(
          {first / ctx.blockKV, last / ctx.blockKV + 1, 1});
    }
  }
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}

int64_t S2Attr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                          const TileRange &t) const {
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  S2Head head(*this, ctx, h);
  int64_t kept = 0;
  for (int64_t i = t.qBegin; i < t.qEnd; ++i) {
    int64_t last = std::min(t.kEnd - 1, i);
    if (last < t.kBegin)
      continue;
    if (head.dense) {
      kept += last - t.kBegin + 1;
      continue;
    }
    int64_t bandFirst = std::max(t.kBegin, head.bandStart(i));
    kept += head.stridedIn(t.kBegin, last) + overlapSize(bandFirst, last) -
            head.stridedIn(bandFirst, last);
  }
  return kept;
}
SmallVector<int64_t> S2Attr::queryTileShape(const TilingContext &) const {
  return {};
}

//===----------------------------------------------------------------------===//
// LongLoRA shifted groups, Star Attention
//===----------------------------------------------------------------------===//

/// Calls `fn` with the band of head h: row i keeps its group's tokens up to i.
template <typename Fn>
static auto withGroupBand(ShiftedGroupsAttr attr, const TilingContext &ctx,
                          int64_t h, Fn fn) {
  int64_t group = clampToUnbounded(attr.getGroup());
  int64_t shift = h < ctx.queryHeads / 2 ? 0 : group / 2;
  auto lo = [&](int64_t i) {
    return std::max<int64_t>(0, (i + shift) / group * group - shift);
  };
  auto hi = [](int64_t i) { return i; };
  return fn(MonotoneBand{lo, hi});
}

TileClass ShiftedGroupsAttr::classifyTile(const TilingContext &ctx, int64_t,
                                          int64_t h, const TileRange &t) const {
  if (isPermuted(ctx))
    return unknownClass(t);
  return withGroupBand(*this, ctx, h, [&](const MonotoneBand &band) {
    return classifyBand(band, t);
  });
}
VisitSet ShiftedGroupsAttr::visitSet(const TilingContext &ctx, int64_t b,
                                     int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx))
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  StridedRange candidates =
      withGroupBand(*this, ctx, h, [&](const MonotoneBand &band) {
        return bandCandidates(band, ctx, queryTile);
      });
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}
int64_t ShiftedGroupsAttr::countKept(const TilingContext &ctx, int64_t b,
                                     int64_t h, const TileRange &t) const {
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  return withGroupBand(*this, ctx, h, [&](const MonotoneBand &band) {
    return countBand(band, t);
  });
}
SmallVector<int64_t>
ShiftedGroupsAttr::queryTileShape(const TilingContext &) const {
  return {};
}

namespace {
/// Star Attention splits a tile's columns: the anchor block [0, block) is
/// kept by every row; a later column is kept by the rows of its own block
/// on or below the diagonal, a band [blk(i) * block, i].
struct StarColumns {
  int64_t block;
  int64_t lo(int64_t i) const { return i / block * block; }
  static int64_t hi(int64_t i) { return i; }
  TileRange anchorPart(const TileRange &t) const {
    return {t.qBegin, t.qEnd, t.kBegin, std::min(t.kEnd, block)};
  }
  TileRange localPart(const TileRange &t) const {
    return {t.qBegin, t.qEnd, std::max(t.kBegin, block), t.kEnd};
  }
};
} // namespace

TileClass StarAnchorAttr::classifyTile(const TilingContext &ctx, int64_t,
                                       int64_t, const TileRange &t) const {
  if (isPermuted(ctx))
    return unknownClass(t);
  StarColumns star{clampToUnbounded(getBlock())};
  auto lo = [&](int64_t i) { return star.lo(i); };
  SmallVector<TileClass, 2> parts;
  if (star.anchorPart(t).area() > 0)
    parts.push_back(TileClass::Full);
  TileRange local = star.localPart(t);
  if (local.area() > 0)
    parts.push_back(classifyBand({lo, StarColumns::hi}, local));
  return parts.empty() ? TileClass::Empty : combineParts(parts);
}
VisitSet StarAnchorAttr::visitSet(const TilingContext &ctx, int64_t b,
                                  int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx))
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  StarColumns star{clampToUnbounded(getBlock())};
  auto lo = [&](int64_t i) { return star.lo(i); };
  int64_t anchorEnd = std::min(star.block, ctx.seqKV);
  SmallVector<StridedRange, 2> candidates = {
      bandCandidates({lo, StarColumns::hi}, ctx, queryTile)};
  if (anchorEnd > 0)
    candidates.push_back({0, (anchorEnd - 1) / ctx.blockKV + 1, 1});
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}
int64_t StarAnchorAttr::countKept(const TilingContext &ctx, int64_t b,
                                  int64_t h, const TileRange &t) const {
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  StarColumns star{clampToUnbounded(getBlock())};
  auto lo = [&](int64_t i) { return star.lo(i); };
  TileRange local = star.localPart(t);
  return std::max<int64_t>(0, star.anchorPart(t).area()) +
         (local.area() > 0 ? countBand({lo, StarColumns::hi}, local) : 0);
}
SmallVector<int64_t>
StarAnchorAttr::queryTileShape(const TilingContext &) const {
  return {};
}

//===----------------------------------------------------------------------===//
// Neighborhood attention
//===----------------------------------------------------------------------===//

namespace {
/// One dimension of the neighborhood rule (docs/systems.md, "Neighborhood
/// attention"). Inside a dilation group (tokens x = u * dilation + r) query
/// u keeps the keys of a window [lo(u), hi(u)] whose bounds never decrease
/// with u: a band.
struct NeighborhoodDim {
  int64_t extent, kernel, stride, dilation;
  bool causal;

  int64_t groupLength(int64_t residue) const {
    return extent / dilation + (residue < extent % dilation ? 1 : 0);
  }
  std::pair<int64_t, int64_t> window(int64_t u, int64_t length) const {
    if (causal) {
      int64_t lead = std::min(u / stride * stride + stride - 1, length - 1);
      return {std::max<int64_t>(0, lead - kernel + 1), u};
    }
    int64_t left = kernel / 2, right = kernel / 2 + kernel % 2 - 1;
    int64_t lead = std::min(u / stride * stride + stride / 2, length - 1);
    int64_t centre = std::clamp(lead, left, length - 1 - right);
    return {centre - left, centre + right};
  }
  /// The group coordinates [first, last] of the tokens of [begin, end) in
  /// the group of `residue`; first > last when there are none.
  std::pair<int64_t, int64_t> groupRange(int64_t begin, int64_t end,
                                         int64_t residue) const {
    int64_t first = begin + floorMod(residue - begin, dilation);
    int64_t last = end - 1 - floorMod(end - 1 - residue, dilation);
    if (first >= end)
      return {1, 0};
    return {first / dilation, last / dilation};
  }

  template <typename Fn>
  auto withBand(int64_t residue, Fn fn) const {
    int64_t length = groupLength(residue);
    auto lo = [&](int64_t u) { return window(u, length).first; };
    auto hi = [&](int64_t u) { return window(u, length).second; };
    return fn(MonotoneBand{lo, hi});
  }

  /// The class of queries [q0, q1) by keys [k0, k1) in this dimension.
  TileClass classify(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const {
    if (q0 >= q1 || k0 >= k1)
      return TileClass::Empty;
    bool anyKept = false;
    // Tokens of different dilation groups never meet, so with dilation > 1
    // only a single query and a single key can make a full tile.
    for (int64_t x = q0; x < std::min(q1, q0 + dilation) && !anyKept; ++x) {
      int64_t residue = x % dilation;
      auto [uq0, uq1] = groupRange(q0, q1, residue);
      auto [uk0, uk1] = groupRange(k0, k1, residue);
      if (uk0 > uk1)
        continue;
      TileClass groupClass = withBand(residue, [&](const MonotoneBand &band) {
        return classifyBand(band, {uq0, uq1 + 1, uk0, uk1 + 1});
      });
      if (dilation == 1)
        return groupClass;
      anyKept = groupClass != TileClass::Empty;
    }
    if (!anyKept)
      return TileClass::Empty;
    return q1 - q0 == 1 && k1 - k0 == 1 ? TileClass::Full : TileClass::Partial;
  }

  int64_t count(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const {
    int64_t kept = 0;
    for (int64_t x = q0; x < q1; ++x) {
      int64_t residue = x % dilation;
      auto [lo, hi] = window(x / dilation, groupLength(residue));
      auto [uk0, uk1] = groupRange(k0, k1, residue);
      kept += overlapSize(std::max(lo, uk0), std::min(hi, uk1));
    }
    return kept;
  }

  /// The smallest interval [lo, hi) of coordinates holding every key that a
  /// query of [q0, q1) keeps.
  std::pair<int64_t, int64_t> keyHull(int64_t q0, int64_t q1) const {
    int64_t lo = kUnbounded, hi = -1;
    for (int64_t x = q0; x < std::min(q1, q0 + dilation); ++x) {
      int64_t residue = x % dilation;
      auto [uq0, uq1] = groupRange(q0, q1, residue);
      int64_t length = groupLength(residue);
      lo = std::min(lo, window(uq0, length).first * dilation + residue);
      hi = std::max(hi, window(uq1, length).second * dilation + residue);
    }
    return {lo, hi + 1};
  }
};

struct GridBox {
  SmallVector<int64_t> lower, upper;
};

/// The neighborhood rule over boxes of tokens: the kept pairs of two boxes
/// are the product of the kept pairs per dimension.
struct NeighborhoodRule {
  SmallVector<NeighborhoodDim> dims;

  explicit NeighborhoodRule(NeighborhoodAttr attr) {
    for (auto [dim, extent] : llvm::enumerate(attr.getGrid()))
      dims.push_back({extent, attr.getKernel()[dim], attr.getStrideAt(dim),
                      attr.getDilationAt(dim), attr.getCausalAt(dim)});
  }

  TileClass classify(const GridBox &queries, const GridBox &keys) const {
    SmallVector<TileClass> perDim;
    for (auto [dim, rule] : llvm::enumerate(dims)) {
      TileClass dimClass =
          rule.classify(queries.lower[dim], queries.upper[dim],
                        keys.lower[dim], keys.upper[dim]);
      if (dimClass == TileClass::Empty)
        return TileClass::Empty;
      perDim.push_back(dimClass);
    }
    return combineParts(perDim);
  }

  int64_t count(const GridBox &queries, const GridBox &keys) const {
    int64_t kept = 1;
    for (auto [dim, rule] : llvm::enumerate(dims))
      kept *= rule.count(queries.lower[dim], queries.upper[dim],
                         keys.lower[dim], keys.upper[dim]);
    return kept;
  }
};
} // namespace

static SmallVector<GridBox> boxesOf(const TokenOrder &order, int64_t begin,
                                    int64_t end) {
  SmallVector<GridBox> boxes;
  order.forEachBox(begin, end,
                   [&](ArrayRef<int64_t> lower, ArrayRef<int64_t> upper) {
                     boxes.push_back({llvm::to_vector(lower),
                                      llvm::to_vector(upper)});
                   });
  return boxes;
}

/// The order tiles are taken in, or null when the context's sizes or order
/// do not fit the neighborhood's grid (then only conservative answers).
static std::optional<TokenOrder> gridOrder(NeighborhoodAttr attr,
                                           const TilingContext &ctx) {
  TokenOrder natural(attr.getGrid(), attr.getGrid());
  if (ctx.seqQ != natural.numTokens() || ctx.seqKV != natural.numTokens())
    return std::nullopt;
  if (!ctx.order)
    return natural;
  if (ctx.order->grid() != attr.getGrid())
    return std::nullopt;
  return *ctx.order;
}

TileClass NeighborhoodAttr::classifyTile(const TilingContext &ctx, int64_t,
                                         int64_t, const TileRange &t) const {
  std::optional<TokenOrder> order = gridOrder(*this, ctx);
  if (!order)
    return unknownClass(t);
  NeighborhoodRule rule(*this);
  SmallVector<GridBox> keyBoxes = boxesOf(*order, t.kBegin, t.kEnd);
  SmallVector<TileClass> parts;
  for (const GridBox &queries : boxesOf(*order, t.qBegin, t.qEnd))
    for (const GridBox &keys : keyBoxes)
      parts.push_back(rule.classify(queries, keys));
  return parts.empty() ? TileClass::Empty : combineParts(parts);
}

VisitSet NeighborhoodAttr::visitSet(const TilingContext &ctx, int64_t b,
                                    int64_t h, int64_t queryTile) const {
  std::optional<TokenOrder> order = gridOrder(*this, ctx);
  if (!order)
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  NeighborhoodRule rule(*this);
  TileRange rows = ctx.tile(queryTile, 0);
  SmallVector<StridedRange> candidates;
  for (const GridBox &queries : boxesOf(*order, rows.qBegin, rows.qEnd)) {
    GridBox keys;
    for (auto [dim, dimRule] : llvm::enumerate(rule.dims)) {
      auto [lo, hi] =
          dimRule.keyHull(queries.lower[dim], queries.upper[dim]);
      keys.lower.push_back(lo);
      keys.upper.push_back(hi);
    }
    order->forEachRunOfBox(keys.lower, keys.upper,
                           [&](int64_t begin, int64_t end) {
                             candidates.push_back({begin / ctx.blockKV,
                                                   (end - 1) / ctx.blockKV + 1,
                                                   1});
                           });
  }
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}

int64_t NeighborhoodAttr::countKept(const TilingContext &ctx, int64_t b,
                                    int64_t h, const TileRange &t) const {
  std::optional<TokenOrder> order = gridOrder(*this, ctx);
  if (!order)
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  NeighborhoodRule rule(*this);
  SmallVector<GridBox> keyBoxes = boxesOf(*order, t.kBegin, t.kEnd);
  int64_t kept = 0;
  for (const GridBox &queries : boxesOf(*order, t.qBegin, t.qEnd))
    for (const GridBox &keys : keyBoxes)
      kept += rule.count(queries, keys);
  return kept;
}

/// Visited and partial tiles of head 0 (the rule depends on neither b nor
/// h) when queries and keys are taken in `order`.
static std::pair<int64_t, int64_t> tilingCost(NeighborhoodAttr attr,
                                              const TilingContext &ctx,
                                              const TokenOrder *order) {
  TilingContext ordered = ctx;
  ordered.order = order;
  int64_t visited = 0, partial = 0;
  for (int64_t queryTile = 0; queryTile < ordered.numQueryTiles();
       ++queryTile) {
    VisitSet visits = attr.visitSet(ordered, 0, 0, queryTile);
    visited += visits.size();
    partial += visits.count(TileClass::Partial);
  }
  return {visited, partial};
}

/// Chooses, among patches of exactly ctx.blockQ tokens, the one visiting
/// the fewest tiles, then the fewest partial ones (computed with the closed
/// forms above, milliseconds even at S = 16384); ties go to extents that
/// divide the grid, then to longer extents in later dimensions. Returns no
/// patch when none beats sequence order, e.g. for windows (Swin) that a
/// patch of BQ tokens cannot align with.
SmallVector<int64_t>
NeighborhoodAttr::queryTileShape(const TilingContext &ctx) const {
  ArrayRef<int64_t> grid = getGrid();
  TokenOrder natural(grid, grid);
  if (ctx.blockQ >= natural.numTokens() || ctx.seqQ != natural.numTokens() ||
      ctx.seqKV != natural.numTokens())
    return {};
  using Score = std::tuple<int64_t, int64_t, bool>;
  auto [naturalVisited, naturalPartial] = tilingCost(*this, ctx, nullptr);
  Score bestScore{naturalVisited, naturalPartial, false};
  SmallVector<int64_t> best, candidate;
  std::function<void(unsigned, int64_t)> choose = [&](unsigned dim,
                                                      int64_t rest) {
    if (dim == grid.size()) {
      // Whole rows after the first dimension are sequence order again.
      if (rest != 1 || ArrayRef<int64_t>(candidate).drop_front() ==
                           grid.drop_front())
        return;
      TokenOrder order(grid, candidate);
      auto [visited, partial] = tilingCost(*this, ctx, &order);
      bool ragged = llvm::any_of(llvm::enumerate(candidate), [&](auto dimExtent) {
        return grid[dimExtent.index()] % dimExtent.value() != 0;
      });
      Score score{visited, partial, ragged};
      if (score < bestScore ||
          (score == bestScore && !best.empty() &&
           std::lexicographical_compare(best.rbegin(), best.rend(),
                                        candidate.rbegin(),
                                        candidate.rend()))) {
        best = candidate;
        bestScore = score;
      }
      return;
    }
    for (int64_t extent = 1; extent <= std::min(rest, grid[dim]); ++extent) {
      if (rest % extent != 0)
        continue;
      candidate.push_back(extent);
      choose(dim + 1, rest / extent);
      candidate.pop_back();
    }
  };
  choose(0, ctx.blockQ);
  return best;
}

//===----------------------------------------------------------------------===//
// Patch tiles in the kernels (PatchTiling.h)
//===----------------------------------------------------------------------===//

SmallVector<int64_t> PatchTiling::patchCounts(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> counts;
  for (auto [extent, patchExtent] : llvm::zip_equal(grid, shape))
    counts.push_back(llvm::divideCeil(extent, patchExtent));
  return counts;
}

static int64_t productOf(ArrayRef<int64_t> values) {
  int64_t product = 1;
  for (int64_t value : values)
    product *= value;
  return product;
}

int64_t PatchTiling::numPatches() const {
  return productOf(patchCounts(patch));
}

int64_t PatchTiling::numKeyPatches() const {
  return productOf(patchCounts(keyPatch));
}

int64_t PatchTiling::volume() const { return productOf(patch); }

int64_t PatchTiling::keyVolume() const { return productOf(keyPatch); }

void PatchTiling::box(ArrayRef<int64_t> shape, int64_t index,
                      SmallVectorImpl<int64_t> &lower,
                      SmallVectorImpl<int64_t> &extents) const {
  SmallVector<int64_t> counts = patchCounts(shape);
  lower.assign(grid.size(), 0);
  extents.assign(grid.size(), 0);
  for (int dim = static_cast<int>(grid.size()) - 1; dim >= 0; --dim) {
    lower[dim] = index % counts[dim] * shape[dim];
    index /= counts[dim];
    extents[dim] = std::min(shape[dim], grid[dim] - lower[dim]);
  }
}

int64_t PatchTiling::visited() const {
  int64_t count = 0;
  for (const auto &row : visits)
    count += row.size();
  return count;
}

int64_t PatchTiling::visitedFull() const {
  int64_t count = 0;
  for (const auto &row : visits)
    count += llvm::count_if(row, [](const PatchVisit &v) { return v.full; });
  return count;
}

static GridBox patchBox(const PatchTiling &tiling, ArrayRef<int64_t> shape,
                        int64_t index) {
  SmallVector<int64_t> lower, extents;
  tiling.box(shape, index, lower, extents);
  GridBox box{lower, lower};
  for (auto [upper, extent] : llvm::zip_equal(box.upper, extents))
    upper += extent;
  return box;
}

PatchTiling mlir::attn::buildPatchTiling(NeighborhoodAttr mask,
                                         ArrayRef<int64_t> patch,
                                         ArrayRef<int64_t> keyPatch,
                                         int64_t blockKV) {
  NeighborhoodRule rule(mask);
  PatchTiling tiling;
  tiling.grid = llvm::to_vector(mask.getGrid());
  tiling.patch = llvm::to_vector(patch);
  tiling.keyPatch = llvm::to_vector(keyPatch);
  SmallVector<int64_t> keyCounts = tiling.patchCounts(keyPatch);
  int64_t rank = keyCounts.size();
  bool fillsTile = tiling.keyVolume() == blockKV;
  for (int64_t query = 0, end = tiling.numPatches(); query < end; ++query) {
    GridBox queries = patchBox(tiling, patch, query);
    // The key patches holding the box's key hull, then each classified.
    SmallVector<int64_t> first, last;
    for (auto [dim, dimRule] : llvm::enumerate(rule.dims)) {
      auto [lo, hi] = dimRule.keyHull(queries.lower[dim], queries.upper[dim]);
      first.push_back(std::max<int64_t>(lo, 0) / keyPatch[dim]);
      last.push_back((std::min(hi, dimRule.extent) - 1) / keyPatch[dim]);
    }
    SmallVector<PatchVisit> &row = tiling.visits.emplace_back();
    SmallVector<int64_t> at(first);
    while (true) {
      int64_t key = 0;
      for (int64_t dim = 0; dim < rank; ++dim)
        key = key * keyCounts[dim] + at[dim];
      GridBox keys = patchBox(tiling, keyPatch, key);
      TileClass tileClass = rule.classify(queries, keys);
      if (tileClass != TileClass::Empty) {
        bool whole = fillsTile;
        for (int64_t dim = 0; dim < rank; ++dim)
          whole &= keys.upper[dim] - keys.lower[dim] == keyPatch[dim];
        row.push_back({key, whole && tileClass == TileClass::Full, whole});
      }
      int64_t dim = rank - 1;
      while (dim >= 0 && at[dim] == last[dim]) {
        at[dim] = first[dim];
        --dim;
      }
      if (dim < 0)
        break;
      ++at[dim];
    }
  }
  return tiling;
}

int64_t mlir::attn::countPatchPairKept(NeighborhoodAttr mask,
                                       const PatchTiling &tiling,
                                       int64_t queryPatch, int64_t keyPatch) {
  return NeighborhoodRule(mask).count(
      patchBox(tiling, tiling.patch, queryPatch),
      patchBox(tiling, tiling.keyPatch, keyPatch));
}

namespace {
/// Visited and full tile pairs along one dimension for query patches of
/// one extent and key patches of another: the counts of a patch tiling are
/// their products, because a pair of boxes is empty iff some dimension is,
/// and full (with a whole key patch) iff every dimension is.
struct PatchDimCounts {
  int64_t visited = 0, full = 0;
};
} // namespace

static PatchDimCounts countPatchDim(const NeighborhoodDim &rule,
                                    int64_t patch, int64_t keyPatch) {
  PatchDimCounts counts;
  int64_t patches = llvm::divideCeil(rule.extent, patch);
  for (int64_t query = 0; query < patches; ++query) {
    int64_t q0 = query * patch, q1 = std::min(q0 + patch, rule.extent);
    auto [lo, hi] = rule.keyHull(q0, q1);
    int64_t first = std::max<int64_t>(lo, 0) / keyPatch;
    int64_t last = (std::min(hi, rule.extent) - 1) / keyPatch;
    for (int64_t key = first; key <= last; ++key) {
      int64_t k0 = key * keyPatch, k1 = std::min(k0 + keyPatch, rule.extent);
      TileClass tileClass = rule.classify(q0, q1, k0, k1);
      counts.visited += tileClass != TileClass::Empty;
      counts.full += tileClass == TileClass::Full && k1 - k0 == keyPatch;
    }
  }
  return counts;
}

/// The boxes of more than half and at most all of `tile` tokens that fit
/// `grid`.
static SmallVector<SmallVector<int64_t>> patchShapes(ArrayRef<int64_t> grid,
                                                     int64_t tile) {
  SmallVector<SmallVector<int64_t>> shapes;
  SmallVector<int64_t> shape;
  std::function<void(unsigned, int64_t)> extend = [&](unsigned dim,
                                                      int64_t room) {
    if (dim == grid.size()) {
      if (2 * productOf(shape) > tile)
        shapes.push_back(shape);
      return;
    }
    for (int64_t extent = 1; extent <= std::min(room, grid[dim]); ++extent) {
      shape.push_back(extent);
      extend(dim + 1, room / extent);
      shape.pop_back();
    }
  };
  extend(0, tile);
  return shapes;
}

std::optional<PatchTiling>
mlir::attn::choosePatchTiling(NeighborhoodAttr mask, int64_t blockQ,
                              int64_t blockKV) {
  ArrayRef<int64_t> grid = mask.getGrid();
  TokenOrder natural(grid, grid);
  if (grid.size() < 2 || std::max(blockQ, blockKV) >= natural.numTokens())
    return std::nullopt;
  TilingContext ctx;
  ctx.seqQ = ctx.seqKV = natural.numTokens();
  ctx.blockQ = blockQ;
  ctx.blockKV = blockKV;
  int64_t sequenceVisited = tilingCost(mask, ctx, nullptr).first;
  NeighborhoodRule rule(mask);
  std::map<std::tuple<unsigned, int64_t, int64_t>, PatchDimCounts> dimCounts;
  auto countsOf = [&](unsigned dim, int64_t patch, int64_t keyPatch) {
    auto key = std::make_tuple(dim, patch, keyPatch);
    auto found = dimCounts.find(key);
    if (found == dimCounts.end())
      found = dimCounts
                  .insert({key, countPatchDim(rule.dims[dim], patch, keyPatch)})
                  .first;
    return found->second;
  };
  // Smaller is better: visited pairs, partial pairs, unused lanes and
  // columns, clipped dimensions; then longer extents in later dimensions.
  using Score = std::tuple<int64_t, int64_t, int64_t, int64_t>;
  std::optional<Score> bestScore;
  SmallVector<int64_t> best, bestKey;
  auto reversedLess = [](ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
    return std::lexicographical_compare(lhs.rbegin(), lhs.rend(),
                                        rhs.rbegin(), rhs.rend());
  };
  SmallVector<SmallVector<int64_t>> keyShapes = patchShapes(grid, blockKV);
  for (const SmallVector<int64_t> &patch : patchShapes(grid, blockQ)) {
    for (const SmallVector<int64_t> &keyPatch : keyShapes) {
      int64_t visited = 1, full = 1, clipped = 0;
      for (unsigned dim = 0; dim < grid.size(); ++dim) {
        PatchDimCounts counts = countsOf(dim, patch[dim], keyPatch[dim]);
        visited *= counts.visited;
        full *= counts.full;
        clipped += (grid[dim] % patch[dim] != 0) +
                   (grid[dim] % keyPatch[dim] != 0);
      }
      if (visited >= sequenceVisited)
        continue;
      // Columns past a smaller key patch are tested on every tile.
      if (productOf(keyPatch) != blockKV)
        full = 0;
      Score score{visited, visited - full,
                  blockQ - productOf(patch) + blockKV - productOf(keyPatch),
                  clipped};
      bool better = !bestScore || score < *bestScore;
      if (!better && score == *bestScore)
        better = reversedLess(best, patch) ||
                 (best == patch && reversedLess(bestKey, keyPatch));
      if (better) {
        best = patch;
        bestKey = keyPatch;
        bestScore = score;
      }
    }
  }
  if (best.empty())
    return std::nullopt;
  PatchTiling tiling = buildPatchTiling(mask, best, bestKey, blockKV);
  tiling.sequenceVisited = sequenceVisited;
  assert(tiling.visited() == std::get<0>(*bestScore) &&
         "per-dimension counts multiply to the tiling's");
  return tiling;
}

//===----------------------------------------------------------------------===//
// Block lists and block masks
//===----------------------------------------------------------------------===//

namespace {
/// The blocks of a tile along one axis and how many of the tile's
/// positions each holds.
struct BlockSpan {
  int64_t begin, end, size;
  int64_t first() const { return begin / size; }
  int64_t last() const { return (end - 1) / size; }
  int64_t positionsIn(int64_t block) const {
    return std::min(end, (block + 1) * size) - std::max(begin, block * size);
  }
};
} // namespace

/// Key tiles holding any position of key block `block`.
static StridedRange tilesOfKeyBlock(const TilingContext &ctx, int64_t block,
                                    int64_t blockSize) {
  if (block > (ctx.seqKV - 1) / blockSize)
    return {0, 0, 1};
  int64_t first = block * blockSize;
  int64_t last = std::min(ctx.seqKV, first + blockSize) - 1;
  if (first > last)
    return {0, 0, 1};
  return {first / ctx.blockKV, last / ctx.blockKV + 1, 1};
}

TileClass BlockMaskAttr::classifyTile(const TilingContext &ctx, int64_t b,
                                      int64_t h, const TileRange &t) const {
  if (isPermuted(ctx) || !ctx.data || t.area() == 0)
    return unknownClass(t);
  BlockSpan rows{t.qBegin, t.qEnd, getBlockQ()};
  BlockSpan columns{t.kBegin, t.kEnd, getBlockKv()};
  bool anyKept = false, allKept = true;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb)
    for (int64_t kb = columns.first(); kb <= columns.last(); ++kb) {
      bool kept = ctx.data->readInt(getOperand(), {b, h, qb, kb}) != 0;
      anyKept |= kept;
      allKept &= kept;
    }
  if (!anyKept)
    return TileClass::Empty;
  return allKept ? TileClass::Full : TileClass::Partial;
}
VisitSet BlockMaskAttr::visitSet(const TilingContext &ctx, int64_t b,
                                 int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx) || !ctx.data)
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  TileRange tileRows = ctx.tile(queryTile, 0);
  BlockSpan rows{tileRows.qBegin, tileRows.qEnd, getBlockQ()};
  int64_t keyBlocks = ctx.data->dimSize(getOperand(), 3);
  SmallVector<StridedRange> candidates;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb)
    for (int64_t kb = 0; kb < keyBlocks; ++kb)
      if (ctx.data->readInt(getOperand(), {b, h, qb, kb}) != 0)
        candidates.push_back(tilesOfKeyBlock(ctx, kb, getBlockKv()));
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}
int64_t BlockMaskAttr::countKept(const TilingContext &ctx, int64_t b,
                                 int64_t h, const TileRange &t) const {
  const DataOperandReader &data = requireData(ctx, "#attn.block_mask");
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  if (t.area() == 0)
    return 0;
  BlockSpan rows{t.qBegin, t.qEnd, getBlockQ()};
  BlockSpan columns{t.kBegin, t.kEnd, getBlockKv()};
  int64_t kept = 0;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb)
    for (int64_t kb = columns.first(); kb <= columns.last(); ++kb)
      if (data.readInt(getOperand(), {b, h, qb, kb}) != 0)
        kept += rows.positionsIn(qb) * columns.positionsIn(kb);
  return kept;
}
SmallVector<int64_t>
BlockMaskAttr::queryTileShape(const TilingContext &) const {
  return {};
}

/// The distinct key blocks listed for query block `queryBlock`.
static SmallVector<int64_t> listedKeyBlocks(BlockListAttr attr,
                                            const DataOperandReader &data,
                                            int64_t b, int64_t h,
                                            int64_t queryBlock) {
  SmallVector<int64_t> listed;
  int64_t slots = data.dimSize(attr.getOperand(), 3);
  for (int64_t slot = 0; slot < slots; ++slot) {
    int64_t block = data.readInt(attr.getOperand(), {b, h, queryBlock, slot});
    if (block >= 0)
      listed.push_back(block);
  }
  llvm::sort(listed);
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  return listed;
}

TileClass BlockListAttr::classifyTile(const TilingContext &ctx, int64_t b,
                                      int64_t h, const TileRange &t) const {
  if (isPermuted(ctx) || !ctx.data || t.area() == 0)
    return unknownClass(t);
  BlockSpan rows{t.qBegin, t.qEnd, getBlockQ()};
  BlockSpan columns{t.kBegin, t.kEnd, getBlockKv()};
  bool anyKept = false, allKept = true;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb) {
    SmallVector<int64_t> listed = listedKeyBlocks(*this, *ctx.data, b, h, qb);
    int64_t inTile = llvm::count_if(listed, [&](int64_t kb) {
      return kb >= columns.first() && kb <= columns.last();
    });
    anyKept |= inTile > 0;
    allKept &= inTile == columns.last() - columns.first() + 1;
  }
  if (!anyKept)
    return TileClass::Empty;
  return allKept ? TileClass::Full : TileClass::Partial;
}
VisitSet BlockListAttr::visitSet(const TilingContext &ctx, int64_t b,
                                 int64_t h, int64_t queryTile) const {
  if (isPermuted(ctx) || !ctx.data)
    return visitAllKeyTiles(asMask(*this), ctx, b, h, queryTile);
  TileRange tileRows = ctx.tile(queryTile, 0);
  BlockSpan rows{tileRows.qBegin, tileRows.qEnd, getBlockQ()};
  SmallVector<StridedRange> candidates;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb)
    for (int64_t kb : listedKeyBlocks(*this, *ctx.data, b, h, qb))
      candidates.push_back(tilesOfKeyBlock(ctx, kb, getBlockKv()));
  return visitCandidates(asMask(*this), ctx, b, h, queryTile, candidates);
}
int64_t BlockListAttr::countKept(const TilingContext &ctx, int64_t b,
                                 int64_t h, const TileRange &t) const {
  const DataOperandReader &data = requireData(ctx, "#attn.block_list");
  if (isPermuted(ctx))
    return countKeptByElements(asMask(*this), ctx, b, h, t);
  if (t.area() == 0)
    return 0;
  BlockSpan rows{t.qBegin, t.qEnd, getBlockQ()};
  BlockSpan columns{t.kBegin, t.kEnd, getBlockKv()};
  int64_t kept = 0;
  for (int64_t qb = rows.first(); qb <= rows.last(); ++qb)
    for (int64_t kb : listedKeyBlocks(*this, data, b, h, qb))
      if (kb >= columns.first() && kb <= columns.last())
        kept += rows.positionsIn(qb) * columns.positionsIn(kb);
  return kept;
}
SmallVector<int64_t>
BlockListAttr::queryTileShape(const TilingContext &) const {
  return {};
}

//===----------------------------------------------------------------------===//
// Combinators
//===----------------------------------------------------------------------===//

/// The visited tiles of `set` in increasing order.
static SmallVector<std::pair<int64_t, TileClass>> tilesOf(const VisitSet &set) {
  SmallVector<std::pair<int64_t, TileClass>> tiles;
  set.forEachTile([&](int64_t tile, TileClass tileClass) {
    tiles.push_back({tile, tileClass});
  });
  return tiles;
}

/// Merges the operands' visit sets: `and` keeps the tiles in every set
/// (meeting their classes), `or` the tiles in any (joining them).
static VisitSet combineVisitSets(ArrayRef<MaskAttrInterface> masks,
                                 const TilingContext &ctx, int64_t b,
                                 int64_t h, int64_t queryTile,
                                 bool intersect) {
  SmallVector<std::pair<int64_t, TileClass>> merged =
      tilesOf(masks.front().visitSet(ctx, b, h, queryTile));
  for (MaskAttrInterface mask : masks.drop_front()) {
    SmallVector<std::pair<int64_t, TileClass>> other =
        tilesOf(mask.visitSet(ctx, b, h, queryTile));
    SmallVector<std::pair<int64_t, TileClass>> next;
    auto lhs = merged.begin(), rhs = other.begin();
    while (lhs != merged.end() || rhs != other.end()) {
      bool takeLhs = rhs == other.end() ||
                     (lhs != merged.end() && lhs->first < rhs->first);
      bool takeRhs = lhs == merged.end() ||
                     (rhs != other.end() && rhs->first < lhs->first);
      if (takeLhs) {
        if (!intersect)
          next.push_back(*lhs);
        ++lhs;
      } else if (takeRhs) {
        if (!intersect)
          next.push_back(*rhs);
        ++rhs;
      } else {
        TileClass tileClass = intersect
                                  ? meetTileClass(lhs->second, rhs->second)
                                  : joinTileClass(lhs->second, rhs->second);
        next.push_back({lhs->first, tileClass});
        ++lhs;
        ++rhs;
      }
    }
    merged = std::move(next);
  }
  VisitSet set;
  for (auto [tile, tileClass] : merged)
    if (tileClass != TileClass::Empty)
      set.append(tile, tileClass);
  return set;
}

/// The patch every operand agrees on, else sequence order.
static SmallVector<int64_t>
commonQueryTileShape(ArrayRef<MaskAttrInterface> masks,
                     const TilingContext &ctx) {
  SmallVector<int64_t> shape = masks.front().queryTileShape(ctx);
  for (MaskAttrInterface mask : masks.drop_front())
    if (mask.queryTileShape(ctx) != shape)
      return {};
  return shape;
}

TileClass AndAttr::classifyTile(const TilingContext &ctx, int64_t b,
                                int64_t h, const TileRange &t) const {
  TileClass result = TileClass::Full;
  for (MaskAttrInterface mask : getMasks()) {
    result = meetTileClass(result, mask.classifyTile(ctx, b, h, t));
    if (result == TileClass::Empty)
      break;
  }
  return result;
}
VisitSet AndAttr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                           int64_t queryTile) const {
  return combineVisitSets(getMasks(), ctx, b, h, queryTile,
                          /*intersect=*/true);
}
int64_t AndAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                           const TileRange &t) const {
  // Operands full on the tile drop out; one partial operand left counts
  // alone, several are counted element by element.
  SmallVector<MaskAttrInterface> partial;
  for (MaskAttrInterface mask : getMasks()) {
    TileClass tileClass = mask.classifyTile(ctx, b, h, t);
    if (tileClass == TileClass::Empty)
      return 0;
    if (tileClass == TileClass::Partial)
      partial.push_back(mask);
  }
  if (partial.empty())
    return t.area();
  if (partial.size() == 1)
    return partial.front().countKept(ctx, b, h, t);
  return countKeptByElements(asMask(*this), ctx, b, h, t);
}
SmallVector<int64_t> AndAttr::queryTileShape(const TilingContext &ctx) const {
  return commonQueryTileShape(getMasks(), ctx);
}

TileClass OrAttr::classifyTile(const TilingContext &ctx, int64_t b, int64_t h,
                               const TileRange &t) const {
  TileClass result = TileClass::Empty;
  for (MaskAttrInterface mask : getMasks()) {
    result = joinTileClass(result, mask.classifyTile(ctx, b, h, t));
    if (result == TileClass::Full)
      break;
  }
  return result;
}
VisitSet OrAttr::visitSet(const TilingContext &ctx, int64_t b, int64_t h,
                          int64_t queryTile) const {
  return combineVisitSets(getMasks(), ctx, b, h, queryTile,
                          /*intersect=*/false);
}
int64_t OrAttr::countKept(const TilingContext &ctx, int64_t b, int64_t h,
                          const TileRange &t) const {
  SmallVector<MaskAttrInterface> partial;
  for (MaskAttrInterface mask : getMasks()) {
    TileClass tileClass = mask.classifyTile(ctx, b, h, t);
    if (tileClass == TileClass::Full)
      return t.area();
    if (tileClass == TileClass::Partial)
      partial.push_back(mask);
  }
  if (partial.empty())
    return 0;
  if (partial.size() == 1)
    return partial.front().countKept(ctx, b, h, t);
  return countKeptByElements(asMask(*this), ctx, b, h, t);
}
SmallVector<int64_t> OrAttr::queryTileShape(const TilingContext &ctx) const {
  return commonQueryTileShape(getMasks(), ctx);
}
