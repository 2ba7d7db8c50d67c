//===- HopperScheduleTarget.cpp - The schedule on wgmma (sm_90a) ----------===//
#include "HopperScheduleTarget.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/MaskVisits.h"
#include "attn/Hopper/HopperLayout.h"
#include "attn/Kernel/KernelSpec.h"
#include "attn/Schedule/TileProgram.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;
using namespace mlir::attn::schedule;
namespace layout = ::attn::hopper;

namespace {
using T = NvidiaMatrixTarget;

/// Dynamic shared memory one block may use on sm_90 (227 KiB).
constexpr int64_t kMaxSharedBytes = 227 * 1024;
constexpr int64_t kHeadDims[] = {64, 128, 256};
constexpr int64_t kWarpgroupWarps = 4;
constexpr int64_t kWarpgroupRows = 64;
/// wgmma's largest n.
constexpr int64_t kMaxN = 256;
/// The sequence length at which tilingFor compares tile shapes when the
/// spec's is dynamic (the benchmarks').
constexpr int64_t kComparedLength = 16384;
/// How much more area 128 x 128 tiles may visit than the default tiles and
/// still be chosen.
constexpr double kWideTileAreaSlack = 1.10;
/// The named barrier of the computing warps when a producer warp runs code
/// of its own (0 is the block's; 1 and 2 the turns').
constexpr int64_t kComputeBarrier = 3;
/// Registers per thread of a producer warpgroup and of the two computing
/// warpgroups beside it (setmaxnreg): 128 x 40 + 256 x 232 fit the 64K
/// register file, and each is a multiple of 8.
constexpr int32_t kProducerRegisters = 40;
constexpr int32_t kComputingRegisters = 232;
/// LLVM's NVPTX address spaces of shared memory (mbarrier pointers) and of
/// the cluster's shared window (TMA destinations; a block's own shared
/// addresses are valid there).
constexpr unsigned kSharedAddressSpace = 3;
constexpr unsigned kSharedClusterAddressSpace = 7;

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// The kernel argument named `name` ("k", "v"), or the arguments' end.
const KernelArgument *findArgument(const KernelSpec &spec, StringRef name) {
  return llvm::find_if(spec.arguments, [&](const KernelArgument &candidate) {
    return candidate.name == name;
  });
}

/// The first of K and V that is not a [B, H, S, depth] argument (which a
/// tensor map loads), or none.
std::optional<StringRef> unmappedKeyOrValue(const KernelSpec &spec) {
  for (StringRef name : {"k", "v"}) {
    const KernelArgument *argument = findArgument(spec, name);
    if (argument == spec.arguments.end() || argument->type.getRank() != 4)
      return name;
  }
  return std::nullopt;
}

/// Emits `body` where `value` `predicate` `bound` holds (index values).
void emitWhere(ImplicitLocOpBuilder &b, arith::CmpIPredicate predicate,
               Value value, int64_t bound, function_ref<void()> body) {
  Value holds =
      arith::CmpIOp::create(b, predicate, value, index(b, bound));
  auto guard = scf::IfOp::create(b, holds, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard insertion(b);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  body();
}

LLVM::LLVMStructType f32Struct(MLIRContext *context, int64_t size) {
  return LLVM::LLVMStructType::getLiteral(
      context, SmallVector<Type>(size, Float32Type::get(context)));
}

Value packStruct(ImplicitLocOpBuilder &b, ArrayRef<Value> values) {
  Value result = LLVM::PoisonOp::create(b, f32Struct(b.getContext(), values.size()));
  for (auto [position, value] : llvm::enumerate(values))
    result = LLVM::InsertValueOp::create(b, result, value,
                                         ArrayRef<int64_t>{int64_t(position)});
  return result;
}

SmallVector<Value> unpackStruct(ImplicitLocOpBuilder &b, Value result,
                                int64_t size) {
  SmallVector<Value> values;
  for (int64_t position = 0; position < size; ++position)
    values.push_back(LLVM::ExtractValueOp::create(b, result, position));
  return values;
}
} // namespace

std::optional<HopperStageSync>
mlir::attn::nvidia::hopperStageSyncFor(StringRef name,
                                       const GpuTiling &tiling,
                                       HopperOverlap overlap,
                                       HopperCopy copy) {
  if (name == "barrier")
    return HopperStageSync::Barrier;
  if (name == "mbarrier")
    return HopperStageSync::Mbarrier;
  if (name == "auto")
    return tiling.warps > kWarpgroupWarps || overlap != HopperOverlap::None ||
                   copy == HopperCopy::Tma
               ? HopperStageSync::Mbarrier
               : HopperStageSync::Barrier;
  return std::nullopt;
}

std::optional<HopperCopy> mlir::attn::nvidia::parseHopperCopy(StringRef name) {
  return llvm::StringSwitch<std::optional<HopperCopy>>(name)
      .Case("cp.async", HopperCopy::CpAsync)
      .Case("tma", HopperCopy::Tma)
      .Default(std::nullopt);
}

HopperCopy HopperScheduleTarget::copyFor(const schedule::TileProgram &program,
                                         const KernelSpec &spec,
                                         StringRef syncName,
                                         HopperOverlap overlap) {
  if (program.patches || syncName == "barrier" ||
      overlap == HopperOverlap::Softmax || unmappedKeyOrValue(spec))
    return HopperCopy::CpAsync;
  return HopperCopy::Tma;
}

std::optional<HopperProducer>
mlir::attn::nvidia::parseHopperProducer(StringRef name) {
  return llvm::StringSwitch<std::optional<HopperProducer>>(name)
      .Case("none", HopperProducer::None)
      .Case("warp", HopperProducer::Warp)
      .Case("warpgroup", HopperProducer::Warpgroup)
      .Default(std::nullopt);
}

std::optional<HopperOverlap>
mlir::attn::nvidia::parseHopperOverlap(StringRef name) {
  if (name == "none")
    return HopperOverlap::None;
  if (name == "softmax")
    return HopperOverlap::Softmax;
  if (name == "warpgroups")
    return HopperOverlap::Warpgroups;
  return std::nullopt;
}

HopperScheduleTarget::HopperScheduleTarget(const GpuTiling &tiling,
                                           Type elementType,
                                           HopperStageSync sync,
                                           HopperOverlap overlap,
                                           HopperCopy copy,
                                           HopperProducer producer)
    : NvidiaScheduleTarget(tiling, elementType), sync(sync), overlap(overlap),
      copy(copy), producer(producer) {}

int64_t HopperScheduleTarget::threadsPerBlock() const {
  int64_t producerWarps = producer == HopperProducer::Warp        ? 1
                          : producer == HopperProducer::Warpgroup ? kWarpgroupWarps
                                                                  : 0;
  return (tiling.warps + producerWarps) * T::kWarpSize;
}

std::optional<int64_t> HopperScheduleTarget::maxRegistersPerThread() const {
  if (!hasProducer())
    return std::nullopt;
  // Each of a multiprocessor's four schedulers holds a quarter of the
  // register file for the warps it runs, and a block's warps are spread
  // over them, so the scheduler with the most warps bounds the registers:
  // 168 for 9 or 12 warps. (A 288-thread block at 224 registers, under
  // 65536 in all, failed to launch on an H100 with
  // CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES.) Registers come in steps of 8.
  constexpr int64_t kSchedulers = 4, kRegistersPerScheduler = 16384,
                    kStep = 8, kMost = 255;
  int64_t warps = threadsPerBlock() / T::kWarpSize;
  int64_t warpsPerScheduler = llvm::divideCeil(warps, kSchedulers);
  int64_t registers =
      kRegistersPerScheduler / (warpsPerScheduler * T::kWarpSize);
  return std::min(kMost, registers / kStep * kStep);
}

void HopperScheduleTarget::inProducer(ImplicitLocOpBuilder &b,
                                      function_ref<void()> body) {
  emitWhere(b, arith::CmpIPredicate::uge, matrix->warpId(), tiling.warps, [&] {
    if (producer == HopperProducer::Warpgroup)
      NVVM::SetMaxRegisterOp::create(b, kProducerRegisters,
                                     NVVM::SetMaxRegisterAction::decrease);
    body();
  });
}

void HopperScheduleTarget::forEachLane(ImplicitLocOpBuilder &b,
                                       const KernelContext &kernel,
                                       const WorkItem &item,
                                       function_ref<void()> body) {
  if (!hasProducer())
    return NvidiaScheduleTarget::forEachLane(b, kernel, item, body);
  emitWhere(b, arith::CmpIPredicate::ult, matrix->warpId(), tiling.warps, [&] {
    if (producer == HopperProducer::Warpgroup)
      NVVM::SetMaxRegisterOp::create(b, kComputingRegisters,
                                     NVVM::SetMaxRegisterAction::increase);
    NvidiaScheduleTarget::forEachLane(b, kernel, item, body);
  });
}

GpuTiling HopperScheduleTarget::stagesFor(GpuTiling tiling,
                                          const KernelSpec &spec,
                                          HopperStageSync sync,
                                          HopperOverlap overlap,
                                          bool stagesGiven) {
  // One warpgroup per block has no other warpgroup to run ahead of, and a
  // third stage would cost the 64-row blocks their second block per
  // multiprocessor; the overlap needs the third stage whatever the block.
  if (stagesGiven || sync != HopperStageSync::Mbarrier ||
      (tiling.warps <= kWarpgroupWarps && overlap == HopperOverlap::None))
    return tiling;
  GpuTiling deeper = tiling;
  deeper.stages = 3;
  // The element type does not change the byte counts (f16 and bf16 only).
  HopperScheduleTarget probe(deeper, Float16Type::get(spec.function.getContext()),
                             sync, overlap);
  if (probe.sharedMemoryBytes(spec) <= kMaxSharedBytes)
    return deeper;
  tiling.stages = 2;
  return tiling;
}

GpuTiling HopperScheduleTarget::tilingFor(GpuTiling chosen,
                                          const KernelSpec &spec,
                                          HopperOverlap overlap) {
  AttentionShape shape = spec.cascade.getAttentionShape();
  Type element = spec.arguments[0].type.getElementType();
  if (element.isF32())
    return chosen;
  GpuTiling tiling = chosen;
  tiling.warps = 2 * kWarpgroupWarps;
  tiling.blockQ = 2 * kWarpgroupRows;
  // Head dimension 256 keeps its key tiles (two warpgroups for turns).
  if (std::max(shape.headDimQK, shape.headDimV) > 128)
    return overlap == HopperOverlap::Warpgroups ? tiling : chosen;
  if (overlap == HopperOverlap::Softmax) {
    tiling.blockKV = 64;
    return tiling;
  }
  tiling.blockKV = 128;
  if (chosen.blockQ == tiling.blockQ && chosen.blockKV == tiling.blockKV)
    return chosen;
  // Turns need two warpgroups: 128 x 64 where wide tiles do not pay.
  GpuTiling narrow = chosen;
  if (overlap == HopperOverlap::Warpgroups) {
    narrow = tiling;
    narrow.blockKV = 64;
  }
  // 128 x 128 tiles on two warpgroups beat 64 x 64 on one wherever they
  // visit about the same pairs (sliding window, soft-capping, head
  // dimension 64), and lose badly where the mask keeps narrow blocks (S2's
  // 64-key blocks: half of each wide tile is masked); docs/nvidia.md.
  std::optional<int64_t> narrowArea = visitedTileArea(
      spec, narrow.blockQ, narrow.blockKV, kComparedLength, kComparedLength);
  std::optional<int64_t> wideArea = visitedTileArea(
      spec, tiling.blockQ, tiling.blockKV, kComparedLength, kComparedLength);
  if (!narrowArea || !wideArea ||
      static_cast<double>(*wideArea) >
          kWideTileAreaSlack * static_cast<double>(*narrowArea))
    return narrow;
  return tiling;
}

HopperScheduleTarget::TileOffsets
HopperScheduleTarget::tileOffsets(int64_t headDimQK, int64_t headDimV) const {
  constexpr int64_t elementBytes = 2;
  TileOffsets o;
  o.query = 0;
  o.keys = tiling.blockQ * headDimQK * elementBytes;
  o.keyStage = tiling.blockKV * headDimQK * elementBytes;
  o.values = o.keys + tiling.stages * o.keyStage;
  o.valueStage = tiling.blockKV * headDimV * elementBytes;
  o.barriers = o.values + tiling.stages * o.valueStage;
  // A full and an empty mbarrier (8 bytes each) per stage.
  o.end = o.barriers + (usesMbarriers() ? 2 * tiling.stages * 8 : 0);
  return o;
}

int64_t HopperScheduleTarget::sharedMemoryBytes(const KernelSpec &spec) const {
  AttentionShape shape = spec.cascade.getAttentionShape();
  // Dynamic shared memory is only 16-byte aligned; the kernel aligns its
  // tiles to the swizzle atom inside this slack.
  return layout::kAtomBytes + tileOffsets(shape.headDimQK, shape.headDimV).end;
}

SmallVector<TensorMapUse>
HopperScheduleTarget::tensorMaps(const KernelSpec &spec) const {
  if (!loadsByTma())
    return {};
  SmallVector<TensorMapUse> maps;
  for (StringRef name : {"k", "v"}) {
    const KernelArgument *argument = findArgument(spec, name);
    assert(argument != spec.arguments.end() && "checkProgram found K and V");
    // [B, H, S, depth]: one column block of one head of one batch row.
    maps.push_back(TensorMapUse{
        static_cast<unsigned>(argument - spec.arguments.begin()),
        {static_cast<uint32_t>(layout::kBlockColumns),
         static_cast<uint32_t>(tiling.blockKV), 1, 1},
        layout::kSwizzleBytes});
  }
  return maps;
}

void HopperScheduleTarget::bindTensorMaps(ValueRange maps) {
  assert(maps.size() == 2 && "K's and V's maps");
  keyMap = maps[0];
  valueMap = maps[1];
}

LogicalResult HopperScheduleTarget::checkProgram(const TileProgram &program,
                                                 const KernelSpec &spec) {
  CascadeOp op = program.cascade;
  if (!elementType.isF16() && !elementType.isBF16())
    return op.emitError() << "the sm_90a (wgmma) kernel needs f16 or bf16 "
                          << "inputs, got " << elementType
                          << "; f32 runs on the sm_80/sm_90 kernel";
  AttentionShape shape = op.getAttentionShape();
  for (auto [name, dim] : {std::pair{"E", shape.headDimQK},
                           std::pair{"F", shape.headDimV}})
    if (!llvm::is_contained(kHeadDims, dim))
      return op.emitError() << "head dimension " << name << " = " << dim
                            << " is not supported by the sm_90a kernel "
                            << "(supported: 64 128 256)";
  if (program.blockQ != tiling.blockQ || program.blockKV != tiling.blockKV)
    return op.emitError() << "the cascade is tiled " << program.blockQ << " x "
                          << program.blockKV << " but the sm_90a schedule "
                          << "runs " << tiling.blockQ << " x "
                          << tiling.blockKV << " tiles";
  if (tiling.warps < kWarpgroupWarps || tiling.warps % kWarpgroupWarps != 0 ||
      tiling.blockQ != T::kTileM * tiling.warps)
    return op.emitError() << "the sm_90a kernel gives each warpgroup (4 "
                          << "warps) 64 query rows: warps must be a multiple "
                          << "of 4 and block-q = 16 * warps, got block-q = "
                          << tiling.blockQ << " and warps = " << tiling.warps;
  if (tiling.blockKV < T::kTileK || tiling.blockKV % T::kTileK != 0 ||
      tiling.blockKV > kMaxN)
    return op.emitError() << "sm_90a block-kv must be a multiple of 16 "
                          << "between 16 and 256 (wgmma's n), got "
                          << tiling.blockKV;
  if (overlap == HopperOverlap::Softmax && !usesMbarriers())
    return op.emitError() << "sm90a-overlap=softmax needs "
                          << "sm90a-sync=mbarrier or auto (its stages are released "
                          << "a visit late, which the CTA barriers' order "
                          << "does not allow)";
  if (takesTurns() && (!usesMbarriers() || tiling.warps != 2 * kWarpgroupWarps))
    return op.emitError() << "sm90a-overlap=warpgroups needs two warpgroups "
                          << "(warps = 8) on sm90a-sync=mbarrier or auto, got "
                          << tiling.warps << " warps"
                          << (usesMbarriers() ? "" : " on CTA barriers");
  if (loadsByTma()) {
    if (!usesMbarriers())
      return op.emitError() << "sm90a-copy=tma needs sm90a-sync=mbarrier or "
                            << "auto (its loads complete on the stages' "
                            << "mbarriers), got sm90a-sync=barrier";
    if (program.patches)
      return op.emitError() << "sm90a-copy=tma loads key tiles of "
                            << "contiguous rows; the patch tiles of "
                            << "neighborhood masks need sm90a-copy=cp.async";
    if (std::optional<StringRef> name = unmappedKeyOrValue(spec))
      return op.emitError() << "sm90a-copy=tma maps " << *name
                            << " as a [B, H, S, depth] tensor, which this "
                            << "kernel does not have";
  }
  if (hasProducer()) {
    if (!loadsByTma())
      return op.emitError() << "sm90a-producer needs sm90a-copy=tma (one "
                            << "thread of the producer issues every load)";
    if (producer == HopperProducer::Warpgroup &&
        tiling.warps != 2 * kWarpgroupWarps)
      return op.emitError() << "sm90a-producer=warpgroup gives the registers "
                            << "of a third warpgroup to two computing ones "
                            << "(warps = 8), got " << tiling.warps
                            << " warps (sm90a-producer=warp takes any; "
                            << "gpu-block-q=128 gpu-warps=8 gives two)";
    if (overlap == HopperOverlap::Softmax)
      return op.emitError() << "sm90a-producer and "
                            << "sm90a-overlap=softmax do not combine (the "
                            << "overlap releases stages a visit late)";
    if (program.visitMask && scannedDataOperand(program.visitMask))
      return op.emitError() << "sm90a-producer cannot find the key "
                            << "tiles of documents given as ids: scanning "
                            << "them needs every computing warp (use "
                            << "sm90a-producer=none)";
  }
  if (overlap == HopperOverlap::Softmax && tiling.stages < 3)
    return op.emitError() << "sm90a-overlap=softmax needs at least 3 K/V "
                          << "stages (it waits for a stage a visit early and "
                          << "releases it a visit late), got "
                          << tiling.stages;
  return checkStaging(op, spec, "sm_90a", kMaxSharedBytes, "");
}

void HopperScheduleTarget::forEachWorkItem(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    function_ref<void(const WorkItem &)> body) {
  NvidiaScheduleTarget::forEachWorkItem(b, kernel, [&](const WorkItem &item) {
    offsets = tileOffsets(kernel.headDimQK, kernel.headDimV);
    // Round the start of dynamic shared memory up to the swizzle atom.
    Value base = matrix->sharedBaseAddress();
    Value negated = arith::SubIOp::create(b, index(b, 0), base);
    Value padding =
        arith::AndIOp::create(b, negated, index(b, layout::kAtomBytes - 1));
    alignedAddress = arith::AddIOp::create(b, base, padding);
    auto view = [&](int64_t offset, ArrayRef<int64_t> shape) {
      return matrix->sharedView(
          arith::AddIOp::create(b, padding, index(b, offset)), shape);
    };
    int64_t blockColumns = layout::kBlockColumns;
    queryShared = view(offsets.query, {kernel.headDimQK / blockColumns,
                                       tiling.blockQ, blockColumns});
    keyShared = view(offsets.keys, {tiling.stages, kernel.headDimQK / blockColumns,
                                    tiling.blockKV, blockColumns});
    valueShared = view(offsets.values, {tiling.stages, kernel.headDimV / blockColumns,
                                        tiling.blockKV, blockColumns});
    // The producer warp runs code of its own: the computing warps' barriers
    // leave it out.
    if (hasProducer())
      matrix->restrictBarriers(kComputeBarrier, tiling.warps * T::kWarpSize);
    warpgroup =
        arith::DivUIOp::create(b, matrix->warpId(), index(b, kWarpgroupWarps));
    warpgroupQueryOffset = arith::MulIOp::create(
        b, warpgroup, index(b, kWarpgroupRows * layout::kSwizzleBytes));
    body(item);
  });
}

void HopperScheduleTarget::copyTile(ImplicitLocOpBuilder &b, Value shared,
                                    ValueRange prefix, Value source,
                                    Value batch, Value head,
                                    const schedule::TileRows &tileRows,
                                    int64_t rows, int64_t columns) {
  // Thread k copies chunk k % chunksPerRow of rows k / chunksPerRow,
  // + rowStep, ... into layout::tileChunkOffset's place: column block
  // chunk / 8, position (chunk mod 8) XOR (row mod 8).
  int64_t chunkElements = matrix->chunkElements();
  int64_t chunksPerRow = columns / chunkElements;
  int64_t chunksPerBlock = layout::kSwizzleBytes / layout::kChunkBytes;
  int64_t rowStep = tiling.warps * T::kWarpSize / chunksPerRow;
  Value chunk = arith::RemUIOp::create(b, matrix->threadId(), index(b, chunksPerRow));
  Value firstOwnRow =
      arith::DivUIOp::create(b, matrix->threadId(), index(b, chunksPerRow));
  Value block = arith::DivUIOp::create(b, chunk, index(b, chunksPerBlock));
  Value chunkInBlock = arith::RemUIOp::create(b, chunk, index(b, chunksPerBlock));
  Value sourceColumn = arith::MulIOp::create(b, chunk, index(b, chunkElements));
  for (int64_t step = 0; step < rows / rowStep; ++step) {
    Value row = arith::AddIOp::create(b, firstOwnRow, index(b, step * rowStep));
    // Rows of a patch are runs of contiguous tokens of the user's tensor.
    Value sourceRow = tileRows.position(b, row);
    Value valid = tileRows.exists(b, row);
    Value phase = arith::RemUIOp::create(b, row, index(b, layout::kSwizzleRows));
    Value position = arith::XOrIOp::create(b, chunkInBlock, phase);
    SmallVector<Value> sharedIndices(prefix);
    sharedIndices.append(
        {block, row, arith::MulIOp::create(b, position, index(b, chunkElements))});
    matrix->copyChunkAsync(
        shared, sharedIndices, source,
        {batch, head, sourceRow, sourceColumn},
        valid);
  }
}

void HopperScheduleTarget::copyQueryTile(ImplicitLocOpBuilder &b,
                                         const KernelContext &kernel,
                                         const WorkItem &item) {
  copyTile(b, queryShared, {}, kernel.operands.query, item.batch, item.head,
           item.rows, tiling.blockQ, kernel.headDimQK);
}

void HopperScheduleTarget::prepareQueryOperand(ImplicitLocOpBuilder &b,
                                               const KernelContext &kernel,
                                               const WorkItem &item) {
  if (!loadsByTma())
    return;
  waitCopies(b, 0);
  matrix->barrier();
}

void HopperScheduleTarget::loadTileByTma(ImplicitLocOpBuilder &b, Value map,
                                         Value tileOffset, Value firstRow,
                                         Value head, Value batch,
                                         int64_t columns, Value barrier) {
  auto i32 = [&](Value value) {
    return arith::IndexCastUIOp::create(b, b.getI32Type(), value);
  };
  Value row = i32(firstRow), head32 = i32(head), batch32 = i32(batch);
  Type clusterPointer =
      LLVM::LLVMPointerType::get(b.getContext(), kSharedClusterAddressSpace);
  for (int64_t block = 0; block < columns / layout::kBlockColumns; ++block) {
    Value offset = arith::AddIOp::create(
        b, tileOffset, index(b, block * tiling.blockKV * layout::kSwizzleBytes));
    Value address = arith::IndexCastOp::create(
        b, b.getI64Type(), arith::AddIOp::create(b, alignedAddress, offset));
    Value shared = LLVM::IntToPtrOp::create(
        b, LLVM::LLVMPointerType::get(b.getContext(), kSharedAddressSpace),
        address);
    Value destination = LLVM::AddrSpaceCastOp::create(b, clusterPointer, shared);
    Value column = arith::ConstantIntOp::create(
        b, b.getI32Type(), block * layout::kBlockColumns);
    // Coordinates innermost first: column, row, head, batch row. Rows past
    // the sequence arrive as zeros (the map's extent is the tensor's).
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, destination, map, ValueRange{column, row, head32, batch32}, barrier,
        /*im2colOffsets=*/ValueRange{}, /*multicastMask=*/Value(),
        /*l2CacheHint=*/Value(), NVVM::TMALoadMode::TILE,
        /*isCTAOnly=*/false, /*group=*/nullptr, /*predicate=*/Value());
  }
}

