//===- ReferenceTest.cpp - The float64 interpreter against direct formulas ===//
//
// Every mask and score rule is written again here, from docs/systems.md, as a
// lambda; attention is computed again with its own loops. The interpreter
// must agree with these to 1e-12 at ragged sizes.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Interpreter/CascadeEvaluator.h"
#include "attn/Interpreter/Compare.h"
#include "attn/Interpreter/Inputs.h"
#include "attn/Interpreter/Npy.h"
#include "attn/Interpreter/Reference.h"
#include "attn/Support/FloatBits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

namespace {

constexpr double kTolerance = 1e-12;
constexpr double kInf = std::numeric_limits<double>::infinity();

/// Sizes of one test problem.
struct Problem {
  int64_t batch, queryHeads, kvHeads, seqQ, seqKV, headDimQK, headDimV;
};

using MaskRule = std::function<bool(int64_t b, int64_t h, int64_t i, int64_t j)>;
using ScoreRule =
    std::function<double(double s, int64_t b, int64_t h, int64_t i, int64_t j)>;

struct Expected {
  std::vector<double> output, lse;
};

/// Attention computed the plain way: all scores of a row, softmax over the
/// kept ones, weights times values.
Expected directAttention(const Problem &p, const Bindings &in, double scale,
                         const MaskRule &keep, const ScoreRule &modify) {
  Expected result;
  result.output.assign(p.batch * p.queryHeads * p.seqQ * p.headDimV, 0.0);
  result.lse.assign(p.batch * p.queryHeads * p.seqQ, -kInf);
  auto q = [&](int64_t b, int64_t h, int64_t i, int64_t e) {
    return in.query.values[((b * p.queryHeads + h) * p.seqQ + i) * p.headDimQK + e];
  };
  auto k = [&](int64_t b, int64_t g, int64_t j, int64_t e) {
    return in.key.values[((b * p.kvHeads + g) * p.seqKV + j) * p.headDimQK + e];
  };
  auto v = [&](int64_t b, int64_t g, int64_t j, int64_t f) {
    return in.value.values[((b * p.kvHeads + g) * p.seqKV + j) * p.headDimV + f];
  };
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.queryHeads; ++h) {
      int64_t g = h / (p.queryHeads / p.kvHeads);
      for (int64_t i = 0; i < p.seqQ; ++i) {
        std::vector<int64_t> kept;
        std::vector<double> scores;
        for (int64_t j = 0; j < p.seqKV; ++j) {
          if (!keep(b, h, i, j))
            continue;
          double dot = 0;
          for (int64_t e = 0; e < p.headDimQK; ++e)
            dot += q(b, h, i, e) * k(b, g, j, e);
          kept.push_back(j);
          scores.push_back(modify(scale * dot, b, h, i, j));
        }
        if (kept.empty())
          continue;
        double top = *std::max_element(scores.begin(), scores.end());
        double total = 0;
        for (double s : scores)
          total += std::exp(s - top);
        int64_t row = (b * p.queryHeads + h) * p.seqQ + i;
        result.lse[row] = top + std::log(total);
        for (int64_t f = 0; f < p.headDimV; ++f) {
          double acc = 0;
          for (size_t n = 0; n < kept.size(); ++n)
            acc += std::exp(scores[n] - top) / total * v(b, g, kept[n], f);
          result.output[row * p.headDimV + f] = acc;
        }
      }
    }
  return result;
}

