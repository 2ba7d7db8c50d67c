// A ROCm device for tools that move data themselves (attn-run --target hip):
// allocate, copy, synchronize, time with events. It goes through the
// runtime's own HIP table (libamdhip64.so, or $ATTN_HIP_LIBRARY, opened at
// run time), so its users need no ROCm installation to build. This header is
// the deliberate interface to that table, as attn/cuda_device.hpp is to the
// CUDA driver's. Link the static library attn_hip_device.
#ifndef ATTN_HIP_DEVICE_HPP
#define ATTN_HIP_DEVICE_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace attn {

/// Device `ordinal`, current for this object's lifetime; every method
/// returns "" on success, else a message.
class HipDevice {
public:
  HipDevice();
  HipDevice(const HipDevice &) = delete;
  HipDevice &operator=(const HipDevice &) = delete;
  ~HipDevice();

  /// Opens the HIP runtime and the device. A missing runtime or device
  /// gives the runtime's message (ATTN_ERROR_NO_HIP_RUNTIME / _DEVICE).
  std::string open(int ordinal);

  /// The HIP library that was opened.
  const std::string &library() const;
  /// The device's architecture without target features ("gfx942").
  const std::string &arch() const;

  /// Device memory freed with this object.
  std::string allocate(size_t bytes, uint64_t &pointer);
  std::string upload(uint64_t destination, const void *source, size_t bytes);
  std::string download(void *destination, uint64_t source, size_t bytes);
  /// Waits for all queued work; a kernel's fault surfaces here.
  std::string synchronize();

  /// Milliseconds between two events recorded around `work` on the null
  /// stream; `work` returns "" or an error.
  template <typename Work>
  std::string time(Work &&work, float &milliseconds);

private:
  std::string recordPair(bool end);
  std::string elapsed(float &milliseconds);

  struct State;
  std::unique_ptr<State> state;
};

template <typename Work>
std::string HipDevice::time(Work &&work, float &milliseconds) {
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

#endif // ATTN_HIP_DEVICE_HPP
