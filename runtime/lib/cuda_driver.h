// The few CUDA driver entry points the runtime uses, opened from libcuda.so.1
// at run time. Types and constants are declared here rather than taken from
// cuda.h so the runtime builds where no CUDA toolkit is installed; their values
// are the driver's ABI, checked against cuda.h by cuda_abi_test where cuda.h
// exists.
#ifndef ATTN_RUNTIME_CUDA_DRIVER_H
#define ATTN_RUNTIME_CUDA_DRIVER_H

#include "status.h"

#include <cstddef>
#include <cstdint>
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

// Tensor maps (TMA, compute capability 9.0 and newer). The enums are C enums
// of cuda.h, passed as int.
using CUtensorMapDataType = int;
using CUtensorMapInterleave = int;
using CUtensorMapSwizzle = int;
using CUtensorMapL2promotion = int;
using CUtensorMapFloatOOBfill = int;
constexpr CUtensorMapDataType kTensorMapUInt8 = 0;    // CU_TENSOR_MAP_DATA_TYPE_...
constexpr CUtensorMapDataType kTensorMapUInt16 = 1;
constexpr CUtensorMapDataType kTensorMapUInt32 = 2;
constexpr CUtensorMapDataType kTensorMapInt32 = 3;
constexpr CUtensorMapDataType kTensorMapUInt64 = 4;
constexpr CUtensorMapDataType kTensorMapInt64 = 5;
constexpr CUtensorMapDataType kTensorMapFloat16 = 6;
constexpr CUtensorMapDataType kTensorMapFloat32 = 7;
constexpr CUtensorMapDataType kTensorMapFloat64 = 8;
constexpr CUtensorMapDataType kTensorMapBFloat16 = 9;
constexpr CUtensorMapInterleave kTensorMapInterleaveNone = 0; // CU_TENSOR_MAP_INTERLEAVE_NONE
constexpr CUtensorMapSwizzle kTensorMapSwizzleNone = 0;       // CU_TENSOR_MAP_SWIZZLE_...
constexpr CUtensorMapSwizzle kTensorMapSwizzle32B = 1;
constexpr CUtensorMapSwizzle kTensorMapSwizzle64B = 2;
constexpr CUtensorMapSwizzle kTensorMapSwizzle128B = 3;
constexpr CUtensorMapL2promotion kTensorMapL2PromotionNone = 0; // CU_TENSOR_MAP_L2_PROMOTION_...
constexpr CUtensorMapL2promotion kTensorMapL2Promotion64B = 1;
constexpr CUtensorMapL2promotion kTensorMapL2Promotion128B = 2;
constexpr CUtensorMapL2promotion kTensorMapL2Promotion256B = 3;
constexpr CUtensorMapFloatOOBfill kTensorMapOobFillNone = 0; // CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE
constexpr unsigned kTensorMapMaxRank = 5;

// The opaque 128 bytes the driver encodes and a kernel takes by value. The
// driver wants them 64-byte aligned; CUDA 13's cuda.h aligns them to 128,
// which holds for both.
struct alignas(128) CUtensorMap {
  uint64_t opaque[16];
};

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
  // Optional: null with a driver older than CUDA 12, which has no TMA.
  CUresult (*cuTensorMapEncodeTiled)(CUtensorMap *, CUtensorMapDataType, uint32_t rank,
                                     void *globalAddress, const uint64_t *globalDim,
                                     const uint64_t *globalStrides, const uint32_t *boxDim,
                                     const uint32_t *elementStrides, CUtensorMapInterleave,
                                     CUtensorMapSwizzle, CUtensorMapL2promotion,
                                     CUtensorMapFloatOOBfill);

  // "CUDA_ERROR_INVALID_VALUE (invalid argument)".
  std::string describe(CUresult r) const;
  // ATTN_ERROR_CUDA naming the call and the driver's error.
  Status fail(const char *call, CUresult r) const;
};

// Opens the driver and runs cuInit(0), once per process. Fails with
// ATTN_ERROR_NO_CUDA_DRIVER (no libcuda.so.1 or a symbol missing, optional
// ones aside) or ATTN_ERROR_NO_CUDA_DEVICE (cuInit finds no device).
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