/// ||actual - expected|| / ||expected|| over entries finite in `expected`;
/// infinite entries must match exactly.
double relativeError(const std::vector<double> &expected,
                     const std::vector<double> &actual) {
  EXPECT_EQ(expected.size(), actual.size());
  double diff = 0, norm = 0;
  for (size_t n = 0; n < std::min(expected.size(), actual.size()); ++n) {
    if (!std::isfinite(expected[n])) {
      EXPECT_EQ(expected[n], actual[n]) << "at flat position " << n;
      continue;
    }
    diff += (actual[n] - expected[n]) * (actual[n] - expected[n]);
    norm += expected[n] * expected[n];
  }
  return norm == 0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

Tensor64 randomTensor(llvm::SmallVector<int64_t> shape, std::mt19937_64 &rng) {
  std::normal_distribution<double> normal;
  Tensor64 t{std::move(shape), {}};
  t.values.resize(numElements(t.shape));
  for (double &x : t.values)
    x = normal(rng);
  return t;
}

class ReferenceTest : public ::testing::Test {
protected:
  ReferenceTest() {
    DialectRegistry registry;
    registry.insert<AttnDialect, arith::ArithDialect, func::FuncDialect,
                    math::MathDialect, tensor::TensorDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    handler.emplace(&context, [this](Diagnostic &diag) {
      diagnostics.push_back(diag.str());
      return success();
    });
  }

  static std::string tensorType(llvm::ArrayRef<int64_t> shape,
                                llvm::StringRef element = "f32") {
    std::string text = "tensor<";
    for (int64_t extent : shape)
      text += (extent < 0 ? std::string("?") : std::to_string(extent)) + "x";
    return text + element.str() + ">";
  }

  /// Parses a one-op spec with attributes `attrs`, data operands of
  /// `dataTypes` and optional custom regions; returns its attention op.
  AttentionOp parse(const Problem &p, llvm::StringRef attrs,
                    llvm::ArrayRef<std::string> dataTypes = {},
                    llvm::StringRef regions = "", bool dynamic = false) {
    int64_t dyn = -1;
    std::string q = tensorType({dynamic ? dyn : p.batch, p.queryHeads,
                                dynamic ? dyn : p.seqQ, p.headDimQK});
    std::string k = tensorType({dynamic ? dyn : p.batch, p.kvHeads,
                                dynamic ? dyn : p.seqKV, p.headDimQK});
    std::string v = tensorType({dynamic ? dyn : p.batch, p.kvHeads,
                                dynamic ? dyn : p.seqKV, p.headDimV});
    std::string o = tensorType({dynamic ? dyn : p.batch, p.queryHeads,
                                dynamic ? dyn : p.seqQ, p.headDimV});
    std::string lse = tensorType(
        {dynamic ? dyn : p.batch, p.queryHeads, dynamic ? dyn : p.seqQ});
    std::string args = "%q: " + q + ", %k: " + k + ", %v: " + v;
    std::string dataNames, dataList;
    for (auto [index, type] : llvm::enumerate(dataTypes)) {
      args += ", %d" + std::to_string(index) + ": " + type;
      dataNames += (index ? ", %d" : "%d") + std::to_string(index);
      dataList += (index ? ", " : "") + type;
    }
    std::string data =
        dataTypes.empty() ? "" : " data(" + dataNames + " : " + dataList + ")";
    std::string source = "func.func @f(" + args + ") -> (" + o + ", " + lse +
                         ") {\n  %o, %lse = attn.attention %q, %k, %v" + data +
                         " {" + attrs.str() + "} : " + q + ", " + k + ", " + v +
                         " -> " + o + ", " + lse + " " + regions.str() +
                         "\n  return %o, %lse : " + o + ", " + lse + "\n}\n";
    module = parseSourceString<ModuleOp>(source, ParserConfig(&context));
    if (!module) {
      ADD_FAILURE() << "spec did not parse:\n"
                    << source << "\n"
                    << llvm::join(diagnostics, "\n");
      return nullptr;
    }
    AttentionOp op;
    module->walk([&](AttentionOp found) { op = found; });
    return op;
  }

  Bindings randomBindings(const Problem &p, uint64_t seed = 7) {
    std::mt19937_64 rng(seed);
    Bindings in;
    in.query = randomTensor({p.batch, p.queryHeads, p.seqQ, p.headDimQK}, rng);
    in.key = randomTensor({p.batch, p.kvHeads, p.seqKV, p.headDimQK}, rng);
    in.value = randomTensor({p.batch, p.kvHeads, p.seqKV, p.headDimV}, rng);
    return in;
  }

  /// Evaluates `op` and checks O and LSE against the direct formula.
  void expectMatches(AttentionOp op, const Problem &p, const Bindings &in,
                     const MaskRule &keep,
                     const ScoreRule &modify = [](double s, int64_t, int64_t,
                                                  int64_t, int64_t) {
                       return s;
                     }) {
    ASSERT_TRUE(op);
    FailureOr<Results> results = evaluateAttention(op, in);
    ASSERT_TRUE(succeeded(results)) << llvm::join(diagnostics, "\n");
    Expected expected =
        directAttention(p, in, op.getEffectiveScale(), keep, modify);
    EXPECT_LT(relativeError(expected.output, results->output.values),
              kTolerance);
    ASSERT_TRUE(results->lse.has_value());
    EXPECT_LT(relativeError(expected.lse, results->lse->values), kTolerance);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::vector<std::string> diagnostics;
  std::optional<ScopedDiagnosticHandler> handler;
};

// Ragged default sizes: Sq != Skv, GQA with 2 query heads per KV head.
const Problem kRagged{2, 4, 2, 13, 21, 8, 6};

bool causal(int64_t, int64_t, int64_t i, int64_t j) { return j <= i; }

//===----------------------------------------------------------------------===//
// Plain masks
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, NoMaskKeepsEverything) {
  AttentionOp op = parse(kRagged, "scale = 0.3 : f32");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t, int64_t) { return true; });
}

TEST_F(ReferenceTest, DefaultScaleIsInverseSqrtHeadDim) {
  AttentionOp op = parse(kRagged, "mask = #attn.causal");
  ASSERT_TRUE(op);
  EXPECT_DOUBLE_EQ(op.getEffectiveScale(), 1.0 / std::sqrt(8.0));
  expectMatches(op, kRagged, randomBindings(kRagged), causal);
}

TEST_F(ReferenceTest, CausalWithMoreQueriesThanKeys) {
  Problem p{1, 3, 3, 19, 7, 5, 4};
  AttentionOp op = parse(p, "mask = #attn.causal, scale = 0.5 : f32");
  expectMatches(op, p, randomBindings(p), causal);
}

TEST_F(ReferenceTest, SlidingWindow) {
  AttentionOp op = parse(kRagged, "mask = #attn.window<left = 5>");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t i, int64_t j) {
                  return j <= i && i - j < 5;
                });
}

TEST_F(ReferenceTest, TwoSidedWindow) {
  AttentionOp op = parse(kRagged, "mask = #attn.window<left = 3, right = 2>");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t i, int64_t j) {
                  return i - j < 3 && j - i <= 2;
                });
}

TEST_F(ReferenceTest, SinksWithWindow) {
  AttentionOp op = parse(
      kRagged, "mask = #attn.and<[#attn.causal, #attn.or<[#attn.sinks<count "
               "= 3>, #attn.window<left = 4>]>]>");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t i, int64_t j) {
                  return j <= i && (j < 3 || i - j < 4);
                });
}

TEST_F(ReferenceTest, PrefixLM) {
  AttentionOp op = parse(kRagged, "mask = #attn.prefix_lm<operand = 0>",
                         {"tensor<2xi32>"});
  Bindings in = randomBindings(kRagged);
  const int64_t prefix[] = {0, 17};
  in.data.push_back({{2}, {double(prefix[0]), double(prefix[1])}});
  expectMatches(op, kRagged, in, [&](int64_t b, int64_t, int64_t i, int64_t j) {
    return j <= i || j < prefix[b];
  });
}

TEST_F(ReferenceTest, DocumentIdsCausalAndNot) {
  Problem p{2, 2, 1, 17, 17, 4, 3};
  // Row 0: documents of 5, 1, 11 tokens; row 1: one document.
  std::vector<double> ids(34, 0.0);
  for (int64_t x = 0; x < 17; ++x)
    ids[x] = x < 5 ? 3 : x < 6 ? 4 : 9;
  auto doc = [&](int64_t b, int64_t x) { return ids[b * 17 + x]; };
  for (bool isCausal : {true, false}) {
    AttentionOp op = parse(
        p,
        std::string("mask = #attn.documents<operand = 0, causal = ") +
            (isCausal ? "true" : "false") + ">",
        {"tensor<?x?xi32>"}, "", /*dynamic=*/true);
    Bindings in = randomBindings(p);
    in.data.push_back({{2, 17}, ids});
    expectMatches(op, p, in, [&](int64_t b, int64_t, int64_t i, int64_t j) {
      return doc(b, i) == doc(b, j) && (!isCausal || j <= i);
    });
  }
}

