//===- EntryPoint.cpp - The function a reference run executes -------------===//
#include "attn/Interpreter/EntryPoint.h"
#include "attn/Interpreter/CascadeEvaluator.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

static bool isProducer(Operation *op) {
  return isa_and_present<AttentionOp, CascadeOp>(op);
}

FailureOr<func::FuncOp>
mlir::attn::interpreter::findEntryFunction(ModuleOp module, StringRef name) {
  if (!name.empty()) {
    auto function = module.lookupSymbol<func::FuncOp>(name);
    if (!function)
      return emitError(module.getLoc())
             << "no function named @" << name << " in the module";
    if (function.isExternal())
      return function.emitError()
             << "@" << name << " is a declaration without a body";
    return function;
  }
  for (func::FuncOp function : module.getOps<func::FuncOp>()) {
    WalkResult found = function.walk([](Operation *op) {
      return isProducer(op) ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (found.wasInterrupted())
      return function;
  }
  return emitError(module.getLoc())
         << "no function in the module contains an attn.attention or "
            "attn.cascade op";
}

FailureOr<EntryPoint>
mlir::attn::interpreter::analyzeEntryPoint(func::FuncOp function) {
  StringRef name = function.getSymName();
  Region &body = function.getBody();
  if (!body.hasOneBlock())
    return function.emitError()
           << "@" << name << " must have a single block to be run by attn-run";
  auto ret = dyn_cast<func::ReturnOp>(body.front().getTerminator());
  Operation *producer = ret && ret.getNumOperands() > 0
                            ? ret.getOperand(0).getDefiningOp()
                            : nullptr;
  if (!isProducer(producer))
    return function.emitError()
           << "@" << name
           << " must return the output of an attn.attention or attn.cascade "
              "op to be run by attn-run";

  // The function returns a prefix of (output, lse) of the producer.
  ResultRange results = producer->getResults();
  if (ret.getNumOperands() > std::min<size_t>(results.size(), 2) ||
      !llvm::equal(ret.getOperands(),
                   results.take_front(ret.getNumOperands())))
    return ret.emitError() << "@" << name
                           << " must return (output) or (output, lse) of one "
                              "attn.attention or attn.cascade op";

  SmallVector<Value> operands;
  SpecOperands spec;
  if (auto attention = dyn_cast<AttentionOp>(producer)) {
    operands = {attention.getQuery(), attention.getKey(),
                attention.getValue()};
    llvm::append_range(operands, attention.getData());
    spec = SpecOperands::of(attention);
  } else {
    auto cascade = cast<CascadeOp>(producer);
    if (cascade.getInputs().size() != 3)
      return cascade.emitError()
             << "attn-run runs cascades whose inputs are (query, key, "
                "value), but this one has "
             << cascade.getInputs().size() << " inputs";
    llvm::append_range(operands, cascade.getInputs());
    llvm::append_range(operands, cascade.getData());
    spec = SpecOperands::of(cascade);
  }
  if (function.getNumArguments() != operands.size())
    return function.emitError()
           << "@" << name << " takes " << function.getNumArguments()
           << " argument(s) but attn-run expects (query, key, value, data...) "
              "= "
           << operands.size() << " for its " << producer->getName();
  static constexpr const char *kRoles[] = {"query", "key", "value"};
  for (auto [position, operand] : llvm::enumerate(operands)) {
    if (operand == function.getArgument(position))
      continue;
    std::string role = position < 3
                           ? std::string(kRoles[position])
                           : "data operand #" + std::to_string(position - 3);
    return producer->emitError()
           << "the " << role << " of " << producer->getName()
           << " must be argument #" << position << " of @" << name
           << " (attn-run binds arguments as query, key, value, data...)";
  }
  return EntryPoint{function, producer, std::move(spec)};
}

FailureOr<Results>
mlir::attn::interpreter::evaluateEntryPoint(const EntryPoint &entry,
                                          const Bindings &inputs) {
  if (auto attention = dyn_cast<AttentionOp>(entry.producer))
    return evaluateAttention(attention, inputs);
  return evaluateCascade(cast<CascadeOp>(entry.producer), inputs);
}
