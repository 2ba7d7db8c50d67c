//===- NvidiaScheduleTarget.cpp - The schedule on mma.sync GPUs -----------===//
#include "NvidiaScheduleTarget.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Schedule/KernelRewrites.h"
#include "attn/Schedule/TileProgram.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;
using namespace mlir::attn::schedule;

namespace {
using T = NvidiaMatrixTarget;

/// Dynamic shared memory one block may use on every supported chip (sm_80
/// allows 163 KiB, sm_90 227 KiB).
constexpr int64_t kMaxSharedBytes = 163 * 1024;
/// Head dimensions whose rows are a whole number of swizzle periods of
/// 16-byte chunks (8 chunks = 128 bytes: 64 16-bit or 32 f32 elements).
constexpr int64_t kHeadDims[] = {32, 64, 128, 256};
constexpr int64_t kSwizzlePeriodBytes = 128;
/// Up to this head dimension Q's fragments stay in registers for the whole
/// block; above it they are re-read from shared memory per key tile.
constexpr int64_t kMaxRegisterQueryDim = 128;

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// The accumulator registers of `fragments`, in order.
SmallVector<Value> registersOf(ArrayRef<Fragment> fragments) {
  SmallVector<Value> registers;
  for (const Fragment &fragment : fragments)
    llvm::append_range(registers, fragment);
  return registers;
}
} // namespace

NvidiaScheduleTarget::NvidiaScheduleTarget(const GpuTiling &tiling,
                                           Type elementType)
    : tiling(tiling), elementType(elementType) {}

NvidiaScheduleTarget::~NvidiaScheduleTarget() = default;

bool NvidiaScheduleTarget::queryInRegisters(int64_t headDimQK) const {
  // f32 A fragments take twice the registers of packed 16-bit ones.
  return headDimQK <= kMaxRegisterQueryDim && !elementType.isF32();
}

int64_t NvidiaScheduleTarget::threadsPerBlock() const {
  return tiling.warps * T::kWarpSize;
}

int64_t NvidiaScheduleTarget::sharedMemoryBytes(const KernelSpec &spec) const {
  AttentionShape shape = spec.cascade.getAttentionShape();
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  int64_t query = tiling.blockQ * shape.headDimQK * elementBytes;
  int64_t keys = tiling.stages * tiling.blockKV * shape.headDimQK * elementBytes;
  int64_t values = tiling.stages * tiling.blockKV * shape.headDimV * elementBytes;
  return query + keys + values;
}

void NvidiaScheduleTarget::setGradientPhase(int64_t phase, int64_t phases) {
  gradientPhase = phase;
  gradientPhases = phases;
}

/// The depth of the deepest operand any product of `program` reads.
static int64_t largestOperandDepth(const TileProgram &program) {
  int64_t depth = 0;
  for (const auto *ops : {&program.prologue, &program.body})
    for (const TileOp &op : *ops)
      for (const ProductOperand &operand : op.operands)
        depth = std::max(depth, operand.depth);
  return depth;
}

void NvidiaScheduleTarget::layOutGradientOperands(const TileProgram &program) {
  int64_t rows = program.transposed ? program.blockKV : program.blockQ;
  int64_t columns = program.transposed ? program.blockQ : program.blockKV;
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  int64_t offset = 0;
  rowOperands.clear();
  columnOperands.clear();
  for (const ProductOperand &operand : rowProductOperands(program)) {
    rowOperands.push_back({offset, operand.depth, {}});
    offset += rows * operand.depth * elementBytes;
  }
  for (const ProductOperand &operand : columnProductOperands(program)) {
    columnOperands.push_back({offset, operand.depth, {}});
    offset += tiling.stages * columns * operand.depth * elementBytes;
  }
  columnSumsOffset = offset;
  // Per-column sums split each column's depth into parts so that every
  // thread takes one (whole 16-byte chunks each).
  int64_t chunks = std::numeric_limits<int64_t>::max();
  for (const StagedOperand &operand : columnOperands)
    chunks = std::min(chunks, operand.depth / T::chunkElementsOf(elementType));
  int64_t threads = tiling.warps * T::kWarpSize;
  columnSumParts = 1;
  while (2 * columnSumParts * columns <= threads &&
         chunks % (2 * columnSumParts) == 0)
    columnSumParts *= 2;
  gradientSharedBytes = offset + columnSumParts * columns * 4;
}

int64_t NvidiaScheduleTarget::gradientSharedMemoryBytes(
    const TileProgram &program) const {
  assert(gradientSharedBytes && "checkProgram lays out the operands");
  return gradientSharedBytes;
}

