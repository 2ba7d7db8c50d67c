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
// a proxy fence makes the copies visible to wgmma. With sm90a-copy=tma one
// thread loads each K/V tile by TMA instead (cp.async.bulk.tensor through
// tensor maps the runtime encodes per launch, swizzled by the copy engine,
// completing on the stage's mbarrier). Stages complete through
// copy groups and CTA barriers, or (sm90a-sync=mbarrier) per-stage full and
// empty mbarriers. Each product waits for its own wgmma group, or
// (sm90a-overlap=softmax) the key loop keeps visit n + 1's Q K^T and
// visit n's P V in flight while the softmax of visit n + 1 runs. With
// sm90a-producer=warp a ninth warp issues the TMA loads (warp
// specialization), with sm90a-producer=warpgroup a third warpgroup, whose
// registers go to the computing warpgroups (setmaxnreg). docs/nvidia.md,
// "sm_90a (Hopper)".
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

/// What the sm_90a kernel's products overlap (attn-compile option
/// sm90a-overlap; docs/nvidia.md, "sm_90a (Hopper)").
enum class HopperOverlap {
  /// Each product waits for its wgmma group before anything reads it.
  None,
  /// The softmax of a key tile runs while the next tile's Q K^T and the
  /// previous tile's P V are in flight (ScheduleTarget.h,
  /// "Overlapped key loops"); needs mbarrier stages, at least 3.
  Softmax,
  /// The two warpgroups of a block take turns on the tensor cores: each
  /// product's issue is a turn (named barriers, one per warpgroup, pass it
  /// on), so the products alternate and one warpgroup's softmax runs under
  /// the other's products (ping-pong); needs mbarrier stages and exactly
  /// two warpgroups.
  Warpgroups,
};

/// How the sm_90a kernel copies K/V tiles into shared memory (attn-compile
/// option sm90a-copy; docs/nvidia.md, "sm_90a (Hopper)").
enum class HopperCopy {
  /// 16-byte cp.async by every thread, swizzled by the threads' addresses.
  CpAsync,
  /// One thread issues a TMA load per 64-column block of a tile; the copy
  /// engine swizzles it and completes the stage's full mbarrier by bytes.
  /// Needs mbarrier stages and key tiles of contiguous rows.
  Tma,
};

/// The value of sm90a-copy (`cp.async` or `tma`), or none (also for
/// `auto`, which copyFor resolves per kernel).
std::optional<HopperCopy> parseHopperCopy(StringRef name);

/// Who issues the sm_90a kernel's K/V copies (attn-compile option
/// sm90a-producer; docs/nvidia.md, "sm_90a (Hopper)").
enum class HopperProducer {
  /// The computing warps, each visit's copies a few visits ahead.
  None,
  /// One more warp per block (warp specialization): its first thread
  /// refills each stage as soon as every computing thread has released it,
  /// so no computing warp waits for a release. Needs TMA loads.
  Warp,
  /// One more warpgroup, which gives registers to the computing ones
  /// (setmaxnreg): FlashAttention-3's split.
  Warpgroup,
};

/// The value of sm90a-producer (`none`, `warp` or `warpgroup`), or none.
std::optional<HopperProducer> parseHopperProducer(StringRef name);

/// The value of sm90a-overlap, or none when `name` is not `none`,
/// `softmax` or `warpgroups`.
std::optional<HopperOverlap> parseHopperOverlap(StringRef name);

/// The synchronization that sm90a-sync=`name` gives an sm_90a kernel of
/// `tiling`, or none when `name` is not auto, barrier or mbarrier. auto
/// (the default) takes mbarriers for blocks of several warpgroups, which run
/// a key tile apart on them, and CTA barriers for one warpgroup, which has
/// nothing to run ahead of: the faster of the two on an H100 for each
/// (docs/results/h100-hopper.md); and mbarriers whatever the block with
/// `overlap` or TMA loads, which need them.
std::optional<HopperStageSync>
hopperStageSyncFor(StringRef name, const GpuTiling &tiling,
                   HopperOverlap overlap = HopperOverlap::None,
                   HopperCopy copy = HopperCopy::CpAsync);

class HopperScheduleTarget final : public NvidiaScheduleTarget {
public:
  HopperScheduleTarget(const GpuTiling &tiling, Type elementType,
                       HopperStageSync sync = HopperStageSync::Barrier,
                       HopperOverlap overlap = HopperOverlap::None,
                       HopperCopy copy = HopperCopy::CpAsync,
                       HopperProducer producer = HopperProducer::None);

