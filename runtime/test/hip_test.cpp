// The ROCm path against stand-ins for libamdhip64.so (fake_hip/), which
// record the calls the runtime makes: no AMD GPU is needed. Each stand-in is
// one configuration (the device's architecture, or hipInit failing), chosen
// with ATTN_HIP_LIBRARY, the variable the runtime opens its HIP library by.
#include "test_util.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

using namespace attn::test;
using namespace attn::bundle;

namespace {

struct FakeLaunch {
  char function[64];
  unsigned grid[3], block[3], shared;
  void *stream;
  uint64_t params[64];
};

// The stand-in's record functions, from the copy the runtime opened.
struct Fake {
  void (*expectParams)(int);
  int (*count)(const char *);
  const unsigned char *(*loadedImage)();
  const FakeLaunch *(*lastLaunch)();
};

Fake fake(const char *library) {
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(handle, nullptr) << dlerror();
  Fake f{};
  f.expectParams = reinterpret_cast<void (*)(int)>(dlsym(handle, "fake_hip_expect_params"));
  f.count = reinterpret_cast<int (*)(const char *)>(dlsym(handle, "fake_hip_count"));
  f.loadedImage =
      reinterpret_cast<const unsigned char *(*)()>(dlsym(handle, "fake_hip_loaded_image"));
  f.lastLaunch = reinterpret_cast<const FakeLaunch *(*)()>(dlsym(handle, "fake_hip_last_launch"));
  return f;
}

Binary hsaco(const char *target, uint8_t tag) {
  Binary b;
  b.target = target;
  b.kind = BinaryKind::Hsaco;
  b.conv = CallingConv::GpuExpandedMemref;
  b.entry = "attn_attention";
  b.data = {0x7f, 'E', 'L', 'F', tag, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  LaunchConfig lc;
  lc.grid = {Expr::ceilDiv("Sq", 128), Expr::size("Hq"), Expr::size("B")};
  lc.block = {Expr::constant(256), Expr{}, Expr{}};
  b.launch = lc;
  return b;
}

alignas(256) char gMemory[1 << 16];

class Hip : public testing::Test {
protected:
  // B = 2, Hq = 4, Hkv = 2, Sq = 8, Skv = 16, head dimension 64, on ROCm
  // device 0 (scalars stay in host memory).
  Hip()
      : q(gMemory, kBF16, {2, 4, 8, 64}, {kDLROCM, 0}),
        k(gMemory + 8192, kBF16, {2, 2, 16, 64}, {kDLROCM, 0}),
        v(gMemory + 16384, kBF16, {2, 2, 16, 64}, {kDLROCM, 0}),
        o(gMemory + 24576, kBF16, {2, 4, 8, 64}, {kDLROCM, 0}),
        lse(gMemory + 32768, kF32, {2, 4, 8}, {kDLROCM, 0}), scale(&scaleValue, kF32, {}) {}

  // The sample kernel with HSACO for gfx90a (tag 1) and gfx942 (tag 2).
  void SetUp() override {
    Bundle b = sampleBundle();
    b.kernels[0].binaries.push_back(hsaco("gfx90a", 1));
    b.kernels[0].binaries.push_back(hsaco("gfx942", 2));
    bundle = load(b);
  }
  void TearDown() override {
    attn_bundle_free(bundle);
    unsetenv("ATTN_HIP_LIBRARY");
  }
  void use(const char *library) { setenv("ATTN_HIP_LIBRARY", library, 1); }

  std::vector<const DLTensor *> args() {
    return {q.get(), k.get(), v.get(), o.get(), lse.get(), scale.get()};
  }
  attn_status select(const char *preference) {
    auto a = args();
    return attn_kernel_select(bundle, "attention", preference, a.data(),
                              static_cast<int>(a.size()), &chosen);
  }
  attn_status launch(const char *preference, void *stream = nullptr) {
    auto a = args();
    return attn_kernel_launch(bundle, "attention", preference, a.data(),
                              static_cast<int>(a.size()), stream);
  }

  attn_bundle *bundle = nullptr;
  float scaleValue = 0.125f;
  Tensor q, k, v, o, lse, scale;
  int chosen = -1;
};

} // namespace

TEST_F(Hip, NoRuntimeIsAClearError) {
  use("/nonexistent/libamdhip64.so");
  EXPECT_EQ(launch(nullptr), ATTN_ERROR_NO_HIP_RUNTIME);
  std::string message = attn_last_error();
  EXPECT_NE(message.find("HIP runtime not found (/nonexistent/libamdhip64.so"), std::string::npos)
      << message;
  EXPECT_STREQ(attn_status_string(ATTN_ERROR_NO_HIP_RUNTIME), "ATTN_ERROR_NO_HIP_RUNTIME");
}

TEST_F(Hip, NoDeviceIsAClearError) {
  use(ATTN_TEST_FAKE_HIP_NO_DEVICE);
  EXPECT_EQ(select("rocm"), ATTN_ERROR_NO_HIP_DEVICE);
  EXPECT_EQ(std::string(attn_last_error()),
            "no ROCm device: hipErrorNoDevice (no ROCm-capable device is detected, code 100) "
            "(HIP runtime " ATTN_TEST_FAKE_HIP_NO_DEVICE ")");
}

TEST_F(Hip, SelectsTheDevicesArchitecture) {
  use(ATTN_TEST_FAKE_HIP_GFX942);
  // The device reports "gfx942:sramecc+:xnack-": the gfx942 code object.
  for (const char *preference : {(const char *)nullptr, "rocm", "gfx942"}) {
    ASSERT_EQ(select(preference), ATTN_OK) << attn_last_error();
    EXPECT_EQ(chosen, 4);
  }
  EXPECT_EQ(select("gfx90a"), ATTN_ERROR_NO_BINARY);
  EXPECT_STREQ(attn_last_error(),
               "the hsaco for 'gfx90a' of kernel 'attention' cannot run on ROCm device 0 (gfx942)");
  EXPECT_EQ(select("gfx1100"), ATTN_ERROR_NO_BINARY);
  EXPECT_STREQ(attn_last_error(),
               "kernel 'attention' has no binary for target 'gfx1100' (it has: sm_90a (cubin), "
               "sm_80 (ptx), host (host_shared_object), gfx90a (hsaco), gfx942 (hsaco))");
}

TEST_F(Hip, NoBinaryForTheDeviceNamesTheBundlesTargets) {
  use(ATTN_TEST_FAKE_HIP_GFX1100);
  EXPECT_EQ(launch(nullptr), ATTN_ERROR_NO_BINARY);
  EXPECT_STREQ(attn_last_error(),
               "kernel 'attention' has no binary that runs on ROCm device 0 (gfx1100) (it has: "
               "sm_90a (cubin), sm_80 (ptx), host (host_shared_object), gfx90a (hsaco), "
               "gfx942 (hsaco))");
}

TEST_F(Hip, DeviceOutOfRange) {
  use(ATTN_TEST_FAKE_HIP_GFX942);
  for (Tensor *t : {&q, &k, &v, &o, &lse}) t->t.device = {kDLROCM, 3};
  EXPECT_EQ(select(nullptr), ATTN_ERROR_NO_HIP_DEVICE);
  EXPECT_STREQ(attn_last_error(), "no ROCm device 3: the HIP runtime sees 1 device(s)");
}

TEST_F(Hip, LaunchLoadsOnceAndPassesExpandedMemrefs) {
  use(ATTN_TEST_FAKE_HIP_GFX942);
  Fake f = fake(ATTN_TEST_FAKE_HIP_GFX942);
  // q, k, v, o: 11 words each (pointers, offset, 4 sizes, 4 strides); lse 9;
  // scale 1.
  f.expectParams(54);
  int loads = f.count("load"), launches = f.count("launch");
  void *stream = reinterpret_cast<void *>(0x1234);
  ASSERT_EQ(launch(nullptr, stream), ATTN_OK) << attn_last_error();
  ASSERT_EQ(launch("gfx942", stream), ATTN_OK) << attn_last_error();
  EXPECT_EQ(f.count("load"), loads + 1); // cached per bundle and device
  EXPECT_EQ(f.count("launch"), launches + 2);
  EXPECT_EQ(f.loadedImage()[4], 2); // the gfx942 binary's tag
  const FakeLaunch &l = *f.lastLaunch();
  EXPECT_STREQ(l.function, "attn_attention");
  EXPECT_EQ(l.grid[0], 1u); // ceil(8 / 128)
  EXPECT_EQ(l.grid[1], 4u);
  EXPECT_EQ(l.grid[2], 2u);
  EXPECT_EQ(l.block[0], 256u);
  EXPECT_EQ(l.block[1], 1u);
  EXPECT_EQ(l.shared, 0u);
  EXPECT_EQ(l.stream, stream);
  // q: allocated and aligned pointer, offset 0, sizes, row-major strides.
  EXPECT_EQ(l.params[0], reinterpret_cast<uint64_t>(gMemory));
  EXPECT_EQ(l.params[1], reinterpret_cast<uint64_t>(gMemory));
  EXPECT_EQ(l.params[2], 0u);
  uint64_t sizes[] = {2, 4, 8, 64}, strides[] = {2048, 512, 64, 1};
  for (int d = 0; d < 4; ++d) {
    EXPECT_EQ(l.params[3 + d], sizes[d]);
    EXPECT_EQ(l.params[7 + d], strides[d]);
  }
  EXPECT_EQ(l.params[11], reinterpret_cast<uint64_t>(gMemory + 8192)); // k
  float scaleBits;
  std::memcpy(&scaleBits, &l.params[53], sizeof scaleBits);
  EXPECT_EQ(scaleBits, 0.125f);
}

TEST_F(Hip, EmptyProblemsLaunchNothing) {
  use(ATTN_TEST_FAKE_HIP_GFX942);
  Fake f = fake(ATTN_TEST_FAKE_HIP_GFX942);
  int launches = f.count("launch");
  q.shape[2] = 0; // Sq = 0: no query tiles
  o.shape[2] = 0;
  lse.shape[2] = 0;
  for (Tensor *t : {&q, &o, &lse}) t->refresh();
  ASSERT_EQ(launch(nullptr), ATTN_OK) << attn_last_error();
  EXPECT_EQ(f.count("launch"), launches);
}

TEST_F(Hip, OutputsAreAllocatedOnTheDevice) {
  use(ATTN_TEST_FAKE_HIP_GFX942);
  Fake f = fake(ATTN_TEST_FAKE_HIP_GFX942);
  int mallocs = f.count("malloc"), frees = f.count("free");
  auto a = args();
  a[3] = a[4] = nullptr;
  std::vector<DLManagedTensor *> outputs(6, nullptr);
  ASSERT_EQ(attn_alloc_outputs(bundle, "attention", a.data(), 6, outputs.data()), ATTN_OK)
      << attn_last_error();
  ASSERT_NE(outputs[3], nullptr);
  EXPECT_EQ(outputs[3]->dl_tensor.device.device_type, kDLROCM);
  EXPECT_EQ(outputs[3]->dl_tensor.shape[2], 8);
  EXPECT_EQ(f.count("malloc"), mallocs + 2);
  attn_tensor_free(outputs[3]);
  attn_tensor_free(outputs[4]);
  EXPECT_EQ(f.count("free"), frees + 2);
}