LogicalResult
NvidiaScheduleTarget::checkGradientProgram(const TileProgram &program) {
  CascadeOp op = program.cascade;
  if (!elementType.isF16() && !elementType.isBF16())
    return op.emitError() << "grad=true: the NVIDIA backward kernels need f16 "
                          << "or bf16 inputs, got " << elementType;
  if (!gradientPhases)
    return op.emitError() << "grad=true: the NVIDIA target runs gradient "
                          << "programs only as phases of a backward kernel";
  int64_t rows = program.transposed ? program.blockKV : program.blockQ;
  int64_t columns = program.transposed ? program.blockQ : program.blockKV;
  if (tiling.warps < 1 || rows != T::kTileM * tiling.warps)
    return op.emitError() << "grad=true: NVIDIA backward tiles give each warp "
                          << "16 rows: a tile of " << rows << " rows needs "
                          << rows / T::kTileM << " warps, got "
                          << tiling.warps;
  if (columns < T::kTileK || columns % T::kTileK != 0)
    return op.emitError() << "grad=true: NVIDIA backward column tiles must be "
                          << "a positive multiple of " << T::kTileK << ", got "
                          << columns;
  int64_t threads = tiling.warps * T::kWarpSize;
  for (const auto *ops : {&program.prologue, &program.body})
    for (const TileOp &tileOp : *ops)
      for (const ProductOperand &operand : tileOp.operands) {
        if (operand.depth != 64 && operand.depth != 128)
          return op.emitError()
                 << "grad=true: the NVIDIA backward kernels support head "
                 << "dimensions 64 and 128, got " << operand.depth << " (@"
                 << operand.tensor.getValue() << ")";
        int64_t rowStep = threads / (operand.depth / T::chunkElementsOf(elementType));
        if (rowStep == 0 || rows % rowStep != 0 || columns % rowStep != 0)
          return op.emitError()
                 << "grad=true: NVIDIA backward tiles of " << rows << " x "
                 << columns << " cannot be split evenly into 16-byte copies "
                 << "over " << threads << " threads";
      }
  // Staged tiles are found by their tensor (stagedOperandOf).
  llvm::DenseMap<StringAttr, bool> readAtKVHead;
  for (const auto *ops : {&program.prologue, &program.body})
    for (const TileOp &tileOp : *ops)
      for (const ProductOperand &operand : tileOp.operands)
        if (!readAtKVHead.insert({operand.tensor, operand.atKVHead}).second &&
            readAtKVHead.lookup(operand.tensor) != operand.atKVHead)
          return op.emitError()
                 << "grad=true: the NVIDIA backward kernels read each product "
                 << "operand at one head, but @" << operand.tensor.getValue()
                 << " is read at both the query and the key/value head";
  if (largestOperandDepth(program) == 0)
    return op.emitError() << "grad=true: the NVIDIA backward kernels need a "
                          << "product in every phase";
  layOutGradientOperands(program);
  int64_t sharedBytes = gradientSharedBytes;
  if (sharedBytes > kMaxSharedBytes)
    return op.emitError() << "grad=true: NVIDIA backward tiles need "
                          << sharedBytes << " bytes of shared memory, more "
                          << "than the " << kMaxSharedBytes
                          << " one block may use on sm_80";
  return success();
}

LogicalResult NvidiaScheduleTarget::checkProgram(const TileProgram &program,
                                                 const KernelSpec &spec) {
  if (program.gradient)
    return checkGradientProgram(program);
  CascadeOp op = program.cascade;
  if (!elementType.isF16() && !elementType.isBF16() && !elementType.isF32())
    return op.emitError() << "the NVIDIA target needs f16, bf16 or f32 "
                          << "inputs, got " << elementType;
  AttentionShape shape = op.getAttentionShape();
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  auto supported = [&](int64_t dim) {
    return llvm::is_contained(kHeadDims, dim) &&
           dim * elementBytes % kSwizzlePeriodBytes == 0;
  };
  for (auto [name, dim] : {std::pair{"E", shape.headDimQK},
                           std::pair{"F", shape.headDimV}})
    if (!supported(dim)) {
      InFlightDiagnostic diagnostic = op.emitError();
      diagnostic << "head dimension " << name << " = " << dim
                 << " is not supported by the NVIDIA target for "
                 << elementType << " inputs (supported:";
      for (int64_t candidate : kHeadDims)
        if (supported(candidate))
          diagnostic << " " << candidate;
      return diagnostic << ")";
    }
  if (program.blockQ != tiling.blockQ || program.blockKV != tiling.blockKV)
    return op.emitError() << "the cascade is tiled " << program.blockQ << " x "
                          << program.blockKV << " but the NVIDIA schedule "
                          << "runs " << tiling.blockQ << " x "
                          << tiling.blockKV << " tiles";
  if (tiling.warps < 1 || tiling.blockQ != T::kTileM * tiling.warps)
    return op.emitError() << "NVIDIA tiles give each warp 16 query rows: "
                          << "block-q must be 16 * warps, got block-q = "
                          << tiling.blockQ << " and warps = " << tiling.warps;
  if (tiling.blockKV < T::kTileK || tiling.blockKV % T::kTileK != 0)
    return op.emitError() << "NVIDIA block-kv must be a positive multiple of "
                          << T::kTileK << ", got " << tiling.blockKV;
  return checkStaging(op, spec, "NVIDIA", kMaxSharedBytes, " on sm_80");
}

