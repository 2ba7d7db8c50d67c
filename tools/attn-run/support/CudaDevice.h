//===- CudaDevice.h - Device memory and timing for attn-run -----*- C++ -*-===//
//
// The little attn-run does on a CUDA device beyond what the runtime does:
// allocate, copy, synchronize, time with events. It goes through the
// runtime's own driver table (libcuda.so.1 opened at run time), so attn-run
// needs no CUDA toolkit either.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_SUPPORT_CUDADEVICE_H
#define ATTN_RUN_SUPPORT_CUDADEVICE_H

#include "cuda_driver.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::run {

/// Device `ordinal` with its primary context current for this object's
/// lifetime; every method returns "" on success, else a message.
class CudaDevice {
public:
  CudaDevice() = default;
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  ~CudaDevice();

  /// Opens the driver and the device. A missing driver or device gives the
  /// runtime's message (ATTN_ERROR_NO_CUDA_DRIVER / _DEVICE).
  std::string open(int ordinal);

  const std::string &name() const { return deviceName; }
  int major() const { return scope.device().major; }
  int minor() const { return scope.device().minor; }
  int64_t l2Bytes() const { return l2CacheBytes; }

  /// Device memory freed with this object.
  std::string allocate(size_t bytes, uint64_t &pointer);
  std::string upload(uint64_t destination, const void *source, size_t bytes);
  std::string download(void *destination, uint64_t source, size_t bytes);
  std::string copy(uint64_t destination, uint64_t source, size_t bytes);
  /// Waits for all queued work; a kernel's fault surfaces here.
  std::string synchronize();

  /// Milliseconds between two events recorded around `work` on the
  /// default stream; `work` returns "" or an error.
  template <typename Work>
  std::string time(Work &&work, float &milliseconds);

private:
  std::string recordPair(bool end);
  std::string elapsed(float &milliseconds);

  const rt::cuda::Driver *driver = nullptr;
  rt::cuda::ContextScope scope;
  std::string deviceName;
  int64_t l2CacheBytes = 0;
  std::vector<uint64_t> allocations;
  rt::cuda::CUevent startEvent = nullptr, stopEvent = nullptr;
};

template <typename Work>
std::string CudaDevice::time(Work &&work, float &milliseconds) {
  std::string error = recordPair(/*end=*/false);
  if (error.empty())
    error = work();
  if (error.empty())
    error = recordPair(/*end=*/true);
  if (error.empty())
    error = elapsed(milliseconds);
  return error;
}

} // namespace attn::run

#endif // ATTN_RUN_SUPPORT_CUDADEVICE_H
