//===- AmdEmulatedMachine.cpp - The AMD kernel run on the host ------------===//
//
// The same AmdScheduleTarget code, emitted as host code: work items are
// loops, the lanes of a workgroup a lane loop that lowerLockstepLanes runs
// in lockstep, LDS a host buffer. What the GPU does across lanes goes
// through memory between barriers:
//
//   shuffle      each lane stores its value, barrier, reads its partner's;
//   matrix op    each lane stores its A and B operands, barrier, and
//                computes its own C/D registers from the instruction's
//                register tables: D[i][j] = C[i][j] + sum_k A[i][k] B[k][j],
//                reading A[i][k] and B[k][j] from the lanes that hold them
//                (where the ISA wants an operand replicated in several
//                lanes, differing copies give NaN).
//
// So a wrong register table, layout derivation, operand address or P
// shuffle gives wrong results against the interpreter, on any CPU. Each
// call site has its own exchange buffers; a call site runs again only in
// the next key tile, after the barriers that end a tile, so no lane can
// overwrite a buffer another lane has yet to read.
//
//===----------------------------------------------------------------------===//
#include "AmdMachine.h"

#include "attn/Host/LockstepLanes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::amd;
using namespace mlir::attn::schedule;

namespace {

class AmdEmulatedMachine final : public AmdMachine {
public:
  AmdEmulatedMachine(const AmdChip &chip, Type elementType, int64_t lanes,
                     func::FuncOp kernel)
      : AmdMachine(chip, elementType, lanes), kernel(kernel) {}

  void forEachWorkItem(ImplicitLocOpBuilder &b, const KernelContext &context,
                       int64_t blockQ,
                       function_ref<void(const WorkItem &)> body) override;
  void forEachLane(ImplicitLocOpBuilder &b, function_ref<void()> body) override;
  Value threadId(ImplicitLocOpBuilder &) override {
    assert(lane && "threadId outside forEachLane");
    return lane;
  }
  Value workgroupMemory(ImplicitLocOpBuilder &b, int64_t bytes) override {
    return allocate(b, MemRefType::get({bytes}, b.getI8Type()));
  }
  Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                   int64_t xorMask) override;
  void barrier(ImplicitLocOpBuilder &b) override { gpu::BarrierOp::create(b); }
  SmallVector<SmallVector<Value>>
  multiply(ImplicitLocOpBuilder &b, ArrayRef<MatrixChain> chains) override;
  Value exp2(ImplicitLocOpBuilder &b, Value x) override {
    return math::Exp2Op::create(b, x);
  }
  void finalize(Operation *) override;

private:
  Value index(ImplicitLocOpBuilder &b, int64_t value) {
    return arith::ConstantIndexOp::create(b, value);
  }
  /// An scf.for over [lower, upper) carrying one value; `body` returns the
  /// next one.
  Value loop(ImplicitLocOpBuilder &b, Value lower, Value upper, Value init,
             function_ref<Value(Value, Value)> body) {
    auto forOp = scf::ForOp::create(b, lower, upper, index(b, 1),
                                    ValueRange{init});
    Block *block = forOp.getBody();
    if (block->mightHaveTerminator())
      block->getTerminator()->erase();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(block);
    scf::YieldOp::create(
        b, body(forOp.getInductionVar(), forOp.getRegionIterArgs()[0]));
    return forOp.getResult(0);
  }
  /// A buffer allocated when the kernel starts and freed when it returns.
  Value allocate(ImplicitLocOpBuilder &b, MemRefType type);
  /// A constant i32 table of `shape` (a module-level global).
  Value table(ImplicitLocOpBuilder &b, StringRef name, ArrayRef<int64_t> shape,
              ArrayRef<int32_t> values);
  /// The operand element at (row, column) of `buffer` [lane][slot][element]
  /// for slot `slot`, from the lanes `holders` [row][column][copy] names
  /// (NaN when replicated copies differ).
  Value readOperand(ImplicitLocOpBuilder &b, Value buffer, Value holderLanes,
                    Value holderIndices, int64_t copies, Value row,
                    Value column, Value slot, Value waveBase);

  func::FuncOp kernel;
  Value lane;
  SmallVector<Value> allocations;
};

Value AmdEmulatedMachine::allocate(ImplicitLocOpBuilder &b, MemRefType type) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&kernel.getBody().front());
  Value buffer = memref::AllocOp::create(b, type);
  allocations.push_back(buffer);
  return buffer;
}

void AmdEmulatedMachine::finalize(Operation *) {
  kernel.walk([&](func::ReturnOp ret) {
    OpBuilder builder(ret);
    for (Value buffer : allocations)
      memref::DeallocOp::create(builder, ret.getLoc(), buffer);
  });
}