LogicalResult NvidiaScheduleTarget::checkStaging(CascadeOp op,
                                                 const KernelSpec &spec,
                                                 StringRef kernelName,
                                                 int64_t maxSharedBytes,
                                                 StringRef limitNote) const {
  if (tiling.stages < 2)
    return op.emitError() << kernelName << " kernels stage K/V tiles at least "
                          << "twice (stages >= 2), got " << tiling.stages;
  // Each thread copies whole 16-byte chunks, the same number per tile: a
  // block covers threads / (chunks per row) rows at a time.
  AttentionShape shape = op.getAttentionShape();
  int64_t threads = tiling.warps * T::kWarpSize;
  for (auto [rows, columns, what] :
       {std::tuple{tiling.blockQ, shape.headDimQK, "query"},
        std::tuple{tiling.blockKV, shape.headDimQK, "key"},
        std::tuple{tiling.blockKV, shape.headDimV, "value"}}) {
    int64_t rowStep = threads / (columns / T::chunkElementsOf(elementType));
    if (rowStep == 0 || rows % rowStep != 0)
      return op.emitError()
             << kernelName << " " << what << " tiles of " << rows
             << " rows cannot be split evenly into 16-byte copies over "
             << threads << " threads; they need a multiple of " << rowStep
             << " rows";
  }
  int64_t sharedBytes = sharedMemoryBytes(spec);
  if (sharedBytes > maxSharedBytes)
    return op.emitError() << kernelName << " tiles need " << sharedBytes
                          << " bytes of shared memory, more than the "
                          << maxSharedBytes << " one block may use"
                          << limitNote
                          << "; choose smaller block-kv or fewer stages";
  return success();
}

void NvidiaScheduleTarget::forEachWorkItem(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    function_ref<void(const WorkItem &)> body) {
  matrix = std::make_unique<NvidiaMatrixTarget>(b, elementType);
  matrix->emitThreadIds();
  warpRowOffset = arith::MulIOp::create(b, matrix->warpId(), index(b, T::kTileM));
  warpRowOffsetAndRow =
      arith::AddIOp::create(b, warpRowOffset, matrix->fragmentRow());
  laneEvenColumn =
      arith::MulIOp::create(b, matrix->fragmentColumnPair(), index(b, 2));

  if (gradientPhases) {
    assert(gradientSharedBytes && "checkProgram runs before the emission");
    gradientRows = kernel.blockQ;
    gradientColumns = kernel.blockKV;
    // blockIdx.z = batch row * phases + phase; the phase's row tiles are
    // strided over blockIdx.x (the launch has ceil(Sq / block) of them,
    // whichever rows the phase has); heads past the phase's own are idle.
    Value z = matrix->blockId(2);
    Value phases = index(b, gradientPhases);
    Value batch = arith::DivUIOp::create(b, z, phases);
    Value phase = arith::RemUIOp::create(b, z, phases);
    Value head = matrix->blockId(1);
    Value heads = index(b, kernel.queryHeads);
    Value isPhase = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, phase,
                                          index(b, gradientPhase));
    Value headExists =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, head, heads);
    Value runs = arith::AndIOp::create(b, isPhase, headExists);
    auto guard = scf::IfOp::create(b, runs, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard insertion(b);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    Value firstTile = matrix->blockId(0);
    Value tileStep = gpu::GridDimOp::create(b, gpu::Dimension::x);
    auto loop = scf::ForOp::create(b, firstTile, kernel.queryTiles, tileStep);
    b.setInsertionPointToStart(loop.getBody());
    WorkItem item;
    item.queryTile = loop.getInductionVar();
    item.head = head;
    item.batch = batch;
    Value group = index(b, kernel.queryHeads / kernel.kvHeads);
    item.kvHead = arith::DivUIOp::create(b, head, group);
    Value rows = index(b, gradientRows);
    item.rowBegin = arith::MulIOp::create(b, item.queryTile, rows);
    Value rowsEnd = arith::AddIOp::create(b, item.rowBegin, rows);
    item.rowEnd = arith::MinSIOp::create(b, rowsEnd, kernel.seqQ);
    body(item);
    // The next tile's copies reuse the staged operands (a work item with no
    // column tiles never waited for its rows' copies).
    matrix->waitCopies(0);
    matrix->barrier();
    return;
  }

  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  int64_t keyOffset = tiling.blockQ * kernel.headDimQK * elementBytes;
  int64_t valueOffset =
      keyOffset + tiling.stages * tiling.blockKV * kernel.headDimQK * elementBytes;
  queryShared = matrix->sharedView(0, {tiling.blockQ, kernel.headDimQK});
  keyShared = matrix->sharedView(
      keyOffset, {tiling.stages, tiling.blockKV, kernel.headDimQK});
  valueShared = matrix->sharedView(
      valueOffset, {tiling.stages, tiling.blockKV, kernel.headDimV});

  WorkItem item;
  item.queryTile = matrix->blockId(0);
  item.head = matrix->blockId(1);
  item.batch = matrix->blockId(2);
  item.kvHead = arith::DivUIOp::create(
      b, item.head, index(b, kernel.queryHeads / kernel.kvHeads));
  item.rowBegin = arith::MulIOp::create(b, item.queryTile, index(b, tiling.blockQ));
  item.rowEnd = arith::MinSIOp::create(
      b, arith::AddIOp::create(b, item.rowBegin, index(b, tiling.blockQ)),
      kernel.seqQ);
  body(item);
}

