//===- CudaDevice.cpp - Device memory and timing for attn-run -------------===//
#include "CudaDevice.h"

using namespace attn::run;
namespace cuda = attn::rt::cuda;

CudaDevice::~CudaDevice() {
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
  const cuda::Driver *table = nullptr;
  rt::Status status = cuda::driver(&table);
  if (!status.ok())
    return std::string(attn_status_string(status.code)) + ": " +
           status.message;
  status = scope.enter(*table, ordinal);
  if (!status.ok())
    return std::string(attn_status_string(status.code)) + ": " +
           status.message;
  driver = table;
  char text[256] = {};
  if (cuda::CUresult r = driver->cuDeviceGetName(text, sizeof(text) - 1,
                                                 scope.device().handle))
    return "cuDeviceGetName failed: " + driver->describe(r);
  deviceName = text;
  int l2 = 0;
  if (cuda::CUresult r = driver->cuDeviceGetAttribute(
          &l2, cuda::kAttrL2CacheSize, scope.device().handle))
    return "cuDeviceGetAttribute(L2 cache size) failed: " +
           driver->describe(r);
  l2CacheBytes = l2;
  if (cuda::CUresult r = driver->cuEventCreate(&startEvent, 0))
    return "cuEventCreate failed: " + driver->describe(r);
  if (cuda::CUresult r = driver->cuEventCreate(&stopEvent, 0))
    return "cuEventCreate failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::allocate(size_t bytes, uint64_t &pointer) {
  // cuMemAlloc refuses 0 bytes; an empty tensor still needs an address.
  cuda::CUdeviceptr address = 0;
  if (cuda::CUresult r = driver->cuMemAlloc(&address, bytes ? bytes : 256))
    return "cuMemAlloc(" + std::to_string(bytes) +
           " bytes) failed: " + driver->describe(r);
  pointer = address;
  allocations.push_back(pointer);
  return "";
}

std::string CudaDevice::upload(uint64_t destination, const void *source,
                               size_t bytes) {
  if (!bytes)
    return "";
  if (cuda::CUresult r = driver->cuMemcpyHtoD(destination, source, bytes))
    return "cuMemcpyHtoD failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::download(void *destination, uint64_t source,
                                 size_t bytes) {
  if (!bytes)
    return "";
  if (cuda::CUresult r = driver->cuMemcpyDtoH(destination, source, bytes))
    return "cuMemcpyDtoH failed (a kernel fault surfaces here too): " +
           driver->describe(r);
  return "";
}

std::string CudaDevice::copy(uint64_t destination, uint64_t source,
                             size_t bytes) {
  if (!bytes)
    return "";
  if (cuda::CUresult r = driver->cuMemcpyDtoD(destination, source, bytes))
    return "cuMemcpyDtoD failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::synchronize() {
  if (cuda::CUresult r = driver->cuCtxSynchronize())
    return "the kernel failed: cuCtxSynchronize: " + driver->describe(r);
  return "";
}

std::string CudaDevice::recordPair(bool end) {
  if (cuda::CUresult r =
          driver->cuEventRecord(end ? stopEvent : startEvent, nullptr))
    return "cuEventRecord failed: " + driver->describe(r);
  return "";
}

std::string CudaDevice::elapsed(float &milliseconds) {
  if (cuda::CUresult r = driver->cuEventSynchronize(stopEvent))
    return "the kernel failed: cuEventSynchronize: " + driver->describe(r);
  if (cuda::CUresult r =
          driver->cuEventElapsedTime(&milliseconds, startEvent, stopEvent))
    return "cuEventElapsedTime failed: " + driver->describe(r);
  return "";
}
