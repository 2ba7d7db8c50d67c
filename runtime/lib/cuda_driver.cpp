#include "cuda_driver.h"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <type_traits>

namespace attn::rt::cuda {
namespace {

constexpr const char *kDriverLibrary = "libcuda.so.1";

struct Loaded {
  Status status;
  Driver table{};
};

// Versioned names are those cuda.h maps the plain names to (cuMemAlloc ->
// cuMemAlloc_v2, ...); dlsym needs the real symbol.
Loaded open() {
  Loaded out;
  void *lib = dlopen(kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    out.status = Status::error(ATTN_ERROR_NO_CUDA_DRIVER,
                               std::string("CUDA driver not found (") + kDriverLibrary +
                                   "): " + (why ? why : "dlopen failed"));
    return out;
  }
  Driver &d = out.table;
  std::string missing;
  auto bind = [&](auto &fn, const char *symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
    if (!fn) missing += missing.empty() ? symbol : std::string(", ") + symbol;
  };
  bind(d.cuInit, "cuInit");
  bind(d.cuDeviceGetCount, "cuDeviceGetCount");
  bind(d.cuDeviceGet, "cuDeviceGet");
  bind(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  bind(d.cuCtxGetCurrent, "cuCtxGetCurrent");
  bind(d.cuCtxGetDevice, "cuCtxGetDevice");
  bind(d.cuCtxPushCurrent, "cuCtxPushCurrent_v2");
  bind(d.cuCtxPopCurrent, "cuCtxPopCurrent_v2");
  bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  bind(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  bind(d.cuModuleUnload, "cuModuleUnload");
  bind(d.cuModuleGetFunction, "cuModuleGetFunction");
  bind(d.cuFuncSetAttribute, "cuFuncSetAttribute");
  bind(d.cuLaunchKernel, "cuLaunchKernel");
  bind(d.cuMemAlloc, "cuMemAlloc_v2");
  bind(d.cuMemFree, "cuMemFree_v2");
  bind(d.cuGetErrorName, "cuGetErrorName");
  bind(d.cuGetErrorString, "cuGetErrorString");
  bind(d.cuDeviceGetName, "cuDeviceGetName");
  bind(d.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  bind(d.cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  bind(d.cuMemcpyDtoD, "cuMemcpyDtoD_v2");
  bind(d.cuCtxSynchronize, "cuCtxSynchronize");
  bind(d.cuEventCreate, "cuEventCreate");
  bind(d.cuEventDestroy, "cuEventDestroy_v2");
  bind(d.cuEventRecord, "cuEventRecord");
  bind(d.cuEventSynchronize, "cuEventSynchronize");
  bind(d.cuEventElapsedTime, "cuEventElapsedTime");
  // Launches of kernels that load by TMA say so when this one is missing.
  d.cuTensorMapEncodeTiled = reinterpret_cast<decltype(d.cuTensorMapEncodeTiled)>(
      dlsym(lib, "cuTensorMapEncodeTiled"));
  if (!missing.empty()) {
    out.status = Status::error(ATTN_ERROR_NO_CUDA_DRIVER,
                               std::string("CUDA driver ") + kDriverLibrary +
                                   " lacks entry points: " + missing);
    return out; // the library stays open: the process may load it anyway
  }
  // Whatever the reason (no device, a driver older than the kernel module),
  // a failed cuInit leaves no device to run on.
  CUresult r = d.cuInit(0);
  if (r != kSuccess)
    out.status = Status::error(ATTN_ERROR_NO_CUDA_DEVICE,
                               "no CUDA device: cuInit failed: " + d.describe(r));
  return out;
}

std::mutex gDevicesMutex;
std::map<int, Device> gDevices;
std::map<int, CUcontext> gPrimaryContexts;

} // namespace

std::string Driver::describe(CUresult r) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(r, &name) != kSuccess || !name) name = "unknown CUDA error";
  if (cuGetErrorString(r, &text) != kSuccess || !text) text = "no description";
  return std::string(name) + " (" + text + ", code " + std::to_string(r) + ")";
}

Status Driver::fail(const char *call, CUresult r) const {
  return Status::error(ATTN_ERROR_CUDA, std::string(call) + " failed: " + describe(r));
}

Status driver(const Driver **out) {
  static const Loaded loaded = open();
  *out = loaded.status.ok() ? &loaded.table : nullptr;
  return loaded.status;
}

Status device(const Driver &d, int ordinal, Device *out) {
  std::lock_guard<std::mutex> lock(gDevicesMutex);
  auto it = gDevices.find(ordinal);
  if (it != gDevices.end()) {
    *out = it->second;
    return Status::success();
  }
  int count = 0;
  CUresult r = d.cuDeviceGetCount(&count);
  if (r != kSuccess) return d.fail("cuDeviceGetCount", r);
  if (ordinal < 0 || ordinal >= count)
    return Status::error(ATTN_ERROR_NO_CUDA_DEVICE,
                         "no CUDA device " + std::to_string(ordinal) + ": the driver sees " +
                             std::to_string(count) + " device(s)");
  Device dev;
  if ((r = d.cuDeviceGet(&dev.handle, ordinal)) != kSuccess) return d.fail("cuDeviceGet", r);
  if ((r = d.cuDeviceGetAttribute(&dev.major, kAttrComputeCapabilityMajor, dev.handle)) !=
          kSuccess ||
      (r = d.cuDeviceGetAttribute(&dev.minor, kAttrComputeCapabilityMinor, dev.handle)) !=
          kSuccess)
    return d.fail("cuDeviceGetAttribute(compute capability)", r);
  gDevices[ordinal] = dev;
  *out = dev;
  return Status::success();
}

ContextScope::~ContextScope() {
  if (pushed_) {
    CUcontext popped;
    driver_->cuCtxPopCurrent(&popped);
  }
}

Status ContextScope::enter(const Driver &d, int ordinal) {
  driver_ = &d;
  Status st = cuda::device(d, ordinal, &device_);
  if (!st.ok()) return st;
  const Device &dev = device_;
  CUcontext current = nullptr;
  CUdevice currentDevice = -1;
  if (d.cuCtxGetCurrent(&current) == kSuccess && current &&
      d.cuCtxGetDevice(&currentDevice) == kSuccess && currentDevice == dev.handle) {
    ctx_ = current;
    return Status::success();
  }
  CUcontext primary = nullptr;
  {
    // Retained once per process and never released: the primary context then
    // outlives every module and allocation the runtime makes in it.
    std::lock_guard<std::mutex> lock(gDevicesMutex);
    auto it = gPrimaryContexts.find(ordinal);
    if (it == gPrimaryContexts.end()) {
      CUresult r = d.cuDevicePrimaryCtxRetain(&primary, dev.handle);
      if (r != kSuccess) return d.fail("cuDevicePrimaryCtxRetain", r);
      gPrimaryContexts[ordinal] = primary;
    } else {
      primary = it->second;
    }
  }
  CUresult r = d.cuCtxPushCurrent(primary);
  if (r != kSuccess) return d.fail("cuCtxPushCurrent", r);
  pushed_ = true;
  ctx_ = primary;
  return Status::success();
}

PushedContext::PushedContext(const Driver &d, CUcontext ctx)
    : driver_(d), pushed_(d.cuCtxPushCurrent(ctx) == kSuccess) {}

PushedContext::~PushedContext() {
  if (pushed_) {
    CUcontext popped;
    driver_.cuCtxPopCurrent(&popped);
  }
}

} // namespace attn::rt::cuda
