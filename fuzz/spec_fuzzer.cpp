//===- spec_fuzzer.cpp - libFuzzer target: parse, verify, cascade, lower --===//
//
// One input is spec text. It is parsed and verified (every attribute
// parser and verifier, the region checks), and a module that verifies goes
// through the cascade pipeline (decompose, defer division, online softmax,
// tile, sparsify with counts), the sparsity report at small sizes and the
// host and GPU kernel emitters up to LLVM dialect / gpu IR (in-process, no
// external tools). Diagnostics are the expected outcome of bad input; a
// crash, a sanitizer report or a hang is a finding.
//
//===----------------------------------------------------------------------===//
#include "attn/Compiler/Passes.h"
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <fcntl.h>
#include <unistd.h>
#include <cstdlib>
#include <string>

using namespace mlir;

namespace {
/// Pipelines run on a copy of each verified module, each on its own copy.
const char *const kPipelines[] = {
    "builtin.module(func.func(attn-decompose,attn-defer-division,"
    "attn-online-softmax{tile-size=16},attn-tile{block-q=16},"
    "attn-sparsify{count=true seq-q=40 seq-kv=56},attn-count-passes))",
    "builtin.module(attn-report-sparsity{seq-q=40 seq-kv=56 block-q=16 "
    "block-kv=8 seed=3})",
    "builtin.module(attn-compile{targets=host emit=host-llvm block-q=8 "
    "block-kv=8})",
    "builtin.module(attn-compile{targets=sm_90 emit=gpu})",
};

struct Fuzzer {
  DialectRegistry registry;
  MLIRContext context;
  Fuzzer() : context(MLIRContext::Threading::DISABLED) {
    registry.insert<attn::AttnDialect, arith::ArithDialect, func::FuncDialect,
                    math::MathDialect, tensor::TensorDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    context.printOpOnDiagnostic(false);
    attn::registerAttnPasses();
    attn::registerCompilerPasses();
    // The sparsity report prints to stdout: keep it out of the fuzzer's log.
    int devNull = ::open("/dev/null", O_WRONLY);
    if (devNull >= 0)
      ::dup2(devNull, 1);
  }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Fuzzer *fuzzer = new Fuzzer();
  // Beyond a few KiB the parser's time dominates and nothing new is reached.
  if (size > 16384)
    return 0;
  MLIRContext &context = fuzzer->context;
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  if (!module)
    return 0;
  // Only specs with an attn.attention are worth the pipelines.
  bool hasAttention = false;
  module->walk([&](attn::AttentionOp) { hasAttention = true; });
  if (!hasAttention)
    return 0;
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>((*module)->clone()));
    PassManager pm(&context);
    std::string error;
    llvm::raw_string_ostream errors(error);
    if (failed(parsePassPipeline(pipeline, pm, errors))) {
      llvm::errs() << "bad fuzzer pipeline: " << error << "\n";
      std::abort();
    }
    (void)pm.run(*copy);
  }
  return 0;
}
