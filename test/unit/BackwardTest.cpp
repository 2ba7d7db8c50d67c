//===- BackwardTest.cpp - attn-differentiate against finite differences ---===//
//
// For each spec (every mask kind, every score mod, GQA, the hand-written
// cascades) at a small ragged size: evaluates the forward in float64, the
// @f_grad that attn-differentiate writes, and checks each gradient against
// central finite differences of L = sum(O * dO) along random directions
// (checkGradients, attn/Interpreter/GradientCheck.h).
// Each spec is differentiated from a different stage of the cascade
// pipeline (3-pass, 2-pass, 1-pass, tiled), so every form is covered.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Interpreter/GradientCheck.h"
#include "attn/Interpreter/Inputs.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

namespace {

struct GradientCase {
  std::string name;
  /// The forward spec (a function @f), or a path under ATTN_EXAMPLES_DIR.
  std::string source;
  /// Passes before attn-differentiate (a stage of the cascade pipeline).
  std::string stage;
  int64_t batch, seqQ, seqKV;
  /// Custom regions compute in f32 (docs/interpreter.md), so their forward
  /// is smooth only down to f32 rounding: a larger step, a looser bound.
  bool f32Regions = false;
};

std::ostream &operator<<(std::ostream &os, const GradientCase &c) {
  return os << c.name;
}

/// A spec over Q [B, 4, Sq, 4], K [B, 2, Skv, 4], V [B, 2, Skv, 3] (GQA)
/// returning O and the LSE.
std::string spec(const std::string &attributes, const std::string &dataType = "") {
  std::string types =
      "tensor<?x4x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x3xf32>";
  std::string arguments =
      "%q: tensor<?x4x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: "
      "tensor<?x2x?x3xf32>";
  std::string data;
  if (!dataType.empty()) {
    arguments += ", %d0: " + dataType;
    data = " data(%d0 : " + dataType + ")";
  }
  std::string results = "tensor<?x4x?x3xf32>, tensor<?x4x?xf32>";
  return "func.func @f(" + arguments + ") -> (" + results + ") {\n" +
         "  %o, %lse = attn.attention %q, %k, %v" + data + " {" + attributes +
         "} : " + types + " -> " + results + "\n" +
         "  return %o, %lse : " + results + "\n}\n";
}

/// A mask region and a score region (a soft-cap written as arithmetic, then
/// an ALiBi-like index term).
const char *kCustomRegions = R"mlir(
func.func @f(%q: tensor<?x4x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x3xf32>) -> (tensor<?x4x?x3xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v : tensor<?x4x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x3xf32> -> tensor<?x4x?x3xf32>, tensor<?x4x?xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %r = arith.remui %j, %c3 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = arith.constant 6.250000e-02 : f32
    %cap = arith.constant 2.0 : f32
    %distance = arith.subi %i, %j : index
    %distance_i64 = arith.index_cast %distance : index to i64
    %distance_f32 = arith.sitofp %distance_i64 : i64 to f32
    %penalty = arith.mulf %distance_f32, %slope : f32
    %scaled = arith.divf %s, %cap : f32
    %t = math.tanh %scaled : f32
    %capped = arith.mulf %t, %cap : f32
    %shifted = arith.subf %capped, %penalty : f32
    attn.yield %shifted : f32
  }
  return %o, %lse : tensor<?x4x?x3xf32>, tensor<?x4x?xf32>
}
)mlir";

const char *kThreePass = "attn-decompose";
const char *kTwoPass = "attn-decompose,attn-defer-division";
const char *kOnePass =
    "attn-decompose,attn-defer-division,attn-online-softmax{tile-size=4}";
const char *kTiled = "attn-decompose,attn-defer-division,attn-online-"
                     "softmax{tile-size=4},attn-tile{block-q=3},attn-sparsify";