void HopperScheduleTarget::copyKeyValueTile(ImplicitLocOpBuilder &b,
                                            const KernelContext &kernel,
                                            const WorkItem &item,
                                            const KeyTile &tile) {
  if (loadsByTma()) {
    inLoadingThread(b, [&] {
      Value full = stageBarrierAt(b, tile.stage, /*empty=*/false);
      int64_t bytes = tiling.blockKV * (kernel.headDimQK + kernel.headDimV) * 2;
      NVVM::MBarrierExpectTxOp::create(
          b, full, arith::ConstantIntOp::create(b, b.getI32Type(), bytes));
      Value keyOffset = arith::AddIOp::create(
          b, index(b, offsets.keys),
          arith::MulIOp::create(b, tile.stage, index(b, offsets.keyStage)));
      Value valueOffset = arith::AddIOp::create(
          b, index(b, offsets.values),
          arith::MulIOp::create(b, tile.stage, index(b, offsets.valueStage)));
      loadTileByTma(b, keyMap, keyOffset, tile.keys.first, item.kvHead,
                    item.batch, kernel.headDimQK, full);
      loadTileByTma(b, valueMap, valueOffset, tile.keys.first, item.kvHead,
                    item.batch, kernel.headDimV, full);
    });
    return;
  }
  copyTile(b, keyShared, {tile.stage}, kernel.operands.key, item.batch,
           item.kvHead, tile.keys, tiling.blockKV, kernel.headDimQK);
  copyTile(b, valueShared, {tile.stage}, kernel.operands.value, item.batch,
           item.kvHead, tile.keys, tiling.blockKV, kernel.headDimV);
}

