// Device memory and timing for tools (attn/cuda_device.hpp), on the
// runtime's private driver table.
#include "attn/cuda_device.hpp"

#include "cuda_driver.h"

#include <vector>

using namespace attn;
namespace cuda = attn::rt::cuda;

struct CudaDevice::State {
  const cuda::Driver *driver = nullptr;
  cuda::ContextScope scope;
  std::string deviceName;
  int64_t l2CacheBytes = 0;
  std::vector<uint64_t> allocations;
  cuda::CUevent startEvent = nullptr, stopEvent = nullptr;
};

CudaDevice::CudaDevice() : state(std::make_unique<State>()) {}

const std::string &CudaDevice::name() const { return state->deviceName; }
int CudaDevice::major() const { return state->scope.device().major; }
int CudaDevice::minor() const { return state->scope.device().minor; }
int64_t CudaDevice::cacheBytes() const { return state->l2CacheBytes; }

CudaDevice::~CudaDevice() {
  auto &driver = state->driver;
  auto &allocations = state->allocations;
  auto &startEvent = state->startEvent, &stopEvent = state->stopEvent;
  if (!driver)
    return;
  // Pending work must finish before its memory goes.
  driver->cuCtxSynchronize();
  for (uint64_t pointer : allocations)
    driver->cuMemFree(pointer);
  if (startEvent)
    driver->cuEventDestroy(startEvent);
  if (stopEvent)
    driver->cuEventDestroy(stopEvent);
}

std::string CudaDevice::open(int ordinal) {
  State &st = *state;
  auto &driver = st.driver;
  const cuda::Driver *table = nullptr;
  attn::rt::Status status = cuda::driver(&table);
  if (!status.ok())
    return std::string(attn_status_string(status.code)) + ": " +
           status.message;
  status = st.scope.enter(*table, ordinal);
  if (!status.ok())
    return std::string(attn_status_string(status.code)) + ": " +
           status.message;
  driver = table;
  char text[256] = {};
  if (cuda::CUresult r = driver->cuDeviceGetName(text, sizeof(text) - 1,
                                                 st.scope.device().handle))
    return "cuDeviceGetName failed: " + driver->describe(r);
  st.deviceName = text;
  int l2 = 0;
  if (cuda::CUresult r = driver->cuDeviceGetAttribute(
          &l2, cuda::kAttrL2CacheSize, st.scope.device().handle))
    return "cuDeviceGetAttribute(L2 cache size) failed: " +
           driver->describe(r);
  st.l2CacheBytes = l2;
  if (cuda::CUresult r = driver->cuEventCreate(&st.startEvent, 0))
    return "cuEventCreate failed: " + driver->describe(r);
  if (cuda::CUresult r = driver->cuEventCreate(&st.stopEvent, 0))
    return "cuEventCreate failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::allocate(size_t bytes, uint64_t &pointer) {
  State &st = *state;
  auto &driver = st.driver;
  // cuMemAlloc refuses 0 bytes; an empty tensor still needs an address.
  cuda::CUdeviceptr address = 0;
  if (cuda::CUresult r = driver->cuMemAlloc(&address, bytes ? bytes : 256))
    return "cuMemAlloc(" + std::to_string(bytes) +
           " bytes) failed: " + driver->describe(r);
  pointer = address;
  st.allocations.push_back(pointer);
  return "";
}

std::string CudaDevice::upload(uint64_t destination, const void *source,
                               size_t bytes) {
  auto &driver = state->driver;
  if (!bytes)
    return "";
  if (cuda::CUresult r = driver->cuMemcpyHtoD(destination, source, bytes))
    return "cuMemcpyHtoD failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::download(void *destination, uint64_t source,
                                 size_t bytes) {
  auto &driver = state->driver;
  if (!bytes)
    return "";
  if (cuda::CUresult r = driver->cuMemcpyDtoH(destination, source, bytes))
    return "cuMemcpyDtoH failed (a kernel fault surfaces here too): " +
           driver->describe(r);
  return "";
}

std::string CudaDevice::synchronize() {
  State &st = *state;
  auto &driver = st.driver;
  if (cuda::CUresult r = driver->cuCtxSynchronize())
    return "the kernel failed: cuCtxSynchronize: " + driver->describe(r);
  return "";
}

std::string CudaDevice::recordPair(bool end) {
  State &st = *state;
  auto &driver = st.driver;
  if (cuda::CUresult r =
          driver->cuEventRecord(end ? st.stopEvent : st.startEvent, nullptr))
    return "cuEventRecord failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::elapsed(float &milliseconds) {
  State &st = *state;
  auto &driver = st.driver;
  if (cuda::CUresult r = driver->cuEventSynchronize(st.stopEvent))
    return "the kernel failed: cuEventSynchronize: " + driver->describe(r);
  if (cuda::CUresult r =
          driver->cuEventElapsedTime(&milliseconds, st.startEvent, st.stopEvent))
    return "cuEventElapsedTime failed: " + driver->describe(r);
  return "";
}