  /// `tiling` with the stages `sync` and `overlap` run best for `spec`
  /// when the user gave none (`stagesGiven` false): 3 where they fit in
  /// shared memory with mbarriers and several warpgroups (one for the
  /// copies ahead, one of slack between the warpgroups) or with the
  /// overlap (which waits for a stage one visit early and releases it one
  /// late), else 2.
  static GpuTiling stagesFor(GpuTiling tiling, const KernelSpec &spec,
                             HopperStageSync sync, HopperOverlap overlap,
                             bool stagesGiven);
  /// The copy of sm90a-copy=auto (the default): TMA, the faster on an H100
  /// for every benchmark case (docs/results/h100-hopper-tma.md), wherever
  /// it applies: key tiles of contiguous rows (no patch tiles), K and V as
  /// [B, H, S, depth] tensors, and stages on mbarriers (sm90a-sync is not
  /// `barrier`); cp.async elsewhere, and with the softmax overlap, whose
  /// stage protocol (a wait one visit early, a release one visit late) has
  /// run on a GPU with cp.async only.
  static HopperCopy copyFor(const schedule::TileProgram &program,
                            const KernelSpec &spec, StringRef syncName,
                            HopperOverlap overlap);
  /// The default tiles `chosen` (chooseTiling) on sm_90a, at f16/bf16 and
  /// head dimensions up to 128: with the overlap, 128 x 64 on two
  /// warpgroups (a second score tile in flight leaves no room for 128 keys
  /// without spills, and one-warpgroup blocks would lose their second
  /// block per multiprocessor to the third stage); without it, 128 x 128 on
  /// two warpgroups where those tiles visit at most 10% more pairs than
  /// `chosen` (visitedTileArea at 16384 positions when the spec's length
  /// is dynamic), `chosen` otherwise and where the visits are known only
  /// at run time; with turns, 128 rows on two warpgroups whatever the key
  /// tiles (also at head dimension 256).
  static GpuTiling tilingFor(GpuTiling chosen, const KernelSpec &spec,
                             HopperOverlap overlap);

  int64_t sharedMemoryBytes(const KernelSpec &spec) const override;
  /// With TMA: K's and V's maps, boxes of 64 columns (one swizzled column
  /// block) by block-kv rows of one head of one batch row.
  SmallVector<TensorMapUse> tensorMaps(const KernelSpec &spec) const override;
  void bindTensorMaps(ValueRange maps) override;
  /// The computing warps, and the producer's when there is one.
  int64_t threadsPerBlock() const override;
  /// With a producer, what keeps the block within the register file: nine
  /// warps fill no whole warpgroups, and ptxas told the block's size would
  /// budget for twelve (and spill); a producer warpgroup starts at the
  /// file's share and moves registers to the computing ones (setmaxnreg).
  std::optional<int64_t> maxRegistersPerThread() const override;

  bool hasProducer() const override {
    return producer != HopperProducer::None;
  }
  /// The producer is the warp(s) after the computing ones; a producer
  /// warpgroup first gives up registers.
  void inProducer(ImplicitLocOpBuilder &b, function_ref<void()> body) override;
  /// The computing warps only (which take the producer warpgroup's
  /// registers).
  void forEachLane(ImplicitLocOpBuilder &b,
                   const schedule::KernelContext &kernel,
                   const schedule::WorkItem &item,
                   function_ref<void()> body) override;

  LogicalResult checkProgram(const schedule::TileProgram &program,
                             const KernelSpec &spec) override;

  void forEachWorkItem(ImplicitLocOpBuilder &b,
                       const schedule::KernelContext &kernel,
                       function_ref<void(const schedule::WorkItem &)> body)
      override;

  void copyQueryTile(ImplicitLocOpBuilder &b,
                     const schedule::KernelContext &kernel,
                     const schedule::WorkItem &item) override;
  /// Q stays in shared memory: wgmma reads it there. With TMA the stages'
  /// barriers no longer count the threads' cp.async of Q: every thread
  /// waits for its own, then a CTA barrier for everyone's.
  void prepareQueryOperand(ImplicitLocOpBuilder &b,
                           const schedule::KernelContext &kernel,
                           const schedule::WorkItem &item) override;
  void copyKeyValueTile(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile) override;
  void waitCopies(ImplicitLocOpBuilder &b, int64_t pending) override;

  /// With mbarriers: stages - 2 visits ahead (at least 1), so that refilling
  /// a stage waits for the visit before the previous one; with the overlap
  /// stages - 1 (its releases come a step late).
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

