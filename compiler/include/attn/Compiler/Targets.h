//===- Targets.h - The code-generation targets of this build ----*- C++ -*-===//
#ifndef ATTN_COMPILER_TARGETS_H
#define ATTN_COMPILER_TARGETS_H

#include "attn/Target/TargetBackend.h"

namespace mlir::attn {

/// Every backend the build enables (CMake's ATTN_TARGETS), registered once.
const TargetRegistry &registeredTargets();

} // namespace mlir::attn

#endif // ATTN_COMPILER_TARGETS_H
