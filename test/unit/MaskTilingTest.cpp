//===- MaskTilingTest.cpp - Tile classes against the element rule ---------===//
//
// Property tests of the mask algebra: for many random parameters and
// ragged sizes, every tile class, visit set and kept count is compared with
// brute force over MaskAttrInterface::keeps on every element.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Dialect/PatchTiling.h"
#include "attn/Dialect/TransposedVisitSets.h"
#include "MaskTestSupport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::test;

namespace {

/// What a check demands of the answers.
enum class Precision {
  /// Classes equal brute force.
  Exact,
  /// Empty and Full are never wrong; Partial may stand for either.
  Sound,
};

/// Checks every tile of every head and batch row. Returns false after the
/// first mismatch so that one bad parameter set does not flood the log.
bool checkMask(MaskAttrInterface mask, const TilingContext &ctx,
               Precision precision, bool checkCounts) {
  SCOPED_TRACE(describe(mask, ctx));
  for (int64_t b = 0; b < ctx.batch; ++b)
    for (int64_t h = 0; h < ctx.queryHeads; ++h)
      for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt) {
        VisitSet visits = mask.visitSet(ctx, b, h, qt);
        llvm::DenseMap<int64_t, TileClass> visited;
        int64_t previous = -1;
        bool ordered = true;
        visits.forEachTile([&](int64_t tile, TileClass tileClass) {
          ordered &= tile > previous && tileClass != TileClass::Empty;
          previous = tile;
          visited[tile] = tileClass;
        });
        EXPECT_TRUE(ordered) << "visit set tiles repeat or are empty";
        EXPECT_EQ(visits.size(), static_cast<int64_t>(visited.size()));
        for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
          TileRange tile = ctx.tile(qt, kt);
          TileClass tileClass = mask.classifyTile(ctx, b, h, tile);
          BruteForce expected = bruteForce(mask, ctx, b, h, tile);
          auto it = visited.find(kt);
          TileClass visitClass =
              it == visited.end() ? TileClass::Empty : it->second;
          std::string where = "b " + std::to_string(b) + " h " +
                              std::to_string(h) + " tile (" +
                              std::to_string(qt) + ", " + std::to_string(kt) +
                              ")";
          bool ok = true;
          if (visitClass != tileClass) {
            ADD_FAILURE() << where << ": visit set says "
                          << stringifyTileClass(visitClass).str()
                          << ", classifyTile says "
                          << stringifyTileClass(tileClass).str();
            ok = false;
          }
          bool classOk =
              precision == Precision::Exact
                  ? tileClass == expected.tileClass
                  : tileClass == TileClass::Partial ||
                        tileClass == expected.tileClass;
          if (!classOk) {
            ADD_FAILURE() << where << ": classifyTile says "
                          << stringifyTileClass(tileClass).str()
                          << ", the elements say "
                          << stringifyTileClass(expected.tileClass).str();
            ok = false;
          }
          if (checkCounts && mask.countKept(ctx, b, h, tile) != expected.kept) {
            ADD_FAILURE() << where << ": countKept "
                          << mask.countKept(ctx, b, h, tile) << ", elements "
                          << expected.kept;
            ok = false;
          }
          if (!ok)
            return false;
        }
      }
  return true;
}

class MaskTilingTest : public MaskTestBase {};

TEST_F(MaskTilingTest, ClosedFormMasksAreExact) {
  for (int iteration = 0; iteration < 600; ++iteration) {
    TilingContext ctx = randomContext();
    MaskAttrInterface mask = randomClosedFormMask(ctx);
    ASSERT_TRUE(checkMask(mask, ctx, Precision::Exact, /*checkCounts=*/true));
  }
}

TEST_F(MaskTilingTest, SequenceMasksStaySoundInPatchOrder) {
  // A permuted order is only understood by grid masks; others must still
  // never claim Empty or Full wrongly.
  for (int iteration = 0; iteration < 100; ++iteration) {
    TilingContext ctx = randomContext();
    ctx.seqQ = ctx.seqKV = 24;
    TokenOrder order({4, 6}, {2, 3});
    ctx.order = &order;
    MaskAttrInterface mask = randomClosedFormMask(ctx);
    ASSERT_TRUE(checkMask(mask, ctx, Precision::Sound, /*checkCounts=*/true));
  }
}