Value AmdEmulatedMachine::table(ImplicitLocOpBuilder &b, StringRef name,
                                ArrayRef<int64_t> shape,
                                ArrayRef<int32_t> values) {
  auto module = kernel->getParentOfType<ModuleOp>();
  std::string symbol = ("__attn_amd_" + chip.name + "_" + name).str();
  auto type = MemRefType::get(shape, b.getI32Type());
  if (!module.lookupSymbol(symbol)) {
    OpBuilder atModule = OpBuilder::atBlockBegin(module.getBody());
    auto tensorType = RankedTensorType::get(shape, b.getI32Type());
    memref::GlobalOp::create(atModule, b.getLoc(), symbol,
                             atModule.getStringAttr("private"), type,
                             DenseElementsAttr::get(tensorType, values),
                             /*constant=*/true, /*alignment=*/nullptr);
  }
  return memref::GetGlobalOp::create(b, type, symbol);
}

void AmdEmulatedMachine::forEachWorkItem(
    ImplicitLocOpBuilder &b, const KernelContext &context, int64_t blockQ,
    function_ref<void(const WorkItem &)> body) {
  Value zero = index(b, 0), one = index(b, 1);
  Value queryTiles = context.queryTiles;
  auto loop = [&](Value upper, function_ref<void(Value)> inner) {
    auto forOp = scf::ForOp::create(b, zero, upper, one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forOp.getBody()->getTerminator());
    inner(forOp.getInductionVar());
  };
  loop(context.batchSize, [&](Value batch) {
    loop(index(b, context.queryHeads), [&](Value head) {
      loop(queryTiles, [&](Value queryTile) {
        WorkItem item;
        item.batch = batch;
        item.head = head;
        item.kvHead = arith::DivUIOp::create(
            b, head, index(b, context.queryHeads / context.kvHeads));
        item.queryTile = queryTile;
        item.rowBegin = arith::MulIOp::create(b, queryTile, index(b, blockQ));
        item.rowEnd = arith::MinSIOp::create(
            b, arith::AddIOp::create(b, item.rowBegin, index(b, blockQ)),
            context.seqQ);
        body(item);
      });
    });
  });
}

