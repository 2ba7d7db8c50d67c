// The few CUDA driver entry points the runtime uses, opened from libcuda.so.1
// at run time. Types and constants are declared here rather than taken from
// cuda.h so the runtime builds where no CUDA toolkit is installed; their values
// are the driver's ABI, checked against cuda.h by cuda_abi_test where cuda.h
// exists.
#ifndef ATTN_RUNTIME_CUDA_DRIVER_H
#define ATTN_RUNTIME_CUDA_DRIVER_H

#include "status.h"

#include <cstddef>
#include <string>

namespace attn::rt::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;

constexpr CUresult kSuccess = 0;                     // CUDA_SUCCESS
constexpr int kAttrComputeCapabilityMajor = 75;      // CU_DEVICE_ATTRIBUTE_...
constexpr int kAttrComputeCapabilityMinor = 76;
constexpr int kAttrL2CacheSize = 38;                 // CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE
constexpr int kFuncAttrMaxDynamicSharedBytes = 8;    // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
constexpr int kJitErrorLogBuffer = 5;                // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferSizeBytes = 6;       // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxGetDevice)(CUdevice *);
  CUresult (*cuCtxPushCurrent)(CUcontext);
  CUresult (*cuCtxPopCurrent)(CUcontext *);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **, void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  // Not used by the runtime itself: tools built on this table (attn-run)
  // move data and time kernels with them.
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);

  // "CUDA_ERROR_INVALID_VALUE (invalid argument)".
  std::string describe(CUresult r) const;
  // ATTN_ERROR_CUDA naming the call and the driver's error.
  Status fail(const char *call, CUresult r) const;
};

// Opens the driver and runs cuInit(0), once per process. Fails with
// ATTN_ERROR_NO_CUDA_DRIVER (no libcuda.so.1 or a symbol missing) or
// ATTN_ERROR_NO_CUDA_DEVICE (cuInit finds no device).
Status driver(const Driver **out);

struct Device {
  CUdevice handle = 0;
  int major = 0;
  int minor = 0;
};

// Device `ordinal` with its compute capability (cached per process).
Status device(const Driver &d, int ordinal, Device *out);

// Makes a context of device `ordinal` current for the scope's lifetime: the
// calling thread's current context if it belongs to that device (so streams
// the caller made in it work), else the device's primary context, pushed and
// popped again on destruction.
class ContextScope {
public:
  ContextScope() = default;
  ContextScope(const ContextScope &) = delete;
  ContextScope &operator=(const ContextScope &) = delete;
  ~ContextScope();

  Status enter(const Driver &d, int ordinal);
  CUcontext context() const { return ctx_; }
  const Device &device() const { return device_; }

private:
  const Driver *driver_ = nullptr;
  Device device_;
  CUcontext ctx_ = nullptr;
  bool pushed_ = false;
};

// Pushes `ctx` for the scope's lifetime (for cleanup in a recorded context).
class PushedContext {
public:
  PushedContext(const Driver &d, CUcontext ctx);
  ~PushedContext();
  PushedContext(const PushedContext &) = delete;
  PushedContext &operator=(const PushedContext &) = delete;

private:
  const Driver &driver_;
  bool pushed_;
};

} // namespace attn::rt::cuda

#endif // ATTN_RUNTIME_CUDA_DRIVER_H