TEST_F(ReferenceTest, DocumentOffsetsWithEmptyDocument) {
  // Documents [0, 3), [3, 3) (empty), [3, 10), [10, ...).
  std::vector<double> offsets = {0, 3, 3, 10};
  auto doc = [&](int64_t x) {
    int64_t d = 0;
    for (size_t n = 0; n < offsets.size(); ++n)
      if (offsets[n] <= x)
        d = n;
    return d;
  };
  AttentionOp op = parse(
      kRagged, "mask = #attn.documents<operand = 0, layout = offsets>",
      {"tensor<4xi64>"});
  Bindings in = randomBindings(kRagged);
  in.data.push_back({{4}, offsets});
  expectMatches(op, kRagged, in, [&](int64_t, int64_t, int64_t i, int64_t j) {
    return j <= i && doc(i) == doc(j);
  });
}

/// S2-Attention as docs/systems.md ("S2-Attention") states it.
MaskRule s2Rule(const Problem &p, int64_t block, int64_t local, int64_t stride,
                int64_t offset, int64_t denseHeads, bool homoHead) {
  return [=](int64_t, int64_t h, int64_t i, int64_t j) {
    if (j > i)
      return false;
    int64_t g = homoHead ? 0 : h / (p.queryHeads / p.kvHeads);
    if (g >= p.kvHeads - denseHeads)
      return true;
    int64_t sigma = std::max<int64_t>(1, stride / p.queryHeads);
    int64_t bi = i / block, bj = j / block;
    return bi - bj < local || (bj + g * sigma + offset) % stride == 0;
  };
}

TEST_F(ReferenceTest, S2Attention) {
  Problem p{1, 4, 2, 37, 37, 4, 4};
  struct Variant {
    const char *attr;
    int64_t block, local, stride, offset, dense;
    bool homo;
  } variants[] = {
      {"#attn.s2<block = 4, local = 2, stride = 3>", 4, 2, 3, 0, 0, false},
      {"#attn.s2<block = 3, local = 1, stride = 8, offset = 1>", 3, 1, 8, 1, 0,
       false},
      {"#attn.s2<block = 4, local = 1, stride = 3, dense_heads = 1>", 4, 1, 3,
       0, 1, false},
      {"#attn.s2<block = 2, local = 2, stride = 5, homo_head = true>", 2, 2, 5,
       0, 0, true},
  };
  for (const Variant &v : variants) {
    SCOPED_TRACE(v.attr);
    AttentionOp op = parse(p, std::string("mask = ") + v.attr);
    expectMatches(op, p, randomBindings(p),
                  s2Rule(p, v.block, v.local, v.stride, v.offset, v.dense,
                         v.homo));
  }
}

TEST_F(ReferenceTest, StarAttentionAnchorBlock) {
  AttentionOp op = parse(kRagged, "mask = #attn.star_anchor<block = 5>");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t i, int64_t j) {
                  return (j / 5 == i / 5 && j <= i) || j / 5 == 0;
                });
}

TEST_F(ReferenceTest, LongLoRAShiftedGroups) {
  Problem p{1, 4, 4, 23, 23, 4, 4};
  AttentionOp op = parse(p, "mask = #attn.shifted_groups<group = 6>");
  expectMatches(op, p, randomBindings(p),
                [](int64_t, int64_t h, int64_t i, int64_t j) {
                  int64_t shift = h < 2 ? 0 : 3;
                  return j <= i && (i + shift) / 6 == (j + shift) / 6;
                });
}

/// One dimension of docs/systems.md, "Neighborhood attention", written
/// from the text.
bool neighborhoodDim(int64_t xq, int64_t xk, int64_t n, int64_t k, int64_t s,
                     int64_t d, bool isCausal) {
  if (xq % d != xk % d)
    return false;
  int64_t uq = xq / d, uk = xk / d;
  int64_t groupLength = n / d + ((xq % d) < (n % d) ? 1 : 0);
  if (isCausal) {
    int64_t lead = std::min((uq / s) * s + s - 1, groupLength - 1);
    return uk <= uq && lead - uk < k;
  }
  int64_t left = k / 2, right = k / 2 + (k % 2) - 1;
  int64_t lead = std::min((uq / s) * s + (s / 2), groupLength - 1);
  int64_t centre = std::max(left, std::min(lead, groupLength - 1 - right));
  int64_t behind = centre - uk, ahead = uk - centre;
  return (behind >= 0 && behind <= left) || (ahead >= 0 && ahead <= right);
}

struct Neighborhood2D {
  int64_t rows, cols, kernelRows, kernelCols, strideRows = 1, strideCols = 1,
                                              dilationRows = 1,
                                              dilationCols = 1;
  bool causalRows = false, causalCols = false;

  std::string attr() const {
    auto flag = [](bool b) { return b ? "true" : "false"; };
    return "mask = #attn.neighborhood<grid = [" + std::to_string(rows) + ", " +
           std::to_string(cols) + "], kernel = [" +
           std::to_string(kernelRows) + ", " + std::to_string(kernelCols) +
           "], dilation = [" + std::to_string(dilationRows) + ", " +
           std::to_string(dilationCols) + "], stride = [" +
           std::to_string(strideRows) + ", " + std::to_string(strideCols) +
           "], causal = [" + flag(causalRows) + ", " + flag(causalCols) +
           "]>";
  }
  MaskRule rule() const {
    Neighborhood2D n = *this;
    return [n](int64_t, int64_t, int64_t i, int64_t j) {
      return neighborhoodDim(i / n.cols, j / n.cols, n.rows, n.kernelRows,
                             n.strideRows, n.dilationRows, n.causalRows) &&
             neighborhoodDim(i % n.cols, j % n.cols, n.cols, n.kernelCols,
                             n.strideCols, n.dilationCols, n.causalCols);
    };
  }
};

TEST_F(ReferenceTest, Neighborhood2D) {
  Neighborhood2D variants[] = {
      {6, 7, 3, 4},
      {6, 7, 3, 5, 3, 5},          // blocked (stride = kernel)
      {7, 8, 2, 3, 1, 2, 3, 2},    // dilated and strided
      {6, 7, 3, 4, 1, 2, 1, 1, true, false}, // causal rows
      {5, 9, 5, 9},                // kernel = grid: full attention
  };
  for (const Neighborhood2D &n : variants) {
    SCOPED_TRACE(n.attr());
    Problem p{1, 2, 1, n.rows * n.cols, n.rows * n.cols, 4, 3};
    expectMatches(parse(p, n.attr()), p, randomBindings(p), n.rule());
  }
}