TEST_F(MaskTilingTest, DataMasksAreExactWithDataAndSoundWithout) {
  for (int iteration = 0; iteration < 600; ++iteration) {
    TilingContext ctx = randomContext();
    TestData data;
    MaskAttrInterface mask = randomDataMask(ctx, data);
    // Ids layouts pair query i with key i: equal lengths.
    if (auto docs = dyn_cast<DocumentsAttr>(mask);
        docs && docs.getLayout() == DocumentLayout::Ids)
      ctx.seqKV = ctx.seqQ;
    ctx.data = &data;
    ASSERT_TRUE(checkMask(mask, ctx, Precision::Exact, /*checkCounts=*/true));
    // Without the data at classification time (brute force still reads it).
    TilingContext compileTime = ctx;
    compileTime.data = nullptr;
    for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt)
      for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
        TileRange tile = ctx.tile(qt, kt);
        for (int64_t b = 0; b < ctx.batch; ++b) {
          TileClass tileClass = mask.classifyTile(compileTime, b, 0, tile);
          TileClass expected = bruteForce(mask, ctx, b, 0, tile).tileClass;
          ASSERT_TRUE(tileClass == TileClass::Partial || tileClass == expected)
              << describe(mask, ctx) << " tile (" << qt << ", " << kt
              << ") without data: " << stringifyTileClass(tileClass).str()
              << " vs " << stringifyTileClass(expected).str();
        }
      }
  }
}

/// Checks transposeVisitSets against classifyTile on every tile pair, and
/// classifyTile against the elements.
void checkTransposed(MaskAttrInterface mask, const TilingContext &ctx) {
  SCOPED_TRACE(describe(mask, ctx));
  for (int64_t b = 0; b < ctx.batch; ++b)
    for (int64_t h = 0; h < ctx.queryHeads; ++h) {
      SmallVector<VisitSet> byKey = transposeVisitSets(
          ctx.numQueryTiles(), ctx.numKeyTiles(),
          [&](int64_t qt) { return mask.visitSet(ctx, b, h, qt); });
      ASSERT_EQ(static_cast<int64_t>(byKey.size()), ctx.numKeyTiles());
      for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
        llvm::DenseMap<int64_t, TileClass> visitors;
        int64_t previous = -1;
        byKey[kt].forEachTile([&](int64_t qt, TileClass tileClass) {
          EXPECT_GT(qt, previous);
          previous = qt;
          visitors[qt] = tileClass;
        });
        for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt) {
          TileRange tile = ctx.tile(qt, kt);
          TileClass expected = bruteForce(mask, ctx, b, h, tile).tileClass;
          auto it = visitors.find(qt);
          TileClass got = it == visitors.end() ? TileClass::Empty : it->second;
          ASSERT_EQ(got, expected)
              << "b " << b << " h " << h << " key tile " << kt
              << " query tile " << qt;
        }
      }
    }
}

