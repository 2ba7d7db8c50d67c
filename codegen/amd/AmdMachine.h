//===- AmdMachine.h - What differs between an AMD GPU and its emulation -*- C++ -*-===//
//
// AmdScheduleTarget writes the kernel once, against this class: work items
// and lanes, LDS, lane shuffles, barriers, the matrix instruction and exp2.
// AmdGpuMachine emits them for the GPU (gpu, amdgpu and rocdl ops);
// AmdEmulatedMachine emits host code that runs the same kernel on the CPU,
// a workgroup's lanes in lockstep (LockstepLanes.h), the matrix instruction
// computed from its documented register tables (MatrixInstruction.h). What
// the target computes per lane (addresses, layouts, operand packing) is the
// same code in both, so the emulation checks it against the interpreter.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_AMDMACHINE_H
#define ATTN_AMD_AMDMACHINE_H

#include "attn/Amd/AmdChip.h"
#include "attn/Schedule/ScheduleTarget.h"
#include <functional>
#include <memory>

namespace mlir::attn::amd {

/// Matrix instructions accumulating into one C/D block: the accumulator
/// (cElements f32 values) and, per k step, what emits the A and B operand
/// vectors. Operands are emitted where the machine uses them, so that an
/// operand read from LDS is not live across the other instructions (wide
/// WMMA operands would otherwise take most of the registers).
struct MatrixStep {
  std::function<Value()> a, b;
};
struct MatrixChain {
  SmallVector<Value> accumulator;
  SmallVector<MatrixStep> steps;
};

class AmdMachine {
public:
  AmdMachine(const AmdChip &chip, Type elementType, int64_t lanes)
      : chip(chip), elementType(elementType), lanes(lanes) {}
  virtual ~AmdMachine();

  /// Emits `body` once per work item (a query tile of `blockQ` rows of one
  /// batch row and head).
  virtual void forEachWorkItem(ImplicitLocOpBuilder &b,
                               const schedule::KernelContext &kernel,
                               int64_t blockQ,
                               function_ref<void(const schedule::WorkItem &)> body) = 0;
  /// Emits `body` as every lane of the workgroup runs it.
  virtual void forEachLane(ImplicitLocOpBuilder &b, function_ref<void()> body) = 0;
  /// The lane's index in the workgroup (index), inside forEachLane.
  virtual Value threadId(ImplicitLocOpBuilder &b) = 0;
  /// `bytes` of LDS for the workgroup: a memref<bytes x i8> in the
  /// workgroup memory space (GPU) or host memory (emulation).
  virtual Value workgroupMemory(ImplicitLocOpBuilder &b, int64_t bytes) = 0;
  /// `value` (32 bits: f32 or i32) of the lane `xorMask` lanes away in the
  /// wave.
  virtual Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                           int64_t xorMask) = 0;
  /// Waits for the workgroup's LDS accesses and synchronizes its lanes.
  virtual void barrier(ImplicitLocOpBuilder &b) = 0;
  /// The chains' results (cElements f32 values each).
  virtual SmallVector<SmallVector<Value>>
  multiply(ImplicitLocOpBuilder &b, ArrayRef<MatrixChain> chains) = 0;
  virtual Value exp2(ImplicitLocOpBuilder &b, Value x) = 0;
  /// Called once the kernel's terminator exists.
  virtual void finalize(Operation *kernel) {}

  const AmdChip &chip;
  Type elementType;
  /// Lanes per workgroup.
  int64_t lanes;
};

/// The GPU machine; `kernel` is the gpu.func being emitted.
std::unique_ptr<AmdMachine> makeGpuMachine(const AmdChip &chip,
                                           Type elementType, int64_t lanes,
                                           Operation *kernel);
/// The host emulation; `kernel` is the func.func being emitted. The
/// function needs lowerLockstepLanes before the host lowering.
std::unique_ptr<AmdMachine> makeEmulatedMachine(const AmdChip &chip,
                                                Type elementType,
                                                int64_t lanes,
                                                Operation *kernel);

} // namespace mlir::attn::amd

#endif // ATTN_AMD_AMDMACHINE_H