TEST_F(ReferenceTest, NeighborhoodKeepsExactlyKernelVolume) {
  // With Q = 0 every kept score is 0, so exp(LSE) counts the kept keys.
  for (auto [rows, cols, kr, kc] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t>{6, 7, 3, 4},
        {9, 5, 7, 2},
        {4, 4, 4, 1}}) {
    Neighborhood2D n{rows, cols, kr, kc};
    SCOPED_TRACE(n.attr());
    Problem p{1, 1, 1, rows * cols, rows * cols, 2, 2};
    AttentionOp op = parse(p, n.attr());
    ASSERT_TRUE(op);
    Bindings in = randomBindings(p);
    std::fill(in.query.values.begin(), in.query.values.end(), 0.0);
    FailureOr<Results> results = evaluateAttention(op, in);
    ASSERT_TRUE(succeeded(results));
    for (double lse : results->lse->values)
      EXPECT_EQ(std::llround(std::exp(lse)), kr * kc);
    MaskRule rule = n.rule();
    for (int64_t i = 0; i < rows * cols; ++i) {
      int64_t kept = 0;
      for (int64_t j = 0; j < rows * cols; ++j)
        kept += rule(0, 0, i, j);
      EXPECT_EQ(kept, kr * kc) << "query " << i;
    }
  }
}

TEST_F(ReferenceTest, BlockListAndBlockMask) {
  Problem p{1, 2, 1, 10, 12, 4, 4};
  // Query blocks of 4 (3 of them), key blocks of 5 (3 of them).
  std::vector<double> list = {0, -1, 2, 1, -1, -1, -1, -1, -1,
                              2, 2,  -1, 1, 0, -1, 1, 1,  1};
  AttentionOp listed = parse(
      p, "mask = #attn.block_list<operand = 0, block_q = 4, block_kv = 5>",
      {"tensor<1x2x3x3xi32>"});
  Bindings in = randomBindings(p);
  in.data.push_back({{1, 2, 3, 3}, list});
  expectMatches(listed, p, in, [&](int64_t, int64_t h, int64_t i, int64_t j) {
    for (int64_t slot = 0; slot < 3; ++slot)
      if (list[(h * 3 + i / 4) * 3 + slot] == j / 5)
        return true;
    return false;
  });

  std::vector<double> bits = {1, 0, 1, 0, 0, 0, 0, 1, 1,
                              1, 1, 1, 0, 1, 0, 1, 0, 0};
  AttentionOp masked = parse(
      p, "mask = #attn.block_mask<operand = 0, block_q = 4, block_kv = 5>",
      {"tensor<1x2x3x3xi8>"});
  in.data = {{{1, 2, 3, 3}, bits}};
  expectMatches(masked, p, in, [&](int64_t, int64_t h, int64_t i, int64_t j) {
    return bits[(h * 3 + i / 4) * 3 + j / 5] != 0;
  });
}

//===----------------------------------------------------------------------===//
// Score modifications and regions
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, SoftcapThenAlibiInOrder) {
  Problem p{2, 4, 2, 11, 9, 6, 5};
  AttentionOp op = parse(p, "mask = #attn.causal, score_mod = "
                            "[#attn.softcap<2.0>, #attn.alibi<max_bias = "
                            "4.0>], scale = 0.7 : f32");
  expectMatches(op, p, randomBindings(p), causal,
                [&](double s, int64_t, int64_t h, int64_t i, int64_t j) {
                  double capped = 2.0 * std::tanh(s / 2.0);
                  double slope = std::pow(2.0, -4.0 * (h + 1) / 4.0);
                  return capped - slope * double(i - j);
                });
}

TEST_F(ReferenceTest, AlibiDefaultMaxBias) {
  Problem p{1, 8, 8, 7, 7, 4, 4};
  AttentionOp op = parse(p, "mask = #attn.causal, score_mod = #attn.alibi");
  expectMatches(op, p, randomBindings(p), causal,
                [](double s, int64_t, int64_t h, int64_t i, int64_t j) {
                  return s - std::pow(2.0, -8.0 * (h + 1) / 8.0) * (i - j);
                });
}

TEST_F(ReferenceTest, BiasBroadcastsBatchAndHeads) {
  std::mt19937_64 rng(3);
  for (auto [batchDim, headDim] :
       {std::pair<int64_t, int64_t>{1, 4}, {2, 1}}) {
    Tensor64 values = randomTensor({batchDim, headDim, 13, 21}, rng);
    AttentionOp op = parse(kRagged, "score_mod = #attn.bias<operand = 0>",
                           {tensorType({batchDim, headDim, 13, 21})});
    Bindings in = randomBindings(kRagged);
    in.data.push_back(values);
    expectMatches(op, kRagged, in,
                  [](int64_t, int64_t, int64_t, int64_t) { return true; },
                  [&](double s, int64_t b, int64_t h, int64_t i, int64_t j) {
                    int64_t bb = batchDim == 1 ? 0 : b;
                    int64_t hh = headDim == 1 ? 0 : h;
                    return s + values.values[((bb * headDim + hh) * 13 + i) *
                                                 21 +
                                             j];
                  });
  }
}

TEST_F(ReferenceTest, CustomRegionsAndTheMaskAttributeCombine) {
  AttentionOp op = parse(kRagged, "mask = #attn.window<left = 8>", {}, R"(mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c3 = arith.constant 3 : index
    %c0 = arith.constant 0 : index
    %r = arith.remui %j, %c3 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %half = arith.constant 5.000000e-01 : f32
    %hf = arith.index_cast %h : index to i64
    %hs = arith.sitofp %hf : i64 to f32
    %t = arith.mulf %hs, %half : f32
    %r = arith.addf %s, %t : f32
    attn.yield %r : f32
  })");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t i, int64_t j) {
                  return j <= i && i - j < 8 && j % 3 != 0;
                },
                // Region arithmetic is in its declared type (f32).
                [](double s, int64_t, int64_t h, int64_t, int64_t) {
                  return static_cast<double>(static_cast<float>(s) +
                                             static_cast<float>(0.5 * h));
                });
}

