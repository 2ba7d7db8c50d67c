// A CUDA device for tools that move data themselves (attn-run, benchmarks):
// the GpuDevice interface (attn/gpu_device.hpp). It goes through the
// runtime's own driver table (libcuda.so.1 opened at run time), so its users
// need no CUDA toolkit either. This header is the deliberate interface to
// that table: the driver declarations stay private to runtime/lib.
// Link the static library attn_cuda_device.
#ifndef ATTN_CUDA_DEVICE_HPP
#define ATTN_CUDA_DEVICE_HPP

#include "attn/gpu_device.hpp"

#include <memory>

namespace attn {

/// Device `ordinal` with its primary context current for this object's
/// lifetime; every method returns "" on success, else a message.
class CudaDevice final : public GpuDevice {
public:
  CudaDevice();
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  ~CudaDevice() override;

  /// Opens the driver and the device. A missing driver or device gives the
  /// runtime's message (ATTN_ERROR_NO_CUDA_DRIVER / _DEVICE).
  std::string open(int ordinal);

  const std::string &name() const;
  int major() const;
  int minor() const;

  std::string allocate(size_t bytes, uint64_t &pointer) override;
  std::string upload(uint64_t destination, const void *source,
                     size_t bytes) override;
  std::string download(void *destination, uint64_t source,
                       size_t bytes) override;
  std::string synchronize() override;
  int64_t cacheBytes() const override;

private:
  std::string recordPair(bool end) override;
  std::string elapsed(float &milliseconds) override;

  struct State;
  std::unique_ptr<State> state;
};

} // namespace attn

#endif // ATTN_CUDA_DEVICE_HPP
