//===- LockstepLanes.cpp - GPU lanes run in lockstep on a CPU -------------===//
#include "attn/Host/LockstepLanes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::attn::host;

namespace {

class LaneFission {
public:
  LaneFission(func::FuncOp function, scf::ForOp laneLoop, int64_t lanes)
      : function(function), laneLoop(laneLoop), lanes(lanes),
        builder(laneLoop) {}

  LogicalResult run();
  /// Frees the arrays before every return of the function.
  void freeArrays();

private:
  bool containsBarrier(Operation *op);
  bool isInsideLaneLoop(Value value);
  bool isRematerializable(Value value);
  /// The array holding `value` per lane, created on first use.
  FailureOr<Value> arrayFor(Value value);
  /// `value` as seen by the lane `lane` inside a lane loop being built.
  FailureOr<Value> laneValue(Value value, Value lane, IRMapping &local);
  /// `value` outside lane loops (the structure's bounds and conditions):
  /// lane 0's.
  FailureOr<Value> uniformValue(Value value);
  /// A lane loop at the insertion point; `body` builds one lane's code.
  LogicalResult buildLaneLoop(function_ref<LogicalResult(Value)> body);

  LogicalResult transformBlock(Block &block);
  LogicalResult emitRun(Block &block, ArrayRef<Operation *> run);
  LogicalResult transformFor(scf::ForOp loop);
  LogicalResult transformIf(scf::IfOp branch);
  /// Stores the lane's `yielded` values into `arrays` (in a lane loop).
  LogicalResult copyYield(ValueRange yielded, ArrayRef<Value> arrays);

  func::FuncOp function;
  scf::ForOp laneLoop;
  int64_t lanes;
  OpBuilder builder;
  DenseMap<Value, Value> arrays;
  /// Values the same for every lane that the rewrite replaced (induction
  /// variables of loops that now run once for the workgroup).
  IRMapping uniform;
  DenseMap<Operation *, bool> barrierCache;
  SmallVector<Value> allocations;
};

} // namespace

bool LaneFission::containsBarrier(Operation *op) {
  auto found = barrierCache.find(op);
  if (found != barrierCache.end())
    return found->second;
  bool result = false;
  op->walk([&](gpu::BarrierOp) {
    result = true;
    return WalkResult::interrupt();
  });
  barrierCache[op] = result;
  return result;
}

bool LaneFission::isInsideLaneLoop(Value value) {
  Region *region = value.getParentRegion();
  if (!region)
    return false;
  Operation *parent = region->getParentOp();
  return parent == laneLoop.getOperation() ||
         laneLoop->isProperAncestor(parent);
}

bool LaneFission::isRematerializable(Value value) {
  Operation *op = value.getDefiningOp();
  return op && op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         op->getNumResults() == 1 && isMemoryEffectFree(op);
}

FailureOr<Value> LaneFission::arrayFor(Value value) {
  auto found = arrays.find(value);
  if (found != arrays.end())
    return found->second;
  Type type = value.getType();
  if (!BaseMemRefType::isValidElementType(type) || isa<MemRefType>(type))
    return emitError(value.getLoc())
           << "the lockstep lane emulation cannot keep a value of type "
           << type << " across a barrier";
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&function.getBody().front());
  Value array = memref::AllocOp::create(
      builder, value.getLoc(), MemRefType::get({lanes}, type));
  allocations.push_back(array);
  arrays[value] = array;
  return array;
}

FailureOr<Value> LaneFission::laneValue(Value value, Value lane,
                                        IRMapping &local) {
  if (Value mapped = local.lookupOrNull(value))
    return mapped;
  if (!isInsideLaneLoop(value))
    return value;
  // Everything below goes into `local`: clones read their operands there.
  Value result;
  if (value == laneLoop.getInductionVar()) {
    result = lane;
  } else if (Value mapped = uniform.lookupOrNull(value)) {
    result = mapped;
  } else if (isRematerializable(value)) {
    result = builder.clone(*value.getDefiningOp())->getResult(0);
  } else {
    auto found = arrays.find(value);
    if (found == arrays.end())
      return emitError(value.getLoc())
             << "lockstep lanes: a value crossing a barrier has no array";
    result = memref::LoadOp::create(builder, value.getLoc(), found->second,
                                    ValueRange{lane});
  }
  local.map(value, result);
  return result;
}

