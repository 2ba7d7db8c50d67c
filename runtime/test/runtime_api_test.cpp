// Loading bundles through the C API, the query functions, and error reporting.
#include "attn/runtime.hpp"
#include "test_util.h"

#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <thread>

using namespace attn::test;

TEST(RuntimeLoad, QueriesDescribeTheBundle) {
  attn_bundle *b = load(sampleBundle());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(attn_bundle_format_version(b), 2u) << "no tensor maps: the oldest version";
  EXPECT_STREQ(attn_bundle_producer(b), "attn tests");
  EXPECT_STREQ(attn_bundle_spec_name(b), "sample_attention");
  ASSERT_EQ(attn_bundle_num_kernels(b), 1);
  int index = -1;
  ASSERT_EQ(attn_bundle_find_kernel(b, "attention", &index), ATTN_OK);
  EXPECT_EQ(index, 0);

  attn_kernel_info k;
  ASSERT_EQ(attn_bundle_kernel_info(b, 0, &k), ATTN_OK);
  EXPECT_STREQ(k.name, "attention");
  EXPECT_EQ(k.num_args, 6);
  EXPECT_EQ(k.num_binaries, 3);

  attn_arg_info a;
  ASSERT_EQ(attn_bundle_arg_info(b, 0, 1, &a), ATTN_OK);
  EXPECT_STREQ(a.name, "k");
  EXPECT_EQ(a.kind, ATTN_TENSOR);
  EXPECT_EQ(a.role, ATTN_INPUT);
  EXPECT_EQ(a.dtype, ATTN_BF16);
  ASSERT_EQ(a.rank, 4);
  EXPECT_STREQ(a.dims[1].symbol, "Hkv");
  EXPECT_EQ(a.dims[1].extent, -1);
  EXPECT_EQ(a.dims[3].symbol, nullptr);
  EXPECT_EQ(a.dims[3].extent, 64);
  EXPECT_TRUE(a.innermost_contiguous);
  EXPECT_FALSE(a.contiguous);
  EXPECT_EQ(a.alignment, 16u);
  ASSERT_EQ(attn_bundle_arg_info(b, 0, 5, &a), ATTN_OK);
  EXPECT_EQ(a.kind, ATTN_SCALAR);
  EXPECT_EQ(a.rank, 0);
  EXPECT_EQ(a.dims, nullptr);

  attn_binary_info bin;
  ASSERT_EQ(attn_bundle_binary_info(b, 0, 0, &bin), ATTN_OK);
  EXPECT_STREQ(bin.target, "sm_90a");
  EXPECT_EQ(bin.kind, ATTN_CUBIN);
  EXPECT_EQ(bin.calling_conv, ATTN_GPU_EXPANDED_MEMREF);
  EXPECT_STREQ(bin.entry, "attention_fwd");
  EXPECT_EQ(bin.size, 7u);
  EXPECT_STREQ(bin.launch,
               "grid=(ceil_div(Sq, 128), Hq, B) block=(128, 1, 1) shared_mem_bytes=98304");
  ASSERT_EQ(attn_bundle_binary_info(b, 0, 2, &bin), ATTN_OK);
  EXPECT_STREQ(bin.target, "host");
  EXPECT_EQ(bin.calling_conv, ATTN_HOST_C_IFACE);
  EXPECT_EQ(bin.launch, nullptr);
  attn_bundle_free(b);
}

TEST(RuntimeLoad, QueryErrors) {
  attn_bundle *b = load(sampleBundle());
  int index;
  EXPECT_EQ(attn_bundle_find_kernel(b, "nope", &index), ATTN_ERROR_NOT_FOUND);
  EXPECT_STREQ(attn_last_error(), "no kernel 'nope' in bundle (it has: attention)");
  attn_kernel_info k;
  EXPECT_EQ(attn_bundle_kernel_info(b, 1, &k), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "kernel index 1 is out of range (bundle has 1 kernels)");
  attn_arg_info a;
  EXPECT_EQ(attn_bundle_arg_info(b, 0, 6, &a), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "argument index 6 is out of range (kernel 'attention' has 6)");
  attn_binary_info bin;
  EXPECT_EQ(attn_bundle_binary_info(b, 0, -1, &bin), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "binary index -1 is out of range (kernel 'attention' has 3)");
  EXPECT_EQ(attn_bundle_kernel_info(nullptr, 0, &k), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "bundle is NULL");
  EXPECT_EQ(attn_bundle_kernel_info(b, 0, nullptr), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_bundle_find_kernel(b, nullptr, &index), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_bundle_num_kernels(nullptr), 0);
  EXPECT_EQ(attn_bundle_producer(nullptr), nullptr);
  attn_bundle_free(nullptr);
  attn_bundle_free(b);
}