FragmentLayout NvidiaScheduleTarget::accumulatorLayout(int64_t columns) const {
  FragmentLayout layout;
  layout.rowOffset = {0, 8};
  layout.rowLaneXorMasks = {1, 2};
  for (int64_t n = 0; n < columns / T::kTileN; ++n)
    for (int64_t element = 0; element < 4; ++element) {
      layout.rowSlot.push_back(element / 2);
      layout.columnOffset.push_back(T::kTileN * n + element % 2);
    }
  return layout;
}

Value NvidiaScheduleTarget::shuffleXor(ImplicitLocOpBuilder &b, Value value,
                                       int64_t xorMask) {
  return gpu::ShuffleOp::create(b, value, xorMask, T::kWarpSize,
                                gpu::ShuffleMode::XOR)
      .getShuffleResult();
}

void NvidiaScheduleTarget::copyTileAsync(ImplicitLocOpBuilder &b, Value shared,
                                         ValueRange prefix, Value source,
                                         Value batch, Value head,
                                         const TileRows &tileRows, int64_t rows,
                                         int64_t columns) {
  // Thread k copies chunk k % chunksPerRow of rows k / chunksPerRow,
  // + rowStep, ...; checkProgram made sure this covers the tile.
  int64_t chunksPerRow = columns / matrix->chunkElements();
  int64_t rowStep = tiling.warps * T::kWarpSize / chunksPerRow;
  Value chunk =
      arith::RemUIOp::create(b, matrix->threadId(), index(b, chunksPerRow));
  Value firstOwnRow =
      arith::DivUIOp::create(b, matrix->threadId(), index(b, chunksPerRow));
  Value sourceColumn =
      arith::MulIOp::create(b, chunk, index(b, matrix->chunkElements()));
  for (int64_t step = 0; step < rows / rowStep; ++step) {
    Value row = arith::AddIOp::create(b, firstOwnRow, index(b, step * rowStep));
    // Rows of a patch are runs of contiguous tokens of the user's tensor.
    Value sourceRow = tileRows.position(b, row);
    Value valid = tileRows.exists(b, row);
    SmallVector<Value> sharedIndices(prefix);
    sharedIndices.append({row, matrix->swizzledColumn(row, chunk)});
    matrix->copyChunkAsync(shared, sharedIndices, source,
                           {batch, head, sourceRow, sourceColumn}, valid);
  }
}

void NvidiaScheduleTarget::copyQueryTile(ImplicitLocOpBuilder &b,
                                         const KernelContext &kernel,
                                         const WorkItem &item) {
  copyTileAsync(b, queryShared, {}, kernel.operands.query, item.batch,
                item.head, item.rows, tiling.blockQ, kernel.headDimQK);
}

void NvidiaScheduleTarget::prepareQueryOperand(ImplicitLocOpBuilder &b,
                                               const KernelContext &kernel,
                                               const WorkItem &item) {
  queryFragments.clear();
  if (!queryInRegisters(kernel.headDimQK))
    return;
  // Q's copies are the oldest group: waiting for all but the K/V groups
  // issued since covers them.
  matrix->waitCopies(tiling.stages - 1);
  matrix->barrier();
  for (int64_t kStep = 0; kStep < kernel.headDimQK / T::kTileK; ++kStep)
    queryFragments.push_back(
        matrix->loadA(queryShared, {}, warpRowOffset, kStep));
}

void NvidiaScheduleTarget::copyKeyValueTile(ImplicitLocOpBuilder &b,
                                            const KernelContext &kernel,
                                            const WorkItem &item,
                                            const KeyTile &tile) {
  if (gradientPhases) {
    assert(tile.columnOperands.size() == columnOperands.size() &&
           "the emitter passes the column operands of the layout");
    for (auto [staged, operand] :
         llvm::zip_equal(columnOperands, tile.columnOperands)) {
      staged.memref = operand.memref;
      copyTileAsync(b, columnOperandTile(staged), {tile.stage},
                    operand.memref, item.batch, operand.head, tile.keys,
                    gradientColumns, operand.depth);
    }
    return;
  }
  copyTileAsync(b, keyShared, {tile.stage}, kernel.operands.key, item.batch,
                item.kvHead, tile.keys, tiling.blockKV, kernel.headDimQK);
  copyTileAsync(b, valueShared, {tile.stage}, kernel.operands.value,
                item.batch, item.kvHead, tile.keys, tiling.blockKV,
                kernel.headDimV);
}

