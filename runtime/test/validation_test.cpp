// The checks a launch makes before it runs anything, one rule per test. They
// go through attn_kernel_select, which runs exactly those checks and loads no
// binary (the sample bundle's binaries are placeholders).
#include "test_util.h"

#include <cstring>

using namespace attn::test;

namespace {

alignas(256) char gMemory[1 << 16];

class Validation : public testing::Test {
protected:
  // B = 2, Hq = 4, Hkv = 2, Sq = 8, Skv = 16, head dimension 64.
  Validation()
      : q(gMemory, kBF16, {2, 4, 8, 64}), k(gMemory + 8192, kBF16, {2, 2, 16, 64}),
        v(gMemory + 16384, kBF16, {2, 2, 16, 64}), o(gMemory + 24576, kBF16, {2, 4, 8, 64}),
        lse(gMemory + 32768, kF32, {2, 4, 8}), scale(&scaleValue, kF32, {}) {}

  void SetUp() override { bundle = load(sampleBundle()); }
  void TearDown() override { attn_bundle_free(bundle); }

  std::vector<const DLTensor *> args() {
    return {q.get(), k.get(), v.get(), o.get(), lse.get(), scale.get()};
  }
  attn_status select(const char *preference = "host") {
    auto a = args();
    return attn_kernel_select(bundle, "attention", preference, a.data(),
                              static_cast<int>(a.size()), &chosen);
  }
  void expectMismatch(const std::string &message, const char *preference = "host") {
    EXPECT_EQ(select(preference), ATTN_ERROR_ARGUMENT_MISMATCH);
    EXPECT_EQ(std::string(attn_last_error()), message);
  }
  void toCuda(int device = 0) {
    for (Tensor *t : {&q, &k, &v, &o, &lse}) t->t.device = {kDLCUDA, device};
  }

  attn_bundle *bundle = nullptr;
  float scaleValue = 0.125f;
  Tensor q, k, v, o, lse, scale;
  int chosen = -1;
};

} // namespace

TEST_F(Validation, MatchingArgumentsSelectTheHostBinary) {
  ASSERT_EQ(select(), ATTN_OK) << attn_last_error();
  EXPECT_EQ(chosen, 2);
  ASSERT_EQ(select(nullptr), ATTN_OK) << attn_last_error();
  EXPECT_EQ(chosen, 2);
}

TEST_F(Validation, ArgumentCount) {
  auto a = args();
  EXPECT_EQ(attn_kernel_select(bundle, "attention", "host", a.data(), 5, &chosen),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "kernel 'attention' takes 6 arguments, got 5");
  EXPECT_EQ(attn_kernel_select(bundle, "attention", "host", nullptr, 6, &chosen),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "the argument array is NULL");
}

