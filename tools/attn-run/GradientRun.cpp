//===- GradientRun.cpp - attn-run --target host --check --gradients -------===//
//
// One training step's kernels on seeded random inputs: the forward kernel
// writes O and the LSE (outputs poisoned first), the backward kernel reads
// them with a random dO and writes dQ, dK, dV and the gradients of bias
// operands (all poisoned first: an element the kernel leaves unwritten
// fails the check), twice, to show the two runs agree bit for bit. The
// reference is the float64 interpreter: the forward spec, then the
// @<name>_grad that attn-differentiate derives, on the same inputs rounded
// to the kernel's element types.
//
//===----------------------------------------------------------------------===//
#include "GradientRun.h"

#include "Runner.h"
#include "attn/Interpreter/CascadeEvaluator.h"
#include "attn/Interpreter/EntryPoint.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstring>
#include <iostream>
#include <sstream>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;
namespace run = ::attn::run;
namespace bundle = ::attn::bundle;

namespace {

std::string formatValue(double value) {
  std::ostringstream stream;
  stream.precision(6);
  stream << value;
  return stream.str();
}

const bundle::Arg *findArg(const bundle::Kernel &kernel, StringRef name) {
  for (const bundle::Arg &arg : kernel.args)
    if (arg.name == name)
      return &arg;
  return nullptr;
}

/// ||candidate - reference|| / ||reference||; infinity when the candidate
/// holds a NaN or the shapes differ.
double relativeError(const std::vector<double> &candidate,
                     const Tensor64 &reference) {
  if (candidate.size() != reference.values.size())
    return INFINITY;
  double difference = 0, norm = 0;
  for (auto [x, y] : llvm::zip_equal(candidate, reference.values)) {
    if (std::isnan(x))
      return INFINITY;
    difference += (x - y) * (x - y);
    norm += y * y;
  }
  return norm == 0 ? (difference == 0 ? 0 : INFINITY)
                   : std::sqrt(difference / norm);
}

/// Host buffers for `kernel`'s arguments: inputs from `values` by name,
/// outputs poisoned. A key summary (mask-prep=kernel) is staged poisoned at
/// [B, ceil(S / 64), 2] of its ids [B, S] (its least extent), for the
/// preparation kernel launchOnHost runs first (setKeySummaryPreparation).
bool stage(const bundle::Kernel &kernel,
           const std::map<std::string, const Tensor64 *> &values,
           std::vector<run::HostBuffer> &buffers) {
  for (const bundle::Arg &arg : kernel.args) {
    auto found = values.find(arg.name);
    if (run::isKeySummary(arg)) {
      auto ids = values.find(arg.name.substr(0, arg.name.rfind('_')));
      if (ids == values.end() || ids->second->shape.size() != 2 ||
          arg.minimums.empty()) {
        run::printError("kernel '" + kernel.name + "' reads '" + arg.name +
                        "' but no ids [B, S] or least extent to size it by");
        return false;
      }
      // The least extent names the ids' length (their dimension 1).
      std::string length;
      for (const bundle::Arg &other : kernel.args)
        if (other.name == ids->first && other.dims.size() == 2)
          length = other.dims[1].symbol;
      std::optional<int64_t> chunks = arg.minimums.front().atLeast.evaluate(
          [&](const std::string &name) {
            return name == length ? ids->second->shape[1] : int64_t(0);
          });
      buffers.emplace_back(arg.dtype,
                           std::vector<int64_t>{ids->second->shape[0],
                                                chunks.value_or(0), 2});
      if (!buffers.back().allocated()) {
        run::printError("cannot allocate argument '" + arg.name + "'");
        return false;
      }
      buffers.back().poison();
      continue;
    }
    if (found == values.end()) {
      run::printError("attn-run has no tensor for argument '" + arg.name +
                      "' of kernel '" + kernel.name + "'");
      return false;
    }
    const Tensor64 &tensor = *found->second;
    std::vector<int64_t> shape(tensor.shape.begin(), tensor.shape.end());
    buffers.emplace_back(arg.dtype, shape);
    if (!buffers.back().allocated()) {
      run::printError("cannot allocate argument '" + arg.name + "'");
      return false;
    }
    if (arg.role == bundle::Role::Output)
      buffers.back().poison();
    else
      buffers.back().fill(tensor.values);
  }
  return true;
}

Tensor64 tensorOf(const run::Array &array) {
  Tensor64 tensor;
  tensor.shape.assign(array.shape.begin(), array.shape.end());
  tensor.values = array.values;
  return tensor;
}

/// Rounds `tensor` to what an argument of type `dtype` holds.
void roundTo(Tensor64 &tensor, bundle::DType dtype) {
  for (double &value : tensor.values)
    value = run::representable(value, dtype);
}

} // namespace

