//===- Targets.cpp - The code-generation targets of this build ------------===//
//
// TargetList.def is generated from CMake's ATTN_TARGETS: one
// ATTN_TARGET(Name) line per backend the build enables, each backend
// defining registerNameTarget(TargetRegistry &) in its own library.
//
//===----------------------------------------------------------------------===//
#include "attn/Compiler/Targets.h"

namespace mlir::attn {
#define ATTN_TARGET(Name) void register##Name##Target(TargetRegistry &);
#include "attn/Compiler/TargetList.def"
#undef ATTN_TARGET
} // namespace mlir::attn

const mlir::attn::TargetRegistry &mlir::attn::registeredTargets() {
  static const TargetRegistry registry = [] {
    TargetRegistry targets;
#define ATTN_TARGET(Name) register##Name##Target(targets);
#include "attn/Compiler/TargetList.def"
#undef ATTN_TARGET
    return targets;
  }();
  return registry;
}