void NvidiaScheduleTarget::commitCopies(ImplicitLocOpBuilder &) {
  matrix->commitCopies();
}

void NvidiaScheduleTarget::waitCopies(ImplicitLocOpBuilder &, int64_t pending) {
  matrix->waitCopies(pending);
}

void NvidiaScheduleTarget::barrier(ImplicitLocOpBuilder &) { matrix->barrier(); }

SmallVector<Value>
NvidiaScheduleTarget::multiplyQueryKey(ImplicitLocOpBuilder &b,
                                       const KernelContext &kernel,
                                       const WorkItem &item,
                                       const KeyTile &tile) {
  int64_t scoreFragments = tiling.blockKV / T::kTileN;
  SmallVector<Fragment> scores(scoreFragments, matrix->zeroAccumulator());
  // Per k step pair, one ldmatrix.x4 per 8 keys.
  for (int64_t kStep = 0; kStep < kernel.headDimQK / T::kTileK; kStep += 2) {
    Fragment queryA[2];
    for (int64_t half = 0; half < 2; ++half)
      queryA[half] = queryFragments.empty()
                         ? matrix->loadA(queryShared, {}, warpRowOffset,
                                         kStep + half)
                         : queryFragments[kStep + half];
    for (int64_t n = 0; n < scoreFragments; ++n) {
      auto [keyB0, keyB1] = matrix->loadBPairAlongK(
          keyShared, {tile.stage}, index(b, T::kTileN * n), kStep);
      scores[n] = matrix->multiplyAccumulate(queryA[0], keyB0, scores[n]);
      scores[n] = matrix->multiplyAccumulate(queryA[1], keyB1, scores[n]);
    }
  }
  return registersOf(scores);
}

SmallVector<Value> NvidiaScheduleTarget::multiplyValue(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  // P's C fragments of keys 16 kk .. 16 kk + 15 are the A fragment of k
  // step kk.
  int64_t valueFragments = kernel.headDimV / T::kTileN;
  return multiplyScoresByStagedTile(b, probabilities, tiling.blockKV,
                                    accumulator.take_front(4 * valueFragments),
                                    valueShared, {tile.stage});
}

SmallVector<Value> NvidiaScheduleTarget::multiplyScoresByStagedTile(
    ImplicitLocOpBuilder &b, ArrayRef<Value> scores, int64_t scoreColumns,
    ArrayRef<Value> accumulator, Value shared, ValueRange stage) {
  int64_t sumFragments = accumulator.size() / 4;
  SmallVector<Fragment> sums;
  for (int64_t n = 0; n < sumFragments; ++n)
    sums.push_back(Fragment(accumulator.slice(4 * n, 4)));
  auto fragmentAt = [&](int64_t n) { return Fragment(scores.slice(4 * n, 4)); };
  for (int64_t kStep = 0; kStep < scoreColumns / T::kTileK; ++kStep) {
    Fragment scoreA =
        matrix->packA(fragmentAt(2 * kStep), fragmentAt(2 * kStep + 1));
    for (int64_t n = 0; n < sumFragments; n += 2) {
      auto [columnB0, columnB1] = matrix->loadBPairTransposed(
          shared, stage, index(b, T::kTileK * kStep), n);
      sums[n] = matrix->multiplyAccumulate(scoreA, columnB0, sums[n]);
      sums[n + 1] = matrix->multiplyAccumulate(scoreA, columnB1, sums[n + 1]);
    }
  }
  return registersOf(sums);
}

//===--- Products of gradient programs ------------------------------------===//
// The operands the products read at the rows (K and V of a key tile, Q and
// dO of a query tile) are staged once per work item and stay; those read at
// the columns are staged once per column tile, `stages` deep, the next
// tile's copies in flight while the current one is computed (the emitter's
// staging protocol: copyKeyValueTile, waitStage, releaseStage). Tiles are
// in the swizzled layout the forward uses, read by ldmatrix into mma.sync.
// Every sum is in a fixed order: no atomics.

Value NvidiaScheduleTarget::rowOperandTile(const StagedOperand &operand) {
  return matrix->sharedView(operand.offset, {gradientRows, operand.depth});
}

Value NvidiaScheduleTarget::columnOperandTile(const StagedOperand &operand) {
  return matrix->sharedView(operand.offset,
                            {tiling.stages, gradientColumns, operand.depth});
}

/// The staged operand holding `operand`'s tiles. A program reads each
/// tensor at one head (a GQA dK/dV work item copies K and V at its
/// key/value head once, before the loop over the query heads of its group,
/// whose head Values differ).
static const NvidiaScheduleTarget::StagedOperand &
stagedOperandOf(ArrayRef<NvidiaScheduleTarget::StagedOperand> staged,
                const ProductMemRef &operand) {
  for (const NvidiaScheduleTarget::StagedOperand &candidate : staged)
    if (candidate.memref == operand.memref)
      return candidate;
  llvm_unreachable("products read the operands the emitter had staged");
}