TEST_F(MaskTilingTest, TransposedVisitSetsMatchTheElements) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    TilingContext ctx = randomContext();
    checkTransposed(randomClosedFormMask(ctx), ctx);
    if (HasFatalFailure())
      return;
  }
  for (int iteration = 0; iteration < 300; ++iteration) {
    TilingContext ctx = randomContext();
    TestData data;
    MaskAttrInterface mask = randomDataMask(ctx, data);
    if (auto docs = dyn_cast<DocumentsAttr>(mask);
        docs && docs.getLayout() == DocumentLayout::Ids)
      ctx.seqKV = ctx.seqQ;
    ctx.data = &data;
    checkTransposed(mask, ctx);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(MaskTilingTest, NeighborhoodsAreExactInEveryOrder) {
  for (int iteration = 0; iteration < 400; ++iteration) {
    NeighborhoodAttr mask = randomNeighborhood();
    TilingContext ctx = randomContext();
    SmallVector<int64_t> patch;
    for (int64_t extent : mask.getGrid())
      patch.push_back(uniform(1, extent));
    TokenOrder order(mask.getGrid(), patch);
    ctx.seqQ = ctx.seqKV = order.numTokens();
    if (coin())
      ctx.order = &order;
    ASSERT_TRUE(checkMask(mask, ctx, Precision::Exact, /*checkCounts=*/true));
  }
}

TEST_F(MaskTilingTest, CombinatorsAreSound) {
  for (int iteration = 0; iteration < 400; ++iteration) {
    TilingContext ctx = randomContext();
    // Ids layouts pair query i with key i: equal lengths.
    ctx.seqKV = ctx.seqQ;
    TestData data;
    SmallVector<MaskAttrInterface> operands;
    for (int64_t n = uniform(2, 3); n > 0; --n)
      operands.push_back(uniform(0, 3) == 0 ? randomDataMask(ctx, data)
                                            : randomClosedFormMask(ctx));
    ctx.data = &data;
    MaskAttrInterface mask =
        coin() ? MaskAttrInterface(AndAttr::get(&context, operands))
               : MaskAttrInterface(OrAttr::get(&context, operands));
    ASSERT_TRUE(checkMask(mask, ctx, Precision::Sound, /*checkCounts=*/true));
  }
}

TEST_F(MaskTilingTest, TokenOrderIsAPermutationOfBoxes) {
  for (int iteration = 0; iteration < 200; ++iteration) {
    int64_t rank = uniform(1, 3);
    SmallVector<int64_t> grid, patch;
    for (int64_t dim = 0; dim < rank; ++dim) {
      grid.push_back(uniform(1, 7));
      patch.push_back(uniform(1, grid.back()));
    }
    TokenOrder order(grid, patch);
    int64_t tokens = order.numTokens();
    SmallVector<int64_t> tokenOf;
    llvm::DenseSet<int64_t> seen;
    for (int64_t position = 0; position < tokens; ++position) {
      tokenOf.push_back(order.tokenAt(position));
      ASSERT_TRUE(seen.insert(tokenOf.back()).second) << "token repeats";
      ASSERT_LT(tokenOf.back(), tokens);
    }
    auto coordinates = [&](int64_t token) {
      SmallVector<int64_t> coords(rank);
      for (int64_t dim = rank - 1; dim >= 0; --dim) {
        coords[dim] = token % grid[dim];
        token /= grid[dim];
      }
      return coords;
    };
    auto inBox = [&](int64_t token, ArrayRef<int64_t> lower,
                     ArrayRef<int64_t> upper) {
      SmallVector<int64_t> coords = coordinates(token);
      for (int64_t dim = 0; dim < rank; ++dim)
        if (coords[dim] < lower[dim] || coords[dim] >= upper[dim])
          return false;
      return true;
    };
    // The boxes of a position range hold exactly its tokens.
    int64_t begin = uniform(0, tokens - 1), end = uniform(begin + 1, tokens);
    int64_t covered = 0;
    order.forEachBox(begin, end, [&](ArrayRef<int64_t> lower,
                                     ArrayRef<int64_t> upper) {
      for (int64_t position = 0; position < tokens; ++position)
        if (inBox(tokenOf[position], lower, upper)) {
          EXPECT_TRUE(position >= begin && position < end);
          ++covered;
        }
    });
    EXPECT_EQ(covered, end - begin);
    // The runs of a box hold exactly the positions of its tokens.
    SmallVector<int64_t> lower, upper;
    for (int64_t dim = 0; dim < rank; ++dim) {
      lower.push_back(uniform(0, grid[dim] - 1));
      upper.push_back(uniform(lower.back() + 1, grid[dim]));
    }
    int64_t inRuns = 0;
    order.forEachRunOfBox(lower, upper, [&](int64_t runBegin, int64_t runEnd) {
      for (int64_t position = runBegin; position < runEnd; ++position) {
        EXPECT_TRUE(inBox(tokenOf[position], lower, upper));
        ++inRuns;
      }
    });
    int64_t boxTokens = 0;
    for (int64_t position = 0; position < tokens; ++position)
      boxTokens += inBox(tokenOf[position], lower, upper);
    EXPECT_EQ(inRuns, boxTokens);
  }
}

TEST_F(MaskTilingTest, NeighborhoodPatchShapes) {
  auto shapeFor = [&](NeighborhoodAttr mask, int64_t tile) {
    TilingContext ctx;
    ctx.seqQ = ctx.seqKV = TokenOrder(mask.getGrid(), mask.getGrid()).numTokens();
    ctx.blockQ = ctx.blockKV = tile;
    return mask.queryTileShape(ctx);
  };
  // docs/sparsity.md's table: 8x8 patches visit 484 tiles, rows 960.
  auto square = NeighborhoodAttr::get(&context, {64, 64}, {15, 15}, {}, {}, {});
  EXPECT_EQ(shapeFor(square, 64), (SmallVector<int64_t>{8, 8}));
  // 8x16 and 16x8 cost the same on NATTEN's 128x128 grid; the longer rows
  // win.
  auto natten = NeighborhoodAttr::get(&context, {128, 128}, {13, 13}, {}, {}, {});
  EXPECT_EQ(shapeFor(natten, 128), (SmallVector<int64_t>{8, 16}));
  // On 32x32 with kernel 7 a 4-row tile reaches 2 or 3 key tiles (22 in
  // all) while 8x16 patches reach 2 x 2 or 3 x 2 (40): rows stay.
  auto small = NeighborhoodAttr::get(&context, {32, 32}, {7, 7}, {}, {}, {});
  EXPECT_TRUE(shapeFor(small, 128).empty());
  // A tile covering the whole grid, and 1-D grids, need no permutation.
  auto tiny = NeighborhoodAttr::get(&context, {8, 8}, {3, 3}, {}, {}, {});
  EXPECT_TRUE(shapeFor(tiny, 128).empty());
  auto line = NeighborhoodAttr::get(&context, {4096}, {7}, {}, {}, {});
  EXPECT_TRUE(shapeFor(line, 128).empty());
  // Swin windows of 7x7 on 56x56: no patch of 128 tokens aligns with them
  // well enough to beat rows.
  auto swin = NeighborhoodAttr::get(&context, {56, 56}, {7, 7}, {}, {7, 7}, {});
  EXPECT_TRUE(shapeFor(swin, 128).empty());
  EXPECT_TRUE(CausalAttr::get(&context).queryTileShape(TilingContext()).empty());
}

TEST_F(MaskTilingTest, PatchTilesAreExact) {
  // Every pair of patches against the element rule: visited iff some pair
  // is kept, full iff every pair is and the key tile has a key in every
  // column, kept counts equal.
  for (int iteration = 0; iteration < 300; ++iteration) {
    NeighborhoodAttr mask = randomNeighborhood();
    ArrayRef<int64_t> grid = mask.getGrid();
    SmallVector<int64_t> patch, keyPatch, strides(grid.size(), 1);
    int64_t keyVolume = 1;
    for (int64_t extent : grid) {
      patch.push_back(uniform(1, extent));
      keyPatch.push_back(coin() ? patch.back() : uniform(1, extent));
      keyVolume *= keyPatch.back();
    }
    for (int dim = static_cast<int>(grid.size()) - 2; dim >= 0; --dim)
      strides[dim] = strides[dim + 1] * grid[dim + 1];
    int64_t blockKV = keyVolume + (coin() ? 0 : uniform(1, 3));
    PatchTiling tiling = buildPatchTiling(mask, patch, keyPatch, blockKV);
    SCOPED_TRACE(describe(mask, TilingContext()));
    auto tokensOf = [&](ArrayRef<int64_t> shape, int64_t index) {
      SmallVector<int64_t> lower, extents, tokens{0};
      tiling.box(shape, index, lower, extents);
      for (size_t dim = 0; dim < grid.size(); ++dim) {
        SmallVector<int64_t> next;
        for (int64_t token : tokens)
          for (int64_t x = lower[dim]; x < lower[dim] + extents[dim]; ++x)
            next.push_back(token + x * strides[dim]);
        tokens = std::move(next);
      }
      return tokens;
    };
    int64_t patches = tiling.numPatches();
    ASSERT_EQ(static_cast<int64_t>(tiling.visits.size()), patches);
    int64_t covered = 0, keysCovered = 0;
    for (int64_t key = 0; key < tiling.numKeyPatches(); ++key)
      keysCovered += tokensOf(keyPatch, key).size();
    EXPECT_EQ(keysCovered, strides[0] * grid[0]);
    for (int64_t query = 0; query < patches; ++query) {
      SmallVector<int64_t> queries = tokensOf(patch, query);
      covered += queries.size();
      size_t next = 0;
      for (int64_t key = 0; key < tiling.numKeyPatches(); ++key) {
        SmallVector<int64_t> keys = tokensOf(keyPatch, key);
        int64_t kept = 0;
        MaskPoint point;
        point.batch = point.queryHeads = point.kvHeads = 1;
        point.seqQ = point.seqKV = strides[0] * grid[0];
        for (int64_t i : queries)
          for (int64_t j : keys) {
            point.i = i;
            point.j = j;
            kept += mask.keeps(point);
          }
        bool listed = next < tiling.visits[query].size() &&
                      tiling.visits[query][next].keyPatch == key;
        ASSERT_EQ(listed, kept > 0) << "query patch " << query << " key patch "
                                    << key;
        if (!listed)
          continue;
        const PatchVisit &visit = tiling.visits[query][next++];
        bool whole = static_cast<int64_t>(keys.size()) == blockKV;
        EXPECT_EQ(visit.whole, whole);
        EXPECT_EQ(visit.full,
                  whole && kept == static_cast<int64_t>(queries.size() *
                                                        keys.size()));
        EXPECT_EQ(countPatchPairKept(mask, tiling, query, key), kept);
      }
    }
    EXPECT_EQ(covered, strides[0] * grid[0]);
  }
}

TEST_F(MaskTilingTest, KernelPatchChoice) {
  // docs/sparsity.md: 64x64 with kernel 15 on 64-token tiles: 8x8 patches,
  // 484 visited tile pairs against 960 in sequence order.
  auto square = NeighborhoodAttr::get(&context, {64, 64}, {15, 15}, {}, {}, {});
  std::optional<PatchTiling> tiling = choosePatchTiling(square, 64, 64);
  ASSERT_TRUE(tiling);
  EXPECT_EQ(tiling->patch, (SmallVector<int64_t>{8, 8}));
  EXPECT_EQ(tiling->visited(), 484);
  EXPECT_EQ(tiling->visitedFull(), 64);
  EXPECT_EQ(tiling->sequenceVisited, 960);
  // Swin windows: on 64-token tiles the 7x7 windows themselves.
  auto swin = NeighborhoodAttr::get(&context, {56, 56}, {7, 7}, {}, {7, 7}, {});
  tiling = choosePatchTiling(swin, 64, 64);
  ASSERT_TRUE(tiling);
  EXPECT_EQ(tiling->patch, (SmallVector<int64_t>{7, 7}));
  EXPECT_EQ(tiling->visited(), 64);
  // Key tiles of another size get key patches of their own shape; 1-D
  // grids are patches already.
  tiling = choosePatchTiling(square, 64, 32);
  ASSERT_TRUE(tiling);
  EXPECT_EQ(tiling->volume(), 64);
  EXPECT_EQ(tiling->keyVolume(), 32);
  auto line = NeighborhoodAttr::get(&context, {4096}, {7}, {}, {}, {});
  EXPECT_FALSE(choosePatchTiling(line, 64, 64));
  // Ragged grids: the choice is never worse than sequence order.
  for (int iteration = 0; iteration < 100; ++iteration) {
    NeighborhoodAttr mask = randomNeighborhood();
    int64_t tile = uniform(2, 16), keyTile = coin() ? tile : uniform(2, 16);
    if (std::optional<PatchTiling> chosen =
            choosePatchTiling(mask, tile, keyTile)) {
      EXPECT_LT(chosen->visited(), chosen->sequenceVisited);
      EXPECT_LE(chosen->volume(), tile);
      EXPECT_GT(2 * chosen->volume(), tile);
      EXPECT_LE(chosen->keyVolume(), keyTile);
      EXPECT_GT(2 * chosen->keyVolume(), keyTile);
    }
  }
}

TEST_F(MaskTilingTest, VisitSetsAreShortStridedRanges) {
  TilingContext ctx;
  ctx.queryHeads = ctx.kvHeads = 4;
  ctx.seqQ = ctx.seqKV = 4096;
  MaskAttrInterface causal = CausalAttr::get(&context);
  VisitSet lastRow = causal.visitSet(ctx, 0, 0, 31);
  ASSERT_EQ(lastRow.ranges().size(), 2u);
  EXPECT_EQ(lastRow.ranges()[0].tiles.begin, 0);
  EXPECT_EQ(lastRow.ranges()[0].tiles.end, 31);
  EXPECT_EQ(lastRow.ranges()[0].tileClass, TileClass::Full);
  EXPECT_EQ(lastRow.ranges()[1].tileClass, TileClass::Partial);
  // S2 defaults, head 0: a stride-4 progression of half-strided tiles left
  // of the local band (block 64, two blocks per 128-key tile).
  MaskAttrInterface s2 = S2Attr::get(&context, 64, 16, 8, 0, 0, false);
  VisitSet s2Row = s2.visitSet(ctx, 0, 0, 31);
  ASSERT_FALSE(s2Row.ranges().empty());
  const StridedRange &strided = s2Row.ranges().front().tiles;
  EXPECT_EQ(strided.begin, 0);
  EXPECT_EQ(strided.step, 4);
  EXPECT_EQ(strided.size(), 6);
  EXPECT_EQ(s2Row.ranges().front().tileClass, TileClass::Partial);
  EXPECT_LE(s2Row.ranges().size(), 4u);
}

//===----------------------------------------------------------------------===//
// Custom mask regions
//===----------------------------------------------------------------------===//

class RegionTilingTest : public MaskTilingTest {
protected:
  RegionTilingTest() {
    context.loadDialect<arith::ArithDialect, func::FuncDialect>();
  }

  /// Parses a function around one attention op whose mask region is `body`
  /// (block arguments %b, %h, %i, %j; must yield %keep).
  AttentionOp parse(StringRef body, StringRef attributes = "") {
    std::string text =
        ("func.func @f(%q: tensor<1x2x40x8xf32>, %k: tensor<1x2x37x8xf32>, "
         "%v: tensor<1x2x37x8xf32>) -> tensor<1x2x40x8xf32> {\n"
         "  %o = attn.attention %q, %k, %v " +
         attributes +
         " : tensor<1x2x40x8xf32>, tensor<1x2x37x8xf32>, "
         "tensor<1x2x37x8xf32> -> tensor<1x2x40x8xf32> mask {\n"
         "  ^bb0(%b: index, %h: index, %i: index, %j: index):\n" +
         body +
         "    attn.yield %keep : i1\n  }\n"
         "  return %o : tensor<1x2x40x8xf32>\n}\n")
            .str();
    module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << text;
    AttentionOp op;
    module->walk([&](AttentionOp found) { op = found; });
    return op;
  }

  OwningOpRef<ModuleOp> module;
};

TEST_F(RegionTilingTest, AffineCausalRegionMatchesCausalAttribute) {
  AttentionOp op = parse("    %keep = arith.cmpi ule, %j, %i : index\n");
  ASSERT_TRUE(op);
  EffectiveMaskTiling region(op);
  EXPECT_TRUE(region.regionIsAnalyzable());
  MaskAttrInterface causal = CausalAttr::get(&context);
  for (int iteration = 0; iteration < 50; ++iteration) {
    TilingContext ctx = randomContext();
    ctx.batch = 1;
    ctx.queryHeads = ctx.kvHeads = 2;
    for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt) {
      for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
        TileRange tile = ctx.tile(qt, kt);
        ASSERT_EQ(region.classifyTile(ctx, 0, 1, tile),
                  causal.classifyTile(ctx, 0, 1, tile));
        ASSERT_EQ(region.countKept(ctx, 0, 1, tile),
                  causal.countKept(ctx, 0, 1, tile));
      }
      ASSERT_EQ(region.visitSet(ctx, 0, 1, qt).size(),
                causal.visitSet(ctx, 0, 1, qt).size());
    }
  }
}