// Issue 16: a score region rounding through bf16 was the identity in the
// reference; results of float ops now have their declared type.
TEST_F(ReferenceTest, RegionTruncfRoundsToItsType) {
  AttentionOp op = parse(kRagged, "", {}, R"(score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %n = arith.truncf %s : f32 to bf16
    %w = arith.extf %n : bf16 to f32
    attn.yield %w : f32
  })");
  expectMatches(op, kRagged, randomBindings(kRagged),
                [](int64_t, int64_t, int64_t, int64_t) { return true; },
                [](double s, int64_t, int64_t, int64_t, int64_t) {
                  return ::attn::support::widenHalf(
                      ::attn::support::roundToHalf(static_cast<float>(s),
                                                   ::attn::support::kBF16),
                      ::attn::support::kBF16);
                });
}

// Issue 16: tensor.dim in a region was accepted by the code generators and
// refused by the reference.
TEST_F(ReferenceTest, RegionTensorDimIsEvaluated) {
  AttentionOp op = parse(kRagged, "", {"tensor<?xf32>"}, R"(mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %n = tensor.dim %d0, %c0 : tensor<?xf32>
    %keep = arith.cmpi slt, %j, %n : index
    attn.yield %keep : i1
  })");
  Bindings in = randomBindings(kRagged);
  in.data.push_back({{7}, std::vector<double>(7, 1.0)});
  expectMatches(op, kRagged, in,
                [](int64_t, int64_t, int64_t, int64_t j) { return j < 7; });
}

// Issue 16: scale = 1e38 gave NaN in every f32 kernel while the float64
// reference computed a softmax; scores beyond 2^127 are now reported.
TEST_F(ReferenceTest, ScoresBeyondTheF32RangeAreReported) {
  AttentionOp op = parse(kRagged, "scale = 1.0e38 : f32");
  EXPECT_TRUE(failed(evaluateAttention(op, randomBindings(kRagged))));
  EXPECT_TRUE(llvm::any_of(diagnostics, [](const std::string &d) {
    return d.find("beyond +-2^127 where kernels computing scores in f32 "
                  "overflow") != std::string::npos;
  })) << llvm::join(diagnostics, "\n");

  // A score region overflowing f32 gives +inf, as in a kernel: an error.
  diagnostics.clear();
  AttentionOp region = parse(kRagged, "", {}, R"(score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %big = arith.constant 3.0e38 : f32
    %t = arith.mulf %s, %big : f32
    attn.yield %t : f32
  })");
  EXPECT_TRUE(failed(evaluateAttention(region, randomBindings(kRagged))));
  EXPECT_FALSE(diagnostics.empty());
}

// Issue 16: decreasing document offsets were used as if sorted.
TEST_F(ReferenceTest, DecreasingOffsetsAreRefused) {
  AttentionOp op = parse(
      kRagged, "mask = #attn.documents<operand = 0, layout = offsets>",
      {"tensor<3xi64>"});
  Bindings in = randomBindings(kRagged);
  in.data.push_back({{3}, {100.0, 50.0, 0.0}});
  EXPECT_TRUE(failed(evaluateAttention(op, in)));
  EXPECT_TRUE(llvm::any_of(diagnostics, [](const std::string &d) {
    return d.find("offsets (data operand #0) must not decrease, but entry 1 "
                  "is 50 after 100") != std::string::npos;
  })) << llvm::join(diagnostics, "\n");
}

//===----------------------------------------------------------------------===//
// Heads, empty rows, bad bindings
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, GroupedAndMultiQueryHeadMapping) {
  for (int64_t kvHeads : {6, 3, 2, 1}) {
    Problem p{2, 6, kvHeads, 5, 8, 4, 3};
    SCOPED_TRACE("Hkv = " + std::to_string(kvHeads));
    expectMatches(parse(p, "mask = #attn.causal"), p, randomBindings(p),
                  causal);
  }
}

TEST_F(ReferenceTest, HeadMappingIsBlockwiseNotInterleaved) {
  // K and V are zero except in KV head 1; query heads 2 and 3 (group 1 under
  // h / (Hq / Hkv)) see it, heads 1 and 3 would under h % Hkv.
  Problem p{1, 4, 2, 3, 3, 2, 1};
  AttentionOp op = parse(p, "");
  ASSERT_TRUE(op);
  Bindings in = randomBindings(p);
  std::fill(in.value.values.begin(), in.value.values.end(), 0.0);
  for (int64_t j = 0; j < 3; ++j)
    in.value.values[3 + j] = 1.0;
  FailureOr<Results> results = evaluateAttention(op, in);
  ASSERT_TRUE(succeeded(results));
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 3; ++i)
      EXPECT_NEAR(results->output.values[h * 3 + i], h >= 2 ? 1.0 : 0.0, 1e-15)
          << "head " << h;
}

TEST_F(ReferenceTest, FullyMaskedRowsGiveZeroAndMinusInfinity) {
  // window<left = 1> keeps only j == i: queries past Skv keep nothing.
  Problem p{1, 2, 1, 10, 6, 3, 4};
  AttentionOp op = parse(p, "mask = #attn.window<left = 1>");
  ASSERT_TRUE(op);
  Bindings in = randomBindings(p);
  FailureOr<Results> results = evaluateAttention(op, in);
  ASSERT_TRUE(succeeded(results));
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 10; ++i) {
      double lse = results->lse->values[h * 10 + i];
      for (int64_t f = 0; f < 4; ++f) {
        double o = results->output.values[(h * 10 + i) * 4 + f];
        EXPECT_FALSE(std::isnan(o));
        if (i >= 6)
          EXPECT_EQ(o, 0.0);
        else // One key kept: O is exactly its value row.
          EXPECT_EQ(o, in.value.values[i * 4 + f]);
      }
      if (i >= 6)
        EXPECT_EQ(lse, -kInf);
      else
        EXPECT_TRUE(std::isfinite(lse));
    }
}

TEST_F(ReferenceTest, RejectsBindingsThatDoNotFitTheTypes) {
  AttentionOp op = parse(kRagged, "mask = #attn.causal");
  ASSERT_TRUE(op);
  Bindings in = randomBindings(kRagged);
  in.key.shape[2] = 20;
  in.key.values.resize(numElements(in.key.shape));
  EXPECT_TRUE(failed(evaluateAttention(op, in)));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_NE(diagnostics.back().find("dimension 2"), std::string::npos)
      << diagnostics.back();

  Bindings nan = randomBindings(kRagged);
  nan.value.values[5] = std::nan("");
  EXPECT_TRUE(failed(evaluateAttention(op, nan)));
  EXPECT_NE(diagnostics.back().find("non-finite"), std::string::npos);
}

