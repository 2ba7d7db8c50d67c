//===- AmdScheduleTarget.cpp - The schedule on MFMA/WMMA GPUs -------------===//
#include "AmdScheduleTarget.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Schedule/KernelRewrites.h"
#include "attn/Schedule/TileProgram.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/MapVector.h"
#include <map>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::amd;
using namespace mlir::attn::schedule;

namespace {
/// Elements of one global-to-LDS copy (16 bytes of a 16-bit type).
constexpr int64_t kCopyElements = 8;
/// Head dimensions the kernels are built and checked for.
constexpr int64_t kHeadDims[] = {32, 64, 128, 256};

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// A LaneFunction of `lane` as index arithmetic.
Value emitLaneFunction(ImplicitLocOpBuilder &b, const std::vector<int64_t> &table,
                       Value lane) {
  LaneFunction function;
  bool fits = fitLaneFunction(table, function);
  assert(fits && "deriveWaveLayout checked every per-lane table");
  (void)fits;
  Value result = index(b, function.base);
  for (const LaneFunction::Run &run : function.runs) {
    Value shifted = arith::ShRUIOp::create(b, lane, index(b, run.firstBit));
    Value bits = arith::AndIOp::create(
        b, shifted, index(b, (int64_t(1) << run.bits) - 1));
    result = arith::AddIOp::create(
        b, result, arith::MulIOp::create(b, bits, index(b, run.weight)));
  }
  return result;
}

/// The alignment (bytes, at most 16) of rows `rowBytes` long starting at a
/// multiple of `columnBytes`.
unsigned rowAlignment(int64_t rowBytes, int64_t columnBytes) {
  return std::gcd(std::gcd(rowBytes, columnBytes), int64_t(16));
}
} // namespace

AmdScheduleTarget::AmdScheduleTarget(const AmdChip &chip,
                                     const WaveLayout &layout,
                                     const AmdTiling &tiling, Type elementType,
                                     AmdMachine &machine)
    : chip(chip), layout(layout), instruction(*layout.instruction),
      tiling(tiling), elementType(elementType), machine(machine) {}

int64_t AmdScheduleTarget::ldsBytes(const KernelSpec &spec) const {
  AttentionShape shape = spec.cascade.getAttentionShape();
  return ldsLayout(chip, tiling, shape.headDimQK, shape.headDimV)
      .totalBytes;
}

LogicalResult AmdScheduleTarget::checkProgram(const TileProgram &program,
                                              const KernelSpec &spec) {
  CascadeOp op = program.cascade;
  if (!elementType.isF16() && !elementType.isBF16())
    return op.emitError() << "the AMD target " << chip.name
                          << " needs f16 or bf16 inputs, got " << elementType
                          << " (its matrix instructions take 16-bit "
                          << "operands; f32 attention is not implemented "
                          << "for AMD)";
  AttentionShape shape = op.getAttentionShape();
  for (auto [name, dim] : {std::pair{"E", shape.headDimQK},
                           std::pair{"F", shape.headDimV}})
    if (!llvm::is_contained(kHeadDims, dim)) {
      InFlightDiagnostic diagnostic = op.emitError();
      diagnostic << "head dimension " << name << " = " << dim
                 << " is not supported by the AMD target " << chip.name
                 << " (supported:";
      for (int64_t candidate : kHeadDims)
        diagnostic << " " << candidate;
      return diagnostic << ")";
    }
  if (program.blockQ != blockQ() || program.blockKV != tiling.blockKV)
    return op.emitError() << "the cascade is tiled " << program.blockQ << " x "
                          << program.blockKV << " but the " << chip.name
                          << " schedule runs " << blockQ() << " x "
                          << tiling.blockKV << " tiles";
  if (tiling.waves < 1 || tiling.stages < 1)
    return op.emitError() << chip.name << " kernels need at least one wave "
                          << "and one stage, got " << tiling.waves
                          << " waves and " << tiling.stages << " stages";
  if (tiling.blockKV < instruction.m || tiling.blockKV % instruction.m != 0)
    return op.emitError() << chip.name << " key tiles must be a positive "
                          << "multiple of " << instruction.m << " keys (the "
                          << "rows of " << instruction.name << "), got "
                          << tiling.blockKV;
  int64_t lds = ldsBytes(spec);
  if (lds > chip.maxLdsBytes)
    return op.emitError() << chip.name << " tiles need " << lds
                          << " bytes of LDS, more than the "
                          << chip.maxLdsBytes << " one workgroup may use; "
                          << "choose fewer keys per tile or fewer stages";
  return success();
}

