//===- NvidiaScheduleTarget.cpp - The schedule on mma.sync GPUs -----------===//
#include "NvidiaScheduleTarget.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Schedule/KernelRewrites.h"
#include "attn/Schedule/TileProgram.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

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
} // namespace

NvidiaScheduleTarget::NvidiaScheduleTarget(const GpuTiling &tiling,
                                           Type elementType)
    : tiling(tiling), elementType(elementType) {}

NvidiaScheduleTarget::~NvidiaScheduleTarget() = default;

bool NvidiaScheduleTarget::queryInRegisters(int64_t headDimQK) const {
  // f32 A fragments take twice the registers of packed 16-bit ones.
  return headDimQK <= kMaxRegisterQueryDim && !elementType.isF32();
}

int64_t NvidiaScheduleTarget::sharedMemoryBytes(const KernelSpec &spec) const {
  AttentionShape shape = spec.cascade.getAttentionShape();
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  int64_t query = tiling.blockQ * shape.headDimQK * elementBytes;
  int64_t keys = tiling.stages * tiling.blockKV * shape.headDimQK * elementBytes;
  int64_t values = tiling.stages * tiling.blockKV * shape.headDimV * elementBytes;
  return query + keys + values;
}

LogicalResult NvidiaScheduleTarget::checkProgram(const TileProgram &program,
                                                 const KernelSpec &spec) {
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
  SmallVector<Value> registers;
  for (const Fragment &fragment : scores)
    llvm::append_range(registers, fragment);
  return registers;
}

SmallVector<Value> NvidiaScheduleTarget::multiplyValue(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  int64_t valueFragments = kernel.headDimV / T::kTileN;
  SmallVector<Fragment> sums;
  for (int64_t n = 0; n < valueFragments; ++n)
    sums.push_back(Fragment(accumulator.slice(4 * n, 4)));
  auto fragmentAt = [&](int64_t n) {
    return Fragment(probabilities.slice(4 * n, 4));
  };
  // P's C fragments of keys 16 kk .. 16 kk + 15 are the A fragment of k
  // step kk.
  for (int64_t kStep = 0; kStep < tiling.blockKV / T::kTileK; ++kStep) {
    Fragment probabilityA =
        matrix->packA(fragmentAt(2 * kStep), fragmentAt(2 * kStep + 1));
    for (int64_t n = 0; n < valueFragments; n += 2) {
      auto [valueB0, valueB1] = matrix->loadBPairTransposed(
          valueShared, {tile.stage}, index(b, T::kTileK * kStep), n);
      sums[n] = matrix->multiplyAccumulate(probabilityA, valueB0, sums[n]);
      sums[n + 1] =
          matrix->multiplyAccumulate(probabilityA, valueB1, sums[n + 1]);
    }
  }
  SmallVector<Value> registers;
  for (const Fragment &fragment : sums)
    llvm::append_range(registers, fragment);
  return registers;
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
