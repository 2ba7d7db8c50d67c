// What a launch asks cuTensorMapEncodeTiled for: the values for contiguous
// and strided tensors, and each tensor TMA cannot load, without a GPU.
#include "tensor_map.h"

#include "test_util.h"

using namespace attn::bundle;
using attn::rt::Status;
using attn::rt::TensorMapEncoding;
using attn::rt::tensorMapEncoding;
using attn::test::Tensor;
namespace cuda = attn::rt::cuda;

namespace {

// A kernel whose sm_90a binary loads its argument 'k' by TMA in boxes of 128
// rows of 64 elements, swizzled by 128 bytes.
Kernel tmaKernel(DType dtype = DType::BF16, size_t rank = 4) {
  Kernel k;
  k.name = "tma";
  std::vector<Dim> dims;
  for (size_t d = 0; d < rank; ++d) dims.push_back(Dim::sym("N" + std::to_string(d)));
  k.args = {Arg::tensor("k", Role::Input, dtype, dims).withInnermostContiguous().withAlignment(16)};
  Binary b;
  b.target = "sm_90a";
  b.kind = BinaryKind::Cubin;
  b.conv = CallingConv::GpuExpandedMemref;
  TensorMap m{0, std::vector<uint32_t>(rank, 1), TensorMapSwizzle::Bytes128};
  m.box[0] = 64;
  if (rank > 1) m.box[1] = 128;
  b.tensorMaps = {m};
  k.binaries = {b};
  return k;
}

// Data is never read: a fixed, 16-byte aligned address keeps messages exact.
void *const kData = reinterpret_cast<void *>(uintptr_t(0x7f0000100000));

struct Encoded {
  Status status;
  TensorMapEncoding encoding;
};

Encoded encode(const Tensor &t, const Kernel &k = tmaKernel()) {
  Encoded e;
  e.status = tensorMapEncoding(k, k.binaries[0], 0, *t.get(), &e.encoding);
  return e;
}

using U64 = std::array<uint64_t, 5>;
using Strides = std::array<uint64_t, 4>;
using U32 = std::array<uint32_t, 5>;

const char kPrefix[] = "argument 0 ('k') is loaded by TMA (tensor map 0), but ";

void expectRefused(const Tensor &t, const std::string &why, const Kernel &k = tmaKernel()) {
  Encoded e = encode(t, k);
  EXPECT_EQ(e.status.code, ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_EQ(e.status.message, kPrefix + why);
}

} // namespace

TEST(TensorMapEncoding, ContiguousTensor) {
  // [B, H, S, D] = [2, 3, 517, 128], bf16, compact: strides 256, 132352 and
  // 397056 bytes for S, H and B.
  for (bool explicitStrides : {false, true}) {
    Tensor t(kData, attn::test::kBF16, {2, 3, 517, 128}, {kDLCUDA, 0},
             explicitStrides ? std::vector<int64_t>{198528, 66176, 128, 1}
                             : std::vector<int64_t>{});
    Encoded e = encode(t);
    ASSERT_TRUE(e.status.ok()) << e.status.message;
    const TensorMapEncoding &m = e.encoding;
    EXPECT_EQ(m.dtype, cuda::kTensorMapBFloat16);
    EXPECT_EQ(m.rank, 4u);
    EXPECT_EQ(m.address, kData);
    EXPECT_EQ(m.globalDim, (U64{128, 517, 3, 2, 0}));
    EXPECT_EQ(m.globalStrides, (Strides{256, 132352, 397056, 0}));
    EXPECT_EQ(m.box, (U32{64, 128, 1, 1, 0}));
    EXPECT_EQ(m.elementStrides, (U32{1, 1, 1, 1, 0}));
    EXPECT_EQ(m.interleave, cuda::kTensorMapInterleaveNone);
    EXPECT_EQ(m.swizzle, cuda::kTensorMapSwizzle128B);
    EXPECT_EQ(m.l2Promotion, cuda::kTensorMapL2Promotion256B);
    EXPECT_EQ(m.oobFill, cuda::kTensorMapOobFillNone);
  }
}

TEST(TensorMapEncoding, StridedView) {
  // A [B, S, H, D] buffer seen as [B, H, S, D] from head 1 on: 2 of its 3
  // heads, with the byte offset in the address.
  Tensor t(kData, attn::test::kBF16, {2, 2, 517, 128}, {kDLCUDA, 0}, {198528, 128, 384, 1});
  t.t.byte_offset = 256;
  Encoded e = encode(t);
  ASSERT_TRUE(e.status.ok()) << e.status.message;
  EXPECT_EQ(e.encoding.address, static_cast<char *>(kData) + 256);
  EXPECT_EQ(e.encoding.globalDim, (U64{128, 517, 2, 2, 0}));
  EXPECT_EQ(e.encoding.globalStrides, (Strides{768, 256, 397056, 0}));
}

TEST(TensorMapEncoding, StridesOfExtent1DimensionsAreReplaced) {
  // Extent 1 in B and H: their strides (7, 3) are free, as the launch checks
  // let them be; each becomes the span of the dimensions inside it.
  Tensor t(kData, attn::test::kBF16, {1, 1, 517, 128}, {kDLCUDA, 0}, {7, 3, 128, 1});
  Encoded e = encode(t);
  ASSERT_TRUE(e.status.ok()) << e.status.message;
  EXPECT_EQ(e.encoding.globalStrides, (Strides{256, 132352, 132352, 0}));

  // The innermost stride of an extent-1 row does not matter either; a span
  // that is no multiple of 16 bytes is rounded up.
  Kernel k = tmaKernel(DType::F32);
  k.binaries[0].tensorMaps[0].box = {4, 8, 1, 1};
  Tensor column(kData, attn::test::kF32, {2, 1, 5, 1}, {kDLCUDA, 0}, {80, 3, 16, 9});
  e = encode(column, k);
  ASSERT_TRUE(e.status.ok()) << e.status.message;
  EXPECT_EQ(e.encoding.globalDim, (U64{1, 5, 1, 2, 0}));
  EXPECT_EQ(e.encoding.globalStrides, (Strides{64, 320, 320, 0}));
  Tensor row(kData, attn::test::kBF16, {1, 3}, {kDLCUDA, 0}, {5, 1});
  e = encode(row, tmaKernel(DType::BF16, 2));
  ASSERT_TRUE(e.status.ok()) << e.status.message;
  EXPECT_EQ(e.encoding.globalStrides, (Strides{16, 0, 0, 0}));
}

TEST(TensorMapEncoding, ElementTypes) {
  const std::pair<DType, DLDataType> types[] = {
      {DType::F16, {kDLFloat, 16, 1}}, {DType::BF16, {kDLBfloat, 16, 1}},
      {DType::F32, {kDLFloat, 32, 1}}, {DType::F64, {kDLFloat, 64, 1}},
      {DType::I32, {kDLInt, 32, 1}},   {DType::I64, {kDLInt, 64, 1}},
      {DType::U8, {kDLUInt, 8, 1}},    {DType::I1, {kDLUInt, 8, 1}}};
  const cuda::CUtensorMapDataType codes[] = {
      cuda::kTensorMapFloat16, cuda::kTensorMapBFloat16, cuda::kTensorMapFloat32,
      cuda::kTensorMapFloat64, cuda::kTensorMapInt32,    cuda::kTensorMapInt64,
      cuda::kTensorMapUInt8,   cuda::kTensorMapUInt8};
  for (size_t i = 0; i < std::size(types); ++i) {
    Tensor t(kData, types[i].second, {4, 32}, {kDLCUDA, 0});
    Encoded e = encode(t, tmaKernel(types[i].first, 2));
    ASSERT_TRUE(e.status.ok()) << e.status.message;
    EXPECT_EQ(e.encoding.dtype, codes[i]) << name(types[i].first);
    EXPECT_EQ(e.encoding.globalStrides[0], 32 * byteSize(types[i].first));
  }
}

TEST(TensorMapEncoding, MisalignedAddress) {
  Tensor t(kData, attn::test::kBF16, {2, 3, 517, 128}, {kDLCUDA, 0});
  t.t.byte_offset = 8;
  expectRefused(t, "data pointer + byte_offset = 0x7f0000100008 is not 16-byte aligned");
}

TEST(TensorMapEncoding, StrideNotAMultipleOf16Bytes) {
  Tensor t(kData, attn::test::kBF16, {2, 3, 517, 128}, {kDLCUDA, 0}, {204732, 68244, 132, 1});
  expectRefused(t, "dimension 2 has stride 132 (264 bytes), not a multiple of 16 bytes");
}

TEST(TensorMapEncoding, InnermostStride) {
  Tensor t(kData, attn::test::kBF16, {2, 3, 517, 128}, {kDLCUDA, 0}, {397056, 132352, 256, 2});
  expectRefused(t, "its last dimension (3) has stride 2, not 1");
}

TEST(TensorMapEncoding, StridesTooLargeOrNegative) {
  int64_t huge = int64_t(1) << 39; // elements of 2 bytes: 2^40 bytes
  Tensor t(kData, attn::test::kBF16, {2, 3, 517, 128}, {kDLCUDA, 0}, {huge, 66176, 128, 1});
  expectRefused(t, "dimension 0 has stride 549755813888 (1099511627776 bytes), not below 2^40 "
                   "bytes");
  t.strides[0] = huge - 8;
  EXPECT_TRUE(encode(t).status.ok()) << encode(t).status.message;
  t.strides[0] = int64_t(1) << 62;
  expectRefused(t, "dimension 0 has stride 4611686018427387904, whose distance in bytes "
                   "overflows 64 bits");
  t.strides[1] = -66176;
  t.strides[0] = 198528;
  expectRefused(t, "dimension 1 has stride -66176 (-132352 bytes), which is negative");
}

TEST(TensorMapEncoding, Extents) {
  Tensor t(kData, attn::test::kBF16, {2, 3, 0, 128}, {kDLCUDA, 0});
  expectRefused(t, "dimension 2 is 0, outside [1, 2^32]");
  Tensor wide(kData, attn::test::kBF16, {(int64_t(1) << 32) + 1, 128}, {kDLCUDA, 0});
  expectRefused(wide, "dimension 0 is 4294967297, outside [1, 2^32]",
                tmaKernel(DType::BF16, 2));
  wide.shape[0] = int64_t(1) << 32;
  wide.refresh();
  EXPECT_TRUE(encode(wide, tmaKernel(DType::BF16, 2)).status.ok());
  // More elements than 64 bits count (which the launch checks refuse first):
  // the compact stride saturates rather than wraps.
  int64_t most = int64_t(1) << 32;
  Tensor vast(kData, attn::test::kBF16, {most, most, most, 16}, {kDLCUDA, 0});
  expectRefused(vast, "dimension 0 has stride 9223372036854775807, whose distance in bytes "
                      "overflows 64 bits");
}