void AmdScheduleTarget::forEachWorkItem(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    function_ref<void(const WorkItem &)> body) {
  LdsLayout lds =
      ldsLayout(chip, tiling, kernel.headDimQK, kernel.headDimV);
  Value raw = machine.workgroupMemory(b, lds.totalBytes);
  Attribute space = cast<MemRefType>(raw.getType()).getMemorySpace();
  auto keyType =
      MemRefType::get({tiling.stages, tiling.blockKV, lds.keyRow}, elementType,
                      MemRefLayoutAttrInterface(), space);
  auto valueType =
      MemRefType::get({tiling.stages, kernel.headDimV, lds.valueRow},
                      elementType, MemRefLayoutAttrInterface(), space);
  keyTiles = memref::ViewOp::create(b, keyType, raw, index(b, 0), ValueRange{});
  valueTiles = memref::ViewOp::create(
      b, valueType, raw, index(b, tiling.stages * lds.keyStageBytes),
      ValueRange{});
  queryPlacement = lds.query;
  queryTile = Value();
  if (lds.query == QueryPlacement::Lds) {
    auto queryType = MemRefType::get({blockQ(), lds.queryRow}, elementType,
                                     MemRefLayoutAttrInterface(), space);
    queryTile = memref::ViewOp::create(
        b, queryType, raw,
        index(b, tiling.stages * (lds.keyStageBytes + lds.valueStageBytes)),
        ValueRange{});
  }
  machine.forEachWorkItem(b, kernel, blockQ(), body);
}

void AmdScheduleTarget::forEachLane(ImplicitLocOpBuilder &b,
                                    const KernelContext &kernel,
                                    const WorkItem &item,
                                    function_ref<void()> body) {
  machine.forEachLane(b, [&] {
    thread = machine.threadId(b);
    wave = arith::DivUIOp::create(b, thread, index(b, instruction.waveSize));
    lane = arith::RemUIOp::create(b, thread, index(b, instruction.waveSize));
    Value waveRow = arith::MulIOp::create(b, wave, index(b, instruction.n));
    Value laneQuery = emitLaneFunction(b, layout.laneQuery, lane);
    laneRowValue = arith::AddIOp::create(b, waveRow, laneQuery);
    laneColumnValue = emitLaneFunction(b, layout.laneFirstColumn, lane);
    aRow = emitLaneFunction(b, layout.aRow, lane);
    aFirstK = emitLaneFunction(b, layout.aFirstK, lane);
    bColumn = emitLaneFunction(b, layout.bColumn, lane);
    bFirstK = emitLaneFunction(b, layout.bFirstK, lane);
    body();
  });
}

FragmentLayout AmdScheduleTarget::accumulatorLayout(int64_t columns) const {
  assert(columns % instruction.m == 0 && "checkProgram checked the blocks");
  FragmentLayout fragment;
  fragment.rowOffset = {0};
  fragment.rowLaneXorMasks.assign(layout.rowLaneXorMasks.begin(),
                                  layout.rowLaneXorMasks.end());
  for (int64_t block = 0; block < columns / instruction.m; ++block)
    for (int64_t offset : layout.columnOffset) {
      fragment.rowSlot.push_back(0);
      fragment.columnOffset.push_back(block * instruction.m + offset);
    }
  return fragment;
}

Value AmdScheduleTarget::shuffleXor(ImplicitLocOpBuilder &b, Value value,
                                    int64_t xorMask) {
  return machine.shuffleXor(b, value, xorMask);
}

Value AmdScheduleTarget::loadQueryOperand(ImplicitLocOpBuilder &b,
                                          const KernelContext &kernel,
                                          const WorkItem &item, int64_t step) {
  auto type = VectorType::get({instruction.bElements}, elementType);
  Value waveRow = arith::AddIOp::create(
      b, arith::MulIOp::create(b, wave, index(b, instruction.n)), bColumn);
  Value column =
      arith::AddIOp::create(b, bFirstK, index(b, step * instruction.k));
  if (queryPlacement == QueryPlacement::Lds) {
    int64_t rowBytes = cast<MemRefType>(queryTile.getType()).getDimSize(1) * 2;
    return vector::LoadOp::create(
        b, type, queryTile, ValueRange{waveRow, column}, /*nontemporal=*/false,
        llvm::MaybeAlign(rowAlignment(rowBytes, instruction.bElements * 2)));
  }
  // Rows that do not exist read an existing row; their results are never
  // stored.
  Value row = item.rows.position(b, waveRow);
  return vector::LoadOp::create(
      b, type, kernel.operands.query,
      ValueRange{item.batch, item.head, row, column}, /*nontemporal=*/false,
      llvm::MaybeAlign(
          rowAlignment(kernel.headDimQK * 2, instruction.bElements * 2)));
}