void NvidiaScheduleTarget::copyRowOperands(ImplicitLocOpBuilder &b,
                                           const KernelContext &kernel,
                                           const WorkItem &item,
                                           ArrayRef<ProductMemRef> operands) {
  assert(operands.size() == rowOperands.size() &&
         "the emitter passes the row operands of the layout");
  for (auto [staged, operand] : llvm::zip_equal(rowOperands, operands)) {
    staged.memref = operand.memref;
    copyTileAsync(b, rowOperandTile(staged), {}, operand.memref, item.batch,
                  operand.head, item.rows, gradientRows, operand.depth);
  }
}

SmallVector<Value> NvidiaScheduleTarget::multiplyRowsByColumns(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const KeyTile &tile, const ProductMemRef &rows,
    const ProductMemRef &columns) {
  assert(rows.depth == columns.depth && "a product reduces one depth");
  int64_t depth = rows.depth;
  Value rowTile = rowOperandTile(stagedOperandOf(rowOperands, rows));
  Value columnTile = columnOperandTile(stagedOperandOf(columnOperands, columns));
  int64_t scoreFragments = kernel.blockKV / T::kTileN;
  SmallVector<Fragment> scores(scoreFragments, matrix->zeroAccumulator());
  for (int64_t kStep = 0; kStep < depth / T::kTileK; kStep += 2) {
    Fragment rowA0 = matrix->loadA(rowTile, {}, warpRowOffset, kStep);
    Fragment rowA1 = matrix->loadA(rowTile, {}, warpRowOffset, kStep + 1);
    for (int64_t n = 0; n < scoreFragments; ++n) {
      Value firstColumn = index(b, T::kTileN * n);
      auto [columnB0, columnB1] =
          matrix->loadBPairAlongK(columnTile, {tile.stage}, firstColumn, kStep);
      scores[n] = matrix->multiplyAccumulate(rowA0, columnB0, scores[n]);
      scores[n] = matrix->multiplyAccumulate(rowA1, columnB1, scores[n]);
    }
  }
  return registersOf(scores);
}

SmallVector<Value> NvidiaScheduleTarget::multiplyScoresByColumns(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const KeyTile &tile, const ProductMemRef &columns, ArrayRef<Value> scores,
    ArrayRef<Value> accumulator) {
  Value columnTile = columnOperandTile(stagedOperandOf(columnOperands, columns));
  // The scores' C fragments of columns 16 kk .. 16 kk + 15 are the A
  // fragment of k step kk (rounded to the input type).
  return multiplyScoresByStagedTile(
      b, scores, kernel.blockKV,
      accumulator.take_front(4 * (columns.depth / T::kTileN)), columnTile,
      {tile.stage});
}

SmallVector<Value> NvidiaScheduleTarget::multiplyRows(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const ProductMemRef &first, const ProductMemRef &second) {
  // The four lanes of a quad share rows g and g + 8: lane t sums a quarter
  // of the depth, then the quad adds the quarters (a fixed butterfly).
  int64_t quarter = first.depth / 4;
  Value quarterStart = arith::MulIOp::create(b, matrix->fragmentColumnPair(),
                                             index(b, quarter));
  int64_t chunk = T::chunkElementsOf(elementType);
  auto chunkType = VectorType::get({chunk}, elementType);
  SmallVector<Value> sums;
  for (int64_t rowOffset : {int64_t(0), int64_t(8)}) {
    Value row = arith::AddIOp::create(b, warpRowOffsetAndRow,
                                      index(b, rowOffset));
    Value position = item.rows.position(b, row);
    Value sum;
    for (int64_t offset = 0; offset < quarter; offset += chunk) {
      Value column = arith::AddIOp::create(b, quarterStart, index(b, offset));
      Value left = vector::LoadOp::create(
          b, chunkType, first.memref,
          ValueRange{item.batch, first.head, position, column});
      Value right = vector::LoadOp::create(
          b, chunkType, second.memref,
          ValueRange{item.batch, second.head, position, column});
      sum = addChunkDot(b, left, right, sum);
    }
    sums.push_back(matrix->reduceAcrossRow(sum, [&](Value x, Value y) {
      return arith::AddFOp::create(b, x, y);
    }));
  }
  return sums;
}

Value NvidiaScheduleTarget::addChunkDot(ImplicitLocOpBuilder &b, Value left,
                                        Value right, Value sum) {
  auto chunkType = cast<VectorType>(left.getType());
  auto wideType = VectorType::get(chunkType.getShape(), b.getF32Type());
  Value wideLeft = arith::ExtFOp::create(b, wideType, left);
  Value wideRight = arith::ExtFOp::create(b, wideType, right);
  for (int64_t element = 0; element < chunkType.getNumElements(); ++element) {
    Value x = vector::ExtractOp::create(b, wideLeft, element);
    Value y = vector::ExtractOp::create(b, wideRight, element);
    sum = sum ? multiplyAdd(b, x, y, sum)
              : Value(arith::MulFOp::create(b, x, y));
  }
  return sum;
}