void HopperScheduleTarget::waitCopies(ImplicitLocOpBuilder &b,
                                      int64_t pending) {
  matrix->waitCopies(pending);
  // cp.async writes through the generic proxy, wgmma reads through the
  // async proxy: each thread orders its finished copies before the barrier
  // that follows.
  NVVM::FenceProxyOp::create(
      b, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(), NVVM::SharedSpace::shared_cta));
}

Value HopperScheduleTarget::descriptor(ImplicitLocOpBuilder &b,
                                       Value byteOffset, uint64_t highBits) {
  Value address = arith::AddIOp::create(b, alignedAddress, byteOffset);
  Value address64 = arith::IndexCastOp::create(b, b.getI64Type(), address);
  Value field = arith::ShRUIOp::create(
      b, address64, arith::ConstantIntOp::create(b, b.getI64Type(), 4));
  return arith::OrIOp::create(
      b, field,
      arith::ConstantIntOp::create(b, b.getI64Type(), static_cast<int64_t>(highBits)));
}

SmallVector<Value> HopperScheduleTarget::pinRegisters(ImplicitLocOpBuilder &b,
                                                      ArrayRef<Value> values) {
  SmallVector<Value> pinned;
  for (Value value : values) {
    bool isFloat = value.getType().isF32();
    auto asmOp = LLVM::InlineAsmOp::create(
        b, value.getType(), ValueRange{value}, "", isFloat ? "=f,0" : "=r,0",
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
        ArrayAttr());
    pinned.push_back(asmOp.getResult(0));
  }
  return pinned;
}

