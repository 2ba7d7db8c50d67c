//===- HopperScheduleTarget.h - The schedule on wgmma (sm_90a) --*- C++ -*-===//
//
// The sm_90a ScheduleTarget: the work items, lanes, accumulator layout and
// shuffles of NvidiaScheduleTarget (a warpgroup's wgmma accumulator holds,
// per warp, exactly mma.sync's C fragments), with both products on
// wgmma.mma_async:
//   S = Q K^T   one m64nNk16 per 16 of the head dimension, N = block-kv, A
//               (Q) and B (K) read from shared memory through descriptors
//               (nvvm.wgmma.mma_async);
//   O += P V    one m64nFk16 per 16 keys, A = P from registers (mma.sync's
//               A fragment layout, packed from the score accumulator), B = V
//               through a descriptor, transposed (MN-major); inline PTX,
//               since nvvm.wgmma.mma_async has no register-A form.
// Warpgroup w (warps 4w .. 4w + 3) owns query rows 64 w .. 64 w + 63, so
// block-q = 64 x warpgroups. Q, K and V tiles are staged by cp.async into
// 128-byte-swizzled, 1024-byte-aligned tiles (attn/Hopper/HopperLayout.h);
// a proxy fence makes the copies visible to wgmma. Stages complete through
// copy groups and CTA barriers, or (sm90a-sync=mbarrier) per-stage full and
// empty mbarriers. Each product waits for its own wgmma group: no overlap
// of softmax and products yet, no TMA, no warp specialization
// (docs/nvidia.md, "sm_90a (Hopper)").
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_NVIDIA_HOPPER_HOPPERSCHEDULETARGET_H
#define ATTN_NVIDIA_HOPPER_HOPPERSCHEDULETARGET_H

#include "../NvidiaScheduleTarget.h"
#include <optional>

namespace mlir::attn::nvidia {

/// How the sm_90a kernel completes its K/V stages (attn-compile option
/// sm90a-sync; docs/nvidia.md, "sm_90a (Hopper)").
enum class HopperStageSync {
  /// cp.async groups: wait for the visit's group, CTA barrier, compute, CTA
  /// barrier.
  Barrier,
  /// Per-stage full and empty mbarriers: each thread's copies arrive on the
  /// stage's full barrier when they land (cp.async.mbarrier.arrive.noinc),
  /// each thread arrives on its empty barrier once it has read the stage,
  /// and a stage is refilled once every thread has; one stage of slack lets
  /// a warpgroup run a key tile ahead of the other.
  Mbarrier,
};

/// The synchronization that sm90a-sync=`name` gives an sm_90a kernel of
/// `tiling`, or none when `name` is not auto, barrier or mbarrier. auto
/// (the default) takes mbarriers for blocks of several warpgroups, which run
/// a key tile apart on them, and CTA barriers for one warpgroup, which has
/// nothing to run ahead of: the faster of the two on an H100 for each
/// (docs/results/h100-hopper.md).
std::optional<HopperStageSync> hopperStageSyncFor(StringRef name,
                                                  const GpuTiling &tiling);

class HopperScheduleTarget final : public NvidiaScheduleTarget {
public:
  HopperScheduleTarget(const GpuTiling &tiling, Type elementType,
                       HopperStageSync sync = HopperStageSync::Barrier);

  /// `tiling` with the stages `sync` runs best for `spec` when the user
  /// gave none (`stagesGiven` false): with mbarriers and several
  /// warpgroups 3 where they fit in shared memory (one for the copies
  /// ahead, one of slack between the warpgroups), else 2.
  static GpuTiling stagesFor(GpuTiling tiling, const KernelSpec &spec,
                             HopperStageSync sync, bool stagesGiven);

  int64_t sharedMemoryBytes(const KernelSpec &spec) const override;

  LogicalResult checkProgram(const schedule::TileProgram &program,
                             const KernelSpec &spec) override;

  void forEachWorkItem(ImplicitLocOpBuilder &b,
                       const schedule::KernelContext &kernel,
                       function_ref<void(const schedule::WorkItem &)> body)
      override;

  void copyQueryTile(ImplicitLocOpBuilder &b,
                     const schedule::KernelContext &kernel,
                     const schedule::WorkItem &item) override;
  /// Q stays in shared memory: wgmma reads it there.
  void prepareQueryOperand(ImplicitLocOpBuilder &b,
                           const schedule::KernelContext &kernel,
                           const schedule::WorkItem &item) override {}
  void copyKeyValueTile(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile) override;
  void waitCopies(ImplicitLocOpBuilder &b, int64_t pending) override;

  /// With mbarriers: stages - 2 visits ahead (at least 1), so that refilling
  /// a stage waits for the visit before the previous one.
  int64_t copiesAhead() const override;
  void beginVisits(ImplicitLocOpBuilder &b) override;
  void endVisits(ImplicitLocOpBuilder &b) override;
  void acquireStage(ImplicitLocOpBuilder &b, Value visit) override;
  void stageFilled(ImplicitLocOpBuilder &b, Value visit) override;
  void waitStage(ImplicitLocOpBuilder &b, Value visit) override;
  void releaseStage(ImplicitLocOpBuilder &b, Value visit) override;

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

private:
  /// Byte offsets of the tiles from the aligned start of shared memory.
  struct TileOffsets {
    int64_t query = 0, keys = 0, keyStage = 0, values = 0, valueStage = 0,
            barriers = 0, end = 0;
  };
  TileOffsets tileOffsets(int64_t headDimQK, int64_t headDimV) const;
  /// Copies tile rows [0, rows) of `source[batch, head]` (at the positions
  /// `tileRows` gives) into the swizzled tile `shared` ([column blocks,
  /// rows, 64], prefixed by `prefix`), zero rows that do not exist.
  void copyTile(ImplicitLocOpBuilder &b, Value shared, ValueRange prefix,
                Value source, Value batch, Value head,
                const schedule::TileRows &tileRows, int64_t rows,
                int64_t columns);
  /// The descriptor of an operand `byteOffset` bytes into aligned shared
  /// memory (an index), with the constant bits `highBits`.
  Value descriptor(ImplicitLocOpBuilder &b, Value byteOffset,
                   uint64_t highBits);
  /// Keeps the compiler from moving register reads and writes of `values`
  /// across wgmma's fence and wait (an empty volatile asm per register).
  SmallVector<Value> pinRegisters(ImplicitLocOpBuilder &b,
                                  ArrayRef<Value> values);

  bool usesMbarriers() const { return sync == HopperStageSync::Mbarrier; }
  /// The full (`empty` false) or empty mbarrier of `visit`'s stage, as a
  /// shared-memory pointer.
  Value stageBarrier(ImplicitLocOpBuilder &b, Value visit, bool empty);
  /// Waits for the completion of phase `round` (index; its parity) of
  /// `barrier`.
  void waitBarrierPhase(ImplicitLocOpBuilder &b, Value barrier, Value round);
  /// Emits `body` in thread 0 only.
  void inFirstThread(ImplicitLocOpBuilder &b, function_ref<void()> body);

  HopperStageSync sync;
  /// The shared-memory address of the aligned tiles (index).
  Value alignedAddress;
  /// 64 x 128 bytes x this lane's warpgroup: its Q rows' offset in a
  /// column block.
  Value warpgroupQueryOffset;
  TileOffsets offsets;
};

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_HOPPER_HOPPERSCHEDULETARGET_H