  bool overlapsProducts() const override {
    return overlap == HopperOverlap::Softmax;
  }
  /// The fence and the wgmma instructions of Q K^T (P V), no commit.
  SmallVector<Value> startQueryKey(ImplicitLocOpBuilder &b,
                                   const schedule::KernelContext &kernel,
                                   const schedule::WorkItem &item,
                                   const schedule::KeyTile &tile) override;
  SmallVector<Value> startValueProduct(ImplicitLocOpBuilder &b,
                                       const schedule::KernelContext &kernel,
                                       const schedule::WorkItem &item,
                                       const schedule::KeyTile &tile,
                                       ArrayRef<Value> probabilities,
                                       ArrayRef<Value> accumulator) override;
  /// wgmma.commit_group.
  void commitProducts(ImplicitLocOpBuilder &b) override;
  /// wgmma.wait_group `pending`, then the registers pinned after it.
  SmallVector<Value> waitProducts(ImplicitLocOpBuilder &b, int64_t pending,
                                  ArrayRef<Value> registers) override;

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
  bool loadsByTma() const { return copy == HopperCopy::Tma; }
  /// The full (`empty` false) or empty mbarrier of `visit`'s stage, as a
  /// shared-memory pointer.
  Value stageBarrier(ImplicitLocOpBuilder &b, Value visit, bool empty);
  /// The same for stage `stage` (index).
  Value stageBarrierAt(ImplicitLocOpBuilder &b, Value stage, bool empty);
  /// One TMA load per 64-column block of the tile of `map` (columns
  /// `columns`) whose first row is `firstRow`, into the swizzled stage tile
  /// at byte offset `tileOffset` (index, from the aligned start), completing
  /// on `barrier`.
  void loadTileByTma(ImplicitLocOpBuilder &b, Value map, Value tileOffset,
                     Value firstRow, Value head, Value batch, int64_t columns,
                     Value barrier);
  /// Waits for the completion of phase `round` (index; its parity) of
  /// `barrier`.
  void waitBarrierPhase(ImplicitLocOpBuilder &b, Value barrier, Value round);
  /// Emits `body` in thread 0 only.
  void inFirstThread(ImplicitLocOpBuilder &b, function_ref<void()> body);
  /// Emits `body` in the thread that issues TMA loads: the producer's
  /// first, or thread 0.
  void inLoadingThread(ImplicitLocOpBuilder &b, function_ref<void()> body);
  /// A barrier of every thread of the block, the producer's included
  /// (matrix->barrier() then spans the computing warps only).
  void blockBarrier(ImplicitLocOpBuilder &b);
  /// Emits `body` in the threads of warpgroup `group` only.
  void inWarpgroup(ImplicitLocOpBuilder &b, int64_t group,
                   function_ref<void()> body);

  //===--- Turns (sm90a-overlap=warpgroups) -------------------------------===//
  // Warpgroup g waits on named barrier 1 + g before each product and, once
  // the product is issued, arrives on the other warpgroup's barrier (then
  // waits for its product while the other issues its own). Both
  // warpgroups run the same visits, so each barrier sees as many arrivals as
  // waits per visit range once warpgroup 1 hands the first turn to
  // warpgroup 0 (beginVisits) and warpgroup 0 takes back the turn
  // warpgroup 1 hands on after its last product (endVisits).
  bool takesTurns() const { return overlap == HopperOverlap::Warpgroups; }
  /// Waits for this warpgroup's turn.
  void beginTurn(ImplicitLocOpBuilder &b);
  /// Passes the turn to the other warpgroup.
  void endTurn(ImplicitLocOpBuilder &b);
  /// The named barrier of warpgroup `group` (0 or 1; i32) and the threads
  /// that meet on it (both warpgroups).
  Value turnBarrier(ImplicitLocOpBuilder &b, Value group);
  Value turnThreads(ImplicitLocOpBuilder &b);

  HopperStageSync sync;
  HopperOverlap overlap;
  HopperCopy copy;
  HopperProducer producer;
  /// K's and V's tensor maps (kernel parameters; generic pointers), with
  /// TMA.
  Value keyMap, valueMap;
  /// The shared-memory address of the aligned tiles (index).
  Value alignedAddress;
  /// 64 x 128 bytes x this lane's warpgroup: its Q rows' offset in a
  /// column block.
  Value warpgroupQueryOffset;
  /// This lane's warpgroup (index).
  Value warpgroup;
  TileOffsets offsets;
};

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_HOPPER_HOPPERSCHEDULETARGET_H
