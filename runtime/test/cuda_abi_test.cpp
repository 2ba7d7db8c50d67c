// The CUDA driver types and constants the runtime declares itself (so that it
// builds without CUDA headers) against the real cuda.h.
#include <cuda.h>

#include "cuda_driver.h"

#include <gtest/gtest.h>

namespace rt = attn::rt::cuda;

TEST(CudaAbi, ConstantsMatchCudaH) {
  EXPECT_EQ(rt::kSuccess, CUDA_SUCCESS);
  EXPECT_EQ(rt::kAttrComputeCapabilityMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  EXPECT_EQ(rt::kAttrComputeCapabilityMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  EXPECT_EQ(rt::kAttrL2CacheSize, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  EXPECT_EQ(rt::kFuncAttrMaxDynamicSharedBytes, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
  EXPECT_EQ(rt::kJitErrorLogBuffer, CU_JIT_ERROR_LOG_BUFFER);
  EXPECT_EQ(rt::kJitErrorLogBufferSizeBytes, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
}

TEST(CudaAbi, TypesMatchCudaH) {
  EXPECT_EQ(sizeof(rt::CUresult), sizeof(CUresult));
  EXPECT_EQ(sizeof(rt::CUdevice), sizeof(CUdevice));
  EXPECT_EQ(sizeof(rt::CUdeviceptr), sizeof(CUdeviceptr));
  EXPECT_TRUE((std::is_same_v<rt::CUdeviceptr, CUdeviceptr>));
  EXPECT_TRUE((std::is_same_v<rt::CUdevice, CUdevice>));
}
