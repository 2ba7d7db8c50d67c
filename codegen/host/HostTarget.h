//===- HostTarget.h - The schedule on a CPU ---------------------*- C++ -*-===//
//
// The host's ScheduleTarget: loops over the work items, one lane per query
// row (a loop over the tile's rows), each lane holding its row of a score or
// output accumulator in registers (one f32 per column). No staging: the
// products read Q, K and V where they are, as vector dot products (Q K^T)
// and vector multiply-adds along the value's columns (P V).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOST_HOSTTARGET_H
#define ATTN_HOST_HOSTTARGET_H

#include "attn/Schedule/ScheduleTarget.h"

namespace mlir::attn::host {

class HostScheduleTarget final : public schedule::ScheduleTarget {
public:
  /// `overlapOrder`: run the key loop in the order of targets that overlap
  /// products (host-overlap=softmax; ScheduleTarget.h, "Overlapped key
  /// loops"). The host's products are synchronous, so this only runs the
  /// shared emitter's overlapped loop on the CPU, where it can be checked.
  explicit HostScheduleTarget(bool overlapOrder = false)
      : overlapOrder(overlapOrder) {}

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
  Value laneRow(ImplicitLocOpBuilder &b) override { return lane; }
  Value laneColumn(ImplicitLocOpBuilder &b) override;
  Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                   int64_t xorMask) override;
  Type ruleIndexType(Builder &b) const override { return b.getIndexType(); }

  int64_t stages() const override { return 1; }
  void copyQueryTile(ImplicitLocOpBuilder &, const schedule::KernelContext &,
                     const schedule::WorkItem &) override {}
  void prepareQueryOperand(ImplicitLocOpBuilder &,
                           const schedule::KernelContext &,
                           const schedule::WorkItem &) override {}
  void copyKeyValueTile(ImplicitLocOpBuilder &, const schedule::KernelContext &,
                        const schedule::WorkItem &,
                        const schedule::KeyTile &) override {}
  void commitCopies(ImplicitLocOpBuilder &) override {}
  void waitCopies(ImplicitLocOpBuilder &, int64_t) override {}
  void barrier(ImplicitLocOpBuilder &) override {}

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

  bool overlapsProducts() const override { return overlapOrder; }
  SmallVector<Value> startQueryKey(ImplicitLocOpBuilder &b,
                                   const schedule::KernelContext &kernel,
                                   const schedule::WorkItem &item,
                                   const schedule::KeyTile &tile) override {
    return multiplyQueryKey(b, kernel, item, tile);
  }
  SmallVector<Value> startValueProduct(ImplicitLocOpBuilder &b,
                                       const schedule::KernelContext &kernel,
                                       const schedule::WorkItem &item,
                                       const schedule::KeyTile &tile,
                                       ArrayRef<Value> probabilities,
                                       ArrayRef<Value> accumulator) override {
    return multiplyValue(b, kernel, item, tile, probabilities, accumulator);
  }
  void commitProducts(ImplicitLocOpBuilder &) override {}
  SmallVector<Value> waitProducts(ImplicitLocOpBuilder &, int64_t,
                                  ArrayRef<Value> registers) override {
    return llvm::to_vector(registers);
  }

  SmallVector<Value>
  multiplyRowsByColumns(ImplicitLocOpBuilder &b,
                        const schedule::KernelContext &kernel,
                        const schedule::WorkItem &item,
                        const schedule::KeyTile &tile,
                        const schedule::ProductMemRef &rows,
                        const schedule::ProductMemRef &columns) override;
  SmallVector<Value>
  multiplyScoresByColumns(ImplicitLocOpBuilder &b,
                          const schedule::KernelContext &kernel,
                          const schedule::WorkItem &item,
                          const schedule::KeyTile &tile,
                          const schedule::ProductMemRef &columns,
                          ArrayRef<Value> scores,
                          ArrayRef<Value> accumulator) override;
  SmallVector<Value> multiplyRows(ImplicitLocOpBuilder &b,
                                  const schedule::KernelContext &kernel,
                                  const schedule::WorkItem &item,
                                  const schedule::ProductMemRef &first,
                                  const schedule::ProductMemRef &second)
      override;

  /// A multiply and an add LLVM may contract: an fma instruction where the
  /// CPU has one, two instructions (not a call to fmaf) where it does not.
  Value multiplyAdd(ImplicitLocOpBuilder &b, Value x, Value y,
                    Value z) override;

private:
  /// The lane's row, and the stack buffer P goes through on its way into
  /// the P V loop (allocated once, at the kernel's entry).
  Value lane, probabilityBuffer;
  bool overlapOrder;
};

} // namespace mlir::attn::host

#endif // ATTN_HOST_HOSTTARGET_H
