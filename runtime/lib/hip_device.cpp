// Device memory and timing for tools (attn/hip_device.hpp), on the
// runtime's private HIP table.
#include "attn/hip_device.hpp"

#include "attn/runtime.h"
#include "hip_runtime.h"

#include <vector>

using namespace attn;
namespace hip = attn::rt::hip;

struct HipDevice::State {
  const hip::Runtime *runtime = nullptr;
  hip::DeviceScope scope;
  hip::Device device;
  std::vector<void *> allocations;
  hip::hipEvent_t startEvent = nullptr, stopEvent = nullptr;
};

HipDevice::HipDevice() : state(std::make_unique<State>()) {}

const std::string &HipDevice::library() const {
  static const std::string none;
  return state->runtime ? state->runtime->library : none;
}
const std::string &HipDevice::arch() const { return state->device.arch; }
int64_t HipDevice::cacheBytes() const { return 0; }

HipDevice::~HipDevice() {
  const hip::Runtime *runtime = state->runtime;
  if (!runtime)
    return;
  // Pending work must finish before its memory goes.
  runtime->hipDeviceSynchronize();
  for (void *pointer : state->allocations)
    runtime->hipFree(pointer);
  if (state->startEvent)
    runtime->hipEventDestroy(state->startEvent);
  if (state->stopEvent)
    runtime->hipEventDestroy(state->stopEvent);
}

std::string HipDevice::open(int ordinal) {
  State &st = *state;
  const hip::Runtime *table = nullptr;
  auto describe = [](const attn::rt::Status &status) {
    return std::string(attn_status_string(status.code)) + ": " +
           status.message;
  };
  attn::rt::Status status = hip::runtime(&table);
  if (!status.ok())
    return describe(status);
  if (!(status = hip::device(*table, ordinal, &st.device)).ok() ||
      !(status = st.scope.enter(*table, ordinal)).ok())
    return describe(status);
  st.runtime = table;
  if (hip::hipError_t e = table->hipEventCreate(&st.startEvent))
    return "hipEventCreate failed: " + table->describe(e);
  if (hip::hipError_t e = table->hipEventCreate(&st.stopEvent))
    return "hipEventCreate failed: " + table->describe(e);
  return "";
}

std::string HipDevice::allocate(size_t bytes, uint64_t &pointer) {
  State &st = *state;
  // An empty tensor still needs an address.
  void *address = nullptr;
  if (hip::hipError_t e = st.runtime->hipMalloc(&address, bytes ? bytes : 256))
    return "hipMalloc(" + std::to_string(bytes) +
           " bytes) failed: " + st.runtime->describe(e);
  st.allocations.push_back(address);
  pointer = reinterpret_cast<uint64_t>(address);
  return "";
}

std::string HipDevice::upload(uint64_t destination, const void *source,
                              size_t bytes) {
  if (!bytes)
    return "";
  if (hip::hipError_t e = state->runtime->hipMemcpy(
          reinterpret_cast<void *>(destination), source, bytes,
          hip::kMemcpyHostToDevice))
    return "hipMemcpy (host to device) failed: " + state->runtime->describe(e);
  return "";
}

std::string HipDevice::download(void *destination, uint64_t source,
                                size_t bytes) {
  if (!bytes)
    return "";
  if (hip::hipError_t e = state->runtime->hipMemcpy(
          destination, reinterpret_cast<const void *>(source), bytes,
          hip::kMemcpyDeviceToHost))
    return "hipMemcpy (device to host) failed (a kernel fault surfaces here "
           "too): " +
           state->runtime->describe(e);
  return "";
}

std::string HipDevice::synchronize() {
  if (hip::hipError_t e = state->runtime->hipDeviceSynchronize())
    return "the kernel failed: hipDeviceSynchronize: " +
           state->runtime->describe(e);
  return "";
}

std::string HipDevice::recordPair(bool end) {
  State &st = *state;
  if (hip::hipError_t e = st.runtime->hipEventRecord(
          end ? st.stopEvent : st.startEvent, nullptr))
    return "hipEventRecord failed: " + st.runtime->describe(e);
  return "";
}

std::string HipDevice::elapsed(float &milliseconds) {
  State &st = *state;
  if (hip::hipError_t e = st.runtime->hipEventSynchronize(st.stopEvent))
    return "the kernel failed: hipEventSynchronize: " +
           st.runtime->describe(e);
  if (hip::hipError_t e = st.runtime->hipEventElapsedTime(
          &milliseconds, st.startEvent, st.stopEvent))
    return "hipEventElapsedTime failed: " + st.runtime->describe(e);
  return "";
}
