//===- NvidiaScheduleTarget.h - The schedule on mma.sync GPUs ---*- C++ -*-===//
//
// The NVIDIA ScheduleTarget for sm_80 and sm_90: one thread block per work
// item, each warp owning
// 16 query rows; both products on mma.sync (m16n8k16 for f16/bf16, 3xTF32
// m16n8k8 for f32, NvidiaMatrixTarget.h); K/V tiles staged `stages` deep in
// XOR-swizzled shared memory by cp.async, Q staged once and kept in
// registers up to head dimension 128. The sm_90a target
// (hopper/HopperScheduleTarget.h) derives from it: same work items, lanes,
// accumulator layout and shuffles, its own staging and products.
//
// Accumulator layout (mma.sync's C fragment, lane = 4 g + t): register
// 4 n + e holds row g + 8 (e / 2), column 8 n + 2 t + e % 2; the four lanes
// of a quad share rows (XOR distances 1 and 2).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_NVIDIA_NVIDIASCHEDULETARGET_H
#define ATTN_NVIDIA_NVIDIASCHEDULETARGET_H

#include "NvidiaMatrixTarget.h"
#include "attn/Schedule/ScheduleTarget.h"
#include <memory>
#include <optional>

namespace mlir::attn::nvidia {

/// The schedule of one kernel; chooseTiling gives the defaults.
struct GpuTiling {
  /// Query rows per thread block (16 per warp).
  int64_t blockQ = 64;
  /// Key columns per key tile (a multiple of 16).
  int64_t blockKV = 64;
  int64_t warps = 4;
  /// K/V shared-memory stages (2 = double buffering).
  int64_t stages = 2;
  /// Thread blocks that should fit on one multiprocessor at once (0: no
  /// hint); ptxas then caps the registers per thread.
  int64_t minBlocksPerMultiprocessor = 0;
};

/// A tensor map a kernel loads through (TMA): the kernel argument it maps,
/// its box in elements (innermost dimension first) and its swizzle span in
/// bytes (0: none). The kernel takes one parameter per map after its
/// arguments; the runtime encodes the maps at every launch.
struct TensorMapUse {
  unsigned argument = 0;
  SmallVector<uint32_t, 4> box;
  int64_t swizzleBytes = 0;
};

class NvidiaScheduleTarget : public schedule::ScheduleTarget {
public:
  NvidiaScheduleTarget(const GpuTiling &tiling, Type elementType);
  ~NvidiaScheduleTarget() override;

  /// Dynamic shared memory a block of this schedule uses.
  virtual int64_t sharedMemoryBytes(const KernelSpec &spec) const;
  /// The tensor maps the kernel loads through (none: cp.async only).
  virtual SmallVector<TensorMapUse> tensorMaps(const KernelSpec &spec) const {
    return {};
  }
  /// The kernel parameters of tensorMaps(), in its order, before emission.
  virtual void bindTensorMaps(ValueRange maps) {}
  /// Threads per block (the launch's block.x).
  virtual int64_t threadsPerBlock() const;
  /// The registers per thread the kernel must stay within (.maxnreg), or
  /// none (ptxas chooses).
  virtual std::optional<int64_t> maxRegistersPerThread() const {
    return std::nullopt;
  }

  /// Makes this target emit phase `phase` of a backward kernel whose
  /// `phases` gradient programs run in one launch: blocks with
  /// blockIdx.z % phases == phase run it (blockIdx.z / phases is the batch
  /// row), each striding over its row tiles by gridDim.x.
  void setGradientPhase(int64_t phase, int64_t phases);
  /// Dynamic shared memory the gradient program needs (after checkProgram):
  /// a tile of each operand its products read at the rows, `stages` tiles
  /// of each read at the columns, and f32 partial sums per column.
  int64_t gradientSharedMemoryBytes(const schedule::TileProgram &program) const;

  /// A gradient program's operand tile in shared memory: its byte offset
  /// and depth, and (once the emitter has issued its copies) the memref its
  /// tiles are copied from.
  struct StagedOperand {
    int64_t offset = 0, depth = 0;
    Value memref;
  };

  LogicalResult checkProgram(const schedule::TileProgram &program,
                             const KernelSpec &spec) override;
  /// The checks of the K/V staging every NVIDIA kernel shares: at least two
  /// stages, tiles that split evenly into 16-byte copies over the block's
  /// threads, and shared memory within `maxSharedBytes` (`limitNote` says
  /// whose limit). `kernelName` starts the messages ("NVIDIA", "sm_90a").
  LogicalResult checkStaging(CascadeOp op, const KernelSpec &spec,
                             StringRef kernelName, int64_t maxSharedBytes,
                             StringRef limitNote) const;

  void forEachWorkItem(ImplicitLocOpBuilder &b,
                       const schedule::KernelContext &kernel,
                       function_ref<void(const schedule::WorkItem &)> body)
      override;
  void forEachLane(ImplicitLocOpBuilder &b,
                   const schedule::KernelContext &kernel,
                   const schedule::WorkItem &item,
                   function_ref<void()> body) override {
    body();
  }

  schedule::FragmentLayout accumulatorLayout(int64_t columns) const override;
  Value laneRow(ImplicitLocOpBuilder &b) override { return warpRowOffsetAndRow; }
  Value laneColumn(ImplicitLocOpBuilder &b) override { return laneEvenColumn; }
  Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                   int64_t xorMask) override;
  Type ruleIndexType(Builder &b) const override { return b.getI32Type(); }

