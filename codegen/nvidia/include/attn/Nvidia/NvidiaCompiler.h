//===- NvidiaCompiler.h - gpu.modules to PTX and cubin ----------*- C++ -*-===//
//
// The NVIDIA target's second half: gpu.modules (NvidiaBackend.cpp builds
// them, the schedule emitter through NvidiaScheduleTarget) are lowered to the
// LLVM dialect with NVVM ops, serialized to PTX by the upstream
// gpu-module-to-binary machinery with an #nvvm.target per chip, and
// assembled to cubins by ptxas when a CUDA toolkit is present. docs/nvidia.md
// describes the pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_NVIDIA_NVIDIACOMPILER_H
#define ATTN_NVIDIA_NVIDIACOMPILER_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::attn::nvidia {

/// The chips attn compiles for ("sm_80", "sm_90", "sm_90a").
llvm::ArrayRef<llvm::StringRef> supportedChips();
/// "sm_80, sm_90, sm_90a", for diagnostics.
std::string supportedChipList();
/// Whether `chip` gets the wgmma kernel (sm_90a) rather than mma.sync's.
bool isHopperChip(llvm::StringRef chip);

/// The PTX ISA version of every chip's code: the NVPTX feature string of the
/// #nvvm.target attribute.
llvm::StringRef ptxFeatures();

/// Dialects, interfaces and translations the lowering and serialization use;
/// passes that call into this file declare them through this function.
void registerNvidiaCompilerDependencies(DialectRegistry &registry);

/// Marks a kernel's trailing `!llvm.ptr` arguments that are TMA tensor maps:
/// lowerGpuModulesToNVVM turns each into a 128-byte, 64-byte aligned
/// by-value grid-constant parameter (the CUtensorMap the runtime passes).
inline constexpr llvm::StringLiteral kTensorMapArgumentAttr = "attn.tensor_map";

/// Lowers every gpu.module of `module` in place to the LLVM dialect with
/// NVVM ops (gpu_expanded_memref kernel parameters, 64-bit indices; tensor
/// maps by value). Math functions are expanded into arithmetic and exp2
/// becomes ex2.approx, so no device library is needed. Emits an error naming
/// any operation or external function that remains.
LogicalResult lowerGpuModulesToNVVM(ModuleOp module);

/// What ptxas reports for one kernel (entry function) of a cubin.
struct KernelResources {
  std::string entry;
  int64_t registers = 0;
  /// Static shared memory; dynamic shared memory is a launch parameter.
  int64_t staticSharedBytes = 0;
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
  int64_t stackFrameBytes = 0;
};

/// A lowered gpu.module compiled for one chip.
struct ChipBinary {
  std::string chip;
  std::string ptx;
  /// Empty when no ptxas was used.
  std::vector<uint8_t> cubin;
  /// One entry per kernel of the cubin (empty without a cubin).
  llvm::SmallVector<KernelResources> resources;
};

/// The ptxas to assemble cubins with: $ATTN_CUDA_PATH/bin/ptxas when that
/// variable is set (an error if it holds none), else
/// /usr/local/cuda/bin/ptxas, else ptxas on PATH. std::nullopt when there
/// is none.
FailureOr<std::optional<std::string>> findPtxas(Location loc);

/// Compiles a lowered gpu.module for each of `chips`: PTX through
/// gpu-module-to-binary (format=isa), then, when `ptxas` is given, a cubin
/// and its resource report from `ptxas -v`. Emits an error (with ptxas' log
/// when it fails) and returns failure on any problem.
FailureOr<llvm::SmallVector<ChipBinary>>
compileGpuModule(gpu::GPUModuleOp module, llvm::ArrayRef<std::string> chips,
                 std::optional<llvm::StringRef> ptxas);

/// Prints `kernel <name> <chip>: registers=R shared=B spill_stores=S
/// spill_loads=L`, where B adds `dynamicSharedBytes` to the static shared
/// memory ptxas reports for `resources`.
void printResources(llvm::raw_ostream &os, llvm::StringRef name,
                    llvm::StringRef chip, const KernelResources &resources,
                    int64_t dynamicSharedBytes);

/// The banner that precedes each module's PTX when several are printed
/// together: `// attn: <what> for <chip>` (a PTX comment).
std::string ptxBanner(llvm::StringRef what, llvm::StringRef chip);

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_NVIDIACOMPILER_H