FailureOr<Value> LaneFission::uniformValue(Value value) {
  if (!isInsideLaneLoop(value))
    return value;
  if (Value mapped = uniform.lookupOrNull(value))
    return mapped;
  if (value == laneLoop.getInductionVar())
    return emitError(value.getLoc())
           << "lockstep lanes: control flow containing a barrier depends on "
              "the lane";
  if (isRematerializable(value))
    return builder.clone(*value.getDefiningOp())->getResult(0);
  auto found = arrays.find(value);
  if (found == arrays.end())
    return emitError(value.getLoc())
           << "lockstep lanes: a bound or condition has no array";
  Value zero = arith::ConstantIndexOp::create(builder, value.getLoc(), 0);
  return memref::LoadOp::create(builder, value.getLoc(), found->second,
                                ValueRange{zero})
      .getResult();
}

LogicalResult
LaneFission::buildLaneLoop(function_ref<LogicalResult(Value)> body) {
  Location loc = laneLoop.getLoc();
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value count = arith::ConstantIndexOp::create(builder, loc, lanes);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  auto loop = scf::ForOp::create(builder, loc, zero, count, one);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(loop.getBody()->getTerminator());
  return body(loop.getInductionVar());
}

LogicalResult LaneFission::emitRun(Block &block, ArrayRef<Operation *> run) {
  llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
  auto usedOutside = [&](Value result) {
    for (OpOperand &use : result.getUses()) {
      Operation *ancestor = block.findAncestorOpInBlock(*use.getOwner());
      if (!ancestor || !inRun.contains(ancestor))
        return true;
    }
    return false;
  };
  return buildLaneLoop([&](Value lane) -> LogicalResult {
    IRMapping local;
    for (Operation *op : run) {
      // Everything the op reads from outside itself, nested regions
      // included.
      llvm::SetVector<Value> used(op->operand_begin(), op->operand_end());
      for (Region &region : op->getRegions())
        getUsedValuesDefinedAbove(region, used);
      for (Value value : used)
        if (failed(laneValue(value, lane, local)))
          return failure();
      Operation *clone = builder.clone(*op, local);
      for (auto [result, cloned] :
           llvm::zip_equal(op->getResults(), clone->getResults())) {
        if (!usedOutside(result))
          continue;
        FailureOr<Value> array = arrayFor(result);
        if (failed(array))
          return failure();
        memref::StoreOp::create(builder, op->getLoc(), cloned, *array,
                                ValueRange{lane});
      }
    }
    return success();
  });
}

LogicalResult LaneFission::copyYield(ValueRange yielded,
                                     ArrayRef<Value> targets) {
  if (yielded.empty())
    return success();
  return buildLaneLoop([&](Value lane) -> LogicalResult {
    IRMapping local;
    // All loads first: a yielded value may be another iteration argument.
    SmallVector<Value> values;
    for (Value value : yielded) {
      FailureOr<Value> loaded = laneValue(value, lane, local);
      if (failed(loaded))
        return failure();
      values.push_back(*loaded);
    }
    for (auto [value, array] : llvm::zip_equal(values, targets))
      memref::StoreOp::create(builder, laneLoop.getLoc(), value, array,
                              ValueRange{lane});
    return success();
  });
}

LogicalResult LaneFission::transformFor(scf::ForOp loop) {
  SmallVector<Value> bounds;
  for (Value bound : {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()}) {
    FailureOr<Value> value = uniformValue(bound);
    if (failed(value))
      return failure();
    bounds.push_back(*value);
  }
  // Iteration arguments and results share one array per position.
  SmallVector<Value> carried;
  for (auto [argument, result] :
       llvm::zip_equal(loop.getRegionIterArgs(), loop.getResults())) {
    FailureOr<Value> array = arrayFor(argument);
    if (failed(array))
      return failure();
    arrays[result] = *array;
    carried.push_back(*array);
  }
  if (failed(copyYield(loop.getInitArgs(), carried)))
    return failure();
  auto rewritten = scf::ForOp::create(builder, loop.getLoc(), bounds[0],
                                      bounds[1], bounds[2]);
  uniform.map(loop.getInductionVar(), rewritten.getInductionVar());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(rewritten.getBody()->getTerminator());
  if (failed(transformBlock(*loop.getBody())))
    return failure();
  return copyYield(loop.getBody()->getTerminator()->getOperands(), carried);
}