void AmdEmulatedMachine::forEachLane(ImplicitLocOpBuilder &b,
                                     function_ref<void()> body) {
  Value firstLane = index(b, 0);
  Value laneCount = index(b, lanes);
  Value step = index(b, 1);
  auto laneLoop = scf::ForOp::create(b, firstLane, laneCount, step);
  laneLoop->setAttr(host::kLockstepLanesAttr, b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(laneLoop.getBody()->getTerminator());
  lane = laneLoop.getInductionVar();
  body();
  lane = Value();
}

Value AmdEmulatedMachine::shuffleXor(ImplicitLocOpBuilder &b, Value value,
                                     int64_t xorMask) {
  Type i32 = b.getI32Type();
  Value buffer = allocate(b, MemRefType::get({lanes}, i32));
  bool isFloat = value.getType().isF32();
  Value bits = isFloat ? Value(arith::BitcastOp::create(b, i32, value)) : value;
  memref::StoreOp::create(b, bits, buffer, ValueRange{lane});
  gpu::BarrierOp::create(b);
  // The partner is in the same wave: xorMask < the wave size.
  Value partner = arith::XOrIOp::create(b, lane, index(b, xorMask));
  Value moved = memref::LoadOp::create(b, buffer, ValueRange{partner});
  return isFloat ? Value(arith::BitcastOp::create(b, b.getF32Type(), moved))
                 : moved;
}

Value AmdEmulatedMachine::readOperand(ImplicitLocOpBuilder &b, Value buffer,
                                      Value holderLanes, Value holderIndices,
                                      int64_t copies, Value row, Value column,
                                      Value slot, Value waveBase) {
  Value result, differs;
  for (int64_t copy = 0; copy < copies; ++copy) {
    Value at = index(b, copy);
    auto lookup = [&](Value tableValue) -> Value {
      return arith::IndexCastOp::create(
          b, b.getIndexType(),
          memref::LoadOp::create(b, tableValue, ValueRange{row, column, at}));
    };
    Value holder = arith::AddIOp::create(b, waveBase, lookup(holderLanes));
    Value value = memref::LoadOp::create(
        b, buffer, ValueRange{holder, slot, lookup(holderIndices)});
    if (!result) {
      result = value;
      continue;
    }
    Value unequal =
        arith::CmpFOp::create(b, arith::CmpFPredicate::UNE, value, result);
    differs = differs ? Value(arith::OrIOp::create(b, differs, unequal))
                      : unequal;
  }
  if (!differs)
    return result;
  Value nan = arith::ConstantFloatOp::create(
      b, b.getF32Type(), APFloat(std::numeric_limits<float>::quiet_NaN()));
  return arith::SelectOp::create(b, differs, nan, result);
}

SmallVector<SmallVector<Value>>
AmdEmulatedMachine::multiply(ImplicitLocOpBuilder &b,
                             ArrayRef<MatrixChain> chains) {
  const MatrixInstruction &in = *chip.instruction;
  Type f32 = b.getF32Type();
  int64_t slots = 0;
  for (const MatrixChain &chain : chains)
    slots += chain.steps.size();
  Value aBuffer =
      allocate(b, MemRefType::get({lanes, slots, in.aElements}, f32));
  Value bBuffer =
      allocate(b, MemRefType::get({lanes, slots, in.bElements}, f32));

  // Every lane publishes its operands.
  int64_t slot = 0;
  for (const MatrixChain &chain : chains)
    for (const MatrixStep &step : chain.steps) {
      for (auto [operand, buffer, count] :
           {std::tuple{step.a(), aBuffer, in.aElements},
            std::tuple{step.b(), bBuffer, in.bElements}}) {
        Value wide = arith::ExtFOp::create(
            b, VectorType::get({count}, f32), operand);
        vector::StoreOp::create(b, wide, buffer,
                                ValueRange{lane, index(b, slot), index(b, 0)});
      }
      ++slot;
    }
  gpu::BarrierOp::create(b);

  // The instruction's tables.
  OperandHolders holders = operandHolders(in);
  auto holderTables = [&](const std::vector<std::vector<OperandHolders::Holder>>
                              &elements,
                          int64_t rows, int64_t columns, StringRef name,
                          int64_t &copies) {
    copies = 0;
    for (const auto &element : elements)
      copies = std::max<int64_t>(copies, element.size());
    SmallVector<int32_t> laneValues, indexValues;
    for (const auto &element : elements)
      for (int64_t copy = 0; copy < copies; ++copy) {
        // Elements held fewer times repeat their first holder.
        const OperandHolders::Holder &holder =
            element[std::min<size_t>(copy, element.size() - 1)];
        laneValues.push_back(holder.lane);
        indexValues.push_back(holder.index);
      }
    return std::pair{
        table(b, (name + "_lanes").str(), {rows, columns, copies}, laneValues),
        table(b, (name + "_indices").str(), {rows, columns, copies},
              indexValues)};
  };
  int64_t aCopies = 0, bCopies = 0;
  auto [aLanes, aIndices] = holderTables(holders.a, in.m, in.k, "a", aCopies);
  auto [bLanes, bIndices] = holderTables(holders.b, in.k, in.n, "b", bCopies);
  SmallVector<int32_t> cRows, cColumns;
  for (int64_t waveLane = 0; waveLane < in.waveSize; ++waveLane)
    for (int64_t r = 0; r < in.cElements; ++r) {
      MatrixElement element = in.c(waveLane, r);
      cRows.push_back(element.row);
      cColumns.push_back(element.column);
    }
  Value cRowTable = table(b, "c_rows", {in.waveSize, in.cElements}, cRows);
  Value cColumnTable =
      table(b, "c_columns", {in.waveSize, in.cElements}, cColumns);

  // Every lane computes its own registers.
  Value waveLane = arith::RemUIOp::create(b, lane, index(b, in.waveSize));
  Value waveBase = arith::SubIOp::create(b, lane, waveLane);
  SmallVector<SmallVector<Value>> results;
  int64_t firstSlot = 0;
  for (const MatrixChain &chain : chains) {
    SmallVector<Value> registers;
    for (int64_t r = 0; r < in.cElements; ++r) {
      auto lookup = [&](Value tableValue) -> Value {
        return arith::IndexCastOp::create(
            b, b.getIndexType(),
            memref::LoadOp::create(b, tableValue,
                                   ValueRange{waveLane, index(b, r)}));
      };
      Value row = lookup(cRowTable), column = lookup(cColumnTable);
      // sum over the chain's steps and each step's k of A[row][k] B[k][column].
      Value firstStep = index(b, firstSlot);
      Value endStep =
          index(b, firstSlot + static_cast<int64_t>(chain.steps.size()));
      Value sum = loop(
          b, firstStep, endStep,
          chain.accumulator[r], [&](Value stepSlot, Value partial) {
            Value firstK = index(b, 0);
            Value kCount = index(b, in.k);
            return loop(b, firstK, kCount, partial,
                        [&](Value k, Value inner) -> Value {
                          Value a = readOperand(b, aBuffer, aLanes, aIndices,
                                                aCopies, row, k, stepSlot,
                                                waveBase);
                          Value bValue =
                              readOperand(b, bBuffer, bLanes, bIndices,
                                          bCopies, k, column, stepSlot,
                                          waveBase);
                          return math::FmaOp::create(b, a, bValue, inner);
                        });
          });
      registers.push_back(sum);
    }
    results.push_back(std::move(registers));
    firstSlot += chain.steps.size();
  }
  return results;
}

} // namespace

std::unique_ptr<AmdMachine>
mlir::attn::amd::makeEmulatedMachine(const AmdChip &chip, Type elementType,
                                     int64_t lanes, Operation *kernel) {
  return std::make_unique<AmdEmulatedMachine>(chip, elementType, lanes,
                                              cast<func::FuncOp>(kernel));
}