TEST_F(ReferenceTest, RejectsDataTooSmallForTheMaskAtBoundSizes) {
  Problem p{2, 2, 1, 9, 9, 4, 4};
  AttentionOp op = parse(p, "mask = #attn.documents<operand = 0>",
                         {"tensor<?x?xi32>"}, "", /*dynamic=*/true);
  ASSERT_TRUE(op);
  Bindings in = randomBindings(p);
  in.data.push_back({{2, 8}, std::vector<double>(16, 0.0)});
  EXPECT_TRUE(failed(evaluateAttention(op, in)));
  EXPECT_TRUE(llvm::any_of(diagnostics, [](const std::string &d) {
    return d.find("dimension 1 is 8 but must be 9") != std::string::npos;
  })) << llvm::join(diagnostics, "\n");
}

//===----------------------------------------------------------------------===//
// Input generation and sizes
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, BindSizesChecksFlagsAgainstStaticSizes) {
  Problem p{2, 4, 2, 13, 21, 8, 6};
  AttentionOp op = parse(p, "mask = #attn.causal");
  ASSERT_TRUE(op);
  SpecOperands spec = SpecOperands::of(op);
  FailureOr<ProblemSizes> sizes = bindSizes(spec, {}, op.getLoc());
  ASSERT_TRUE(succeeded(sizes));
  EXPECT_EQ(sizes->seqKV, 21);
  EXPECT_TRUE(failed(bindSizes(spec, {std::nullopt, 12, std::nullopt},
                               op.getLoc())));
  EXPECT_NE(diagnostics.back().find("conflicts with the static query sequence "
                                    "length 13"),
            std::string::npos)
      << diagnostics.back();

  // parse() replaces the module, so `op` is gone from here on (reading its
  // location was a heap-use-after-free that AddressSanitizer reported).
  AttentionOp dynamicOp =
      parse(p, "mask = #attn.causal", {}, "", /*dynamic=*/true);
  op = dynamicOp;
  SpecOperands dynamicSpec = SpecOperands::of(dynamicOp);
  EXPECT_TRUE(failed(bindSizes(dynamicSpec, {std::nullopt, 4, std::nullopt},
                               op.getLoc())));
  EXPECT_NE(diagnostics.back().find("pass --batch"), std::string::npos);
  sizes = bindSizes(dynamicSpec, {3, 4, std::nullopt}, op.getLoc());
  ASSERT_TRUE(succeeded(sizes));
  EXPECT_EQ(sizes->seqKV, 4) << "Skv defaults to Sq";
  EXPECT_TRUE(failed(bindSizes(dynamicSpec, {0, 4, 4}, op.getLoc())));
  EXPECT_TRUE(failed(bindSizes(dynamicSpec, {1 << 20, 1 << 20, 1 << 20},
                               op.getLoc())));
  EXPECT_NE(diagnostics.back().find("limit"), std::string::npos);
}