LogicalResult LaneFission::transformIf(scf::IfOp branch) {
  FailureOr<Value> condition = uniformValue(branch.getCondition());
  if (failed(condition))
    return failure();
  SmallVector<Value> results;
  for (Value result : branch.getResults()) {
    FailureOr<Value> array = arrayFor(result);
    if (failed(array))
      return failure();
    results.push_back(*array);
  }
  bool hasElse = !branch.getElseRegion().empty();
  auto rewritten =
      scf::IfOp::create(builder, branch.getLoc(), *condition, hasElse);
  OpBuilder::InsertionGuard guard(builder);
  for (auto [from, to] : {std::pair{branch.thenBlock(), rewritten.thenBlock()},
                          std::pair{hasElse ? branch.elseBlock() : nullptr,
                                    hasElse ? rewritten.elseBlock() : nullptr}}) {
    if (!from)
      continue;
    builder.setInsertionPoint(to->getTerminator());
    if (failed(transformBlock(*from)) ||
        failed(copyYield(from->getTerminator()->getOperands(), results)))
      return failure();
  }
  return success();
}

LogicalResult LaneFission::transformBlock(Block &block) {
  SmallVector<Operation *> run;
  auto flush = [&]() -> LogicalResult {
    if (run.empty())
      return success();
    LogicalResult result = emitRun(block, run);
    run.clear();
    return result;
  };
  for (Operation &op : block.without_terminator()) {
    if (isa<gpu::BarrierOp>(op)) {
      if (failed(flush()))
        return failure();
      continue;
    }
    if (!containsBarrier(&op)) {
      run.push_back(&op);
      continue;
    }
    if (failed(flush()))
      return failure();
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (failed(transformFor(loop)))
        return failure();
    } else if (auto branch = dyn_cast<scf::IfOp>(op)) {
      if (failed(transformIf(branch)))
        return failure();
    } else {
      return op.emitError() << "the lockstep lane emulation cannot split '"
                            << op.getName() << "', which contains a barrier";
    }
  }
  return flush();
}

LogicalResult LaneFission::run() {
  if (failed(transformBlock(*laneLoop.getBody())))
    return failure();
  // Nothing outside may still read the lane loop's values.
  for (Operation *user : laneLoop.getInductionVar().getUsers())
    if (!laneLoop->isAncestor(user))
      return user->emitError() << "internal error: lockstep lanes left '"
                               << user->getName() << "' reading the lane";
  WalkResult escaped = laneLoop.getBody()->walk([&](Operation *op) {
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers())
        if (!laneLoop->isAncestor(user)) {
          user->emitError() << "internal error: lockstep lanes left '"
                            << user->getName() << "' reading '"
                            << op->getName() << "' of the lane loop";
          return WalkResult::interrupt();
        }
    return WalkResult::advance();
  });
  if (escaped.wasInterrupted())
    return failure();
  laneLoop.erase();
  return success();
}

void LaneFission::freeArrays() {
  function.walk([&](func::ReturnOp ret) {
    OpBuilder atReturn(ret);
    for (Value array : allocations)
      memref::DeallocOp::create(atReturn, ret.getLoc(), array);
  });
}

LogicalResult mlir::attn::host::lowerLockstepLanes(func::FuncOp function) {
  SmallVector<scf::ForOp> laneLoops;
  function.walk([&](scf::ForOp loop) {
    if (loop->hasAttr(kLockstepLanesAttr))
      laneLoops.push_back(loop);
  });
  for (scf::ForOp loop : laneLoops) {
    loop->removeAttr(kLockstepLanesAttr);
    std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!lower || *lower != 0 || !upper || *upper < 1 || !step || *step != 1 ||
        loop.getNumRegionIterArgs() != 0)
      return loop.emitError() << "a lane loop must run from 0 to a constant "
                                 "lane count by 1, without iteration arguments";
    bool hasBarrier = false;
    loop.walk([&](gpu::BarrierOp) { hasBarrier = true; });
    if (!hasBarrier)
      continue;
    LaneFission fission(function, loop, *upper);
    if (failed(fission.run()))
      return failure();
    fission.freeArrays();
  }
  // Barriers outside lane loops synchronize nothing on the host.
  SmallVector<gpu::BarrierOp> leftover;
  function.walk([&](gpu::BarrierOp barrier) { leftover.push_back(barrier); });
  for (gpu::BarrierOp barrier : leftover)
    barrier.erase();
  return success();
}
