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

TEST(CudaAbi, TensorMapConstantsMatchCudaH) {
  EXPECT_EQ(rt::kTensorMapUInt8, CU_TENSOR_MAP_DATA_TYPE_UINT8);
  EXPECT_EQ(rt::kTensorMapUInt16, CU_TENSOR_MAP_DATA_TYPE_UINT16);
  EXPECT_EQ(rt::kTensorMapUInt32, CU_TENSOR_MAP_DATA_TYPE_UINT32);
  EXPECT_EQ(rt::kTensorMapInt32, CU_TENSOR_MAP_DATA_TYPE_INT32);
  EXPECT_EQ(rt::kTensorMapUInt64, CU_TENSOR_MAP_DATA_TYPE_UINT64);
  EXPECT_EQ(rt::kTensorMapInt64, CU_TENSOR_MAP_DATA_TYPE_INT64);
  EXPECT_EQ(rt::kTensorMapFloat16, CU_TENSOR_MAP_DATA_TYPE_FLOAT16);
  EXPECT_EQ(rt::kTensorMapFloat32, CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
  EXPECT_EQ(rt::kTensorMapFloat64, CU_TENSOR_MAP_DATA_TYPE_FLOAT64);
  EXPECT_EQ(rt::kTensorMapBFloat16, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
  EXPECT_EQ(rt::kTensorMapInterleaveNone, CU_TENSOR_MAP_INTERLEAVE_NONE);
  EXPECT_EQ(rt::kTensorMapSwizzleNone, CU_TENSOR_MAP_SWIZZLE_NONE);
  EXPECT_EQ(rt::kTensorMapSwizzle32B, CU_TENSOR_MAP_SWIZZLE_32B);
  EXPECT_EQ(rt::kTensorMapSwizzle64B, CU_TENSOR_MAP_SWIZZLE_64B);
  EXPECT_EQ(rt::kTensorMapSwizzle128B, CU_TENSOR_MAP_SWIZZLE_128B);
  EXPECT_EQ(rt::kTensorMapL2PromotionNone, CU_TENSOR_MAP_L2_PROMOTION_NONE);
  EXPECT_EQ(rt::kTensorMapL2Promotion64B, CU_TENSOR_MAP_L2_PROMOTION_L2_64B);
  EXPECT_EQ(rt::kTensorMapL2Promotion128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
  EXPECT_EQ(rt::kTensorMapL2Promotion256B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B);
  EXPECT_EQ(rt::kTensorMapOobFillNone, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
}

TEST(CudaAbi, TensorMapTypesMatchCudaH) {
  EXPECT_EQ(sizeof(rt::CUtensorMap), 128u);
  EXPECT_EQ(sizeof(rt::CUtensorMap), sizeof(CUtensorMap));
  // cuTensorMapEncodeTiled needs 64 bytes; cuda.h of CUDA 12 aligns to 64,
  // of CUDA 13 to 128. The local type must satisfy the header in use.
  EXPECT_EQ(alignof(rt::CUtensorMap) % 64, 0u);
  EXPECT_EQ(alignof(rt::CUtensorMap) % alignof(CUtensorMap), 0u);
  EXPECT_EQ(sizeof(rt::CUtensorMapDataType), sizeof(CUtensorMapDataType));
  EXPECT_EQ(sizeof(rt::CUtensorMapInterleave), sizeof(CUtensorMapInterleave));
  EXPECT_EQ(sizeof(rt::CUtensorMapSwizzle), sizeof(CUtensorMapSwizzle));
  EXPECT_EQ(sizeof(rt::CUtensorMapL2promotion), sizeof(CUtensorMapL2promotion));
  EXPECT_EQ(sizeof(rt::CUtensorMapFloatOOBfill), sizeof(CUtensorMapFloatOOBfill));
  // The driver table declares cuTensorMapEncodeTiled with these in their place.
  EXPECT_TRUE((std::is_same_v<cuuint64_t, uint64_t>));
  EXPECT_TRUE((std::is_same_v<cuuint32_t, uint32_t>));
}

TEST(CudaAbi, TypesMatchCudaH) {
  EXPECT_EQ(sizeof(rt::CUresult), sizeof(CUresult));
  EXPECT_EQ(sizeof(rt::CUdevice), sizeof(CUdevice));
  EXPECT_EQ(sizeof(rt::CUdeviceptr), sizeof(CUdeviceptr));
  EXPECT_TRUE((std::is_same_v<rt::CUdeviceptr, CUdeviceptr>));
  EXPECT_TRUE((std::is_same_v<rt::CUdevice, CUdevice>));
}
