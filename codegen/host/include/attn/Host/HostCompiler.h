//===- HostCompiler.h - Host kernels to a shared object ---------*- C++ -*-===//
//
// The host target's second half: loop-level kernels (the schedule emitter
// through HostScheduleTarget, HostBackend.cpp) are lowered to the LLVM
// dialect, translated to LLVM IR, optimized and emitted as an object for the
// host CPU in-process, then linked into a shared object by ld.lld. Each kernel is exported as `void <entry>(void **args)`, the
// runtime's host_c_iface convention: args[i] points to the strided-memref
// descriptor {T *allocated; T *aligned; int64 offset; int64 sizes[rank];
// int64 strides[rank]} of argument i.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOST_HOSTCOMPILER_H
#define ATTN_HOST_HOSTCOMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::host {

/// A loop-level kernel function and the symbol its shared object exports.
struct HostEntryPoint {
  std::string kernel;
  std::string entry;
};

struct HostCodegenOptions {
  /// The CPU to generate code for: "portable" (the target's baseline:
  /// x86-64 on x86-64 hosts, LLVM's "generic" elsewhere), "native" (the
  /// compiling machine's CPU and features) or an LLVM CPU name such as
  /// "x86-64-v3". The shared object records the features it was compiled
  /// for, and the runtime refuses it on a CPU that lacks one.
  std::string cpu = "portable";
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// Lowers the loop-level kernels of `module` to the LLVM dialect in place and
/// adds the exported `void entry(void **args)` wrappers; every other
/// function becomes internal. `options` names the CPU (f16 conversions
/// become integer arithmetic where it has no conversion instructions).
/// Emits an error on failure.
LogicalResult lowerHostKernelsToLLVM(ModuleOp module,
                                     llvm::ArrayRef<HostEntryPoint> entries,
                                     const HostCodegenOptions &options);

/// Translates an LLVM-dialect module to LLVM IR, optimizes it, emits an
/// object for the host and links a shared object, whose bytes it returns.
/// The linker is $ATTN_LD_LLD, else ld.lld-22 or ld.lld on PATH, else
/// /usr/lib/llvm-22/bin/ld.lld. Emits an error on `module` on failure.
FailureOr<std::vector<uint8_t>>
buildSharedObject(ModuleOp module, const HostCodegenOptions &options);

} // namespace mlir::attn::host

#endif // ATTN_HOST_HOSTCOMPILER_H
