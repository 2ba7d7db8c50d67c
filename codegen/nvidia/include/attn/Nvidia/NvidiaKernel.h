//===- NvidiaKernel.h - attn.attention to an NVIDIA gpu.func ----*- C++ -*-===//
//
// The NVIDIA target's first half: a spec function (host::KernelSpec, the same
// signature analysis the host target uses) becomes a gpu.func in a gpu.module
// that runs the tiled, block-sparse 1-pass cascade with one thread block per
// (query tile, query head, batch). NvidiaCompiler.h lowers such modules to
// PTX and cubin.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_NVIDIA_NVIDIAKERNEL_H
#define ATTN_NVIDIA_NVIDIAKERNEL_H

#include "attn/Host/HostKernel.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::attn::nvidia {

/// The schedule of one kernel. Defaults are chosen per head dimension by
/// chooseTiling; attn-compile's options override them.
struct GpuTiling {
  /// Query rows per thread block (a multiple of 16 * warps).
  int64_t blockQ = 64;
  /// Key columns per key tile (a multiple of 16).
  int64_t blockKV = 64;
  /// Warps per thread block.
  int64_t warps = 4;
  /// K/V shared-memory stages (2 = double buffering).
  int64_t stages = 2;
  /// Thread blocks that should fit on one multiprocessor at once (0: no
  /// hint). ptxas then caps the registers per thread to let them fit.
  int64_t minBlocksPerMultiprocessor = 0;
};

/// How a launch follows from the runtime sizes: grid = (ceil(Sq / blockQ),
/// Hq, B), block = (threadsPerBlock, 1, 1), dynamic shared memory in bytes.
struct GpuLaunchShape {
  int64_t blockQ = 0;
  int64_t threadsPerBlock = 0;
  int64_t sharedMemoryBytes = 0;
};

/// The default schedule for `spec` (by head dimension and element type).
GpuTiling chooseTiling(const host::KernelSpec &spec);

/// Emits `gpu.func @<kernelName> kernel` into `into`: one memref argument
/// per KernelArgument, in order (the gpu_expanded_memref convention of
/// docs/runtime.md), computing the outputs in place. Emits an error naming
/// what is unsupported (element type, head dimension, tiling) and returns
/// failure when the spec cannot be lowered for NVIDIA GPUs.
FailureOr<GpuLaunchShape> buildNvidiaKernel(const host::KernelSpec &spec,
                                            const GpuTiling &tiling,
                                            StringRef kernelName,
                                            gpu::GPUModuleOp into);

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_NVIDIAKERNEL_H
