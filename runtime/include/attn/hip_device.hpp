// A ROCm device for tools that move data themselves (attn-run --target hip):
// the GpuDevice interface (attn/gpu_device.hpp). It goes through the
// runtime's own HIP table (libamdhip64.so, or $ATTN_HIP_LIBRARY, opened at
// run time), so its users need no ROCm installation to build. This header is
// the deliberate interface to that table, as attn/cuda_device.hpp is to the
// CUDA driver's. Link the static library attn_hip_device.
#ifndef ATTN_HIP_DEVICE_HPP
#define ATTN_HIP_DEVICE_HPP

#include "attn/gpu_device.hpp"

#include <memory>

namespace attn {

/// Device `ordinal`, current for this object's lifetime; every method
/// returns "" on success, else a message.
class HipDevice final : public GpuDevice {
public:
  HipDevice();
  HipDevice(const HipDevice &) = delete;
  HipDevice &operator=(const HipDevice &) = delete;
  ~HipDevice() override;

  /// Opens the HIP runtime and the device. A missing runtime or device
  /// gives the runtime's message (ATTN_ERROR_NO_HIP_RUNTIME / _DEVICE).
  std::string open(int ordinal);

  /// The HIP library that was opened.
  const std::string &library() const;
  /// The device's architecture without target features ("gfx942").
  const std::string &arch() const;

  std::string allocate(size_t bytes, uint64_t &pointer) override;
  std::string upload(uint64_t destination, const void *source,
                     size_t bytes) override;
  std::string download(void *destination, uint64_t source,
                       size_t bytes) override;
  std::string synchronize() override;
  /// Unknown (0): the stand-in and the tables do not query it, and no AMD
  /// GPU has been available to tune the rotation on (docs/amd.md).
  int64_t cacheBytes() const override;

private:
  std::string recordPair(bool end) override;
  std::string elapsed(float &milliseconds) override;

  struct State;
  std::unique_ptr<State> state;
};

} // namespace attn

#endif // ATTN_HIP_DEVICE_HPP