SmallVector<Value>
HopperScheduleTarget::multiplyQueryKey(ImplicitLocOpBuilder &b,
                                       const KernelContext &kernel,
                                       const WorkItem &item,
                                       const KeyTile &tile) {
  if (takesTurns())
    beginTurn(b);
  SmallVector<Value> scores = startQueryKey(b, kernel, item, tile);
  commitProducts(b);
  // The turn passes once the product is issued: the other warpgroup's
  // queues behind it while this one waits for its own.
  if (takesTurns())
    endTurn(b);
  return waitProducts(b, 0, scores);
}

SmallVector<Value> HopperScheduleTarget::multiplyValue(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  if (takesTurns())
    beginTurn(b);
  SmallVector<Value> sums =
      startValueProduct(b, kernel, item, tile, probabilities, accumulator);
  commitProducts(b);
  if (takesTurns())
    endTurn(b);
  return waitProducts(b, 0, sums);
}

Value HopperScheduleTarget::turnBarrier(ImplicitLocOpBuilder &b, Value group) {
  // Barrier 0 is the CTA barrier.
  Value id = arith::AddIOp::create(b, group, index(b, 1));
  return arith::IndexCastUIOp::create(b, b.getI32Type(), id);
}

Value HopperScheduleTarget::turnThreads(ImplicitLocOpBuilder &b) {
  return arith::ConstantIntOp::create(b, b.getI32Type(),
                                      2 * kWarpgroupWarps * T::kWarpSize);
}

