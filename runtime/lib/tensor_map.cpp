#include "tensor_map.h"

#include "strides.h"

#include <cinttypes>
#include <cstdio>
#include <vector>

namespace attn::rt {
namespace {

using bundle::DType;

// cuTensorMapEncodeTiled's limits on the tensor (docs of cuda.h).
constexpr uint64_t kTmaGranule = 16;                    // address and stride multiple
constexpr uint64_t kStrideLimit = uint64_t(1) << 40;    // strides below it, in bytes
constexpr uint64_t kMaxExtent = uint64_t(1) << 32;

cuda::CUtensorMapDataType dataType(DType t) {
  switch (t) {
  case DType::F16: return cuda::kTensorMapFloat16;
  case DType::BF16: return cuda::kTensorMapBFloat16;
  case DType::F32: return cuda::kTensorMapFloat32;
  case DType::F64: return cuda::kTensorMapFloat64;
  case DType::I32: return cuda::kTensorMapInt32;
  case DType::I64: return cuda::kTensorMapInt64;
  case DType::I1: case DType::U8: return cuda::kTensorMapUInt8; // i1: one byte each
  }
  return cuda::kTensorMapUInt8;
}

uint64_t roundUp(uint64_t n, uint64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

} // namespace

Status tensorMapEncoding(const bundle::Kernel &kernel, const bundle::Binary &binary,
                         size_t index, const DLTensor &t, TensorMapEncoding *out) {
  const bundle::TensorMap &map = binary.tensorMaps[index];
  const bundle::Arg &arg = kernel.args[map.arg];
  auto refuse = [&](const std::string &why) {
    return Status::error(ATTN_ERROR_ARGUMENT_MISMATCH,
                         "argument " + std::to_string(map.arg) + " ('" + arg.name +
                             "') is loaded by TMA (tensor map " + std::to_string(index) +
                             "), but " + why);
  };
  const int rank = t.ndim;
  const auto elementBytes = static_cast<int64_t>(bundle::byteSize(arg.dtype));
  TensorMapEncoding e;
  e.dtype = dataType(arg.dtype);
  e.rank = static_cast<uint32_t>(rank);
  for (int d = 0; d < rank; ++d) {
    int64_t extent = t.shape[d];
    if (extent < 1 || static_cast<uint64_t>(extent) > kMaxExtent)
      return refuse("dimension " + std::to_string(d) + " is " + std::to_string(extent) +
                    ", outside [1, 2^32]");
    e.globalDim[rank - 1 - d] = static_cast<uint64_t>(extent);
  }
  // (The launch checks counted the elements in 64 bits; past them a compact
  // stride saturates, which the stride rules below refuse.)
  std::vector<int64_t> strides = stridesOf(t);
  // Strides of extent-1 dimensions never matter (only index 0 exists there).
  if (t.shape[rank - 1] != 1 && strides[rank - 1] != 1)
    return refuse("its last dimension (" + std::to_string(rank - 1) + ") has stride " +
                  std::to_string(strides[rank - 1]) + ", not 1");
  uintptr_t address = reinterpret_cast<uintptr_t>(t.data) + t.byte_offset;
  if (address % kTmaGranule != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, address);
    return refuse(std::string("data pointer + byte_offset = ") + buf + " is not " +
                  std::to_string(kTmaGranule) + "-byte aligned");
  }
  e.address = reinterpret_cast<void *>(address);
  // globalStrides[i - 1] is the stride of dimension i, innermost first.
  for (int i = 1; i < rank; ++i) {
    int d = rank - 1 - i;
    uint64_t &stride = e.globalStrides[i - 1];
    if (t.shape[d] == 1) {
      // TMA still validates the stride: give the span of the dimensions
      // inside, as a compact tensor would have, else the inner stride.
      uint64_t inner = i == 1 ? static_cast<uint64_t>(elementBytes) : e.globalStrides[i - 2];
      uint64_t span = 0;
      bool fits = !__builtin_mul_overflow(inner, e.globalDim[i - 1], &span) &&
                  roundUp(span, kTmaGranule) < kStrideLimit;
      stride = fits ? roundUp(span, kTmaGranule) : inner;
      continue;
    }
    auto where = [&] {
      return "dimension " + std::to_string(d) + " has stride " + std::to_string(strides[d]);
    };
    int64_t bytes = 0;
    if (__builtin_mul_overflow(strides[d], elementBytes, &bytes))
      return refuse(where() + ", whose distance in bytes overflows 64 bits");
    std::string inBytes = " (" + std::to_string(bytes) + " bytes)";
    if (bytes < 0) return refuse(where() + inBytes + ", which is negative");
    if (static_cast<uint64_t>(bytes) % kTmaGranule != 0)
      return refuse(where() + inBytes + ", not a multiple of " + std::to_string(kTmaGranule) +
                    " bytes");
    if (static_cast<uint64_t>(bytes) >= kStrideLimit)
      return refuse(where() + inBytes + ", not below 2^40 bytes");
    stride = static_cast<uint64_t>(bytes);
  }
  for (int i = 0; i < rank; ++i) {
    e.box[i] = map.box[i];
    e.elementStrides[i] = 1;
  }
  e.swizzle = static_cast<cuda::CUtensorMapSwizzle>(map.swizzle); // the same values
  // Kernels read whole tiles; fetching 256 bytes per L2 miss suits rows of
  // 128 bytes and more. Past the tensor's end TMA fills zeros.
  e.l2Promotion = cuda::kTensorMapL2Promotion256B;
  e.oobFill = cuda::kTensorMapOobFillNone;
  *out = e;
  return Status::success();
}

} // namespace attn::rt