void AmdScheduleTarget::copyQueryTile(ImplicitLocOpBuilder &b,
                                      const KernelContext &kernel,
                                      const WorkItem &item) {
  queryOperands.clear();
  if (queryPlacement == QueryPlacement::Registers) {
    for (int64_t step = 0; step < kernel.headDimQK / instruction.k; ++step)
      queryOperands.push_back(loadQueryOperand(b, kernel, item, step));
    return;
  }
  if (queryPlacement != QueryPlacement::Lds)
    return;
  // The first key tile's barrier makes these stores visible.
  auto pieceType = VectorType::get({kCopyElements}, elementType);
  int64_t piecesPerRow = kernel.headDimQK / kCopyElements;
  int64_t rowBytes = cast<MemRefType>(queryTile.getType()).getDimSize(1) * 2;
  distribute(b, blockQ() * piecesPerRow, [&](Value piece) {
    Value row = arith::DivUIOp::create(b, piece, index(b, piecesPerRow));
    Value pieceInRow = arith::RemUIOp::create(b, piece, index(b, piecesPerRow));
    Value column =
        arith::MulIOp::create(b, pieceInRow, index(b, kCopyElements));
    Value sourceRow = item.rows.position(b, row);
    Value data = vector::LoadOp::create(
        b, pieceType, kernel.operands.query,
        ValueRange{item.batch, item.head, sourceRow, column},
        /*nontemporal=*/false, llvm::MaybeAlign(16));
    vector::StoreOp::create(
        b, data, queryTile, ValueRange{row, column}, /*nontemporal=*/false,
        llvm::MaybeAlign(rowAlignment(rowBytes, kCopyElements * 2)));
  });
}

void AmdScheduleTarget::distribute(ImplicitLocOpBuilder &b, int64_t total,
                                   function_ref<void(Value)> body) {
  int64_t lanes = this->lanes();
  for (int64_t first = 0; first < total; first += lanes) {
    Value work = arith::AddIOp::create(b, thread, index(b, first));
    if (total - first >= lanes) {
      body(work);
      continue;
    }
    // The lanes outnumber what is left.
    auto guard = scf::IfOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, work,
                                 index(b, total)),
        /*withElseRegion=*/false);
    OpBuilder::InsertionGuard insertion(b);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
    body(work);
  }
}