void HopperScheduleTarget::beginTurn(ImplicitLocOpBuilder &b) {
  NVVM::BarrierOp::create(b, TypeRange{}, turnBarrier(b, warpgroup),
                          turnThreads(b), /*reductionOp=*/{},
                          /*reductionPredicate=*/Value());
}

void HopperScheduleTarget::endTurn(ImplicitLocOpBuilder &b) {
  Value other = arith::SubIOp::create(b, index(b, 1), warpgroup);
  NVVM::BarrierArriveOp::create(b, turnBarrier(b, other), turnThreads(b));
}

void HopperScheduleTarget::commitProducts(ImplicitLocOpBuilder &b) {
  NVVM::WgmmaGroupSyncAlignedOp::create(b);
}

SmallVector<Value>
HopperScheduleTarget::waitProducts(ImplicitLocOpBuilder &b, int64_t pending,
                                   ArrayRef<Value> registers) {
  NVVM::WgmmaWaitGroupSyncOp::create(b, pending);
  return pinRegisters(b, registers);
}

SmallVector<Value>
HopperScheduleTarget::startQueryKey(ImplicitLocOpBuilder &b,
                                    const KernelContext &kernel,
                                    const WorkItem &item,
                                    const KeyTile &tile) {
  int64_t n = tiling.blockKV;
  int64_t registers = n / 2;
  Value zero = arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(0.0f));
  Value accumulator =
      packStruct(b, pinRegisters(b, SmallVector<Value>(registers, zero)));
  uint64_t queryBits = layout::descriptorHighBits(layout::Major::K, tiling.blockQ);
  uint64_t keyBits = layout::descriptorHighBits(layout::Major::K, tiling.blockKV);
  Value keyStage = arith::MulIOp::create(b, tile.stage, index(b, offsets.keyStage));
  auto type = elementType.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  NVVM::WgmmaFenceAlignedOp::create(b);
  for (int64_t kStep = 0; kStep < kernel.headDimQK / layout::kStepK; ++kStep) {
    Value queryOffset = arith::AddIOp::create(
        b, warpgroupQueryOffset,
        index(b, offsets.query + layout::operandByteOffset(layout::Major::K,
                                                           tiling.blockQ, 0, kStep)));
    Value keyOffset = arith::AddIOp::create(
        b, keyStage,
        index(b, offsets.keys + layout::operandByteOffset(layout::Major::K,
                                                          tiling.blockKV, 0, kStep)));
    Value queryDescriptor = descriptor(b, queryOffset, queryBits);
    Value keyDescriptor = descriptor(b, keyOffset, keyBits);
    accumulator = NVVM::WgmmaMmaAsyncOp::create(
        b, accumulator.getType(), accumulator, queryDescriptor, keyDescriptor,
        NVVM::MMAShapeAttr::get(b.getContext(), kWarpgroupRows, n, layout::kStepK),
        type, type, NVVM::WGMMATypes::f32,
        kStep == 0 ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
        NVVM::MMALayout::col, /*satfinite=*/nullptr);
  }
  return unpackStruct(b, accumulator, registers);
}

