//===- CompilerOracle.cpp - The spec behind a bundle, for attn-run --------===//
#include "CompilerOracle.h"

#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Interpreter/Compare.h"
#include "attn/Interpreter/EntryPoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "attn/Interpreter/Inputs.h"
#include "attn/Interpreter/Reference.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;
namespace run = ::attn::run;
namespace bundle = ::attn::bundle;

namespace {
class CompilerOracle final : public run::SpecOracle {
public:
  CompilerOracle(OwningOpRef<ModuleOp> module, EntryPoint entry,
                 const bundle::Kernel &kernel)
      : module(std::move(module)), entry(std::move(entry)), kernel(kernel) {}

  bool generateInputs(uint64_t seed, run::Problem &problem) override {
    FailureOr<Bindings> bindings = generateBindings(
        entry.operands, sizesOf(problem), seed, entry.function.getLoc());
    if (failed(bindings))
      return false;
    for (auto [arg, array] : llvm::zip_equal(kernel.args, problem.arguments))
      if (Tensor64 *tensor = bound(*bindings, arg.name)) {
        // Data operands' own sizes are the generator's choice.
        array.shape.assign(tensor->shape.begin(), tensor->shape.end());
        array.values = std::move(tensor->values);
      }
    return true;
  }

  Outcome reference(const run::Problem &problem,
                    run::ExpectedOutputs &expected) override {
    const run::ProblemSizes &sizes = problem.sizes;
    // Products with overflow checks: a wrapped product must not pass.
    std::optional<int64_t> scores = ::attn::support::checkedElementCount(
        {sizes.batch, sizes.queryHeads, sizes.seqQ, sizes.seqKV});
    if (!scores || *scores > kMaxScores)
      return Outcome::TooLarge;
    int64_t elements = 0;
    for (const run::Array &array : problem.arguments) {
      std::optional<int64_t> count =
          ::attn::support::checkedElementCount(array.shape);
      if (!count || llvm::AddOverflow(elements, *count, elements))
        return Outcome::TooLarge;
    }
    if (elements > kMaxTensorElements)
      return Outcome::TooLarge;
    FailureOr<Results> results =
        evaluateEntryPoint(entry, bindingsOf(problem, /*dataOnly=*/false));
    if (failed(results))
      return Outcome::Failed;
    expected.output = arrayOf(std::move(results->output));
    if (results->lse)
      expected.lse = arrayOf(std::move(*results->lse));
    expected.source = "the float64 reference";
    return Outcome::Computed;
  }

  std::optional<double> density(const run::Problem &problem) override {
    auto attention = dyn_cast<AttentionOp>(entry.producer);
    const run::ProblemSizes &sizes = problem.sizes;
    int64_t total = sizes.batch * sizes.queryHeads * sizes.seqQ * sizes.seqKV;
    if (!attention || total == 0)
      return std::nullopt;
    Bindings inputs = bindingsOf(problem, /*dataOnly=*/true);
    EffectiveMaskTiling tiling(attention);
    BindingsDataReader reader(inputs.data);
    TilingContext ctx;
    ctx.batch = sizes.batch;
    ctx.queryHeads = sizes.queryHeads;
    ctx.kvHeads = sizes.kvHeads;
    ctx.seqQ = sizes.seqQ;
    ctx.seqKV = sizes.seqKV;
    ctx.data = &reader;
    int64_t kept = 0;
    for (int64_t b = 0; b < sizes.batch; ++b)
      for (int64_t h = 0; h < sizes.queryHeads; ++h)
        for (int64_t queryTile = 0; queryTile < ctx.numQueryTiles();
             ++queryTile)
          for (int64_t keyTile = 0; keyTile < ctx.numKeyTiles(); ++keyTile) {
            std::optional<int64_t> count =
                tiling.countKept(ctx, b, h, ctx.tile(queryTile, keyTile));
            if (!count)
              return std::nullopt; // a custom region not countable per tile
            kept += *count;
          }
    return static_cast<double>(kept) / static_cast<double>(total);
  }

  bool validData(const run::Problem &problem) override {
    auto attention = dyn_cast<AttentionOp>(entry.producer);
    if (!attention)
      return true; // cascades: evaluateCascade checks what it reads
    return succeeded(
        checkInputs(attention, bindingsOf(problem, /*dataOnly=*/false)));
  }

  std::vector<std::string> regionOnlyData() override {
    std::vector<std::string> names;
    FailureOr<SmallVector<unsigned>> operands =
        regionOnlyDataOperands(entry.operands, entry.function.getLoc());
    if (succeeded(operands))
      for (unsigned index : *operands)
        names.push_back("data" + std::to_string(index));
    return names;
  }

private:
  static ProblemSizes sizesOf(const run::Problem &problem) {
    const run::ProblemSizes &s = problem.sizes;
    ProblemSizes sizes;
    sizes.batch = s.batch;
    sizes.queryHeads = s.queryHeads;
    sizes.kvHeads = s.kvHeads;
    sizes.seqQ = s.seqQ;
    sizes.seqKV = s.seqKV;
    sizes.headDimQK = s.headDimQK;
    sizes.headDimV = s.headDimV;
    return sizes;
  }

  /// The binding of argument `name` (q, k, v, data<N>), or null.
  static Tensor64 *bound(Bindings &bindings, StringRef name) {
    if (name == "q")
      return &bindings.query;
    if (name == "k")
      return &bindings.key;
    if (name == "v")
      return &bindings.value;
    unsigned index = 0;
    if (name.consume_front("data") && !name.getAsInteger(10, index) &&
        index < bindings.data.size())
      return &bindings.data[index];
    return nullptr;
  }

  /// The problem's inputs as reference bindings (copies); `dataOnly` leaves
  /// q, k and v empty.
  Bindings bindingsOf(const run::Problem &problem, bool dataOnly) const {
    Bindings bindings;
    bindings.data.resize(entry.operands.data.size());
    for (auto [arg, array] : llvm::zip_equal(kernel.args, problem.arguments)) {
      StringRef name = arg.name;
      if (dataOnly && !name.starts_with("data"))
        continue;
      if (Tensor64 *tensor = bound(bindings, name)) {
        tensor->shape.assign(array.shape.begin(), array.shape.end());
        tensor->values = array.values;
      }
    }
    return bindings;
  }

  static run::Array arrayOf(Tensor64 &&tensor) {
    run::Array array;
    array.shape.assign(tensor.shape.begin(), tensor.shape.end());
    array.values = std::move(tensor.values);
    return array;
  }

  OwningOpRef<ModuleOp> module;
  EntryPoint entry;
  const bundle::Kernel &kernel;
};
} // namespace

std::unique_ptr<run::SpecOracle> mlir::attn::makeCompilerOracle(
    const bundle::Bundle &model, const bundle::Kernel &kernel,
    const std::string &bundlePath, MLIRContext &context,
    llvm::SourceMgr &sourceMgr) {
  if (model.specSource.empty()) {
    run::printError("bundle " + bundlePath +
                    " does not carry its spec, so there is no reference to "
                    "run; rebuild it with attn-opt --attn-compile");
    return nullptr;
  }
  // The spec's diagnostics quote lines of the embedded text.
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(model.specSource,
                                           bundlePath + ":spec"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return nullptr;
  FailureOr<func::FuncOp> function = findEntryFunction(*module, kernel.name);
  if (failed(function))
    return nullptr;
  FailureOr<EntryPoint> entry = analyzeEntryPoint(*function);
  if (failed(entry))
    return nullptr;
  return std::make_unique<CompilerOracle>(std::move(module), std::move(*entry),
                                          kernel);
}
