//===- ScheduleTarget.h - What the schedule emitter asks a target -*- C++ -*-===//
//
// The one schedule emitter (ScheduleEmitter.h) writes the tiled 1-pass
// schedule — work items, visit ranges, the pipelined loop over key tiles,
// full/partial tiles, the cascade's element-wise maps, row reductions,
// running tensors and the epilogue — against this interface. Everything
// that depends on the hardware is here: how work items and lanes are laid
// out, the matrix unit and the register layout of its accumulators, lane
// shuffles, staging of tiles and its synchronization, and target rewrites of
// the finished kernel. A new target implements this class in its own folder
// (docs/architecture.md); the emitter never names one.
//
// Register model. The emitter computes as one lane (a GPU thread; a query
// row on the host) and holds each tensor of the tile in registers: a
// per-score or per-output tensor as the accumulator fragment of the product
// that makes it (FragmentLayout), a per-row tensor as one value per row
// slot of that fragment.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SCHEDULE_SCHEDULETARGET_H
#define ATTN_SCHEDULE_SCHEDULETARGET_H

#include "attn/Dialect/MaskVisits.h"
#include "attn/Kernel/KernelSpec.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn::schedule {

struct TileProgram;

/// The register layout of a `rows x columns` accumulator of the matrix unit
/// as one lane holds it, described as data: register k of the lane holds
/// the element at row laneRow + rowOffset[rowSlot[k]] and column
/// laneColumn + columnOffset[k] of the tile (laneRow and laneColumn are the
/// target's per-lane Values). Lanes that hold other columns of the same rows
/// are reached by the butterfly of XOR distances `rowLaneXorMasks`.
struct FragmentLayout {
  llvm::SmallVector<int64_t> rowSlot;
  llvm::SmallVector<int64_t> columnOffset;
  llvm::SmallVector<int64_t> rowOffset;
  llvm::SmallVector<int64_t> rowLaneXorMasks;

  size_t size() const { return rowSlot.size(); }
  size_t numRowSlots() const { return rowOffset.size(); }
};

/// Where the rows of a tile (a work item's queries, a key tile's keys) lie
/// in the user's sequence-ordered tensors. In sequence order row r is
/// position first + r and exists below `limit`. Under patch tiles
/// (TileProgram::patches) the tile is a box of the token grid: row r has
/// the coordinates of its digits in the patch extents (last dimension
/// fastest) and is position first + sum_d coordinate_d * gridStride_d; it
/// exists where every coordinate is below the box's extent (clipped at the
/// grid's far border). A patch is thus read as runs of contiguous rows.
struct TileRows {
  Value first;
  /// Sequence order: the first position past the sequence.
  Value limit;
  /// Patch tiles: the patch's extents and the grid's strides per dimension
  /// (static), and the box's clipped extents (index Values).
  llvm::SmallVector<int64_t> patch, gridStrides;
  llvm::SmallVector<Value> extents;
  /// Rows [0, count) are the ones lanes compute (index).
  Value count;

  bool isPatch() const { return !patch.empty(); }
  /// The position of tile row `row` (index), clamped to an existing row so
  /// that loads stay in bounds.
  Value position(ImplicitLocOpBuilder &b, Value row) const;
  /// Whether tile row `row` exists (i1).
  Value exists(ImplicitLocOpBuilder &b, Value row) const;
};

/// The runtime sizes and operands of one kernel call, as index Values.
/// seqQ and blockQ count the rows of the program, seqKV and blockKV its
/// columns: in a transposed gradient program (TileProgram::transposed) the
/// rows are keys and the columns queries.
struct KernelContext {
  KernelOperands operands;
  Value batchSize, seqQ, seqKV;
  /// Work items per (batch row, query head): ceil(Sq / blockQ), or the
  /// number of query patches.
  Value queryTiles;
  int64_t queryHeads = 0, kvHeads = 0, headDimQK = 0, headDimV = 0;
  int64_t blockQ = 0, blockKV = 0;
  /// The element type of the query, key and value.
  Type elementType;
};

/// One work item: a query tile of one (batch row, query head).
struct WorkItem {
  Value batch, head, kvHead, queryTile;
  /// Its query rows [rowBegin, rowEnd), rowEnd clipped to Sq, in sequence
  /// order (set by the target).
  Value rowBegin, rowEnd;
  /// Where its rows are (set by the emitter; targets read rows through it).
  TileRows rows;
};

