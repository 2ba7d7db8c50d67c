//===- LockstepLanes.h - GPU lanes run in lockstep on a CPU -----*- C++ -*-===//
//
// Running a GPU kernel's per-lane code on the host, one lane after another,
// is only right between synchronization points: a lane that reads what
// another lane wrote before a barrier (a shuffle through memory, a matrix
// operand, a staged tile) needs every lane to have got there. A lane loop
// is an scf.for over the lanes of a workgroup, marked kLockstepLanesAttr,
// whose body is the code of one lane with gpu.barrier ops where lanes
// synchronize. lowerLockstepLanes splits each such loop at its barriers
// (the classic "loop fission" of SIMT code for CPUs): the code between two
// barriers runs for every lane before the next part starts, values that
// cross a barrier live in per-lane arrays, and the control flow that
// contains barriers (scf.for, scf.if) runs once for the workgroup, its
// bounds and conditions taken from lane 0 (barriers in divergent control
// flow are undefined on GPUs, so they must be uniform).
//
// Nothing here knows a target: AMD's host emulation (codegen/amd) uses it,
// and any target whose ScheduleTarget can be emitted as lane code could.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOST_LOCKSTEPLANES_H
#define ATTN_HOST_LOCKSTEPLANES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::attn::host {

/// The unit attribute marking a lane loop: scf.for from 0 to a constant
/// number of lanes by 1, without iteration arguments.
inline constexpr llvm::StringLiteral kLockstepLanesAttr = "attn.lockstep_lanes";

/// Rewrites every lane loop of `function` into lockstep form and removes
/// every gpu.barrier. Emits an error naming the operation when a barrier
/// sits in control flow it cannot split (anything but scf.for and scf.if)
/// or a value crossing a barrier has a type an array cannot hold.
LogicalResult lowerLockstepLanes(func::FuncOp function);

} // namespace mlir::attn::host

#endif // ATTN_HOST_LOCKSTEPLANES_H