int mlir::attn::runHostGradients(const GradientRunRequest &request,
                                 MLIRContext &context,
                                 llvm::SourceMgr &sourceMgr) {
  bundle::Bundle model;
  std::string error;
  if (bundle::readFile(request.bundlePath, model, error) !=
      bundle::ReadStatus::Ok) {
    run::printError("cannot read bundle " + request.bundlePath + ": " + error);
    return 1;
  }
  // The forward kernel and its backward.
  const bundle::Kernel *forward = nullptr, *backward = nullptr;
  for (const bundle::Kernel &kernel : model.kernels) {
    if (!request.kernelName.empty() && kernel.name != request.kernelName)
      continue;
    for (const bundle::Kernel &other : model.kernels)
      if (other.name == kernel.name + "_grad") {
        forward = &kernel;
        backward = &other;
      }
    if (forward)
      break;
  }
  if (!forward) {
    run::printError(
        "bundle " + request.bundlePath + " has no " +
        (request.kernelName.empty() ? std::string("kernel")
                                    : "kernel '" + request.kernelName + "'") +
        " with a backward kernel <name>_grad; compile it with "
        "--attn-compile=\"targets=host grad=true ...\"");
    return 1;
  }
  if (model.specSource.empty()) {
    run::printError("bundle " + request.bundlePath +
                    " does not carry its spec, so there is no reference");
    return 1;
  }

  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(model.specSource,
                                           request.bundlePath + ":spec"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;
  PassManager pm = PassManager::on<ModuleOp>(&context);
  pm.addPass(createAttnDecompose());
  pm.addPass(createAttnDifferentiate());
  if (failed(pm.run(*module)))
    return 1;
  FailureOr<func::FuncOp> function = findEntryFunction(*module, forward->name);
  if (failed(function))
    return 1;
  FailureOr<EntryPoint> entry = analyzeEntryPoint(*function);
  if (failed(entry))
    return 1;
  auto gradient = module->lookupSymbol<func::FuncOp>(backward->name);
  if (!gradient) {
    run::printError("attn-differentiate wrote no @" + backward->name);
    return 1;
  }
  Location loc = function->getLoc();
  FailureOr<ProblemSizes> sizes =
      bindSizes(entry->operands, request.sizes, loc);
  if (failed(sizes))
    return 1;
  FailureOr<Bindings> inputs =
      generateBindings(entry->operands, *sizes, request.seed, loc);
  if (failed(inputs))
    return 1;

  // Inputs as the kernels hold them.
  std::map<std::string, Tensor64 *> named = {
      {"q", &inputs->query}, {"k", &inputs->key}, {"v", &inputs->value}};
  for (auto [position, data] : llvm::enumerate(inputs->data))
    named["data" + std::to_string(position)] = &data;
  for (auto &[name, tensor] : named)
    if (const bundle::Arg *arg = findArg(*forward, name))
      roundTo(*tensor, arg->dtype);

  FailureOr<Results> reference = evaluateEntryPoint(*entry, *inputs);
  if (failed(reference))
    return 1;
  const bundle::Arg *outputArg = findArg(*backward, "do");
  if (!outputArg) {
    run::printError("kernel '" + backward->name + "' takes no 'do'");
    return 1;
  }
  Tensor64 outputGradient;
  outputGradient.shape = reference->output.shape;
  ::attn::support::SeededRandom random(request.seed ^ 0x9e3779b97f4a7c15ull);
  for (size_t position = 0; position < reference->output.values.size();
       ++position)
    outputGradient.values.push_back(
        run::representable(2.0 * random.uniform() - 1.0, outputArg->dtype));

  SmallVector<Tensor64> backwardArguments = {inputs->query, inputs->key,
                                             inputs->value};
  llvm::append_range(backwardArguments, inputs->data);
  backwardArguments.push_back(reference->output);
  if (reference->lse)
    backwardArguments.push_back(*reference->lse);
  backwardArguments.push_back(outputGradient);
  FailureOr<SmallVector<Tensor64>> gradients =
      evaluateCascadeFunction(gradient, backwardArguments);
  if (failed(gradients))
    return 1;

  attn_bundle *loaded = nullptr;
  if (attn_bundle_load_file(request.bundlePath.c_str(), &loaded) != ATTN_OK) {
    run::printError("cannot load bundle " + request.bundlePath + ": " +
                    attn_last_error());
    return 1;
  }
  std::unique_ptr<attn_bundle, void (*)(attn_bundle *)> owner(
      loaded, attn_bundle_free);

  // The forward kernel: O and the LSE for the backward.
  std::map<std::string, const Tensor64 *> values;
  for (auto &[name, tensor] : named)
    values[name] = tensor;
  values["o"] = &reference->output;
  if (reference->lse)
    values["lse"] = &*reference->lse;
  // A key summary (mask-prep=kernel): its preparation kernel runs before
  // the forward, as for --check.
  for (auto [position, arg] : llvm::enumerate(forward->args)) {
    if (!run::isKeySummary(arg))
      continue;
    run::KeySummaryPreparation preparation;
    if (!run::findKeySummaryPreparation(model, *forward,
                                        static_cast<int>(position), preparation))
      return 1;
    run::setKeySummaryPreparation(preparation);
  }
  std::vector<run::HostBuffer> forwardBuffers;
  if (!stage(*forward, values, forwardBuffers) ||
      !run::launchOnHost(loaded, *forward, forwardBuffers))
    return 1;
  std::map<std::string, Tensor64> computed;
  for (auto [arg, buffer] : llvm::zip_equal(forward->args, forwardBuffers))
    if (arg.role == bundle::Role::Output)
      computed[arg.name] = tensorOf(buffer.read());

  for (auto &[name, tensor] : computed)
    values[name] = &tensor;
  values["do"] = &outputGradient;
  // Outputs (dq, dk, dv, then the gradients of bias operands) are staged at
  // their reference's shape, in the order @<name>_grad returns them.
  unsigned outputPosition = 0;
  for (const bundle::Arg &arg : backward->args)
    if (arg.role == bundle::Role::Output &&
        outputPosition < gradients->size())
      values[arg.name] = &(*gradients)[outputPosition++];
  std::vector<run::HostBuffer> first, second;
  if (!stage(*backward, values, first) ||
      !run::launchOnHost(loaded, *backward, first) ||
      !stage(*backward, values, second) ||
      !run::launchOnHost(loaded, *backward, second))
    return 1;

  double bound = request.tolerance.value_or(
      findArg(*forward, "q")->dtype == bundle::DType::F32 ? 1e-5 : 1e-2);
  bool passed = true;
  double worst = 0;
  auto report = [&](StringRef name, const std::vector<double> &candidate,
                    const Tensor64 &expected) {
    double error = relativeError(candidate, expected);
    std::cout << name.str() << ": rel_err=" << formatValue(error) << "\n";
    worst = std::max(worst, error);
    passed &= error <= bound;
  };
  report("o", computed["o"].values, reference->output);
  bool identical = true;
  unsigned gradientPosition = 0;
  for (auto [arg, one, other] : llvm::zip_equal(backward->args, first, second)) {
    if (arg.role != bundle::Role::Output)
      continue;
    report(arg.name, one.read().values, (*gradients)[gradientPosition++]);
    identical &= one.byteSize() == other.byteSize() &&
                 std::memcmp(one.data(), other.data(), one.byteSize()) == 0;
  }
  std::cout << "backward runs bit-identical: " << (identical ? "yes" : "no")
            << "\nmax_rel_err=" << formatValue(worst) << " (tolerance "
            << formatValue(bound) << ")\n"
            << (passed && identical ? "PASS" : "FAIL") << "\n";
  return passed && identical ? 0 : 1;
}