SmallVector<Value> HopperScheduleTarget::startValueProduct(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  int64_t n = kernel.headDimV;
  int64_t registers = n / 2;
  // One inline wgmma per 16 keys: `registers` accumulators read and
  // written ($0.. and their tied inputs), the 4 A registers, V's
  // descriptor. scale-d is 1 (accumulate); imm-trans-b 1: V is MN-major.
  std::string accumulators;
  for (int64_t r = 0; r < registers; ++r)
    accumulators += (r ? ", $" : "$") + std::to_string(r);
  int64_t a0 = 2 * registers;
  std::string ptx = "wgmma.mma_async.sync.aligned.m64n" + std::to_string(n) +
                    "k16.f32." + (elementType.isBF16() ? "bf16.bf16" : "f16.f16") +
                    " {" + accumulators + "}, {$" + std::to_string(a0) + ", $" +
                    std::to_string(a0 + 1) + ", $" + std::to_string(a0 + 2) + ", $" +
                    std::to_string(a0 + 3) + "}, $" + std::to_string(a0 + 4) +
                    ", 1, 1, 1, 1;";
  SmallVector<std::string> constraints;
  for (int64_t r = 0; r < registers; ++r)
    constraints.push_back("=f");
  for (int64_t r = 0; r < registers; ++r)
    constraints.push_back(std::to_string(r));
  constraints.append({"r", "r", "r", "r", "l"});
  std::string constraintText = llvm::join(constraints, ",");
  auto resultType = f32Struct(b.getContext(), registers);
  uint64_t valueBits = layout::descriptorHighBits(layout::Major::MN, tiling.blockKV);
  Value valueStage =
      arith::MulIOp::create(b, tile.stage, index(b, offsets.valueStage));

  auto fragmentAt = [&](int64_t block) {
    return Fragment(probabilities.slice(4 * block, 4));
  };
  // P's A fragments (packed 16-bit pairs as b32 registers), all of them
  // before the fence.
  SmallVector<Value> aRegisters;
  for (int64_t kStep = 0; kStep < tiling.blockKV / layout::kStepK; ++kStep) {
    Fragment packed =
        matrix->packA(fragmentAt(2 * kStep), fragmentAt(2 * kStep + 1));
    for (Value pair : packed) {
      Value word = vector::BitCastOp::create(
          b, VectorType::get({1}, b.getI32Type()), pair);
      aRegisters.push_back(
          vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0}));
    }
  }
  aRegisters = pinRegisters(b, aRegisters);
  SmallVector<Value> sums = pinRegisters(b, accumulator);
  NVVM::WgmmaFenceAlignedOp::create(b);
  for (int64_t kStep = 0; kStep < tiling.blockKV / layout::kStepK; ++kStep) {
    Value valueOffset = arith::AddIOp::create(
        b, valueStage,
        index(b, offsets.values + layout::operandByteOffset(layout::Major::MN,
                                                            tiling.blockKV, 0, kStep)));
    SmallVector<Value> operands(sums);
    operands.append(aRegisters.begin() + 4 * kStep,
                    aRegisters.begin() + 4 * kStep + 4);
    operands.push_back(descriptor(b, valueOffset, valueBits));
    auto mma = LLVM::InlineAsmOp::create(
        b, resultType, operands, ptx, constraintText,
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
        ArrayAttr());
    sums = unpackStruct(b, mma.getResult(0), registers);
  }
  return sums;
}