  int64_t stages() const override { return tiling.stages; }
  void copyQueryTile(ImplicitLocOpBuilder &b,
                     const schedule::KernelContext &kernel,
                     const schedule::WorkItem &item) override;
  void prepareQueryOperand(ImplicitLocOpBuilder &b,
                           const schedule::KernelContext &kernel,
                           const schedule::WorkItem &item) override;
  void copyKeyValueTile(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile) override;
  void copyRowOperands(ImplicitLocOpBuilder &b,
                       const schedule::KernelContext &kernel,
                       const schedule::WorkItem &item,
                       ArrayRef<schedule::ProductMemRef> operands) override;
  void commitCopies(ImplicitLocOpBuilder &b) override;
  void waitCopies(ImplicitLocOpBuilder &b, int64_t pending) override;
  void barrier(ImplicitLocOpBuilder &b) override;

  SmallVector<Value> multiplyQueryKey(ImplicitLocOpBuilder &b,
                                      const schedule::KernelContext &kernel,
                                      const schedule::WorkItem &item,
                                      const schedule::KeyTile &tile) override;
  SmallVector<Value> multiplyValue(ImplicitLocOpBuilder &b,
                                   const schedule::KernelContext &kernel,
                                   const schedule::WorkItem &item,
                                   const schedule::KeyTile &tile,
                                   ArrayRef<Value> probabilities,
                                   ArrayRef<Value> accumulator) override;

  SmallVector<Value>
  multiplyRowsByColumns(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile,
                        const schedule::ProductMemRef &rows,
                        const schedule::ProductMemRef &columns) override;
  SmallVector<Value> multiplyScoresByColumns(
      ImplicitLocOpBuilder &b, const schedule::KernelContext &kernel,
      const schedule::WorkItem &item, const schedule::KeyTile &tile,
      const schedule::ProductMemRef &columns, ArrayRef<Value> scores,
      ArrayRef<Value> accumulator) override;
  SmallVector<Value> multiplyRows(ImplicitLocOpBuilder &b,
                                  const schedule::KernelContext &kernel,
                                  const schedule::WorkItem &item,
                                  const schedule::ProductMemRef &first,
                                  const schedule::ProductMemRef &second) override;
  SmallVector<Value> multiplyColumns(ImplicitLocOpBuilder &b,
                                     const schedule::KernelContext &kernel,
                                     const schedule::WorkItem &item,
                                     const schedule::KeyTile &tile,
                                     const schedule::ProductMemRef &first,
                                     const schedule::ProductMemRef &second) override;

  /// Each thread reduces every `threads`-th position (several loads in
  /// flight per step), then the block combines the threads' values in a
  /// tree in shared memory, before the query tile is staged there.
  SmallVector<Value> reduceOverRange(ImplicitLocOpBuilder &b, Value begin,
                                     Value end, Type type,
                                     ArrayRef<ReductionKind> kinds,
                                     ReductionElements elements) override;

  void finalize(Operation *kernel) override;

protected:
  /// Copies tile rows [0, rows) of `source[batch, head]` (at the positions
  /// `tileRows` gives) into the staged tile `shared` (prefixed by
  /// `prefix`), zero rows that do not exist.
  void copyTileAsync(ImplicitLocOpBuilder &b, Value shared, ValueRange prefix,
                     Value source, Value batch, Value head,
                     const schedule::TileRows &tileRows, int64_t rows,
                     int64_t columns);
  /// `accumulator` (C fragments) plus `scores` (C fragments of
  /// `scoreColumns` columns, rounded into A fragments by k steps of 16)
  /// times the staged tile `shared[stage...]` read transposed: P V and
  /// the gradient programs' scores-by-columns product.
  SmallVector<Value> multiplyScoresByStagedTile(ImplicitLocOpBuilder &b,
                                                ArrayRef<Value> scores,
                                                int64_t scoreColumns,
                                                ArrayRef<Value> accumulator,
                                                Value shared, ValueRange stage);
  /// `sum` (none: zero) plus the dot product of the chunks `left` and
  /// `right`, widened to f32 and added element by element: the row and
  /// column sums of the gradient programs (D = rowsum(dO o O)).
  Value addChunkDot(ImplicitLocOpBuilder &b, Value left, Value right,
                    Value sum);
  bool queryInRegisters(int64_t headDimQK) const;
  LogicalResult checkGradientProgram(const schedule::TileProgram &program);
  /// Gradient programs: places the staged operands in shared memory (rows
  /// at offset 0, then the column stages, then the per-column sums).
  void layOutGradientOperands(const schedule::TileProgram &program);
  /// The staged tiles of a row operand, [rows, depth], and of a column
  /// operand, [stages, columns, depth].
  Value rowOperandTile(const StagedOperand &operand);
  Value columnOperandTile(const StagedOperand &operand);

  GpuTiling tiling;
  Type elementType;
  std::unique_ptr<NvidiaMatrixTarget> matrix;
  Value queryShared, keyShared, valueShared;
  /// 16 warp + g and 2 t: the lane's first row and column.
  Value warpRowOffset, warpRowOffsetAndRow, laneEvenColumn;
  SmallVector<Fragment> queryFragments;
  /// Backward kernels: this program's phase and the number of phases (0:
  /// a forward kernel).
  int64_t gradientPhase = 0, gradientPhases = 0;
  /// Gradient programs: the row and column counts of its tiles, its staged
  /// operands (rowProductOperands and columnProductOperands, in order), the
  /// offset of the per-column partial sums and their parts per column, and
  /// the dynamic shared memory of it all.
  int64_t gradientRows = 0, gradientColumns = 0;
  SmallVector<StagedOperand> rowOperands, columnOperands;
  int64_t columnSumsOffset = 0, columnSumParts = 1, gradientSharedBytes = 0;
};

/// The default schedule for `spec` (by head dimension, element type and
/// mask).
GpuTiling chooseTiling(const KernelSpec &spec);

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_NVIDIASCHEDULETARGET_H