TEST_F(ReferenceTest, GeneratedInputsAreSeededAndRounded) {
  std::string source =
      "func.func @f(%q: tensor<2x4x13x8xbf16>, %k: tensor<2x2x21x8xbf16>, "
      "%v: tensor<2x2x21x6xbf16>) -> tensor<2x4x13x6xbf16> {\n"
      "  %o = attn.attention %q, %k, %v : tensor<2x4x13x8xbf16>, "
      "tensor<2x2x21x8xbf16>, tensor<2x2x21x6xbf16> -> tensor<2x4x13x6xbf16>\n"
      "  return %o : tensor<2x4x13x6xbf16>\n}\n";
  module = parseSourceString<ModuleOp>(source, ParserConfig(&context));
  ASSERT_TRUE(module);
  AttentionOp op;
  module->walk([&](AttentionOp found) { op = found; });
  SpecOperands spec = SpecOperands::of(op);
  FailureOr<ProblemSizes> sizes = bindSizes(spec, {}, op.getLoc());
  ASSERT_TRUE(succeeded(sizes));
  FailureOr<Bindings> a = generateBindings(spec, *sizes, 5, op.getLoc());
  FailureOr<Bindings> b = generateBindings(spec, *sizes, 5, op.getLoc());
  FailureOr<Bindings> c = generateBindings(spec, *sizes, 6, op.getLoc());
  ASSERT_TRUE(succeeded(a) && succeeded(b) && succeeded(c));
  EXPECT_EQ(a->query.values, b->query.values);
  EXPECT_NE(a->query.values, c->query.values);
  EXPECT_EQ(a->key.shape, (llvm::SmallVector<int64_t>{2, 2, 21, 8}));
  double sum = 0, squares = 0;
  for (double x : a->query.values) {
    // Every value is a bf16: it survives a round trip through bf16 unchanged.
    llvm::APFloat rounded(x);
    bool losesInfo;
    rounded.convert(llvm::APFloat::BFloat(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    EXPECT_FALSE(losesInfo) << x;
    sum += x;
    squares += x * x;
  }
  double n = double(a->query.values.size());
  EXPECT_LT(std::fabs(sum / n), 0.15);
  EXPECT_NEAR(squares / n, 1.0, 0.2);
}

TEST_F(ReferenceTest, GeneratedDataIsValidForItsReader) {
  Problem p{3, 2, 1, 40, 40, 4, 4};
  AttentionOp op = parse(
      p,
      "mask = #attn.or<[#attn.documents<operand = 0>, #attn.prefix_lm<operand "
      "= 1>, #attn.block_list<operand = 2, block_q = 8, block_kv = 6>, "
      "#attn.block_mask<operand = 3, block_q = 16, block_kv = 8>, "
      "#attn.documents<operand = 4, layout = offsets>]>",
      {"tensor<?x?xi32>", "tensor<?xi64>", "tensor<?x2x?x?xi32>",
       "tensor<?x2x?x?xi32>", "tensor<?xi32>"},
      "", /*dynamic=*/true);
  ASSERT_TRUE(op);
  SpecOperands spec = SpecOperands::of(op);
  for (uint64_t seed : {1, 2, 3, 4}) {
    FailureOr<ProblemSizes> sizes = bindSizes(spec, {3, 40, 40}, op.getLoc());
    ASSERT_TRUE(succeeded(sizes));
    FailureOr<Bindings> in = generateBindings(spec, *sizes, seed, op.getLoc());
    ASSERT_TRUE(succeeded(in)) << llvm::join(diagnostics, "\n");
    const Tensor64 &ids = in->data[0];
    ASSERT_EQ(ids.shape, (llvm::SmallVector<int64_t>{3, 40}));
    for (int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(ids.values[b * 40], 0.0);
      for (int64_t x = 1; x < 40; ++x)
        EXPECT_LE(ids.values[b * 40 + x - 1], ids.values[b * 40 + x]);
    }
    for (double length : in->data[1].values)
      EXPECT_TRUE(length >= 0 && length <= 40 && length == std::trunc(length));
    const Tensor64 &list = in->data[2];
    ASSERT_EQ(list.shape.size(), 4u);
    EXPECT_EQ(list.shape[2], 5); // ceil(40 / 8)
    int64_t keyBlocks = 7;       // ceil(40 / 6)
    int64_t slots = list.shape[3];
    for (int64_t row = 0; row < 3 * 2 * 5; ++row) {
      std::set<double> seen;
      bool hasOwn = false;
      int64_t own = std::min<int64_t>((row % 5) * 8 / 6, keyBlocks - 1);
      for (int64_t s = 0; s < slots; ++s) {
        double entry = list.values[row * slots + s];
        if (entry < 0) {
          EXPECT_EQ(entry, -1.0);
          continue;
        }
        EXPECT_LT(entry, keyBlocks);
        EXPECT_TRUE(seen.insert(entry).second) << "duplicate " << entry;
        hasOwn |= entry == own;
      }
      EXPECT_TRUE(hasOwn) << "row " << row;
    }
    const Tensor64 &bits = in->data[3];
    ASSERT_EQ(bits.shape, (llvm::SmallVector<int64_t>{3, 2, 3, 5}));
    for (int64_t row = 0; row < 3 * 2 * 3; ++row) {
      for (int64_t kb = 0; kb < 5; ++kb) {
        double bit = bits.values[row * 5 + kb];
        EXPECT_TRUE(bit == 0 || bit == 1);
      }
      EXPECT_EQ(bits.values[row * 5 + (row % 3) * 16 / 8], 1.0);
    }
    const Tensor64 &offsets = in->data[4];
    ASSERT_EQ(offsets.shape.size(), 1u);
    ASSERT_GE(offsets.shape[0], 2);
    EXPECT_EQ(offsets.values[0], 0.0);
    for (size_t d = 1; d < offsets.values.size(); ++d) {
      EXPECT_LE(offsets.values[d - 1], offsets.values[d]);
      EXPECT_LE(offsets.values[d], 40.0);
    }
    EXPECT_TRUE(succeeded(evaluateAttention(op, *in)));
  }
}

TEST_F(ReferenceTest, GenerationRejectsConflictingReaders) {
  Problem p{2, 2, 1, 2, 2, 4, 4};
  AttentionOp op = parse(p,
                         "mask = #attn.and<[#attn.documents<operand = 0, "
                         "layout = offsets>, #attn.prefix_lm<operand = 0>]>",
                         {"tensor<2xi32>"});
  ASSERT_TRUE(op);
  SpecOperands spec = SpecOperands::of(op);
  FailureOr<ProblemSizes> sizes = bindSizes(spec, {}, op.getLoc());
  ASSERT_TRUE(succeeded(sizes));
  EXPECT_TRUE(failed(generateBindings(spec, *sizes, 0, op.getLoc())));
  EXPECT_NE(diagnostics.back().find("is read by both"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// .npy files and comparison
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Cascades beyond softmax (examples/cascades), against their formulas
//===----------------------------------------------------------------------===//

/// Parses an example spec file and returns its cascade.
CascadeOp parseExampleCascade(MLIRContext &context, OwningOpRef<ModuleOp> &module,
                              llvm::StringRef name) {
  std::string path = std::string(ATTN_EXAMPLES_DIR) + "/cascades/" + name.str();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return nullptr;
  }
  module = parseSourceString<ModuleOp>((*buffer)->getBuffer(),
                                       ParserConfig(&context));
  if (!module) {
    ADD_FAILURE() << path << " did not parse";
    return nullptr;
  }
  CascadeOp op;
  module->walk([&](CascadeOp found) { op = found; });
  return op;
}

TEST_F(ReferenceTest, SigmoidAttentionCascade) {
  // examples/cascades/sigmoid.mlir: 8 heads, D = 64, scale 1/8, bias
  // -log(1024), causal; no normalisation over the keys.
  CascadeOp op = parseExampleCascade(context, module, "sigmoid.mlir");
  ASSERT_TRUE(op);
  Problem p{2, 8, 8, 13, 21, 64, 64};
  Bindings in = randomBindings(p, 11);
  FailureOr<Results> results = evaluateCascade(op, in);
  ASSERT_TRUE(succeeded(results)) << llvm::join(diagnostics, "\n");
  std::vector<double> expected(p.batch * p.queryHeads * p.seqQ * p.headDimV);
  auto at = [&](const Tensor64 &t, int64_t b, int64_t h, int64_t i,
                int64_t d) {
    return t.values[((b * t.shape[1] + h) * t.shape[2] + i) * t.shape[3] + d];
  };
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.queryHeads; ++h)
      for (int64_t i = 0; i < p.seqQ; ++i)
        for (int64_t j = 0; j <= std::min(i, p.seqKV - 1); ++j) {
          double s = 0;
          for (int64_t e = 0; e < p.headDimQK; ++e)
            s += at(in.query, b, h, i, e) * at(in.key, b, h, j, e);
          double weight = 1.0 / (1.0 + std::exp(-(0.125 * s - std::log(1024.0))));
          for (int64_t f = 0; f < p.headDimV; ++f)
            expected[((b * p.queryHeads + h) * p.seqQ + i) * p.headDimV + f] +=
                weight * at(in.value, b, h, j, f);
        }
  EXPECT_LT(relativeError(expected, results->output.values), kTolerance);
}

TEST_F(ReferenceTest, SoftmaxPlusOneCascade) {
  // examples/cascades/softmax_plus_one.mlir: 16 query heads on 4 KV heads,
  // D = 128, causal; P = exp(S) / (1 + sum exp(S)), LSE = log(1 + sum).
  CascadeOp op = parseExampleCascade(context, module, "softmax_plus_one.mlir");
  ASSERT_TRUE(op);
  Problem p{1, 16, 4, 13, 21, 128, 128};
  Bindings in = randomBindings(p, 12);
  // Scores large enough that some rows give the virtual key little weight
  // and others much.
  for (double &x : in.query.values)
    x *= 3.0;
  FailureOr<Results> results = evaluateCascade(op, in);
  ASSERT_TRUE(succeeded(results)) << llvm::join(diagnostics, "\n");
  ASSERT_TRUE(results->lse.has_value());
  std::vector<double> output(p.batch * p.queryHeads * p.seqQ * p.headDimV);
  std::vector<double> lse(p.batch * p.queryHeads * p.seqQ);
  auto at = [&](const Tensor64 &t, int64_t b, int64_t h, int64_t i,
                int64_t d) {
    return t.values[((b * t.shape[1] + h) * t.shape[2] + i) * t.shape[3] + d];
  };
  double scale = 1.0 / std::sqrt(128.0);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.queryHeads; ++h) {
      int64_t g = h / 4;
      for (int64_t i = 0; i < p.seqQ; ++i) {
        int64_t row = (b * p.queryHeads + h) * p.seqQ + i;
        double denominator = 1.0;
        std::vector<double> numerator(p.headDimV, 0.0);
        for (int64_t j = 0; j <= std::min(i, p.seqKV - 1); ++j) {
          double s = 0;
          for (int64_t e = 0; e < p.headDimQK; ++e)
            s += at(in.query, b, h, i, e) * at(in.key, b, g, j, e);
          double w = std::exp(scale * s);
          denominator += w;
          for (int64_t f = 0; f < p.headDimV; ++f)
            numerator[f] += w * at(in.value, b, g, j, f);
        }
        for (int64_t f = 0; f < p.headDimV; ++f)
          output[row * p.headDimV + f] = numerator[f] / denominator;
        lse[row] = std::log(denominator);
      }
    }
  EXPECT_LT(relativeError(output, results->output.values), kTolerance);
  EXPECT_LT(relativeError(lse, results->lse->values), kTolerance);
}

TEST(NpyTest, RoundTripsEveryDType) {
  Tensor64 tensor{{2, 3}, {0.5, -1.25, 3.0, 0.0, 7.0, -2.0}};
  for (NpyDType dtype : {NpyDType::F16, NpyDType::F32, NpyDType::F64,
                         NpyDType::I32, NpyDType::I64}) {
    SCOPED_TRACE(npyDescriptor(dtype).str());
    Tensor64 input = tensor;
    if (isIntegerDType(dtype))
      input.values = {1, -2, 3, 0, 2147483647, -5};
    llvm::Expected<std::string> bytes = serializeNpy(input, dtype);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    EXPECT_EQ((bytes->find('\n') + 1) % 64, 0u) << "data must be aligned";
    llvm::Expected<NpyArray> array = parseNpy(*bytes, "t.npy", 1 << 20);
    ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
    EXPECT_EQ(array->dtype, dtype);
    EXPECT_EQ(array->tensor.shape, input.shape);
    EXPECT_EQ(array->tensor.values, input.values);
  }
  Tensor64 vector{{3}, {1, 2, 3}};
  llvm::Expected<std::string> bytes = serializeNpy(vector, NpyDType::F64);
  ASSERT_TRUE(bool(bytes));
  EXPECT_NE(bytes->find("'shape': (3,)"), std::string::npos);
}

std::string npyWithHeader(llvm::StringRef header, size_t dataBytes) {
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += char(header.size() & 0xff);
  bytes += char(header.size() >> 8);
  bytes += header.str();
  bytes.append(dataBytes, '\0');
  return bytes;
}

TEST(NpyTest, RejectsWhatItDoesNotRead) {
  struct Case {
    std::string bytes;
    const char *reason;
  } cases[] = {
      {"not numpy at all", "bad magic"},
      {npyWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                     8),
       "unsupported dtype '>f4'"},
      {npyWithHeader("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
                     4),
       "unsupported dtype '<u2'"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                     8),
       "Fortran-order"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                     8),
       "needs 12"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }",
                     8),
       "malformed"},
      {npyWithHeader("{'descr': '<f8', 'fortran_order': False}", 8),
       "must give"},
      {npyWithHeader(
           "{'descr': '<f8', 'fortran_order': False, 'shape': (99999, 99999)}",
           8),
       "limit"},
      {std::string("\x93NUMPY\x01\x00\x40", 9), "truncated"},
  };
  for (const Case &c : cases) {
    llvm::Expected<NpyArray> array = parseNpy(c.bytes, "t.npy", 1 << 20);
    ASSERT_FALSE(bool(array)) << c.reason;
    std::string message = llvm::toString(array.takeError());
    EXPECT_NE(message.find(c.reason), std::string::npos) << message;
  }
}