//===--- Stage synchronization by mbarriers --------------------------------===//
// Protocol (sm90a-sync=mbarrier; docs/nvidia.md, "sm_90a (Hopper)"): a range's
// visit v uses stage s = v mod S in round r = v div S. full[s] and empty[s]
// both expect one arrival per thread of the block, so phase r of full[s]
// completes when the copies of every thread for visit v have landed, and
// phase r of empty[s] when every thread has read visit v's stage. Before
// copying visit v >= S into s a thread waits for phase r - 1 of empty[s]
// (visit v - S released); a thread computes visit v after phase r of full[s].
// Neither barrier can run two phases ahead of a waiter: the next phase needs
// the waiter's own arrival, which follows its wait.

int64_t HopperScheduleTarget::copiesAhead() const {
  if (!usesMbarriers())
    return NvidiaScheduleTarget::copiesAhead();
  // The overlapped loop releases visit n - 1 at step n before it fills
  // visit n + stages - 1 (ScheduleTarget.h, "Overlapped key loops").
  if (overlapsProducts())
    return tiling.stages - 1;
  return std::max<int64_t>(1, tiling.stages - 2);
}

Value HopperScheduleTarget::stageBarrier(ImplicitLocOpBuilder &b, Value visit,
                                         bool empty) {
  return stageBarrierAt(
      b, arith::RemUIOp::create(b, visit, index(b, tiling.stages)), empty);
}

Value HopperScheduleTarget::stageBarrierAt(ImplicitLocOpBuilder &b,
                                           Value stage, bool empty) {
  Value slot = arith::AddIOp::create(
      b, stage, index(b, empty ? tiling.stages : 0));
  Value offset = arith::MulIOp::create(b, slot, index(b, 8));
  Value start = arith::AddIOp::create(b, alignedAddress,
                                      index(b, offsets.barriers));
  Value address = arith::AddIOp::create(b, start, offset);
  Value address64 = arith::IndexCastOp::create(b, b.getI64Type(), address);
  return LLVM::IntToPtrOp::create(
      b, LLVM::LLVMPointerType::get(b.getContext(), kSharedAddressSpace),
      address64);
}

void HopperScheduleTarget::waitBarrierPhase(ImplicitLocOpBuilder &b,
                                            Value barrier, Value round) {
  Value round32 = arith::IndexCastUIOp::create(b, b.getI32Type(), round);
  Value parity = arith::AndIOp::create(
      b, round32, arith::ConstantIntOp::create(b, b.getI32Type(), 1));
  // The suspend-time hint of each try (ns): the waiting warp sleeps rather
  // than spins while the other warpgroup computes.
  Value ticks = arith::ConstantIntOp::create(b, b.getI32Type(), 10000000);
  NVVM::MBarrierTryWaitParityOp::create(b, barrier, parity, ticks);
}

