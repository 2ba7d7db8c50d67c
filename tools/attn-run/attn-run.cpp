//===- attn-run.cpp - Run attention specs and compare results -------------===//
//
// attn-run SPEC.mlir --target ref [--batch B] [--seq-q SQ] [--seq-kv SKV]
//                    [--seed S | --inputs DIR] [--function NAME]
//                    [--equivalent OTHER.mlir [--tolerance T]] [--dump DIR]
//                    [--gradients [--tolerance T]]
// attn-run BUNDLE --target host|cuda|hip [--batch B] [--seq-q SQ] [--seq-kv SKV]
//                    [--seed S | --inputs DIR] [--function NAME] [--device N]
//                    [--check [--tolerance T] | --runs N [--useful-density X]
//                    [--time-preparation]]
// attn-run BUNDLE --target host --check --gradients [--function NAME]
//                    [--batch B] [--seq-q SQ] [--seq-kv SKV] [--seed S]
//                    [--tolerance T]
// attn-run BUNDLE --target cuda --gradients [--check [--tolerance T] |
//                    --runs N] [--function NAME] [--batch B] [--seq-q SQ]
//                    [--seq-kv SKV] [--seed S | --inputs DIR] [--device N]
//
// `--target ref` evaluates the spec with the float64 reference interpreter.
// The compiled targets run a bundle through the runtime (support/, shared
// with the MLIR-free attn-run of attn-run-standalone.cpp); the spec the
// bundle carries supplies their inputs, reference and density
// (CompilerOracle.cpp).
//
//===----------------------------------------------------------------------===//
#include "CompilerOracle.h"
#include "GradientRun.h"
#include "attn/Dialect/AttnDialect.h"
#include "attn/Interpreter/Compare.h"
#include "attn/Interpreter/EntryPoint.h"
#include "attn/Interpreter/GradientCheck.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;
namespace cl = llvm::cl;

namespace {
enum class Target { Reference, Host, Cuda, Hip };

cl::OptionCategory category("attn-run options");

cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                               cl::desc("<spec.mlir>"), cl::cat(category));
cl::opt<Target> target(
    "target", cl::Required, cl::desc("Where to run the spec"),
    cl::values(clEnumValN(Target::Reference, "ref",
                          "the float64 reference interpreter"),
               clEnumValN(Target::Host, "host",
                          "the host binary of a compiled bundle (the "
                          "positional argument), through the attn runtime"),
               clEnumValN(Target::Cuda, "cuda",
                          "the CUDA binary of a compiled bundle for the "
                          "device, through the attn runtime"),
               clEnumValN(Target::Hip, "hip",
                          "the HSACO of a compiled bundle for the ROCm "
                          "device's architecture, through the attn runtime "
                          "and libamdhip64.so ($ATTN_HIP_LIBRARY)")),
    cl::cat(category));
cl::opt<std::string> functionName(
    "function",
    cl::desc("Function to run (default: the first with an attn.attention or "
             "attn.cascade)"),
    cl::value_desc("name"), cl::cat(category));
cl::opt<int64_t> batch("batch", cl::desc("Batch size B"), cl::value_desc("N"),
                       cl::cat(category));
cl::opt<int64_t> seqQ("seq-q", cl::desc("Query sequence length Sq"),
                      cl::value_desc("N"), cl::cat(category));
cl::opt<int64_t>
    seqKV("seq-kv",
          cl::desc("Key/value sequence length Skv (default: Sq when dynamic)"),
          cl::value_desc("N"), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the generated inputs"),
                       cl::init(0), cl::cat(category));
