// What a launch asks cuTensorMapEncodeTiled for, per tensor map of a binary
// (docs/runtime.md, sections 1.1 and 3.3). No driver call here, so that the
// tests check every value and refusal without a GPU.
#ifndef ATTN_RUNTIME_TENSOR_MAP_H
#define ATTN_RUNTIME_TENSOR_MAP_H

#include "attn/bundle.h"
#include "cuda_driver.h"
#include "status.h"

#include <dlpack/dlpack.h>

#include <array>
#include <cstdint>

namespace attn::rt {

// cuTensorMapEncodeTiled's arguments. Dimensions are the tensor's in reverse
// (innermost first); entries past `rank` stay zero.
struct TensorMapEncoding {
  cuda::CUtensorMapDataType dtype = cuda::kTensorMapUInt8;
  uint32_t rank = 0;
  void *address = nullptr; // data + byte_offset
  std::array<uint64_t, cuda::kTensorMapMaxRank> globalDim{};
  // In bytes, of dimensions 1 to rank - 1 (dimension 0's is the element size).
  std::array<uint64_t, cuda::kTensorMapMaxRank - 1> globalStrides{};
  std::array<uint32_t, cuda::kTensorMapMaxRank> box{};
  std::array<uint32_t, cuda::kTensorMapMaxRank> elementStrides{};
  cuda::CUtensorMapInterleave interleave = cuda::kTensorMapInterleaveNone;
  cuda::CUtensorMapSwizzle swizzle = cuda::kTensorMapSwizzleNone;
  cuda::CUtensorMapL2promotion l2Promotion = cuda::kTensorMapL2PromotionNone;
  cuda::CUtensorMapFloatOOBfill oobFill = cuda::kTensorMapOobFillNone;
};

// The encoding of tensor map `index` of `binary` (a binary of `kernel` that
// passed bundle::check) over `t`, the tensor of the map's argument after the
// launch checks (its dtype and rank fit the signature). Fails with
// ATTN_ERROR_ARGUMENT_MISMATCH, naming the argument, the map and the value,
// where `t` breaks a rule of TMA: an address not 16-byte aligned, an
// innermost stride other than 1, an outer stride not a multiple of 16 bytes
// or not below 2^40 bytes, an extent of 0 or above 2^32. Strides of extent-1
// dimensions never matter (the launch checks ignore them too); they are
// replaced by ones TMA accepts.
Status tensorMapEncoding(const bundle::Kernel &kernel, const bundle::Binary &binary,
                         size_t index, const DLTensor &t, TensorMapEncoding *out);

} // namespace attn::rt

#endif // ATTN_RUNTIME_TENSOR_MAP_H