SmallVector<Value> NvidiaScheduleTarget::multiplyColumns(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const KeyTile &tile, const ProductMemRef &first,
    const ProductMemRef &second) {
  // Both operands are staged with the column tile (columnProductOperands;
  // columns past the end are zeros). Every thread sums one part of one
  // column's depth into shared memory (parts x columns); each lane then
  // adds the parts of the columns its accumulator registers hold, in part
  // order.
  Value firstTile = columnOperandTile(stagedOperandOf(columnOperands, first));
  Value secondTile =
      columnOperandTile(stagedOperandOf(columnOperands, second));
  Value columnSums = matrix->sharedView(
      columnSumsOffset, {columnSumParts, kernel.blockKV}, b.getF32Type());
  int64_t threads = tiling.warps * T::kWarpSize;
  int64_t chunk = T::chunkElementsOf(elementType);
  int64_t partChunks = first.depth / chunk / columnSumParts;
  auto chunkType = VectorType::get({chunk}, elementType);
  for (int64_t start = 0; start < kernel.blockKV * columnSumParts;
       start += threads) {
    Value slot = arith::AddIOp::create(b, matrix->threadId(), index(b, start));
    Value slots = index(b, kernel.blockKV * columnSumParts);
    Value inTile =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, slot, slots);
    auto owner = scf::IfOp::create(b, inTile, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&owner.getThenRegion().front());
    Value column = arith::RemUIOp::create(b, slot, index(b, kernel.blockKV));
    Value part = arith::DivUIOp::create(b, slot, index(b, kernel.blockKV));
    Value firstChunk = arith::MulIOp::create(b, part, index(b, partChunks));
    Value sum;
    for (int64_t offset = 0; offset < partChunks; ++offset) {
      Value chunkIndex = arith::AddIOp::create(b, firstChunk, index(b, offset));
      Value physical = matrix->swizzledColumn(column, chunkIndex);
      ValueRange at{tile.stage, column, physical};
      Value left = vector::LoadOp::create(b, chunkType, firstTile, at);
      Value right = vector::LoadOp::create(b, chunkType, secondTile, at);
      sum = addChunkDot(b, left, right, sum);
    }
    memref::StoreOp::create(b, sum, columnSums, ValueRange{part, column});
  }
  matrix->barrier();
  SmallVector<Value> registers;
  FragmentLayout layout = accumulatorLayout(kernel.blockKV);
  for (int64_t columnOffset : layout.columnOffset) {
    Value column =
        arith::AddIOp::create(b, laneEvenColumn, index(b, columnOffset));
    Value sum;
    for (int64_t part = 0; part < columnSumParts; ++part) {
      Value partSum = memref::LoadOp::create(
          b, columnSums, ValueRange{index(b, part), column});
      sum = sum ? Value(arith::AddFOp::create(b, sum, partSum)) : partSum;
    }
    registers.push_back(sum);
  }
  return registers;
}

/// Positions each thread reads per step of a range reduction.
constexpr int64_t kReductionLoadsInFlight = 64;
/// Reductions reduceOverRange combines at once: 8 bytes per thread each
/// fit in the query tile's shared memory (16 rows per warp of at least 32
/// 16-bit elements: 1 KiB per warp, 4 x 32 x 8 bytes).
constexpr size_t kMaxRangeReductions = 4;