TEST_F(Validation, NullTensor) {
  auto a = args();
  a[2] = nullptr;
  EXPECT_EQ(attn_kernel_select(bundle, "attention", "host", a.data(), 6, &chosen),
            ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 2 ('v') is NULL");
}

TEST_F(Validation, DeviceTypeMustMatchTheTarget) {
  q.t.device = {kDLCUDA, 0};
  expectMismatch("argument 0 ('q') is on kDLCUDA, but target 'host' needs kDLCPU tensors");
  // Inferred from q: CUDA; k then is on the wrong device.
  expectMismatch("argument 1 ('k') is on kDLCPU, but a CUDA target needs kDLCUDA tensors",
                 nullptr);
  q.t.device = {kDLCPU, 0};
  expectMismatch("argument 0 ('q') is on kDLCPU, but target 'sm_90a' needs kDLCUDA tensors",
                 "sm_90a");
  q.t.device = {kDLOpenCL, 0};
  expectMismatch("argument 0 ('q') is on device type 4, which no target runs on "
                 "(kDLCPU: host, kDLCUDA: cuda, kDLROCM: rocm)",
                 nullptr);
}

TEST_F(Validation, AllCudaTensorsOnOneDevice) {
  toCuda();
  k.t.device.device_id = 1;
  // Checked before the driver is opened, so this holds on machines without one.
  expectMismatch("argument 1 ('k') is on device 1, but argument 0 ('q') is on device 0", "cuda");
}

TEST_F(Validation, GpuExtentsStayBelow2To30) {
  toCuda();
  // Checked before the driver is opened, so this holds on machines without one.
  k.shape[2] = (int64_t(1) << 30) + 1;
  k.refresh();
  expectMismatch("argument 1 ('k') dimension 2 is 1073741825, more than GPU kernels support "
                 "(2^30: their mask rules compute in 32-bit integers)",
                 "cuda");
}

TEST_F(Validation, Dtype) {
  q.t.dtype = kF16;
  expectMismatch("argument 0 ('q') has dtype (code 2, bits 16, lanes 1), expected bf16");
  q.t.dtype = {kDLBfloat, 16, 2};
  expectMismatch("argument 0 ('q') has dtype (code 4, bits 16, lanes 2), expected bf16");
}

TEST_F(Validation, Rank) {
  lse.shape.push_back(1);
  lse.refresh();
  expectMismatch("argument 4 ('lse') has rank 4, expected 3");
}

TEST_F(Validation, NullShape) {
  q.t.shape = nullptr;
  expectMismatch("argument 0 ('q') has a NULL shape array");
}

TEST_F(Validation, StaticExtent) {
  q.shape[3] = 32;
  expectMismatch("argument 0 ('q') dimension 3 is 32, expected 64");
}

TEST_F(Validation, NegativeExtent) {
  q.shape[2] = -1;
  expectMismatch("argument 0 ('q') dimension 2 has negative extent -1");
}

TEST_F(Validation, NamedSizesAgreeAcrossArguments) {
  k.shape[0] = 3;
  expectMismatch("argument 1 ('k') dimension 0 ('B') is 3, but argument 0 ('q') dimension 0 "
                 "set B = 2");
  k.shape[0] = 2;
  lse.shape[2] = 9;
  expectMismatch("argument 4 ('lse') dimension 2 ('Sq') is 9, but argument 0 ('q') "
                 "dimension 2 set Sq = 8");
  lse.shape[2] = 8;
  v.shape[2] = 17;
  expectMismatch("argument 2 ('v') dimension 2 ('Skv') is 17, but argument 1 ('k') "
                 "dimension 2 set Skv = 16");
}

TEST_F(Validation, InnermostStrideOne) {
  q.strides = {4096, 1024, 128, 2};
  q.refresh();
  expectMismatch("argument 0 ('q') must have stride 1 in its last dimension (3), but the "
                 "stride is 2");
}

// Found by the launch fuzzer (fuzz/launch_fuzzer.cpp): the row-alignment
// check multiplied the stride by the element size in signed 64 bits, which
// overflowed (undefined behaviour; wrapped, it blamed the alignment).
TEST_F(Validation, StrideWhoseByteDistanceOverflows) {
  q.strides = {(int64_t(1) << 62) + 8, 1024, 128, 1};
  q.refresh();
  expectMismatch("argument 0 ('q') dimension 0 has stride 4611686018427387912, whose "
                 "distance in bytes overflows 64 bits");
}

TEST_F(Validation, InnermostContiguousAllowsOtherwiseStridedTensors) {
  q.strides = {2048, 64, 256, 1}; // heads and positions swapped in memory
  q.refresh();
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, Contiguous) {
  o.strides = {2048, 64, 256, 1};
  o.refresh();
  expectMismatch("argument 3 ('o') must be compact row-major, but dimension 2 has stride 256 "
                 "(expected 64)");
  o.strides = {2048, 512, 64, 1}; // the compact strides, given explicitly
  o.refresh();
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, StridesOfExtentOneDimensionsAreFree) {
  for (Tensor *t : {&q, &k, &v, &o, &lse}) t->shape[0] = 1;
  o.strides = {7, 512, 64, 1};
  o.refresh();
  q.strides = {1, 512, 64, 1};
  q.refresh();
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, Alignment) {
  q.t.byte_offset = 2;
  EXPECT_EQ(select(), ATTN_ERROR_ARGUMENT_MISMATCH);
  std::string m = attn_last_error();
  EXPECT_EQ(m.rfind("argument 0 ('q') data pointer + byte_offset = 0x", 0), 0u) << m;
  EXPECT_NE(m.find(" is not aligned to 16 bytes"), std::string::npos) << m;
  q.t.byte_offset = 32;
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, RowsMustKeepTheAlignment) {
  // Row stride 68 bf16 elements = 136 bytes: the first row is aligned, the
  // second is not.
  q.strides = {4 * 8 * 68, 8 * 68, 68, 1};
  q.refresh();
  expectMismatch("argument 0 ('q') dimension 2 has stride 68 (136 bytes), which is not a "
                 "multiple of its 16-byte alignment");
  q.strides = {4 * 8 * 72, 8 * 72, 72, 1};
  q.refresh();
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, NullDataOfANonEmptyTensor) {
  k.t.data = nullptr;
  expectMismatch("argument 1 ('k') has NULL data but 4096 elements");
}

TEST_F(Validation, EmptyTensorsMayHaveNullData) {
  for (Tensor *t : {&q, &o, &lse}) {
    t->shape[2] = 0;
    t->t.data = nullptr;
    t->t.byte_offset = 3; // never dereferenced, never aligned-checked
  }
  EXPECT_EQ(select(), ATTN_OK) << attn_last_error();
}

TEST_F(Validation, ElementCountOverflow) {
  q.shape = {int64_t(1) << 40, 4, int64_t(1) << 40, 64};
  q.refresh();
  expectMismatch("argument 0 ('q') has more elements than fit in 64 bits");
}

TEST_F(Validation, Scalars) {
  scale.t.device = {kDLCUDA, 0};
  expectMismatch("argument 5 ('scale') is a scalar passed by value, so it must be in host "
                 "memory (kDLCPU), not kDLCUDA");
  scale.t.device = {kDLCPU, 0};
  scale.shape = {1};
  scale.refresh();
  expectMismatch("argument 5 ('scale') is a scalar: ndim must be 0, not 1");
  scale.shape = {};
  scale.refresh();
  scale.t.dtype = {kDLFloat, 64, 1};
  expectMismatch("argument 5 ('scale') has dtype (code 2, bits 64, lanes 1), expected f32");
  scale.t.dtype = kF32;
  scale.t.data = nullptr;
  expectMismatch("argument 5 ('scale') is a scalar with NULL data");
}

TEST_F(Validation, TargetPreferences) {
  EXPECT_EQ(select("tpu"), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "unknown target preference 'tpu' (expected NULL, \"host\", "
                                  "\"cuda\", \"rocm\" or a target name such as \"sm_90\")");
  // AMD targets want ROCm tensors (hip_test.cpp launches on a stand-in
  // HIP runtime).
  EXPECT_EQ(select("rocm"), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(),
               "argument 0 ('q') is on kDLCPU, but a ROCm target needs kDLROCM tensors");
  EXPECT_EQ(select("gfx942"), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(),
               "argument 0 ('q') is on kDLCPU, but target 'gfx942' needs kDLROCM tensors");
  // The tensors' device picks the family: a ROCm q makes the others wrong.
  q.t.device = {kDLROCM, 0};
  EXPECT_EQ(select(nullptr), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(),
               "argument 1 ('k') is on kDLCPU, but a ROCm target needs kDLROCM tensors");
}

TEST_F(Validation, UnknownKernel) {
  auto a = args();
  EXPECT_EQ(attn_kernel_select(bundle, "attn", "host", a.data(), 6, &chosen),
            ATTN_ERROR_NOT_FOUND);
  EXPECT_STREQ(attn_last_error(), "no kernel 'attn' in bundle (it has: attention)");
}

TEST(ValidationDtypes, I1AcceptsOneByteBooleans) {
  using namespace attn::bundle;
  Bundle b = sampleBundle();
  Kernel &k = b.kernels[0];
  k.name = "masked";
  k.args = {Arg::tensor("mask", Role::Input, DType::I1, {Dim::sym("N")}),
            Arg::tensor("bytes", Role::Input, DType::U8, {Dim::sym("N")})};
  k.binaries = {k.binaries[2]};
  attn_bundle *bundle = load(b);
  uint8_t data[4] = {1, 0, 1, 1};
  auto run = [&](DLDataType maskType, DLDataType bytesType) {
    Tensor mask(data, maskType, {4}), bytes(data, bytesType, {4});
    const DLTensor *a[] = {mask.get(), bytes.get()};
    int chosen;
    return attn_kernel_select(bundle, "masked", nullptr, a, 2, &chosen);
  };
  const DLDataType u8{kDLUInt, 8, 1}, boolean{6, 8, 1}, i8{kDLInt, 8, 1}, bit{kDLUInt, 1, 1};
  EXPECT_EQ(run(u8, u8), ATTN_OK) << attn_last_error();
  EXPECT_EQ(run(boolean, u8), ATTN_OK) << attn_last_error();
  EXPECT_EQ(run(i8, u8), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_EQ(run(bit, u8), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_EQ(run(u8, boolean), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 1 ('bytes') has dtype (code 6, bits 8, lanes 1), "
                                  "expected u8");
  attn_bundle_free(bundle);
}

// Data operands read by blocks need least extents, checked once every size
// is bound (here S is bound by the argument after the blocks).
TEST(ValidationData, LeastExtentsAreCheckedAfterBinding) {
  using namespace attn::bundle;
  Bundle b = sampleBundle();
  Kernel &k = b.kernels[0];
  k.args = {Arg::tensor("blocks", Role::Input, DType::I32, {Dim::sym("N"), Dim::sym("M")}),
            Arg::tensor("x", Role::Input, DType::I32, {Dim::sym("S")})};
  k.args[0].minimums = {{1, Expr::ceilDiv("S", 16)}};
  k.binaries = {k.binaries[2]};
  attn_bundle *bundle = load(b);
  static int32_t data[64];
  auto run = [&](int64_t columns, int64_t s) {
    Tensor blocks(data, {kDLInt, 32, 1}, {1, columns}), x(data, {kDLInt, 32, 1}, {s});
    const DLTensor *a[] = {blocks.get(), x.get()};
    int chosen;
    return attn_kernel_select(bundle, "attention", nullptr, a, 2, &chosen);
  };
  EXPECT_EQ(run(3, 33), ATTN_OK) << attn_last_error();
  EXPECT_EQ(run(2, 33), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 0 ('blocks') dimension 1 is 2, but the kernel "
                                  "reads at least ceil_div(S, 16) = 3 entries there (S = 33)");
  EXPECT_EQ(run(0, 1), ATTN_ERROR_ARGUMENT_MISMATCH) << "no columns at all";
  attn_bundle_free(bundle);
}

// Document offsets never decrease: checked in host memory, in O(n), at
// the tensor's stride.
TEST(ValidationData, NonDecreasingEntriesInHostMemory) {
  using namespace attn::bundle;
  Bundle b = sampleBundle();
  Kernel &k = b.kernels[0];
  k.args = {Arg::tensor("offsets", Role::Input, DType::I64, {Dim::sym("N")})};
  k.args[0].nonDecreasing = true;
  k.binaries = {k.binaries[2]};
  attn_bundle *bundle = load(b);
  auto run = [&](std::vector<int64_t> values, std::vector<int64_t> strides) {
    int64_t count = strides.empty() ? static_cast<int64_t>(values.size())
                                    : (static_cast<int64_t>(values.size()) + 1) / 2;
    Tensor offsets(values.data(), kI64, {count}, {kDLCPU, 0}, strides);
    const DLTensor *a[] = {offsets.get()};
    int chosen;
    return attn_kernel_select(bundle, "attention", nullptr, a, 1, &chosen);
  };
  EXPECT_EQ(run({0, 5, 5, 9}, {}), ATTN_OK) << attn_last_error();
  EXPECT_EQ(run({0, 9, 5, 1, 7}, {2}), ATTN_OK) << "entries 0, 5, 7 at stride 2";
  EXPECT_EQ(run({100, 50, 0}, {}), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 0 ('offsets') must never decrease (the kernel "
                                  "reads it as sorted offsets), but entry 1 is 50 after 100");
  EXPECT_EQ(run({0, 9, 5, 1, 3}, {2}), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 0 ('offsets') must never decrease (the kernel "
                                  "reads it as sorted offsets), but entry 2 is 3 after 5");
  attn_bundle_free(bundle);
}

TEST(ValidationTargets, AKernelWithoutTensorsNeedsAPreference) {
  using namespace attn::bundle;
  Bundle b = sampleBundle();
  Kernel &k = b.kernels[0];
  k.args = {Arg::scalar("x", DType::I64)};
  k.binaries = {k.binaries[2]};
  attn_bundle *bundle = load(b);
  int64_t x = 3;
  Tensor t(&x, kI64, {});
  const DLTensor *a[] = {t.get()};
  int chosen;
  EXPECT_EQ(attn_kernel_select(bundle, "attention", nullptr, a, 1, &chosen),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "kernel 'attention' has no tensor arguments to infer the "
                                  "target from; pass a target preference");
  EXPECT_EQ(attn_kernel_select(bundle, "attention", "host", a, 1, &chosen), ATTN_OK);
  attn_bundle_free(bundle);
}
