// The few HIP entry points the runtime uses, opened from libamdhip64.so at
// run time (or the library $ATTN_HIP_LIBRARY names). Types and constants are
// declared here rather than taken from hip_runtime_api.h so the runtime builds
// where no ROCm is installed; they are the HIP ABI, checked against the HIP
// headers by hip_abi_test where those exist.
#ifndef ATTN_RUNTIME_HIP_RUNTIME_H
#define ATTN_RUNTIME_HIP_RUNTIME_H

#include "status.h"

#include <cstddef>
#include <string>

namespace attn::rt::hip {

using hipError_t = int;
using hipModule_t = struct ihipModule_t *;
using hipFunction_t = struct ihipModuleSymbol_t *;
using hipStream_t = struct ihipStream_t *;
using hipEvent_t = struct ihipEvent_t *;

constexpr hipError_t kSuccess = 0;           // hipSuccess
constexpr int kMemcpyHostToDevice = 1;       // hipMemcpyHostToDevice
constexpr int kMemcpyDeviceToHost = 2;       // hipMemcpyDeviceToHost
constexpr int kMemcpyDeviceToDevice = 3;     // hipMemcpyDeviceToDevice

struct Runtime {
  hipError_t (*hipInit)(unsigned);
  hipError_t (*hipGetDeviceCount)(int *);
  hipError_t (*hipGetDevice)(int *);
  hipError_t (*hipSetDevice)(int);
  // hipGetDevicePropertiesR0600 where the library has it (ROCm 6 and later),
  // else hipGetDeviceProperties: the struct's layout differs between them,
  // so the runtime reads only the architecture name, found by its form.
  hipError_t (*hipGetDeviceProperties)(void *, int);
  hipError_t (*hipModuleLoadData)(hipModule_t *, const void *);
  hipError_t (*hipModuleUnload)(hipModule_t);
  hipError_t (*hipModuleGetFunction)(hipFunction_t *, hipModule_t, const char *);
  hipError_t (*hipModuleLaunchKernel)(hipFunction_t, unsigned, unsigned, unsigned, unsigned,
                                      unsigned, unsigned, unsigned, hipStream_t, void **,
                                      void **);
  const char *(*hipGetErrorName)(hipError_t);
  const char *(*hipGetErrorString)(hipError_t);
  // Not used by the runtime itself: tools built on this table (attn-run)
  // move data and time kernels with them.
  hipError_t (*hipMalloc)(void **, size_t);
  hipError_t (*hipFree)(void *);
  hipError_t (*hipMemcpy)(void *, const void *, size_t, int);
  hipError_t (*hipDeviceSynchronize)();
  hipError_t (*hipEventCreate)(hipEvent_t *);
  hipError_t (*hipEventDestroy)(hipEvent_t);
  hipError_t (*hipEventRecord)(hipEvent_t, hipStream_t);
  hipError_t (*hipEventSynchronize)(hipEvent_t);
  hipError_t (*hipEventElapsedTime)(float *, hipEvent_t, hipEvent_t);

  // The library that was opened.
  std::string library;

  // "hipErrorInvalidValue (invalid argument)".
  std::string describe(hipError_t r) const;
  // ATTN_ERROR_HIP naming the call and the runtime's error.
  Status fail(const char *call, hipError_t r) const;
};

// The HIP library the runtime opens: $ATTN_HIP_LIBRARY when set, else
// libamdhip64.so (then .so.6 and .so.5, the names ROCm installs).
std::string libraryName();

// Opens the HIP runtime named by libraryName() and runs hipInit(0), once per
// process and library. Fails with ATTN_ERROR_NO_HIP_RUNTIME (no library, or
// a symbol missing) or ATTN_ERROR_NO_HIP_DEVICE (hipInit or the device count
// finds no device).
Status runtime(const Runtime **out);

struct Device {
  int ordinal = 0;
  // The architecture, without target features: "gfx942" (of
  // "gfx942:sramecc+:xnack-").
  std::string arch;
};

// Device `ordinal` and its architecture. ATTN_ERROR_NO_HIP_DEVICE when there
// is no such device.
Status device(const Runtime &r, int ordinal, Device *out);

// The architecture name in a device-properties struct of either layout:
// the first NUL-started string "gfx<alnum>..." ending at ':' or NUL, without
// its features. Empty when there is none.
std::string findArchName(const unsigned char *properties, size_t size);

// Makes device `ordinal` current for the scope's lifetime (HIP's current
// device is per thread), restoring the caller's afterwards.
class DeviceScope {
public:
  DeviceScope() = default;
  DeviceScope(const DeviceScope &) = delete;
  DeviceScope &operator=(const DeviceScope &) = delete;
  ~DeviceScope();
  Status enter(const Runtime &r, int ordinal);

private:
  const Runtime *runtime_ = nullptr;
  int previous_ = -1;
};

} // namespace attn::rt::hip

#endif // ATTN_RUNTIME_HIP_RUNTIME_H