SmallVector<Value> NvidiaScheduleTarget::reduceOverRange(
    ImplicitLocOpBuilder &b, Value begin, Value end, Type type,
    ArrayRef<ReductionKind> kinds, ReductionElements elements) {
  assert(kinds.size() <= kMaxRangeReductions &&
         "more reductions than the query tile's shared memory holds");
  int64_t threads = tiling.warps * T::kWarpSize;
  auto combine = [&](OpBuilder &builder, Location loc, ReductionKind kind,
                     Value x, Value y) -> Value {
    if (kind == ReductionKind::Min)
      return arith::MinSIOp::create(builder, loc, x, y);
    return arith::MaxSIOp::create(builder, loc, x, y);
  };
  SmallVector<Value> identities;
  for (ReductionKind kind : kinds)
    identities.push_back(reductionIdentity(b, b.getLoc(), type, kind));
  Value thread = matrix->threadId();
  Value first = arith::AddIOp::create(b, begin, thread);
  Value step = index(b, threads * kReductionLoadsInFlight);
  auto loop = scf::ForOp::create(
      b, first, end, step, identities,
      [&](OpBuilder &builder, Location loc, Value position,
          ValueRange partial) {
        ImplicitLocOpBuilder at(loc, builder);
        SmallVector<Value> values(partial);
        for (int64_t n = 0; n < kReductionLoadsInFlight; ++n) {
          // Past the range: read the step's first position again, which
          // leaves a minimum or maximum as it is.
          Value k = arith::AddIOp::create(at, position, index(at, n * threads));
          Value inRange =
              arith::CmpIOp::create(at, arith::CmpIPredicate::slt, k, end);
          Value read = arith::SelectOp::create(at, inRange, k, position);
          SmallVector<Value> element = elements(at, loc, read);
          for (auto [slot, kind] : llvm::enumerate(kinds))
            values[slot] = combine(at, loc, kind, values[slot], element[slot]);
        }
        scf::YieldOp::create(at, values);
      });
  // A tree over the threads' values, in the query tile's shared memory.
  Type slotType = type.isIndex() ? b.getI64Type() : type;
  Value slots = matrix->sharedView(
      0, {static_cast<int64_t>(kinds.size()), threads}, slotType);
  auto slotIndex = [&](size_t slot) { return index(b, slot); };
  for (size_t slot = 0; slot < kinds.size(); ++slot) {
    Value value = loop.getResult(slot);
    if (type.isIndex())
      value = arith::IndexCastOp::create(b, slotType, value);
    memref::StoreOp::create(b, value, slots, ValueRange{slotIndex(slot), thread});
  }
  matrix->barrier();
  for (int64_t half = static_cast<int64_t>(llvm::PowerOf2Ceil(threads)) / 2;
       half >= 1; half /= 2) {
    Value partner = arith::AddIOp::create(b, thread, index(b, half));
    Value lower = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, thread,
                                        index(b, half));
    Value exists = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, partner,
                                         index(b, threads));
    auto owner = scf::IfOp::create(b, arith::AndIOp::create(b, lower, exists),
                                   /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&owner.getThenRegion().front());
      for (auto [slot, kind] : llvm::enumerate(kinds)) {
        Value mine =
            memref::LoadOp::create(b, slots, ValueRange{slotIndex(slot), thread});
        Value theirs = memref::LoadOp::create(
            b, slots, ValueRange{slotIndex(slot), partner});
        Value combined = combine(b, b.getLoc(), kind, mine, theirs);
        memref::StoreOp::create(b, combined, slots,
                                ValueRange{slotIndex(slot), thread});
      }
    }
    matrix->barrier();
  }
  SmallVector<Value> results;
  Value zero = index(b, 0);
  for (size_t slot = 0; slot < kinds.size(); ++slot) {
    Value value =
        memref::LoadOp::create(b, slots, ValueRange{slotIndex(slot), zero});
    if (type.isIndex())
      value = arith::IndexCastOp::create(b, type, value);
    results.push_back(value);
  }
  // The next reduction, or the query's copies, overwrite the slots.
  matrix->barrier();
  return results;
}

void NvidiaScheduleTarget::finalize(Operation *kernel) {
  schedule::multiplyByReciprocals(kernel);
  if (!elementType.isF32())
    useApproximateTanh(kernel);
}

GpuTiling mlir::attn::nvidia::chooseTiling(const KernelSpec &spec) {
  CascadeOp op = spec.cascade;
  AttentionShape shape = op.getAttentionShape();
  GpuTiling tiling;
  int64_t headDim = std::max(shape.headDimQK, shape.headDimV);
  // f32 tiles take twice the shared memory: 32 keys (16 at head dimension
  // 256) keep two stages within sm_80's limit.
  if (spec.arguments[0].type.getElementType().isF32()) {
    tiling.blockKV = headDim > 128 ? 16 : 32;
    return tiling;
  }
  // 128 f32 accumulators per lane at head dimension 256 leave room for
  // 32-key score tiles only.
  if (headDim > 128) {
    tiling.blockKV = 32;
    return tiling;
  }
  // Measured on an H200 with the previous, hand-written emitter (2026-11-30,
  // bf16, D = 128, S = 16384): 128 x 128 tiles on 8
  // warps beat 64 x 64 on 4 for dense (306 vs 300 TFLOP/s) and causal (291
  // vs 288) masks without score mods, but lose on sparser masks (window
  // 1024: 189 vs 224; S2 with 64-key blocks: 40 vs 242), whose partial tiles
  // grow with the tile, and with softcap (255 vs 264 with tanh.approx;
  // docs/results/h200-sweep.md).
  bool denseOrCausal = op.getMaskRegion().empty() && op.getScoreRegion().empty();
  op.getBody().walk([&](EinsumOp einsum) {
    walkMaps(einsum.getMap(), [&](MapAttr map) {
      if (map.getKind() == MapKind::ScoreMod ||
          (map.getKind() == MapKind::Mask && !isa<CausalAttr>(map.getRule())))
        denseOrCausal = false;
    });
  });
  if (shape.headDimQK == 128 && shape.headDimV == 128 && denseOrCausal) {
    tiling.warps = 8;
    tiling.blockQ = 128;
    tiling.blockKV = 128;
  }
  return tiling;
}
