//===- AmdScheduleTarget.h - The schedule on MFMA/WMMA GPUs -----*- C++ -*-===//
//
// The AMD ScheduleTarget (gfx90a, gfx942: MFMA 32x32x8, wave64; gfx1100:
// WMMA 16x16x16, wave32). One workgroup per work item, each wave owning n
// query rows (32 or 16). Both products are transposed (S^T = K Q^T,
// O^T = V^T P^T; MatrixInstruction.h), so a lane holds whole query rows:
// row reductions combine the few lanes sharing a row (one XOR shuffle), and
// P leaves the score accumulator as the value product's B operand without
// going through LDS. Q's B operands are read from global memory into
// registers once, or staged in LDS, or read again per key tile, as their
// size allows (AmdTiling.h); K and V^T tiles are staged in padded LDS.
// Everything per lane is derived from the instruction's register tables
// (WaveLayout), and everything that is not per-lane arithmetic goes through
// an AmdMachine, so the same code runs on the GPU and in the host emulation.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_AMDSCHEDULETARGET_H
#define ATTN_AMD_AMDSCHEDULETARGET_H

#include "AmdMachine.h"
#include "attn/Amd/AmdTiling.h"
#include "attn/Schedule/ScheduleTarget.h"

namespace mlir::attn::amd {

class AmdScheduleTarget final : public schedule::ScheduleTarget {
public:
  /// `layout` is the chip instruction's derived layout.
  AmdScheduleTarget(const AmdChip &chip, const WaveLayout &layout,
                    const AmdTiling &tiling, Type elementType,
                    AmdMachine &machine);

  LogicalResult checkProgram(const schedule::TileProgram &program,
                             const KernelSpec &spec) override;

  void forEachWorkItem(ImplicitLocOpBuilder &b,
                       const schedule::KernelContext &kernel,
                       function_ref<void(const schedule::WorkItem &)> body)
      override;
  void forEachLane(ImplicitLocOpBuilder &b,
                   const schedule::KernelContext &kernel,
                   const schedule::WorkItem &item,
                   function_ref<void()> body) override;

  schedule::FragmentLayout accumulatorLayout(int64_t columns) const override;
  Value laneRow(ImplicitLocOpBuilder &b) override { return laneRowValue; }
  Value laneColumn(ImplicitLocOpBuilder &b) override {
    return laneColumnValue;
  }
  Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                   int64_t xorMask) override;
  Type ruleIndexType(Builder &b) const override { return b.getI32Type(); }

  int64_t stages() const override { return tiling.stages; }
  void copyQueryTile(ImplicitLocOpBuilder &b,
                     const schedule::KernelContext &kernel,
                     const schedule::WorkItem &item) override;
  void prepareQueryOperand(ImplicitLocOpBuilder &,
                           const schedule::KernelContext &,
                           const schedule::WorkItem &) override {}
  void copyKeyValueTile(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile) override;
  // Copies are loads and LDS stores the lane waits for itself; the
  // barrier makes them visible to the workgroup.
  void commitCopies(ImplicitLocOpBuilder &) override {}
  void waitCopies(ImplicitLocOpBuilder &, int64_t) override {}
  void barrier(ImplicitLocOpBuilder &b) override { machine.barrier(b); }

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

  Value exp2(ImplicitLocOpBuilder &b, Value x) override {
    return machine.exp2(b, x);
  }
  void finalize(Operation *kernel) override;

  int64_t blockQ() const { return tiling.blockQ(*chip.instruction); }
  int64_t lanes() const { return tiling.lanes(*chip.instruction); }
  /// LDS of one workgroup.
  int64_t ldsBytes(const KernelSpec &spec) const;

private:
  /// Runs `body` (given the item's index) for items thread, thread +
  /// lanes, ... of `total` copy items.
  void distribute(ImplicitLocOpBuilder &b, int64_t total,
                  function_ref<void(Value)> body);
  /// Q's B operand of k step `step` (from global memory or LDS).
  Value loadQueryOperand(ImplicitLocOpBuilder &b,
                         const schedule::KernelContext &kernel,
                         const schedule::WorkItem &item, int64_t step);
  /// The A operand of k step `step` for accumulator block `block` from an
  /// LDS tile [stage][row][column].
  Value loadOperandA(ImplicitLocOpBuilder &b, Value tile, Value stage,
                     int64_t block, int64_t step);

  const AmdChip &chip;
  const WaveLayout &layout;
  const MatrixInstruction &instruction;
  AmdTiling tiling;
  Type elementType;
  AmdMachine &machine;

  Value keyTiles, valueTiles, queryTile;
  QueryPlacement queryPlacement = QueryPlacement::Registers;
  // Per lane.
  Value thread, wave, lane, laneRowValue, laneColumnValue;
  Value aRow, aFirstK, bColumn, bFirstK;
  SmallVector<Value> queryOperands;
};

} // namespace mlir::attn::amd

#endif // ATTN_AMD_AMDSCHEDULETARGET_H