std::vector<GradientCase> cases() {
  return {
      {"dense", spec("scale = 0.5 : f32"), kThreePass, 2, 7, 9},
      {"causal", spec("mask = #attn.causal"), kTwoPass, 2, 7, 9},
      {"window", spec("mask = #attn.window<left = 3, right = 2>"), kOnePass, 1, 9, 9},
      {"sinks", spec("mask = #attn.or<[#attn.sinks<count = 2>, #attn.window<left = 2>]>"), kTiled, 1, 9, 9},
      {"prefix_lm", spec("mask = #attn.prefix_lm<operand = 0>", "tensor<?xi32>"), kThreePass, 2, 7, 9},
      {"documents", spec("mask = #attn.documents<operand = 0>", "tensor<?x?xi32>"), kOnePass, 2, 9, 9},
      {"documents_offsets", spec("mask = #attn.documents<operand = 0, layout = offsets>", "tensor<?xi64>"), kTiled, 1, 9, 9},
      {"s2", spec("mask = #attn.s2<block = 2, local = 2, stride = 3>"), kTwoPass, 1, 10, 10},
      {"shifted_groups", spec("mask = #attn.shifted_groups<group = 4>"), kOnePass, 1, 9, 9},
      {"star_anchor", spec("mask = #attn.star_anchor<block = 3>"), kTiled, 1, 10, 10},
      {"neighborhood", spec("mask = #attn.neighborhood<grid = [3, 3], kernel = [2, 2]>"), kThreePass, 1, 9, 9},
      {"block_list", spec("mask = #attn.block_list<operand = 0, block_q = 4, block_kv = 4>", "tensor<?x4x?x?xi32>"), kTwoPass, 1, 9, 11},
      {"block_mask", spec("mask = #attn.block_mask<operand = 0, block_q = 4, block_kv = 3>", "tensor<?x4x?x?xi8>"), kTiled, 1, 9, 11},
      {"and_causal_window", spec("mask = #attn.and<[#attn.causal, #attn.window<left = 3>]>"), kOnePass, 2, 8, 8},
      {"softcap_causal", spec("mask = #attn.causal, score_mod = #attn.softcap<2.0>"), kThreePass, 2, 7, 9},
      {"alibi", spec("score_mod = #attn.alibi<max_bias = 4.0>"), kTiled, 1, 7, 9},
      {"bias", spec("mask = #attn.causal, score_mod = #attn.bias<operand = 0>", "tensor<?x4x?x?xf32>"), kThreePass, 2, 7, 9},
      {"bias_softcap_alibi", spec("score_mod = [#attn.bias<operand = 0>, #attn.softcap<3.0>, #attn.alibi]", "tensor<?x4x?x?xf32>"), kOnePass, 1, 7, 9},
      {"custom_regions", kCustomRegions, kOnePass, 1, 9, 9, true},
      {"sigmoid", "cascades/sigmoid.mlir", "", 1, 5, 7},
      {"softmax_plus_one", "cascades/softmax_plus_one.mlir", "", 1, 5, 7},
  };
}

class BackwardTest : public ::testing::TestWithParam<GradientCase> {
protected:
  void SetUp() override {
    DialectRegistry registry;
    registry.insert<AttnDialect, arith::ArithDialect, func::FuncDialect,
                    math::MathDialect, tensor::TensorDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    registerAttnPasses();
  }
  MLIRContext context;
};

TEST_P(BackwardTest, MatchesFiniteDifferences) {
  const GradientCase &c = GetParam();
  OwningOpRef<ModuleOp> module;
  if (c.source.find("func.func") != std::string::npos) {
    module = parseSourceString<ModuleOp>(c.source, &context);
  } else {
    auto buffer = llvm::MemoryBuffer::getFile(std::string(ATTN_EXAMPLES_DIR) +
                                              "/" + c.source);
    ASSERT_TRUE(static_cast<bool>(buffer));
    module = parseSourceString<ModuleOp>((*buffer)->getBuffer(), &context);
  }
  ASSERT_TRUE(module);
  PassManager pm = PassManager::on<ModuleOp>(&context);
  std::string pipeline = c.stage.empty() ? std::string("attn-differentiate")
                                         : c.stage + ",attn-differentiate";
  ASSERT_TRUE(succeeded(
      parsePassPipeline(pipeline, pm)));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  func::FuncOp forward, backward;
  for (auto function : module->getOps<func::FuncOp>()) {
    if (function.getSymName().ends_with("_grad"))
      backward = function;
    else
      forward = function;
  }
  ASSERT_TRUE(forward && backward);
  CascadeOp cascade = *forward.getOps<CascadeOp>().begin();

  SpecOperands operands = SpecOperands::of(cascade);
  SizeRequest request{c.batch, c.seqQ, c.seqKV};
  FailureOr<ProblemSizes> sizes = bindSizes(operands, request, cascade.getLoc());
  ASSERT_TRUE(succeeded(sizes));
  FailureOr<Bindings> bindings =
      generateBindings(operands, *sizes, /*seed=*/7, cascade.getLoc());
  ASSERT_TRUE(succeeded(bindings));
  SmallVector<Tensor64> arguments = {bindings->query, bindings->key,
                                     bindings->value};
  llvm::append_range(arguments, bindings->data);

  GradientCheckOptions options;
  options.seed = 11;
  if (c.f32Regions)
    options.step = 1e-3;
  const double tolerance = c.f32Regions ? 1e-4 : 1e-8;
  FailureOr<SmallVector<GradientError>> errors =
      checkGradients(forward, backward, arguments, options);
  ASSERT_TRUE(succeeded(errors));
  // Q, K, V and every float (bias) data operand.
  unsigned expected = 3;
  for (RankedTensorType type : operands.data)
    expected += isa<FloatType>(type.getElementType());
  ASSERT_EQ(errors->size(), expected);
  for (const GradientError &error : *errors) {
    EXPECT_GT(error.norm, 0.0) << "argument #" << error.argument;
    EXPECT_LT(error.relErr, tolerance) << "argument #" << error.argument;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Specs, BackwardTest, ::testing::ValuesIn(cases()),
    [](const ::testing::TestParamInfo<GradientCase> &info) {
      return info.param.name;
    });

} // namespace
