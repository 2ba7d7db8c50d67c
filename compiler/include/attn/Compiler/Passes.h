//===- Passes.h - The compile driver ----------------------------*- C++ -*-===//
#ifndef ATTN_COMPILER_PASSES_H
#define ATTN_COMPILER_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attn/Compiler/Passes.h.inc"

/// Registers attn-compile and the passes every target of the build brings.
void registerCompilerPasses();

} // namespace mlir::attn

#endif // ATTN_COMPILER_PASSES_H