cl::opt<std::string>
    inputsDirectory("inputs",
                    cl::desc("Read q.npy, k.npy, v.npy, data<N>.npy from this "
                             "directory instead of generating inputs (host, "
                             "cuda, hip: and the expected o.npy, lse.npy if "
                             "present)"),
                    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string>
    dumpDirectory("dump",
                  cl::desc("Write the inputs and the results (o.npy, "
                           "lse.npy) to this directory"),
                  cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> equivalentPath(
    "equivalent",
    cl::desc("Also run this spec on the same inputs and compare the results"),
    cl::value_desc("other.mlir"), cl::cat(category));
cl::opt<bool> gradients(
    "gradients",
    cl::desc("--target ref: derive the backward (attn-decompose, "
             "attn-differentiate) and check each gradient against finite "
             "differences of sum(O * dO); tolerance 1e-6 unless given. "
             "--target host --check: run the bundle's forward kernel and its "
             "backward <name>_grad (grad=true) and compare dq, dk, dv with "
             "the float64 backward; tolerance 1e-5 (f32) or 1e-2. "
             "--target cuda: run the forward kernel and its backward on the "
             "GPU; with --check compare dq, dk, dv with the bundle's host "
             "binary on the same inputs and repeat the backward to show it "
             "bit-identical, else time the backward"),
    cl::cat(category));
cl::opt<double> tolerance("tolerance",
                          cl::desc("Largest relative error that passes"),
                          cl::init(1e-12), cl::cat(category));
cl::opt<bool> check("check",
                    cl::desc("--target host/cuda/hip: compare with --inputs' "
                             "o.npy, else the float64 reference (small "
                             "problems), else (cuda, hip) the bundle's host "
                             "binary, and print max_rel_err and PASS/FAIL "
                             "(default tolerance 1e-5 for f32, 1e-2 for "
                             "bf16/f16); without it, time the kernel"),
                    cl::cat(category));
cl::opt<bool> allowArbitraryRegionData(
    "allow-arbitrary-region-data",
    cl::desc("--check: accept generated (arbitrary) values for data "
             "operands that only a custom region reads"),
    cl::cat(category));
cl::opt<unsigned> runs("runs",
                       cl::desc("--target host/cuda/hip without --check: "
                                "timed runs whose median is reported "
                                "(default 10 on the host, 30 and at least 20 "
                                "on cuda, 30 on hip)"),
                       cl::cat(category));
cl::opt<double> usefulDensity(
    "useful-density",
    cl::desc("Without --check: the fraction of (b, h, i, j) the mask keeps, "
             "for useful TFLOP/s (default: counted from the spec)"),
    cl::value_desc("x"), cl::cat(category));
cl::opt<bool> timePreparation(
    "time-preparation",
    cl::desc("Without --check, for kernels reading a key summary "
             "(attn-compile mask-prep=kernel): time the preparation kernel "
             "<name>_prep alone (every call runs it before the kernel, which "
             "the default timing includes)"),
    cl::cat(category));
cl::opt<int> deviceOrdinal("device", cl::desc("--target cuda/hip: the device"),
                           cl::init(0), cl::cat(category));
} // namespace

static void printError(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "attn-run") << message << "\n";
}