TEST(CompareTest, RelativeErrorAndMaskedRows) {
  Results reference{{{1, 1, 2, 2}, {3, 4, 0, 0}}, Tensor64{{1, 1, 2}, {1.0, -kInf}}};
  Comparison same = compareResults(reference, reference, 0.0);
  EXPECT_TRUE(same.passed);
  EXPECT_EQ(same.maxRelErr, 0.0);

  Results shifted = reference;
  shifted.output.values[0] += 0.05; // ||diff|| / ||ref|| = 0.05 / 5
  Comparison close = compareResults(reference, shifted, 0.02);
  EXPECT_TRUE(close.passed);
  EXPECT_NEAR(close.outputRelErr, 0.01, 1e-15);
  EXPECT_FALSE(compareResults(reference, shifted, 0.005).passed);

  Results unmasked = reference;
  unmasked.lse->values[1] = 0.5;
  Comparison misplaced = compareResults(reference, unmasked, 1.0);
  EXPECT_FALSE(misplaced.passed);
  ASSERT_EQ(misplaced.problems.size(), 1u);

  Results nan = reference;
  nan.output.values[2] = std::nan("");
  EXPECT_FALSE(compareResults(reference, nan, 1.0).passed);

  ResultSummary summary = summarize(reference);
  EXPECT_EQ(summary.rows, 2);
  EXPECT_EQ(summary.fullyMaskedRows, 1);
  EXPECT_EQ(summary.nanCount, 0);
  EXPECT_EQ(summary.maxAbsOutput, 4.0);
}

} // namespace
