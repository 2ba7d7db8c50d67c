//===- KernelSpecTest.cpp - Tile-shape analysis of kernel specs -----------===//
//
// visitedTileArea (the area a tile shape visits, which sm_90a's tile choice
// compares) against a brute force over the masks' element rule: a tile is
// visited when it keeps an element. Ragged lengths, both tile shapes the
// choice compares, and the specs it must leave alone (data masks,
// neighborhoods).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Kernel/KernelSpec.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

namespace {

class VisitedTileAreaTest : public ::testing::Test {
protected:
  VisitedTileAreaTest() {
    context.loadDialect<AttnDialect, arith::ArithDialect, func::FuncDialect,
                        math::MathDialect, tensor::TensorDialect>();
  }

  /// The kernel spec of `@f` (Hq and Hkv heads, head dimension 64, bf16,
  /// the data operand's type if any) with the given mask attribute,
  /// decomposed into its cascade as attn-compile does.
  KernelSpec specWith(const std::string &mask, const std::string &queryHeads,
                      const std::string &kvHeads, const std::string &data = "") {
    std::string q = "tensor<?x" + queryHeads + "x?x64xbf16>";
    std::string kv = "tensor<?x" + kvHeads + "x?x64xbf16>";
    std::string text = "func.func @f(%q: " + q + ", %k: " + kv + ", %v: " + kv +
                       (data.empty() ? "" : ", %d: " + data) + ") -> " + q +
                       " {\n  %o = attn.attention %q, %k, %v" +
                       (data.empty() ? "" : " data(%d : " + data + ")") + " {mask = " + mask +
                       "} : " + q + ", " + kv + ", " + kv +
                       " -> " + q +
                       "\n  return %o : " + q + "\n}\n";
    OwningOpRef<ModuleOp> &module =
        modules.emplace_back(parseSourceString<ModuleOp>(text, &context));
    EXPECT_TRUE(module) << text;
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(createAttnDecompose());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    FailureOr<SmallVector<KernelSpec>> specs = collectKernelSpecs(*module);
    EXPECT_TRUE(succeeded(specs));
    return (*specs)[0];
  }

  /// The brute force: the area of every tile that keeps an element.
  static int64_t bruteForceArea(MaskAttrInterface mask, int64_t queryHeads,
                                int64_t kvHeads, int64_t seq, int64_t blockQ,
                                int64_t blockKV) {
    int64_t area = 0;
    for (int64_t h = 0; h < queryHeads; ++h)
      for (int64_t q0 = 0; q0 < seq; q0 += blockQ)
        for (int64_t k0 = 0; k0 < seq; k0 += blockKV) {
          int64_t q1 = std::min(seq, q0 + blockQ), k1 = std::min(seq, k0 + blockKV);
          bool kept = false;
          for (int64_t i = q0; i < q1 && !kept; ++i)
            for (int64_t j = k0; j < k1 && !kept; ++j) {
              MaskPoint point;
              point.h = h;
              point.i = i;
              point.j = j;
              point.batch = 1;
              point.queryHeads = queryHeads;
              point.kvHeads = kvHeads;
              point.seqQ = seq;
              point.seqKV = seq;
              kept = mask.keeps(point);
            }
          if (kept)
            area += (q1 - q0) * (k1 - k0);
        }
    return area;
  }

  MLIRContext context;
  /// The specs' modules, alive as long as the specs that point into them.
  std::vector<OwningOpRef<ModuleOp>> modules;
};

TEST_F(VisitedTileAreaTest, MatchesTheElementRuleAtRaggedLengths) {
  const char *masks[] = {
      "#attn.causal",
      "#attn.and<[#attn.causal, #attn.window<left = 100>]>",
      "#attn.s2<block = 16, local = 3, stride = 2>",
      "#attn.and<[#attn.causal, #attn.or<[#attn.sinks<count = 4>, "
      "#attn.window<left = 37>]>]>"};
  for (const char *text : masks) {
    KernelSpec spec = specWith(text, "4", "2");
    auto mask = cast<MaskAttrInterface>(parseAttribute(text, &context));
    for (int64_t seq : {1, 63, 300, 517})
      for (auto [blockQ, blockKV] :
           {std::pair<int64_t, int64_t>{64, 64}, {128, 128}, {128, 64}}) {
        std::optional<int64_t> area =
            visitedTileArea(spec, blockQ, blockKV, seq, seq);
        ASSERT_TRUE(area.has_value()) << text;
        EXPECT_EQ(*area, bruteForceArea(mask, 4, 2, seq, blockQ, blockKV))
            << text << " at " << seq << " with " << blockQ << "x" << blockKV;
      }
  }
}

TEST_F(VisitedTileAreaTest, NarrowBlocksVisitMoreWithWideTiles) {
  // What sm_90a's tile choice rests on: S2's 64-key blocks strided by 8
  // leave half of each 128-key tile masked, a causal mask does not.
  KernelSpec s2 = specWith("#attn.s2<block = 64, local = 16, stride = 8>", "8", "8");
  KernelSpec causal = specWith("#attn.causal", "8", "8");
  auto ratio = [](const KernelSpec &spec) {
    return static_cast<double>(*visitedTileArea(spec, 128, 128, 16384, 16384)) /
           static_cast<double>(*visitedTileArea(spec, 64, 64, 16384, 16384));
  };
  EXPECT_GT(ratio(s2), 1.4);
  EXPECT_LT(ratio(causal), 1.01);
}

TEST_F(VisitedTileAreaTest, UnknownWhereVisitsNeedRunTimeData) {
  EXPECT_FALSE(visitedTileArea(specWith("#attn.documents<operand = 0, layout = ids, causal = true>",
                               "4", "4", "tensor<?x?xi32>"),
                               64, 64, 1000, 1000));
  EXPECT_FALSE(visitedTileArea(
      specWith("#attn.neighborhood<grid = [32, 32], kernel = [7, 7]>", "4", "4"),
      64, 64, 1024, 1024));
}

} // namespace
