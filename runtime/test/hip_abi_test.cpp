// The HIP types, constants and entry-point signatures the runtime declares
// itself (so that it builds without ROCm) against the real HIP headers
// (Debian's libamdhip64-dev).
#define __HIP_PLATFORM_AMD__
#include <hip/hip_runtime_api.h>

#include "hip_runtime.h"

#include <gtest/gtest.h>

namespace rt = attn::rt::hip;

TEST(HipAbi, ConstantsMatchTheHipHeaders) {
  EXPECT_EQ(rt::kSuccess, hipSuccess);
  EXPECT_EQ(rt::kMemcpyHostToDevice, hipMemcpyHostToDevice);
  EXPECT_EQ(rt::kMemcpyDeviceToHost, hipMemcpyDeviceToHost);
  EXPECT_EQ(rt::kMemcpyDeviceToDevice, hipMemcpyDeviceToDevice);
}

TEST(HipAbi, HandlesAreOpaquePointers) {
  EXPECT_EQ(sizeof(rt::hipError_t), sizeof(hipError_t));
  EXPECT_EQ(sizeof(rt::hipModule_t), sizeof(hipModule_t));
  EXPECT_EQ(sizeof(rt::hipFunction_t), sizeof(hipFunction_t));
  EXPECT_EQ(sizeof(rt::hipStream_t), sizeof(hipStream_t));
  EXPECT_EQ(sizeof(rt::hipEvent_t), sizeof(hipEvent_t));
}

template <typename R, typename... A> constexpr size_t arity(R (*)(A...)) {
  return sizeof...(A);
}

// Each table entry takes as many arguments as the header's function (with
// the runtime's own handle types in place of HIP's).
TEST(HipAbi, EntryPointsTakeTheHeadersArguments) {
  rt::Runtime table{};
  EXPECT_EQ(arity(table.hipModuleLaunchKernel), arity(&::hipModuleLaunchKernel));
  EXPECT_EQ(arity(table.hipModuleLoadData), arity(&::hipModuleLoadData));
  EXPECT_EQ(arity(table.hipModuleGetFunction), arity(&::hipModuleGetFunction));
  EXPECT_EQ(arity(table.hipMemcpy), arity(&::hipMemcpy));
  EXPECT_EQ(arity(table.hipEventElapsedTime), arity(&::hipEventElapsedTime));
  EXPECT_EQ(arity(table.hipGetDeviceProperties), arity(&::hipGetDeviceProperties));
}