TEST_F(RegionTilingTest, RegionAndAttributeMeet) {
  // A window of 6 as a region, AND-ed with sinks: sound against the
  // elements, exact counts.
  AttentionOp op = parse("    %d = arith.subi %i, %j : index\n"
                         "    %c6 = arith.constant 6 : index\n"
                         "    %near = arith.cmpi slt, %d, %c6 : index\n"
                         "    %r = arith.remui %j, %c6 : index\n"
                         "    %c0 = arith.constant 0 : index\n"
                         "    %every6 = arith.cmpi eq, %r, %c0 : index\n"
                         "    %either = arith.ori %near, %every6 : i1\n"
                         "    %causal = arith.cmpi sle, %j, %i : index\n"
                         "    %keep = arith.andi %either, %causal : i1\n",
                         "{mask = #attn.sinks<count = 9>}");
  ASSERT_TRUE(op);
  EffectiveMaskTiling tiling(op);
  ASSERT_TRUE(tiling.regionIsAnalyzable());
  for (int iteration = 0; iteration < 50; ++iteration) {
    TilingContext ctx = randomContext();
    ctx.batch = 1;
    ctx.queryHeads = ctx.kvHeads = 2;
    ctx.seqQ = 40;
    ctx.seqKV = 37;
    for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt) {
      llvm::DenseMap<int64_t, TileClass> visited;
      tiling.visitSet(ctx, 0, 0, qt).forEachTile(
          [&](int64_t kt, TileClass tileClass) { visited[kt] = tileClass; });
      for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
        TileRange tile = ctx.tile(qt, kt);
        int64_t kept = 0;
        for (int64_t i = tile.qBegin; i < tile.qEnd; ++i)
          for (int64_t j = tile.kBegin; j < tile.kEnd; ++j)
            kept += j < 9 && j <= i && (i - j < 6 || j % 6 == 0);
        TileClass tileClass = tiling.classifyTile(ctx, 0, 0, tile);
        if (tileClass == TileClass::Empty) {
          ASSERT_EQ(kept, 0);
        } else if (tileClass == TileClass::Full) {
          ASSERT_EQ(kept, tile.area());
        }
        auto it = visited.find(kt);
        ASSERT_EQ(it == visited.end() ? TileClass::Empty : it->second,
                  tileClass);
        ASSERT_EQ(tiling.countKept(ctx, 0, 0, tile), kept);
      }
    }
  }
}

