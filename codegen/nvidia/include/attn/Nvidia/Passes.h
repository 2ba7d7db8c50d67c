//===- Passes.h - The NVIDIA target's passes --------------------*- C++ -*-===//
#ifndef ATTN_NVIDIA_PASSES_H
#define ATTN_NVIDIA_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attn/Nvidia/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Nvidia/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTN_NVIDIA_PASSES_H