/// An operand of a gradient program's products (TileProgram.h): a
/// [B, heads, S, depth] memref read at the work item's batch row and `head`.
struct ProductMemRef {
  Value memref;
  Value head;
  int64_t depth = 0;
};

/// One key tile as the matrix unit reads it: its first key, and the
/// staging slot its copies went to (targets that stage tiles).
struct KeyTile {
  Value firstKey;
  Value stage;
  /// Where its keys are (targets read keys through it).
  TileRows keys;
  /// Gradient programs, for copyKeyValueTile: the operands the products
  /// read at the tile's columns (columnProductOperands, TileProgram.h).
  SmallVector<ProductMemRef, 2> columnOperands;
};

class ScheduleTarget {
public:
  virtual ~ScheduleTarget();

  /// Checks that the target can run the program with its tiles (head
  /// dimensions, element types, tile sizes, memory); a diagnostic on the
  /// cascade and failure otherwise.
  virtual LogicalResult checkProgram(const TileProgram &program,
                                     const KernelSpec &spec) = 0;

  //===--- Work items and lanes -------------------------------------------===//

  /// Emits `body` once per work item (GPUs: one thread block each; the
  /// host: loops over them).
  virtual void forEachWorkItem(ImplicitLocOpBuilder &b,
                               const KernelContext &kernel,
                               function_ref<void(const WorkItem &)> body) = 0;
  /// Emits `body` as run by each lane of a work item (GPUs: every thread of
  /// the block runs it; the host: a loop over the item's rows).
  virtual void forEachLane(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                           const WorkItem &item,
                           function_ref<void()> body) = 0;

  /// Whether a producer lane issues every K/V copy (acquireStage,
  /// copyKeyValueTile, stageFilled) while the lanes of forEachLane only
  /// wait for, compute and release stages. Default: no producer, each lane
  /// issues its share of the copies.
  virtual bool hasProducer() const { return false; }
  /// Emits `body` as run by the producer of a work item (targets with one).
  virtual void inProducer(ImplicitLocOpBuilder &b, function_ref<void()> body) {}

  //===--- Registers ------------------------------------------------------===//