TEST_F(RegionTilingTest, NonAffineRegionIsPartialEverywhere) {
  AttentionOp op = parse("    %ii = arith.index_cast %i : index to i64\n"
                         "    %f = arith.sitofp %ii : i64 to f32\n"
                         "    %z = arith.constant 3.5 : f32\n"
                         "    %keep = arith.cmpf olt, %f, %z : f32\n",
                         "{mask = #attn.causal}");
  ASSERT_TRUE(op);
  EffectiveMaskTiling tiling(op);
  EXPECT_FALSE(tiling.regionIsAnalyzable());
  ASSERT_NE(tiling.unsupportedOp(), nullptr);
  EXPECT_EQ(tiling.unsupportedOp()->getName().getStringRef(), "arith.sitofp");
  TilingContext ctx;
  ctx.queryHeads = ctx.kvHeads = 2;
  ctx.seqQ = 40;
  ctx.seqKV = 37;
  ctx.blockQ = ctx.blockKV = 8;
  // The causal attribute still skips tiles above the diagonal.
  EXPECT_EQ(tiling.classifyTile(ctx, 0, 0, ctx.tile(0, 3)), TileClass::Empty);
  EXPECT_EQ(tiling.classifyTile(ctx, 0, 0, ctx.tile(3, 0)), TileClass::Partial);
  EXPECT_EQ(tiling.countKept(ctx, 0, 0, ctx.tile(3, 0)), std::nullopt);
  EXPECT_EQ(tiling.visitSet(ctx, 0, 0, 4).count(TileClass::Partial), 5);
}

} // namespace