/// Parses `path` into a module. The buffer goes into `sourceMgr` so that
/// diagnostics quote the offending line.
static OwningOpRef<ModuleOp> parseSpec(StringRef path,
                                       llvm::SourceMgr &sourceMgr,
                                       MLIRContext &context) {
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(path, &errorMessage);
  if (!file) {
    printError(errorMessage);
    return nullptr;
  }
  StringRef text = file->getBuffer();
  // A bundle is binary: say what it is rather than quote its bytes.
  if (text.size() >= 8 && text.substr(4, 4) == "ATNB") {
    printError(path + " is an attn bundle (a compiled kernel), not a spec: "
                      "run it with --target host, cuda or hip (attn-bundle-info "
                      "shows what it holds)");
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceString<ModuleOp>(text, ParserConfig(&context), path);
}

static FailureOr<EntryPoint> loadEntryPoint(ModuleOp module) {
  FailureOr<func::FuncOp> function = findEntryFunction(module, functionName);
  if (failed(function))
    return failure();
  return analyzeEntryPoint(*function);
}

static std::string formatDouble(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.6g", value);
  return text;
}

static void printSummary(const EntryPoint &entry, const ProblemSizes &sizes,
                         const Bindings &inputs, const Results &results) {
  llvm::raw_ostream &os = llvm::outs();
  func::FuncOp function = entry.function;
  os << "function @" << function.getSymName() << ": B=" << sizes.batch
     << " Hq=" << sizes.queryHeads << " Hkv=" << sizes.kvHeads
     << " Sq=" << sizes.seqQ << " Skv=" << sizes.seqKV
     << " E=" << sizes.headDimQK << " F=" << sizes.headDimV << "\n";
  os << "inputs: q" << formatShape(inputs.query.shape) << " k"
     << formatShape(inputs.key.shape) << " v" << formatShape(inputs.value.shape);
  for (auto [index, data] : llvm::enumerate(inputs.data))
    os << " data" << index << formatShape(data.shape);
  os << "\n";
  os << "outputs: o" << formatShape(results.output.shape);
  if (results.lse)
    os << " lse" << formatShape(results.lse->shape);
  os << "\n";
  ResultSummary summary = summarize(results);
  os << "mean_abs_o=" << formatDouble(summary.meanAbsOutput)
     << " max_abs_o=" << formatDouble(summary.maxAbsOutput) << "\n";
  if (summary.fullyMaskedRows)
    os << "fully_masked_rows=" << *summary.fullyMaskedRows << " of "
       << summary.rows << "\n";
  os << "nan_count=" << summary.nanCount << "\n";
}

static void printComparison(const Comparison &comparison) {
  llvm::raw_ostream &os = llvm::outs();
  os << "o_rel_err=" << formatDouble(comparison.outputRelErr);
  if (comparison.lseRelErr)
    os << " lse_rel_err=" << formatDouble(*comparison.lseRelErr);
  os << "\n";
  for (const std::string &problem : comparison.problems)
    os << "problem: " << problem << "\n";
  os << "max_rel_err=" << formatDouble(comparison.maxRelErr) << "\n";
  os << (comparison.passed ? "PASS" : "FAIL") << "\n";
}

/// The sizes the user asked for; unset flags defer to the spec or files.
static SizeRequest sizeRequest() {
  SizeRequest request;
  if (batch.getNumOccurrences())
    request.batch = batch;
  if (seqQ.getNumOccurrences())
    request.seqQ = seqQ;
  if (seqKV.getNumOccurrences())
    request.seqKV = seqKV;
  return request;
}

/// Replaces every spec function by its cascade and adds its @<name>_grad.
static LogicalResult differentiate(ModuleOp module) {
  PassManager pm = PassManager::on<ModuleOp>(module.getContext());
  pm.addPass(createAttnDecompose());
  pm.addPass(createAttnDifferentiate());
  return pm.run(module);
}

static int checkGradientsOf(EntryPoint entry, ModuleOp module,
                            ArrayRef<Tensor64> arguments) {
  std::string name = (entry.function.getSymName() + "_grad").str();
  auto backward = module.lookupSymbol<func::FuncOp>(name);
  if (!backward) {
    printError("attn-differentiate wrote no @" + name);
    return 1;
  }
  GradientCheckOptions options;
  options.seed = seed;
  FailureOr<SmallVector<GradientError>> errors =
      checkGradients(entry.function, backward, arguments, options);
  if (failed(errors))
    return 1;
  double bound = tolerance.getNumOccurrences() ? tolerance : 1e-6;
  double worst = 0;
  bool passed = true;
  llvm::raw_ostream &os = llvm::outs();
  for (const GradientError &error : *errors) {
    static const char *const names[] = {"q", "k", "v"};
    std::string argument =
        error.argument < 3 ? names[error.argument]
                           : "data" + std::to_string(error.argument - 3);
    os << "d" << argument << ": norm=" << formatDouble(error.norm)
       << " fd_rel_err=" << formatDouble(error.relErr) << "\n";
    worst = std::max(worst, error.relErr);
    passed &= error.relErr <= bound && error.norm > 0;
  }
  os << "max_rel_err=" << formatDouble(worst) << "\n"
     << (passed ? "PASS" : "FAIL") << "\n";
  return passed ? 0 : 1;
}

static int runReference(MLIRContext &context, llvm::SourceMgr &sourceMgr) {
  OwningOpRef<ModuleOp> module = parseSpec(inputPath, sourceMgr, context);
  if (!module)
    return 1;
  if (gradients && failed(differentiate(*module)))
    return 1;
  FailureOr<EntryPoint> entry = loadEntryPoint(*module);
  if (failed(entry))
    return 1;
  Location loc = entry->function.getLoc();

  FailureOr<Bindings> inputs = failure();
  FailureOr<ProblemSizes> sizes = failure();
  if (!inputsDirectory.empty()) {
    inputs = loadBindings(inputsDirectory, entry->operands, loc);
    if (failed(inputs))
      return 1;
    sizes = sizesOfBindings(*inputs, sizeRequest(), loc);
  } else {
    sizes = bindSizes(entry->operands, sizeRequest(), loc);
    if (succeeded(sizes))
      inputs = generateBindings(entry->operands, *sizes, seed, loc);
  }
  if (failed(sizes) || failed(inputs))
    return 1;

  if (gradients) {
    SmallVector<Tensor64> arguments = {inputs->query, inputs->key,
                                       inputs->value};
    llvm::append_range(arguments, inputs->data);
    return checkGradientsOf(*entry, *module, arguments);
  }

  FailureOr<Results> results = evaluateEntryPoint(*entry, *inputs);
  if (failed(results))
    return 1;
  if (!dumpDirectory.empty() &&
      failed(dumpRun(dumpDirectory, entry->operands, *inputs, *results, loc)))
    return 1;

  if (equivalentPath.empty()) {
    printSummary(*entry, *sizes, *inputs, *results);
    if (summarize(*results).nanCount != 0) {
      printError("the reference produced NaN");
      return 1;
    }
    return 0;
  }

  OwningOpRef<ModuleOp> otherModule =
      parseSpec(equivalentPath, sourceMgr, context);
  if (!otherModule)
    return 1;
  FailureOr<EntryPoint> other = loadEntryPoint(*otherModule);
  if (failed(other))
    return 1;
  FunctionType type = entry->function.getFunctionType();
  FunctionType otherType = other->function.getFunctionType();
  if (type != otherType) {
    other->function.emitError()
        << "--equivalent needs identical signatures, but @"
        << entry->function.getSymName() << " in " << inputPath << " has type "
        << type << " and @" << other->function.getSymName() << " has type "
        << otherType;
    return 1;
  }
  FailureOr<Results> otherResults = evaluateEntryPoint(*other, *inputs);
  if (failed(otherResults))
    return 1;
  Comparison comparison = compareResults(*results, *otherResults, tolerance);
  printComparison(comparison);
  return comparison.passed ? 0 : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-run: run an attention spec and check its results\n\n"
      "  --target ref runs the float64 reference interpreter on seeded\n"
      "  random (or --inputs) tensors and prints a summary, or with\n"
      "  --equivalent compares two specs and prints max_rel_err and\n"
      "  PASS/FAIL (exit 1 on FAIL).\n");

  if (!(tolerance >= 0.0) || !std::isfinite(tolerance)) {
    printError("--tolerance must be finite and >= 0, got " +
               formatDouble(tolerance));
    return 1;
  }
  if (target == Target::Reference && !inputsDirectory.empty() &&
      seed.getNumOccurrences()) {
    printError("--seed chooses generated inputs; it cannot be combined with "
               "--inputs");
    return 1;
  }
  bool bundleTarget = target == Target::Host || target == Target::Cuda ||
                      target == Target::Hip;
  if (tolerance.getNumOccurrences() && equivalentPath.empty() &&
      !gradients && !(bundleTarget && check)) {
    printError("--tolerance applies only with --equivalent, --gradients or "
               "--target host/cuda/hip --check");
    return 1;
  }
  bool bundleGradients = gradients && target == Target::Host && check;
  bool cudaGradients = gradients && target == Target::Cuda;
  if (gradients && !bundleGradients && !cudaGradients &&
      (bundleTarget || !equivalentPath.empty() || !dumpDirectory.empty())) {
    printError("--gradients applies to --target ref (without --equivalent "
               "and --dump), to --target host --check and to --target cuda");
    return 1;
  }
  if (bundleGradients &&
      (!inputsDirectory.empty() || allowArbitraryRegionData)) {
    printError("--target host --check --gradients generates its inputs: "
               "--inputs and --allow-arbitrary-region-data do not apply");
    return 1;
  }
  if (!bundleTarget &&
      (check.getNumOccurrences() || runs.getNumOccurrences() ||
       usefulDensity.getNumOccurrences() ||
       deviceOrdinal.getNumOccurrences())) {
    printError("--check, --runs, --useful-density and --device apply only "
               "to --target host, cuda and hip");
    return 1;
  }
  if (bundleTarget && (!dumpDirectory.empty() || !equivalentPath.empty())) {
    printError("--dump and --equivalent apply to --target ref (--target "
               "host, cuda and hip compare with the reference themselves)");
    return 1;
  }
  if (allowArbitraryRegionData && !(bundleTarget && check)) {
    printError("--allow-arbitrary-region-data applies only to --target "
               "host/cuda/hip --check");
    return 1;
  }
  if (check && (usefulDensity.getNumOccurrences() ||
                (runs.getNumOccurrences() && !cudaGradients))) {
    printError("--runs and --useful-density apply only without --check "
               "(--runs with --target cuda --gradients --check: backward "
               "runs compared)");
    return 1;
  }
  if (timePreparation && (!bundleTarget || check || gradients)) {
    printError("--time-preparation times a bundle's preparation kernel: it "
               "applies only to --target host, cuda and hip without --check "
               "and --gradients");
    return 1;
  }
  if (runs.getNumOccurrences() && !check && runs < (target == Target::Cuda
                                              ? ::attn::run::kMinCudaRuns
                                              : 1u)) {
    printError("--runs must be >= " +
               Twine(target == Target::Cuda ? ::attn::run::kMinCudaRuns : 1) +
               (target == Target::Cuda ? " for --target cuda (the median of "
                                         "at least that many runs)"
                                       : ""));
    return 1;
  }
  if (usefulDensity.getNumOccurrences() &&
      !(usefulDensity > 0.0 && usefulDensity <= 1.0)) {
    printError("--useful-density must be in (0, 1], got " +
               formatDouble(usefulDensity));
    return 1;
  }
  if (deviceOrdinal < 0 ||
      (deviceOrdinal.getNumOccurrences() && target != Target::Cuda &&
       target != Target::Hip)) {
    printError("--device must be >= 0 and applies only to --target cuda and "
               "hip");
    return 1;
  }

  DialectRegistry registry;
  registry.insert<AttnDialect, arith::ArithDialect, func::FuncDialect,
                  math::MathDialect, tensor::TensorDialect>();
  MLIRContext context(registry);
  context.disableMultithreading();
  // Diagnostics quote the spec's line; a dump of the generic op adds noise.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  switch (target) {
  case Target::Reference:
    return runReference(context, sourceMgr);
  case Target::Host:
  case Target::Cuda:
  case Target::Hip: {
    if (bundleGradients) {
      GradientRunRequest request;
      request.bundlePath = inputPath;
      request.kernelName = functionName;
      request.sizes = sizeRequest();
      request.seed = seed;
      if (tolerance.getNumOccurrences())
        request.tolerance = tolerance;
      return runHostGradients(request, context, sourceMgr);
    }
    ::attn::run::RunRequest request;
    request.bundlePath = inputPath;
    request.kernelName = functionName;
    request.target = target == Target::Host   ? ::attn::run::Target::Host
                     : target == Target::Cuda ? ::attn::run::Target::Cuda
                                              : ::attn::run::Target::Hip;
    SizeRequest sizes = sizeRequest();
    request.batch = sizes.batch;
    request.seqQ = sizes.seqQ;
    request.seqKV = sizes.seqKV;
    request.seed = seed;
    request.inputsDirectory = inputsDirectory;
    request.check = check;
    request.gradients = cudaGradients;
    request.allowArbitraryRegionData = allowArbitraryRegionData;
    request.timePreparation = timePreparation;
    if (tolerance.getNumOccurrences())
      request.tolerance = tolerance;
    if (runs.getNumOccurrences())
      request.runs = runs;
    if (usefulDensity.getNumOccurrences())
      request.usefulDensity = usefulDensity;
    request.device = deviceOrdinal;
    ::attn::run::OracleFactory oracle =
        [&](const ::attn::bundle::Bundle &model,
            const ::attn::bundle::Kernel &kernel) {
          return makeCompilerOracle(model, kernel, inputPath, context,
                                    sourceMgr);
        };
    return ::attn::run::runBundle(request, &oracle);
  }
  }
  llvm_unreachable("unknown target");
}
