//===- AmdCompiler.h - gpu.modules to AMDGPU ISA and HSACO ------*- C++ -*-===//
//
// The AMD target's second half: a gpu.module of AMD kernels (amdgpu, gpu,
// arith, vector, memref, scf ops) is lowered to the LLVM dialect with ROCDL
// ops for one chip, then serialized by the upstream gpu-module-to-binary
// machinery with a #rocdl.target: assembly text (emit=rocdl-isa) or an
// HSACO code object, which LLVM's AMDGPU back end assembles in process and
// ld.lld links. Kernels link no device library: math is expanded into
// arithmetic and LLVM intrinsics before the conversion. docs/amd.md.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_AMDCOMPILER_H
#define ATTN_AMD_AMDCOMPILER_H

#include "attn/Amd/AmdChip.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::attn::amd {

/// The ROCDL code-object ABI of every binary: "500" (code object v5, which
/// ROCm 5.x and 6.x load).
llvm::StringRef codeObjectAbi();

/// Dialects, interfaces and translations the lowering and serialization use.
void registerAmdCompilerDependencies(DialectRegistry &registry);

/// Lowers every gpu.module of `module` in place to the LLVM dialect with
/// ROCDL ops for `chip`; kernels whose "attn.waves_per_eu" attribute is set
/// ask LLVM for that occupancy. Emits an error naming any operation or
/// external function that remains.
LogicalResult lowerGpuModulesToROCDL(ModuleOp module, const AmdChip &chip);

/// What the code object's metadata says about one kernel (the AMDHSA
/// amdhsa.kernels note, read by LLVM's ELF reader).
struct KernelResources {
  std::string entry;
  int64_t vgprs = 0, agprs = 0, sgprs = 0;
  int64_t ldsBytes = 0, scratchBytes = 0;
  int64_t vgprSpills = 0, sgprSpills = 0;
  int64_t wavefrontSize = 0;
};

/// A lowered gpu.module compiled for one chip.
struct AmdBinary {
  /// With `assembly`: the ISA text; else an HSACO code object and its
  /// kernels' resources.
  std::string isa;
  std::vector<uint8_t> hsaco;
  std::vector<KernelResources> resources;
};

/// The folder whose llvm/bin/ld.lld links HSACO: $ATTN_ROCM_PATH when set
/// (an error if it holds none), else the one the build made next to attn's
/// libraries.
FailureOr<std::string> findRocmToolkit(Location loc);

/// Serializes a lowered gpu.module for `chip`: assembly text, or (with a
/// toolkit) an HSACO code object and its resources.
FailureOr<AmdBinary> compileGpuModule(gpu::GPUModuleOp module,
                                      const AmdChip &chip, bool assembly,
                                      llvm::StringRef toolkit);

/// `kernel <name> <chip>: vgprs=V agprs=A sgprs=S lds=L scratch=B
/// vgpr_spills=X sgpr_spills=Y`.
void printResources(llvm::raw_ostream &os, llvm::StringRef name,
                    llvm::StringRef chip, const KernelResources &resources);

} // namespace mlir::attn::amd

#endif // ATTN_AMD_AMDCOMPILER_H
