//===- MaskTestSupport.h - Shared helpers of the mask unit tests -*- C++
//-*-===//
//
// Random mask attributes, random sizes and data operands, and the
// brute-force tile class over MaskAttrInterface::keeps, shared by the tile
// classification tests (MaskTilingTest.cpp) and the IR tile-form tests
// (MaskLoweringTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_MASKTESTSUPPORT_H
#define ATTN_TEST_UNIT_MASKTESTSUPPORT_H

#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/AttnDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <string>

namespace mlir::attn::test {

/// Data operands as row-major int64 tensors.
class TestData : public DataOperandReader {
public:
  struct Tensor {
    SmallVector<int64_t> shape, values;
    /// The integer width of the operand's element type in IR tests.
    unsigned bits = 64;
  };

  unsigned add(Tensor tensor) {
    tensors.push_back(std::move(tensor));
    return tensors.size() - 1;
  }
  int64_t dimSize(unsigned operand, unsigned dim) const override {
    return tensors[operand].shape[dim];
  }
  int64_t readInt(unsigned operand, ArrayRef<int64_t> indices) const override {
    const Tensor &tensor = tensors[operand];
    int64_t index = 0;
    for (auto [dim, at] : llvm::enumerate(indices)) {
      EXPECT_GE(at, 0);
      EXPECT_LT(at, tensor.shape[dim]);
      index = index * tensor.shape[dim] + at;
    }
    return tensor.values[index];
  }
  double readFloat(unsigned, ArrayRef<int64_t>) const override {
    ADD_FAILURE() << "no mask reads floats";
    return 0.0;
  }

  SmallVector<Tensor> tensors;
};

struct BruteForce {
  TileClass tileClass;
  int64_t kept;
};

inline BruteForce bruteForce(MaskAttrInterface mask, const TilingContext &ctx,
                             int64_t b, int64_t h, const TileRange &tile) {
  int64_t kept = 0;
  for (int64_t i = tile.qBegin; i < tile.qEnd; ++i)
    for (int64_t j = tile.kBegin; j < tile.kEnd; ++j)
      kept += mask.keeps(ctx.point(b, h, i, j));
  TileClass tileClass = kept == 0             ? TileClass::Empty
                        : kept == tile.area() ? TileClass::Full
                                              : TileClass::Partial;
  return {tileClass, kept};
}

inline std::string describe(Attribute attr, const TilingContext &ctx) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << attr << " Hq " << ctx.queryHeads << " Hkv " << ctx.kvHeads << " Sq "
     << ctx.seqQ << " Skv " << ctx.seqKV << " tile " << ctx.blockQ << "x"
     << ctx.blockKV << (ctx.data ? " with data" : " without data");
  if (ctx.order) {
    os << " patch";
    for (int64_t extent : ctx.order->patch())
      os << " " << extent;
  }
  return text;
}

class MaskTestBase : public ::testing::Test {
protected:
  MaskTestBase() { context.loadDialect<AttnDialect>(); }

  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  bool coin() { return uniform(0, 1) == 1; }

  /// Random heads, ragged sequence lengths and tile sizes.
  TilingContext randomContext(int64_t maxSeq = 48) {
    TilingContext ctx;
    ctx.batch = uniform(1, 2);
    ctx.kvHeads = uniform(1, 3);
    ctx.queryHeads = ctx.kvHeads * uniform(1, 3);
    ctx.seqQ = uniform(1, maxSeq);
    ctx.seqKV = coin() ? ctx.seqQ : uniform(1, maxSeq);
    ctx.blockQ = uniform(1, 12);
    ctx.blockKV = coin() ? ctx.blockQ : uniform(1, 12);
    return ctx;
  }

  MaskAttrInterface randomClosedFormMask(const TilingContext &ctx) {
    switch (uniform(0, 5)) {
    case 0:
      return CausalAttr::get(&context);
    case 1:
      return WindowAttr::get(&context, uniform(1, 20), uniform(0, 8));
    case 2:
      return SinksAttr::get(&context, uniform(1, 20));
    case 3:
      return S2Attr::get(&context, uniform(1, 8), uniform(0, 4), uniform(1, 6),
                         uniform(0, 5), uniform(0, ctx.kvHeads), coin());
    case 4:
      return ShiftedGroupsAttr::get(&context, 2 * uniform(1, 8));
    default:
      return StarAnchorAttr::get(&context, uniform(1, 16));
    }
  }