void AmdScheduleTarget::copyKeyValueTile(ImplicitLocOpBuilder &b,
                                         const KernelContext &kernel,
                                         const WorkItem &item,
                                         const KeyTile &tile) {
  LdsLayout lds =
      ldsLayout(chip, tiling, kernel.headDimQK, kernel.headDimV);
  auto pieceType = VectorType::get({kCopyElements}, elementType);
  Value zeros = arith::ConstantOp::create(
      b, pieceType,
      DenseElementsAttr::get(pieceType, b.getZeroAttr(elementType)));
  // Keys that do not exist (past Skv, outside a clipped patch) are zero:
  // their probabilities are 0, and 0 * V must not meet whatever the LDS
  // held.
  auto loadPiece = [&](Value source, Value key, Value column) -> Value {
    Value sourceKey = tile.keys.position(b, key);
    Value valid = tile.keys.exists(b, key);
    Value piece = vector::LoadOp::create(
        b, pieceType, source,
        ValueRange{item.batch, item.kvHead, sourceKey, column},
        /*nontemporal=*/false, llvm::MaybeAlign(16));
    return arith::SelectOp::create(b, valid, piece, zeros);
  };

  // K: lane t copies pieces t, t + lanes, ... of the tile, row-major.
  int64_t piecesPerRow = kernel.headDimQK / kCopyElements;
  unsigned keyAlignment = rowAlignment(lds.keyRow * 2, kCopyElements * 2);
  distribute(b, tiling.blockKV * piecesPerRow, [&](Value piece) {
    Value key = arith::DivUIOp::create(b, piece, index(b, piecesPerRow));
    Value pieceInRow = arith::RemUIOp::create(b, piece, index(b, piecesPerRow));
    Value column =
        arith::MulIOp::create(b, pieceInRow, index(b, kCopyElements));
    Value data = loadPiece(kernel.operands.key, key, column);
    vector::StoreOp::create(b, data, keyTiles, ValueRange{tile.stage, key, column},
                            /*nontemporal=*/false,
                            llvm::MaybeAlign(keyAlignment));
  });

  // V^T: lane t takes two consecutive keys of one 8-column piece and writes
  // each column's pair as one 32-bit word; consecutive lanes take
  // consecutive key pairs, so a wave writes consecutive words of a row.
  int64_t pairsPerPiece = tiling.blockKV / 2;
  int64_t pieces = kernel.headDimV / kCopyElements;
  auto pairType = VectorType::get({2}, elementType);
  distribute(b, pairsPerPiece * pieces, [&](Value work) {
    Value pair = arith::RemUIOp::create(b, work, index(b, pairsPerPiece));
    Value pieceIndex = arith::DivUIOp::create(b, work, index(b, pairsPerPiece));
    Value column =
        arith::MulIOp::create(b, pieceIndex, index(b, kCopyElements));
    Value key = arith::MulIOp::create(b, pair, index(b, 2));
    Value even = loadPiece(kernel.operands.value, key, column);
    Value odd = loadPiece(kernel.operands.value,
                          arith::AddIOp::create(b, key, index(b, 1)), column);
    for (int64_t element = 0; element < kCopyElements; ++element) {
      Value word = vector::FromElementsOp::create(
          b, pairType,
          ValueRange{vector::ExtractOp::create(b, even,
                                               ArrayRef<int64_t>{element}),
                     vector::ExtractOp::create(b, odd,
                                               ArrayRef<int64_t>{element})});
      Value row = arith::AddIOp::create(b, column, index(b, element));
      vector::StoreOp::create(b, word, valueTiles,
                              ValueRange{tile.stage, row, key},
                              /*nontemporal=*/false, llvm::MaybeAlign(4));
    }
  });
}

Value AmdScheduleTarget::loadOperandA(ImplicitLocOpBuilder &b, Value tile,
                                      Value stage, int64_t block,
                                      int64_t step) {
  auto type = VectorType::get({instruction.aElements}, elementType);
  int64_t rowBytes = cast<MemRefType>(tile.getType()).getDimSize(2) * 2;
  Value row =
      arith::AddIOp::create(b, aRow, index(b, block * instruction.m));
  Value column =
      arith::AddIOp::create(b, aFirstK, index(b, step * instruction.k));
  return vector::LoadOp::create(
      b, type, tile, ValueRange{stage, row, column}, /*nontemporal=*/false,
      llvm::MaybeAlign(rowAlignment(rowBytes, instruction.aElements * 2)));
}

SmallVector<Value>
AmdScheduleTarget::multiplyQueryKey(ImplicitLocOpBuilder &b,
                                    const KernelContext &kernel,
                                    const WorkItem &item,
                                    const KeyTile &tile) {
  // Q's operands: in registers, or read once per k step here.
  int64_t steps = kernel.headDimQK / instruction.k;
  SmallVector<Value> query(queryOperands.begin(), queryOperands.end());
  query.resize(steps);
  auto queryStep = [&, item](int64_t step) -> Value {
    if (!query[step])
      query[step] = loadQueryOperand(b, kernel, item, step);
    return query[step];
  };
  Value zero = arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(0.0f));
  SmallVector<MatrixChain> chains;
  for (int64_t block = 0; block < tiling.blockKV / instruction.m; ++block) {
    MatrixChain chain;
    chain.accumulator.assign(instruction.cElements, zero);
    for (int64_t step = 0; step < steps; ++step)
      chain.steps.push_back(
          {[&, block, step] {
             return loadOperandA(b, keyTiles, tile.stage, block, step);
           },
           [&, step] { return queryStep(step); }});
    chains.push_back(std::move(chain));
  }
  SmallVector<Value> registers;
  for (const SmallVector<Value> &result : machine.multiply(b, chains))
    llvm::append_range(registers, result);
  return registers;
}