  /// The layout of an accumulator of `columns` columns (the tile's keys for
  /// scores, the value's head dimension for outputs).
  virtual FragmentLayout accumulatorLayout(int64_t columns) const = 0;
  /// This lane's first row within the query tile and first column within
  /// an accumulator (index Values, valid inside forEachLane).
  virtual Value laneRow(ImplicitLocOpBuilder &b) = 0;
  virtual Value laneColumn(ImplicitLocOpBuilder &b) = 0;
  /// `value` of the lane `xorMask` lanes away (an f32).
  virtual Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                           int64_t xorMask) = 0;
  /// The integer type mask and score rules compute in (index, or i32 where
  /// the runtime bounds every extent below 2^30 and 32-bit arithmetic is
  /// cheaper).
  virtual Type ruleIndexType(Builder &b) const = 0;

  //===--- Staging ----------------------------------------------------------===//

  /// Key/value tiles in flight at once: copies of tile n + stages - 1 are
  /// issued before tile n is computed. 1: no staging.
  virtual int64_t stages() const = 0;
  /// Issues the copies of the work item's query tile; the emitter then
  /// closes their group.
  virtual void copyQueryTile(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                             const WorkItem &item) = 0;
  /// Makes the query operand ready; called once the first key/value copies
  /// are issued (so that they overlap the query's).
  virtual void prepareQueryOperand(ImplicitLocOpBuilder &b,
                                   const KernelContext &kernel,
                                   const WorkItem &item) = 0;
  /// Issues the copies of a key tile and its value tile into `tile.stage`
  /// (the emitter closes the group).
  virtual void copyKeyValueTile(ImplicitLocOpBuilder &b,
                                const KernelContext &kernel,
                                const WorkItem &item, const KeyTile &tile) = 0;
  /// Gradient programs: issues the copies of the operands the products read
  /// at the work item's rows (rowProductOperands, TileProgram.h), before its
  /// first column tile is copied; the emitter then closes their group.
  /// Default: nothing (targets that read operands from memory).
  virtual void copyRowOperands(ImplicitLocOpBuilder &b,
                               const KernelContext &kernel,
                               const WorkItem &item,
                               ArrayRef<ProductMemRef> operands) {}
  /// Closes the group of copies issued since the last one (possibly empty).
  virtual void commitCopies(ImplicitLocOpBuilder &b) = 0;
  /// Waits until at most `pending` copy groups are in flight.
  virtual void waitCopies(ImplicitLocOpBuilder &b, int64_t pending) = 0;
  /// Synchronizes the lanes of a work item.
  virtual void barrier(ImplicitLocOpBuilder &b) = 0;

  //===--- The key loop's staging protocol ---------------------------------===//
  // The loop over one visit range (emitRange) numbers its visits from 0;
  // visit v's copies go to stage v mod stages(). Step n issues the copies of
  // visit n + copiesAhead(), waits for visit n, computes it and releases its
  // stage. The defaults are copy groups and barriers: wait for visit n's
  // group, barrier, compute, barrier.

  /// Visits whose copies are issued ahead of the one computed (at least 1,
  /// at most stages() - 1; default stages() - 1).
  virtual int64_t copiesAhead() const { return stages() - 1; }
  /// Before a range's first copies and after its loop (each range numbers
  /// its visits from 0 again).
  virtual void beginVisits(ImplicitLocOpBuilder &b) {}
  virtual void endVisits(ImplicitLocOpBuilder &b) {}
  /// Before the copies of visit `visit` (index, below the range's count)
  /// into its stage, whether or not its tile is empty: the stage's previous
  /// visit must be released by every lane.
  virtual void acquireStage(ImplicitLocOpBuilder &b, Value visit) {}
  /// After the copies of visit `visit` (none when its tile is empty).
  virtual void stageFilled(ImplicitLocOpBuilder &b, Value visit) {}
  /// Waits until the copies of visit `visit` are visible to every lane's
  /// products. Default: waitCopies(copiesAhead()), barrier.
  virtual void waitStage(ImplicitLocOpBuilder &b, Value visit);
  /// After this lane's last read of visit `visit`'s stage (later copies
  /// overwrite it). Default: barrier.
  virtual void releaseStage(ImplicitLocOpBuilder &b, Value visit);

  //===--- Matrix unit ----------------------------------------------------===//

  /// Q K^T over the head dimension for the key tile, unscaled, in f32: an
  /// accumulator of blockKV columns.
  virtual SmallVector<Value> multiplyQueryKey(ImplicitLocOpBuilder &b,
                                              const KernelContext &kernel,
                                              const WorkItem &item,
                                              const KeyTile &tile) = 0;
  /// accumulator + P V over the key tile: `probabilities` is an accumulator
  /// of blockKV columns (f32, rounded by the target to its operand type),
  /// `accumulator` and the result are accumulators of headDimV columns.
  virtual SmallVector<Value>
  multiplyValue(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                const WorkItem &item, const KeyTile &tile,
                ArrayRef<Value> probabilities, ArrayRef<Value> accumulator) = 0;

  //===--- Overlapped key loops ---------------------------------------------===//
  // A target whose products run asynchronously may overlap them with the
  // element-wise work (overlapsProducts). The loop over a visit range then
  // keeps one query-key product ahead: step n waits for visit n + 1's stage
  // and starts its scores, closes a product group, computes visit n (waiting
  // for visit n - 1's value products, with pending = 1, just before their
  // results are read; starting visit n's accumulating value products),
  // releases visit n - 1's stage, issues the copies of visit
  // n + copiesAhead(), closes a product group and waits for visit n + 1's
  // scores (pending = 1). After the loop it waits for every product and
  // releases the last visit. Stages are thus released one step late and
  // waited for one step early: such targets that stage tiles answer
  // copiesAhead() >= 2 and implement the stage protocol for that order.

  /// Whether the key loop overlaps products as above (default: no; the
  /// products below are then never asked for).
  virtual bool overlapsProducts() const { return false; }
  /// multiplyQueryKey without waiting for it: the registers may be read
  /// only after a waitProducts that covers them.
  virtual SmallVector<Value> startQueryKey(ImplicitLocOpBuilder &b,
                                           const KernelContext &kernel,
                                           const WorkItem &item,
                                           const KeyTile &tile);
  /// multiplyValue without waiting for it (as startQueryKey).
  virtual SmallVector<Value>
  startValueProduct(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                    const WorkItem &item, const KeyTile &tile,
                    ArrayRef<Value> probabilities, ArrayRef<Value> accumulator);
  /// Closes the group of products started since the last one (possibly
  /// empty).
  virtual void commitProducts(ImplicitLocOpBuilder &b);
  /// Waits until at most the `pending` latest product groups are in flight;
  /// returns `registers` (results of products in earlier groups), now
  /// readable.
  virtual SmallVector<Value> waitProducts(ImplicitLocOpBuilder &b,
                                          int64_t pending,
                                          ArrayRef<Value> registers);

  //===--- Products of gradient programs ----------------------------------===//
  // Targets whose backend compiles gradients (TargetBackend::
  // compilesGradients) implement these; the others are never asked.

  /// sum_d rows[row, d] columns[column, d] for the lane's rows and the
  /// tile's columns (rows beyond the row count and columns beyond the
  /// column count read the last one): an accumulator of blockKV columns,
  /// unscaled, in f32.
  virtual SmallVector<Value>
  multiplyRowsByColumns(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                        const WorkItem &item, const KeyTile &tile,
                        const ProductMemRef &rows,
                        const ProductMemRef &columns);
  /// accumulator + sum_c scores[row, c] columns[c, d] over the tile's
  /// columns: `scores` an accumulator of blockKV columns, `accumulator` and
  /// the result accumulators of columns.depth columns.
  virtual SmallVector<Value>
  multiplyScoresByColumns(ImplicitLocOpBuilder &b, const KernelContext &kernel,
                          const WorkItem &item, const KeyTile &tile,
                          const ProductMemRef &columns,
                          ArrayRef<Value> scores, ArrayRef<Value> accumulator);
  /// sum_d first[row, d] second[row, d]: one f32 per row slot.
  virtual SmallVector<Value> multiplyRows(ImplicitLocOpBuilder &b,
                                          const KernelContext &kernel,
                                          const WorkItem &item,
                                          const ProductMemRef &first,
                                          const ProductMemRef &second);
  /// sum_d first[column, d] second[column, d] at the tile's columns: one
  /// f32 per register of an accumulator of blockKV columns, for the column
  /// it holds (columns beyond the column count read an existing one, or
  /// zeros: any finite value). Asked
  /// only of targets whose backend folds per-row products into the phases
  /// reading them (foldRowProductPhases, attn/Target/TargetBackend.h).
  virtual SmallVector<Value> multiplyColumns(ImplicitLocOpBuilder &b,
                                             const KernelContext &kernel,
                                             const WorkItem &item,
                                             const KeyTile &tile,
                                             const ProductMemRef &first,
                                             const ProductMemRef &second);

  //===--- Reductions over a work item --------------------------------------===//

  /// The min/max reductions of `elements(k)` (values of `type`) over k in
  /// [begin, end) (index Values; a RangeReduction,
  /// attn/Dialect/MaskVisits.h), the positions shared among the work
  /// item's lanes and every lane getting the results. Emitted where all
  /// lanes of the work item run (before the query tile is staged).
  /// Default: one loop over the range, for targets whose lanes run one
  /// after the other.
  virtual SmallVector<Value> reduceOverRange(ImplicitLocOpBuilder &b,
                                             Value begin, Value end, Type type,
                                             ArrayRef<ReductionKind> kinds,
                                             ReductionElements elements);

  //===--- Math and finishing ---------------------------------------------===//

  /// 2^x for an f32 x.
  virtual Value exp2(ImplicitLocOpBuilder &b, Value x);
  /// x * y + z (f32): one fused instruction where the target has one.
  virtual Value multiplyAdd(ImplicitLocOpBuilder &b, Value x, Value y,
                            Value z);
  /// Target rewrites of the emitted kernel (approximate instructions, ...).
  virtual void finalize(Operation *kernel) {}
};

} // namespace mlir::attn::schedule

#endif // ATTN_SCHEDULE_SCHEDULETARGET_H
