//===- KernelRewrites.h - Rewrites GPU targets share ------------*- C++ -*-===//
//
// Rewrites of an emitted kernel that several targets apply in their
// ScheduleTarget::finalize, kept here so that each is written once.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SCHEDULE_KERNELREWRITES_H
#define ATTN_SCHEDULE_KERNELREWRITES_H

#include "mlir/IR/Operation.h"

namespace mlir::attn::schedule {

/// Replaces every f32 division by a nonzero constant under `root` with a
/// multiplication by the constant's rounded reciprocal (within an ulp of the
/// division). Score mods divide by constants (softcap's x / cap), and an
/// IEEE division is a long instruction sequence on GPUs.
void multiplyByReciprocals(Operation *root);

} // namespace mlir::attn::schedule

#endif // ATTN_SCHEDULE_KERNELREWRITES_H