TEST(RuntimeLoad, FileErrors) {
  attn_bundle *b = reinterpret_cast<attn_bundle *>(1);
  EXPECT_EQ(attn_bundle_load_file("/nonexistent/x.atnb", &b), ATTN_ERROR_IO);
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(std::string(attn_last_error()).rfind("cannot open bundle file '/nonexistent/x.atnb'", 0),
            0u)
      << attn_last_error();
  EXPECT_EQ(attn_bundle_load_file(nullptr, &b), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_bundle_load_file("x", nullptr), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_bundle_load_memory(nullptr, 10, &b), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "data is NULL");
}

TEST(RuntimeLoad, FromAFile) {
  std::string path = testing::TempDir() + "/api.atnb";
  std::string error;
  ASSERT_TRUE(attn::bundle::writeFile(sampleBundle(), path, error)) << error;
  attn_bundle *b = nullptr;
  ASSERT_EQ(attn_bundle_load_file(path.c_str(), &b), ATTN_OK) << attn_last_error();
  EXPECT_STREQ(attn_bundle_spec_name(b), "sample_attention");
  attn_bundle_free(b);
  std::remove(path.c_str());
}

TEST(RuntimeLoad, DamagedBundlesGiveTheReadersMessage) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  attn_bundle *b = nullptr;
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_EQ(attn_bundle_load_memory(bytes.data(), n, &b), ATTN_ERROR_INVALID_BUNDLE) << n;
    EXPECT_EQ(b, nullptr);
    EXPECT_STRNE(attn_last_error(), "");
  }
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  EXPECT_EQ(attn_bundle_load_memory(flipped.data(), flipped.size(), &b),
            ATTN_ERROR_INVALID_BUNDLE);
  std::vector<uint8_t> foreign(64, 'x');
  EXPECT_EQ(attn_bundle_load_memory(foreign.data(), foreign.size(), &b),
            ATTN_ERROR_INVALID_BUNDLE);
  EXPECT_STREQ(attn_last_error(), "not an attn bundle: file identifier is 'xxxx', expected 'ATNB'");
}

TEST(RuntimeLoad, OtherVersionsHaveTheirOwnStatus) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  // Field 0 of the root table (vtable offset 4): the format version.
  uint8_t *version = flatbuffers::GetMutableRoot<flatbuffers::Table>(bytes.data())->GetAddressOf(4);
  ASSERT_NE(version, nullptr);
  flatbuffers::WriteScalar<uint32_t>(version, ATTN_BUNDLE_FORMAT_VERSION + 1);
  attn_bundle *b = nullptr;
  EXPECT_EQ(attn_bundle_load_memory(bytes.data(), bytes.size(), &b),
            ATTN_ERROR_UNSUPPORTED_VERSION);
  EXPECT_STREQ(attn_last_error(),
               "unsupported bundle format version 4 (this runtime reads versions 2 to 3)");
}

TEST(RuntimeLoad, TheNewestVersionLoads) {
  attn_bundle *b = load(tmaBundle());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(attn_bundle_format_version(b), uint32_t(ATTN_BUNDLE_FORMAT_VERSION));
  attn_bundle_free(b);
}

TEST(RuntimeErrors, StatusNames) {
  EXPECT_STREQ(attn_status_string(ATTN_OK), "ATTN_OK");
  EXPECT_STREQ(attn_status_string(ATTN_ERROR_NO_CUDA_DRIVER), "ATTN_ERROR_NO_CUDA_DRIVER");
  EXPECT_STREQ(attn_status_string(ATTN_ERROR_INTERNAL), "ATTN_ERROR_INTERNAL");
  EXPECT_STREQ(attn_status_string(static_cast<attn_status>(99)), "unknown status");
}

TEST(RuntimeErrors, LastErrorIsPerThread) {
  int index;
  EXPECT_EQ(attn_bundle_find_kernel(nullptr, "x", &index), ATTN_ERROR_INVALID_ARGUMENT);
  std::thread other([] {
    attn_bundle *b;
    EXPECT_EQ(attn_bundle_load_file("/nonexistent/y.atnb", &b), ATTN_ERROR_IO);
  });
  other.join();
  EXPECT_STREQ(attn_last_error(), "bundle is NULL");
}

TEST(RuntimeCpp, WrapperThrowsWithStatusAndMessage) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  attn::Bundle b = attn::Bundle::loadMemory(bytes.data(), bytes.size());
  EXPECT_EQ(b.numKernels(), 1);
  EXPECT_EQ(b.specName(), "sample_attention");
  EXPECT_STREQ(b.arg(0, 0).name, "q");
  EXPECT_STREQ(b.binary(0, 1).target, "sm_80");
  try {
    b.findKernel("missing");
    FAIL() << "no exception";
  } catch (const attn::Error &e) {
    EXPECT_EQ(e.status(), ATTN_ERROR_NOT_FOUND);
    EXPECT_STREQ(e.what(), "ATTN_ERROR_NOT_FOUND: no kernel 'missing' in bundle (it has: attention)");
  }
  std::vector<uint8_t> junk(16, 0);
  EXPECT_THROW(attn::Bundle::loadMemory(junk.data(), junk.size()), attn::Error);
}
