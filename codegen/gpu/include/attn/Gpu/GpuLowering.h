//===- GpuLowering.h - Steps every GPU target's lowering shares -*- C++ -*-===//
//
// The parts of lowering a kernel's gpu.module to a vendor dialect that do not
// depend on the vendor: math rewritten so that no kernel calls a device
// library, the vendor's library calls that remain turned into LLVM
// intrinsics, and the check that nothing but the vendor's dialect is left.
// What differs (the library's names, extra rewrites, the dialect) is passed
// in by the target (codegen/nvidia, codegen/amd).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_GPU_GPULOWERING_H
#define ATTN_GPU_GPULOWERING_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::attn::gpu_lowering {

/// What every GPU target's lowering loads: the dialects the schedule emits
/// and LLVM's, the ConvertToLLVM interfaces the vendor conversions go
/// through, and the translations of builtin, gpu and llvm to LLVM IR. A
/// target adds its own dialects, interfaces and translation.
void registerCommonDependencies(DialectRegistry &registry);

/// Rewrites math functions before the conversion to the vendor dialect:
/// transcendental f32 functions become MLIR's polynomial approximations,
/// f16/bf16 math is done in f32, and functions without an approximation of
/// their own are expanded into ones with one. What stays (sqrt, fma, floor,
/// exp2, ...) is one instruction on every GPU. `targetPatterns` adds a
/// target's own rewrites, which should carry a higher benefit to win.
LogicalResult
expandMath(gpu::GPUModuleOp module,
           llvm::function_ref<void(RewritePatternSet &)> targetPatterns = {});

/// The vendor conversions lower even single-instruction math to device
/// library calls; replaces each call whose callee `intrinsics` maps with
/// that LLVM intrinsic operation, and erases the declarations left unused.
void replaceLibraryCallsWithIntrinsics(
    gpu::GPUModuleOp module, const llvm::StringMap<StringRef> &intrinsics);

/// What a lowered module may hold: operations of the LLVM dialect and of
/// `targetDialect`, no external function. Errors name the kernel's vendor
/// (`vendor`, "NVIDIA") and the target dialect's name (`dialectName`,
/// "NVVM"); `externalCallNote` explains why an external call is an error.
LogicalResult checkLowered(gpu::GPUModuleOp module, Dialect *targetDialect,
                           StringRef vendor, StringRef dialectName,
                           StringRef externalCallNote);

} // namespace mlir::attn::gpu_lowering

#endif // ATTN_GPU_GPULOWERING_H
