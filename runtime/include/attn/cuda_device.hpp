// A CUDA device for tools that move data themselves (attn-run, benchmarks):
// allocate, copy, synchronize, time with events. It goes through the
// runtime's own driver table (libcuda.so.1 opened at run time), so its users
// need no CUDA toolkit either. This header is the deliberate interface to
// that table: the driver declarations stay private to runtime/lib.
// Link the static library attn_cuda_device.
#ifndef ATTN_CUDA_DEVICE_HPP
#define ATTN_CUDA_DEVICE_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace attn {

/// Device `ordinal` with its primary context current for this object's
/// lifetime; every method returns "" on success, else a message.
class CudaDevice {
public:
  CudaDevice();
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  ~CudaDevice();

  /// Opens the driver and the device. A missing driver or device gives the
  /// runtime's message (ATTN_ERROR_NO_CUDA_DRIVER / _DEVICE).
  std::string open(int ordinal);

  const std::string &name() const;
  int major() const;
  int minor() const;
  int64_t l2Bytes() const;

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

  struct State;
  std::unique_ptr<State> state;
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

} // namespace attn

#endif // ATTN_CUDA_DEVICE_HPP
