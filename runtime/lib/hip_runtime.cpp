#include "hip_runtime.h"

#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

namespace attn::rt::hip {
namespace {

// Bytes handed to hipGetDeviceProperties: more than either layout of
// hipDeviceProp_t (about 1.5 KiB) needs.
constexpr size_t kPropertiesBytes = 16 * 1024;

struct Loaded {
  Status status;
  Runtime table{};
};

std::unique_ptr<Loaded> open(const std::string &requested) {
  auto out = std::make_unique<Loaded>();
  std::vector<std::string> names;
  if (!requested.empty())
    names = {requested};
  else
    names = {"libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5"};
  void *lib = nullptr;
  std::string why;
  for (const std::string &name : names) {
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      out->table.library = name;
      break;
    }
    const char *error = dlerror();
    why += (why.empty() ? "" : "; ") + std::string(error ? error : name + ": dlopen failed");
  }
  if (!lib) {
    out->status = Status::error(ATTN_ERROR_NO_HIP_RUNTIME,
                                "HIP runtime not found (" + why +
                                    "); install ROCm or set ATTN_HIP_LIBRARY to libamdhip64.so");
    return out;
  }
  Runtime &r = out->table;
  std::string missing;
  auto bind = [&](auto &fn, const char *symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
    if (!fn) missing += missing.empty() ? symbol : std::string(", ") + symbol;
  };
  bind(r.hipInit, "hipInit");
  bind(r.hipGetDeviceCount, "hipGetDeviceCount");
  bind(r.hipGetDevice, "hipGetDevice");
  bind(r.hipSetDevice, "hipSetDevice");
  r.hipGetDeviceProperties = reinterpret_cast<hipError_t (*)(void *, int)>(
      dlsym(lib, "hipGetDevicePropertiesR0600"));
  if (!r.hipGetDeviceProperties) bind(r.hipGetDeviceProperties, "hipGetDeviceProperties");
  bind(r.hipModuleLoadData, "hipModuleLoadData");
  bind(r.hipModuleUnload, "hipModuleUnload");
  bind(r.hipModuleGetFunction, "hipModuleGetFunction");
  bind(r.hipModuleLaunchKernel, "hipModuleLaunchKernel");
  bind(r.hipGetErrorName, "hipGetErrorName");
  bind(r.hipGetErrorString, "hipGetErrorString");
  bind(r.hipMalloc, "hipMalloc");
  bind(r.hipFree, "hipFree");
  bind(r.hipMemcpy, "hipMemcpy");
  bind(r.hipDeviceSynchronize, "hipDeviceSynchronize");
  bind(r.hipEventCreate, "hipEventCreate");
  bind(r.hipEventDestroy, "hipEventDestroy");
  bind(r.hipEventRecord, "hipEventRecord");
  bind(r.hipEventSynchronize, "hipEventSynchronize");
  bind(r.hipEventElapsedTime, "hipEventElapsedTime");
  if (!missing.empty()) {
    out->status = Status::error(ATTN_ERROR_NO_HIP_RUNTIME,
                                "HIP runtime " + r.library + " lacks entry points: " + missing);
    return out; // the library stays open: the process may load it anyway
  }
  hipError_t e = r.hipInit(0);
  int count = 0;
  if (e == kSuccess) e = r.hipGetDeviceCount(&count);
  if (e != kSuccess)
    out->status = Status::error(ATTN_ERROR_NO_HIP_DEVICE,
                                "no ROCm device: " + r.describe(e) + " (HIP runtime " +
                                    r.library + ")");
  else if (count == 0)
    out->status = Status::error(ATTN_ERROR_NO_HIP_DEVICE,
                                "no ROCm device: the HIP runtime " + r.library +
                                    " sees none");
  return out;
}

std::mutex gMutex;
// Per library name, so that a process may try another one after a failure.
std::map<std::string, std::unique_ptr<Loaded>> gLoaded;
std::map<std::pair<const Runtime *, int>, Device> gDevices;

} // namespace

std::string Runtime::describe(hipError_t r) const {
  const char *name = hipGetErrorName ? hipGetErrorName(r) : nullptr;
  const char *text = hipGetErrorString ? hipGetErrorString(r) : nullptr;
  return std::string(name ? name : "unknown HIP error") + " (" + (text ? text : "no description") +
         ", code " + std::to_string(r) + ")";
}

Status Runtime::fail(const char *call, hipError_t r) const {
  return Status::error(ATTN_ERROR_HIP, std::string(call) + " failed: " + describe(r));
}

std::string libraryName() {
  const char *name = std::getenv("ATTN_HIP_LIBRARY");
  return name && *name ? name : "";
}

Status runtime(const Runtime **out) {
  std::string name = libraryName();
  std::lock_guard<std::mutex> lock(gMutex);
  auto it = gLoaded.find(name);
  if (it == gLoaded.end()) it = gLoaded.emplace(name, open(name)).first;
  *out = it->second->status.ok() ? &it->second->table : nullptr;
  return it->second->status;
}

std::string findArchName(const unsigned char *p, size_t size) {
  for (size_t i = 0; i + 4 <= size; ++i) {
    if ((i > 0 && p[i - 1] != 0) || p[i] != 'g' || p[i + 1] != 'f' || p[i + 2] != 'x') continue;
    size_t end = i + 3;
    while (end < size && std::isalnum(p[end])) ++end;
    if (end == i + 3 || end >= size || (p[end] != ':' && p[end] != 0)) continue;
    return std::string(reinterpret_cast<const char *>(p + i), end - i);
  }
  return {};
}

Status device(const Runtime &r, int ordinal, Device *out) {
  std::lock_guard<std::mutex> lock(gMutex);
  auto it = gDevices.find({&r, ordinal});
  if (it != gDevices.end()) {
    *out = it->second;
    return Status::success();
  }
  int count = 0;
  hipError_t e = r.hipGetDeviceCount(&count);
  if (e != kSuccess) return r.fail("hipGetDeviceCount", e);
  if (ordinal < 0 || ordinal >= count)
    return Status::error(ATTN_ERROR_NO_HIP_DEVICE,
                         "no ROCm device " + std::to_string(ordinal) + ": the HIP runtime sees " +
                             std::to_string(count) + " device(s)");
  std::vector<unsigned char> properties(kPropertiesBytes, 0);
  e = r.hipGetDeviceProperties(properties.data(), ordinal);
  if (e != kSuccess) return r.fail("hipGetDeviceProperties", e);
  Device dev;
  dev.ordinal = ordinal;
  dev.arch = findArchName(properties.data(), properties.size());
  if (dev.arch.empty())
    return Status::error(ATTN_ERROR_HIP, "hipGetDeviceProperties gave no architecture name "
                                         "(gfx...) for ROCm device " +
                                             std::to_string(ordinal));
  gDevices[{&r, ordinal}] = dev;
  *out = dev;
  return Status::success();
}

DeviceScope::~DeviceScope() {
  if (runtime_ && previous_ >= 0) runtime_->hipSetDevice(previous_);
}

Status DeviceScope::enter(const Runtime &r, int ordinal) {
  int current = -1;
  hipError_t e = r.hipGetDevice(&current);
  if (e != kSuccess) return r.fail("hipGetDevice", e);
  if (current == ordinal) return Status::success();
  if ((e = r.hipSetDevice(ordinal)) != kSuccess) return r.fail("hipSetDevice", e);
  runtime_ = &r;
  previous_ = current;
  return Status::success();
}

} // namespace attn::rt::hip
