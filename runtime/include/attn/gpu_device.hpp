// What a tool that moves data itself (attn-run, benchmarks) needs of a GPU:
// memory, copies, a fence and event timing. attn/cuda_device.hpp and
// attn/hip_device.hpp implement it on the runtime's own driver tables, so
// code written against this class runs on either vendor's device.
#ifndef ATTN_GPU_DEVICE_HPP
#define ATTN_GPU_DEVICE_HPP

#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {

/// A device with its context current for the object's lifetime; every
/// method returns "" on success, else a message. Memory is freed with the
/// object.
class GpuDevice {
public:
  virtual ~GpuDevice() = default;

  virtual std::string allocate(size_t bytes, uint64_t &pointer) = 0;
  virtual std::string upload(uint64_t destination, const void *source,
                             size_t bytes) = 0;
  virtual std::string download(void *destination, uint64_t source,
                               size_t bytes) = 0;
  /// Waits for all queued work; a kernel's fault surfaces here.
  virtual std::string synchronize() = 0;
  /// The last-level cache in bytes, 0 when unknown: timed runs that rotate
  /// among copies of their operands larger than twice this read from HBM.
  virtual int64_t cacheBytes() const = 0;

  /// Milliseconds between two events recorded around `work` on the default
  /// stream; `work` returns "" or an error.
  template <typename Work>
  std::string time(Work &&work, float &milliseconds) {
    std::string error = recordPair(/*end=*/false);
    if (error.empty())
      error = work();
    if (error.empty())
      error = recordPair(/*end=*/true);
    if (error.empty())
      error = elapsed(milliseconds);
    return error;
  }

protected:
  virtual std::string recordPair(bool end) = 0;
  virtual std::string elapsed(float &milliseconds) = 0;
};

} // namespace attn

#endif // ATTN_GPU_DEVICE_HPP