void HopperScheduleTarget::inFirstThread(ImplicitLocOpBuilder &b,
                                         function_ref<void()> body) {
  emitWhere(b, arith::CmpIPredicate::eq, matrix->threadId(), 0, body);
}

void HopperScheduleTarget::inLoadingThread(ImplicitLocOpBuilder &b,
                                           function_ref<void()> body) {
  int64_t loader = hasProducer() ? tiling.warps * T::kWarpSize : 0;
  emitWhere(b, arith::CmpIPredicate::eq, matrix->threadId(), loader, body);
}

void HopperScheduleTarget::blockBarrier(ImplicitLocOpBuilder &b) {
  gpu::BarrierOp::create(b);
}

void HopperScheduleTarget::inWarpgroup(ImplicitLocOpBuilder &b, int64_t group,
                                       function_ref<void()> body) {
  emitWhere(b, arith::CmpIPredicate::eq, warpgroup, group, body);
}

void HopperScheduleTarget::beginVisits(ImplicitLocOpBuilder &b) {
  if (!usesMbarriers())
    return;
  // Every range numbers its visits from 0: its barriers start at phase 0.
  inFirstThread(b, [&] {
    Value threads = arith::ConstantIntOp::create(
        b, b.getI32Type(), tiling.warps * T::kWarpSize);
    // With TMA the one loading thread arrives on a full barrier, and the
    // copy engine's bytes complete its phase.
    Value loaders = loadsByTma()
                        ? arith::ConstantIntOp::create(b, b.getI32Type(), 1)
                        : threads;
    for (int64_t stage = 0; stage < tiling.stages; ++stage)
      for (bool empty : {false, true}) {
        Value barrier = stageBarrier(b, index(b, stage), empty);
        NVVM::MBarrierInitOp::create(b, barrier, empty ? threads : loaders,
                                     Value());
      }
    // Orders the initializations before the copy unit's arrivals.
    NVVM::FenceMbarrierInitOp::create(b);
  });
  // The producer warp too: it issues copies once the barriers exist.
  blockBarrier(b);
  // Warpgroup 0 takes the first turn.
  if (takesTurns())
    inWarpgroup(b, 1, [&] { endTurn(b); });
}

void HopperScheduleTarget::endVisits(ImplicitLocOpBuilder &b) {
  if (!usesMbarriers())
    return;
  // The turn warpgroup 1 passed on after its last product (or, with no
  // visits, the first turn) goes unused.
  if (takesTurns())
    inWarpgroup(b, 0, [&] { beginTurn(b); });
  // Every thread is past its last wait and arrival before the barriers are
  // invalidated (the next range initializes them again).
  blockBarrier(b);
  inFirstThread(b, [&] {
    for (int64_t stage = 0; stage < tiling.stages; ++stage)
      for (bool empty : {false, true})
        NVVM::MBarrierInvalOp::create(b, stageBarrier(b, index(b, stage), empty));
  });
}

void HopperScheduleTarget::acquireStage(ImplicitLocOpBuilder &b, Value visit) {
  if (!usesMbarriers())
    return;
  Value stages = index(b, tiling.stages);
  Value refill = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, visit,
                                       stages);
  auto guard = scf::IfOp::create(b, refill, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard insertion(b);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  // Visit v - S (round r - 1) released by every thread; with TMA only the
  // loading thread refills the stage.
  auto wait = [&] {
    Value round = arith::DivUIOp::create(b, visit, stages);
    Value previous = arith::SubIOp::create(b, round, index(b, 1));
    Value barrier = stageBarrier(b, visit, /*empty=*/true);
    waitBarrierPhase(b, barrier, previous);
  };
  if (loadsByTma())
    inLoadingThread(b, wait);
  else
    wait();
}

void HopperScheduleTarget::stageFilled(ImplicitLocOpBuilder &b, Value visit) {
  if (!usesMbarriers())
    return;
  // The loading thread's arrival (after its expected bytes, if the tile was
  // not skipped) leaves the phase to the copy engine.
  if (loadsByTma()) {
    inLoadingThread(b, [&] {
      NVVM::MBarrierArriveOp::create(
          b, Type(), stageBarrier(b, visit, false), Value(),
          NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA));
    });
    return;
  }
  // Arrives once all of this thread's cp.async so far have landed (the
  // query tile's too, before visit 0); noinc: the arrival counts toward
  // the one per thread the barrier expects.
  NVVM::CpAsyncMBarrierArriveOp::create(b, stageBarrier(b, visit, false),
                                        b.getBoolAttr(true));
}

void HopperScheduleTarget::waitStage(ImplicitLocOpBuilder &b, Value visit) {
  if (!usesMbarriers())
    return NvidiaScheduleTarget::waitStage(b, visit);
  Value round = arith::DivUIOp::create(b, visit, index(b, tiling.stages));
  waitBarrierPhase(b, stageBarrier(b, visit, false), round);
  // TMA writes through the async proxy, which wgmma reads.
  if (loadsByTma())
    return;
  // The copies were written through the generic proxy (by every thread,
  // made visible to this one by the barrier's acquire); wgmma reads
  // through the async proxy.
  NVVM::FenceProxyOp::create(
      b, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(), NVVM::SharedSpace::shared_cta));
}

void HopperScheduleTarget::releaseStage(ImplicitLocOpBuilder &b, Value visit) {
  if (!usesMbarriers())
    return NvidiaScheduleTarget::releaseStage(b, visit);
  // The products reading the stage were waited for (each one, or with the
  // overlap the step's wait for the visit's P V): its reads are done.
  NVVM::MBarrierArriveOp::create(
      b, Type(), stageBarrier(b, visit, true), Value(),
      NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA));
}