SmallVector<Value> AmdScheduleTarget::multiplyValue(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  int64_t stepsPerBlock = instruction.m / instruction.k;
  int64_t steps = tiling.blockKV / instruction.k;
  auto pairType = VectorType::get({2}, elementType);
  auto pairF32 = VectorType::get({2}, b.getF32Type());
  auto word = VectorType::get({1}, b.getI32Type());

  // P rounded to the operand type, this lane's own and, two at a time in
  // one 32-bit shuffle, the other lanes' the B operands need.
  DenseMap<std::pair<int64_t, int64_t>, Value> values; // (mask, register)
  auto own = [&](int64_t reg) -> Value {
    auto key = std::make_pair(int64_t(0), reg);
    if (Value found = values.lookup(key))
      return found;
    Value rounded =
        arith::TruncFOp::create(b, elementType, probabilities[reg]);
    values[key] = rounded;
    return rounded;
  };
  // Registers other lanes need, per XOR distance.
  llvm::MapVector<int64_t, SmallVector<int64_t>> remote;
  for (int64_t step = 0; step < steps; ++step) {
    int64_t base = step / stepsPerBlock * instruction.cElements;
    for (const ProbabilitySource &source :
         layout.probabilitySource[step % stepsPerBlock])
      for (int64_t mask : source.xorMask)
        if (mask != 0 && !llvm::is_contained(remote[mask], base + source.reg))
          remote[mask].push_back(base + source.reg);
  }
  for (auto &[mask, registers] : remote) {
    for (size_t first = 0; first < registers.size(); first += 2) {
      int64_t second = first + 1 < registers.size() ? registers[first + 1]
                                                    : registers[first];
      Value pair = arith::TruncFOp::create(
          b, pairType,
          vector::FromElementsOp::create(
              b, pairF32,
              ValueRange{probabilities[registers[first]],
                         probabilities[second]}));
      Value bits = vector::ExtractOp::create(
          b, vector::BitCastOp::create(b, word, pair), ArrayRef<int64_t>{0});
      Value moved = machine.shuffleXor(b, bits, mask);
      Value back = vector::BitCastOp::create(
          b, pairType, vector::FromElementsOp::create(b, word, moved));
      values[{mask, registers[first]}] =
          vector::ExtractOp::create(b, back, ArrayRef<int64_t>{0});
      values[{mask, second}] =
          vector::ExtractOp::create(b, back, ArrayRef<int64_t>{1});
    }
  }
  // Where the lane a value comes from depends on the lane, select it.
  std::map<std::vector<int64_t>, Value> laneMasks;
  auto element = [&](const ProbabilitySource &source, int64_t reg) -> Value {
    if (source.own())
      return own(reg);
    Value &laneMask = laneMasks[source.xorMask];
    if (!laneMask)
      laneMask = emitLaneFunction(b, source.xorMask, lane);
    SmallVector<int64_t> masks;
    for (int64_t mask : source.xorMask)
      if (!llvm::is_contained(masks, mask))
        masks.push_back(mask);
    auto valueFrom = [&](int64_t mask) {
      return mask == 0 ? own(reg) : values.lookup({mask, reg});
    };
    Value result = valueFrom(masks.front());
    for (int64_t mask : ArrayRef(masks).drop_front()) {
      Value here = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, laneMask,
                                         index(b, mask));
      result = arith::SelectOp::create(b, here, valueFrom(mask), result);
    }
    return result;
  };
  auto operandType = VectorType::get({instruction.bElements}, elementType);
  SmallVector<Value> operandsB;
  for (int64_t step = 0; step < steps; ++step) {
    int64_t base = step / stepsPerBlock * instruction.cElements;
    SmallVector<Value> elements;
    for (const ProbabilitySource &source :
         layout.probabilitySource[step % stepsPerBlock])
      elements.push_back(element(source, base + source.reg));
    operandsB.push_back(
        vector::FromElementsOp::create(b, operandType, elements));
  }

  SmallVector<MatrixChain> chains;
  for (int64_t block = 0; block < kernel.headDimV / instruction.m; ++block) {
    MatrixChain chain;
    chain.accumulator.assign(
        accumulator.begin() + block * instruction.cElements,
        accumulator.begin() + (block + 1) * instruction.cElements);
    for (int64_t step = 0; step < steps; ++step)
      chain.steps.push_back(
          {[&, block, step] {
             return loadOperandA(b, valueTiles, tile.stage, block, step);
           },
           [&, step] { return operandsB[step]; }});
    chains.push_back(std::move(chain));
  }
  SmallVector<Value> registers;
  for (const SmallVector<Value> &result : machine.multiply(b, chains))
    llvm::append_range(registers, result);
  return registers;
}

void AmdScheduleTarget::finalize(Operation *kernel) {
  // As on the GPU, so that the emulation computes what the GPU would.
  schedule::multiplyByReciprocals(kernel);
  machine.finalize(kernel);
}