  /// A data mask reading a fresh operand of `data` filled at random.
  MaskAttrInterface randomDataMask(const TilingContext &ctx, TestData &data) {
    switch (uniform(0, 4)) {
    case 0: {
      TestData::Tensor prefix{{ctx.batch}, {}};
      // Any value is allowed, the smallest i32 included.
      for (int64_t b = 0; b < ctx.batch; ++b)
        prefix.values.push_back(uniform(0, 7) == 0
                                    ? std::numeric_limits<int32_t>::min()
                                    : uniform(-2, ctx.seqKV + 2));
      return PrefixLMAttr::get(&context, data.add(prefix));
    }
    case 1: {
      // Ids need not be sorted or contiguous.
      int64_t tokens = std::max(ctx.seqQ, ctx.seqKV);
      TestData::Tensor ids{{ctx.batch, tokens}, {}};
      bool sorted = coin();
      for (int64_t b = 0; b < ctx.batch; ++b) {
        int64_t id = 0;
        for (int64_t x = 0; x < tokens; ++x) {
          id = sorted ? id + (uniform(0, 5) == 0) : uniform(0, 3);
          ids.values.push_back(id);
        }
      }
      return DocumentsAttr::get(&context, data.add(ids), DocumentLayout::Ids,
                                coin());
    }
    case 2: {
      // Empty documents and offsets past the end are allowed.
      int64_t documents = uniform(1, 6);
      TestData::Tensor offsets{{documents + 1}, {0}};
      for (int64_t d = 0; d < documents; ++d)
        offsets.values.push_back(offsets.values.back() + uniform(0, 12));
      return DocumentsAttr::get(&context, data.add(offsets),
                                DocumentLayout::Offsets, coin());
    }
    case 3: {
      int64_t blockQ = uniform(1, 10), blockKV = uniform(1, 10);
      int64_t keyBlocks = (ctx.seqKV + blockKV - 1) / blockKV;
      int64_t slots = uniform(1, 4);
      TestData::Tensor list{
          {ctx.batch, ctx.queryHeads, (ctx.seqQ + blockQ - 1) / blockQ, slots},
          {}};
      int64_t entries = list.shape[0] * list.shape[1] * list.shape[2] * slots;
      for (int64_t e = 0; e < entries; ++e)
        list.values.push_back(uniform(-1, keyBlocks));
      return BlockListAttr::get(&context, data.add(list), blockQ, blockKV);
    }
    default: {
      int64_t blockQ = uniform(1, 10), blockKV = uniform(1, 10);
      TestData::Tensor blocks{{ctx.batch, ctx.queryHeads,
                               (ctx.seqQ + blockQ - 1) / blockQ,
                               (ctx.seqKV + blockKV - 1) / blockKV},
                              {}};
      int64_t entries =
          blocks.shape[0] * blocks.shape[1] * blocks.shape[2] * blocks.shape[3];
      for (int64_t e = 0; e < entries; ++e)
        blocks.values.push_back(uniform(0, 2) == 0);
      return BlockMaskAttr::get(&context, data.add(blocks), blockQ, blockKV);
    }
    }
  }

  /// A random valid neighborhood over a grid of rank 1 to 3.
  NeighborhoodAttr randomNeighborhood() {
    int64_t rank = uniform(1, 3);
    int64_t maxExtent = rank == 1 ? 40 : rank == 2 ? 9 : 5;
    SmallVector<int64_t> grid, kernel, dilation, stride;
    SmallVector<bool> causal;
    for (int64_t dim = 0; dim < rank; ++dim) {
      int64_t n = uniform(1, maxExtent);
      int64_t d = uniform(1, std::max<int64_t>(1, n / 2));
      int64_t k = uniform(1, n / d);
      grid.push_back(n);
      dilation.push_back(d);
      kernel.push_back(k);
      stride.push_back(uniform(1, k));
      causal.push_back(uniform(0, 3) == 0);
    }
    return NeighborhoodAttr::get(&context, grid, kernel, dilation, stride,
                                 causal);
  }

  MLIRContext context;
  std::mt19937_64 rng{20240611};
};

} // namespace mlir::attn::test

#endif // ATTN_TEST_UNIT_MASKTESTSUPPORT_H
