// The CUDA path. Without libcuda.so.1 (CI machines), every CUDA entry point
// must fail with ATTN_ERROR_NO_CUDA_DRIVER and the loader's reason. With a GPU,
// the remaining tests launch the kernels of kernels/add_bias.ptx (as PTX, and
// as an sm_90 cubin where CMake found ptxas) and, on compute capability 9.0,
// kernels/tma_copy.ptx through tensor maps, and check what they computed.
// Each test that cannot run on this machine says why in its skip message.
#include "test_util.h"

#include <dlfcn.h>

using namespace attn::test;
using namespace attn::bundle;

namespace {

// The driver calls the tests make themselves: device memory and copies. The
// runtime under test opens its own handle.
struct TestDriver {
  int (*cuInit)(unsigned);
  int (*cuDeviceGetCount)(int *);
  int (*cuDeviceGet)(int *, int);
  int (*cuDeviceGetAttribute)(int *, int, int);
  int (*cuDevicePrimaryCtxRetain)(void **, int);
  int (*cuCtxSetCurrent)(void *);
  int (*cuCtxSynchronize)();
  int (*cuMemAlloc)(unsigned long long *, size_t);
  int (*cuMemFree)(unsigned long long);
  int (*cuMemcpyHtoD)(unsigned long long, const void *, size_t);
  int (*cuMemcpyDtoH)(void *, unsigned long long, size_t);
};

enum class Machine { NoDriver, NoDevice, Gpu };

struct Environment {
  Machine machine = Machine::NoDriver;
  TestDriver d{};
  void *context = nullptr;
  int devices = 0, major = 0, minor = 0;
};

const Environment &environment() {
  static const Environment env = [] {
    Environment e;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return e;
    e.machine = Machine::NoDevice;
    auto bind = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      EXPECT_NE(reinterpret_cast<void *>(fn), nullptr) << name;
    };
    TestDriver &d = e.d;
    bind(d.cuInit, "cuInit");
    bind(d.cuDeviceGetCount, "cuDeviceGetCount");
    bind(d.cuDeviceGet, "cuDeviceGet");
    bind(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
    bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    bind(d.cuCtxSetCurrent, "cuCtxSetCurrent");
    bind(d.cuCtxSynchronize, "cuCtxSynchronize");
    bind(d.cuMemAlloc, "cuMemAlloc_v2");
    bind(d.cuMemFree, "cuMemFree_v2");
    bind(d.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
    bind(d.cuMemcpyDtoH, "cuMemcpyDtoH_v2");
    int dev;
    if (d.cuInit(0) != 0 || d.cuDeviceGetCount(&e.devices) != 0 || e.devices == 0 ||
        d.cuDeviceGet(&dev, 0) != 0)
      return e;
    d.cuDeviceGetAttribute(&e.major, 75, dev); // compute capability major
    d.cuDeviceGetAttribute(&e.minor, 76, dev); // and minor
    EXPECT_EQ(d.cuDevicePrimaryCtxRetain(&e.context, dev), 0);
    e.machine = Machine::Gpu;
    return e;
  }();
  return env;
}

Binary gpuBinary(const char *target, BinaryKind kind, CallingConv conv, const char *entry,
                 std::vector<uint8_t> data) {
  Binary b;
  b.target = target;
  b.kind = kind;
  b.conv = conv;
  b.entry = entry;
  b.data = std::move(data);
  LaunchConfig lc;
  lc.grid = {Expr::ceilDiv("N", 128), Expr{}, Expr{}};
  lc.block = {Expr::constant(128), Expr{}, Expr{}};
  b.launch = lc;
  return b;
}

// add_bias over rank-1 tensors: o = q * scale + shift.
Kernel addBias(const char *name, CallingConv conv) {
  Kernel k;
  k.name = name;
  bool bare = conv == CallingConv::GpuBarePtr;
  Arg q = Arg::tensor("q", Role::Input, DType::F32, {Dim::sym("N")}).withAlignment(4);
  if (bare) q.withContiguous(); // a bare pointer carries no strides
  k.args = {q,
            Arg::tensor("o", Role::Output, DType::F32, {Dim::sym("N")}).withContiguous()
                .withAlignment(16),
            Arg::scalar("scale", DType::F32), Arg::scalar("shift", DType::I64)};
  if (bare) k.args.push_back(Arg::scalar("n", DType::I64));
  k.binaries = {gpuBinary("sm_80", BinaryKind::Ptx, conv,
                          bare ? "add_bias_bare" : "add_bias_expanded",
                          readBytes(ATTN_TEST_PTX))};
  return k;
}

Bundle cudaBundle() {
  Bundle b;
  b.producer = "attn tests";
  b.specName = "add_bias_cuda";
  Kernel expanded = addBias("expanded", CallingConv::GpuExpandedMemref);
#ifdef ATTN_TEST_CUBIN_SM90
  expanded.binaries.push_back(gpuBinary("sm_90", BinaryKind::Cubin,
                                        CallingConv::GpuExpandedMemref, "add_bias_expanded",
                                        readBytes(ATTN_TEST_CUBIN_SM90)));
#endif
  b.kernels.push_back(expanded);
  b.kernels.push_back(addBias("bare", CallingConv::GpuBarePtr));

  Kernel bigShared = addBias("big_shared", CallingConv::GpuExpandedMemref);
  bigShared.binaries[0].launch->sharedMemBytes = Expr::constant(100 * 1024);
  b.kernels.push_back(bigShared);
  Kernel hugeShared = addBias("huge_shared", CallingConv::GpuExpandedMemref);
  hugeShared.binaries[0].launch->sharedMemBytes = Expr::constant(400 * 1024);
  b.kernels.push_back(hugeShared);
  Kernel wideBlock = addBias("wide_block", CallingConv::GpuExpandedMemref);
  wideBlock.binaries[0].launch->block[0] = Expr::constant(4096);
  b.kernels.push_back(wideBlock);
  Kernel hugeGrid = addBias("huge_grid", CallingConv::GpuExpandedMemref);
  hugeGrid.binaries[0].launch->grid[0] = Expr::size("N") * Expr::constant(int64_t(1) << 33);
  b.kernels.push_back(hugeGrid);
  Kernel badPtx = addBias("bad_ptx", CallingConv::GpuExpandedMemref);
  std::string broken = ".version 7.0\n.target sm_80\n.address_size 64\n"
                       ".visible .entry add_bias_expanded() { bogus.op; }\n";
  badPtx.binaries[0].data.assign(broken.begin(), broken.end());
  b.kernels.push_back(badPtx);
  Kernel noEntry = addBias("no_entry", CallingConv::GpuExpandedMemref);
  noEntry.binaries[0].entry = "missing_kernel";
  b.kernels.push_back(noEntry);
  Kernel oldCubin = addBias("old_cubin", CallingConv::GpuExpandedMemref);
  oldCubin.binaries[0].target = "sm_35";
  oldCubin.binaries[0].kind = BinaryKind::Cubin; // never loaded: runs on no current GPU
  b.kernels.push_back(oldCubin);
  return b;
}

// tma_copy: x [R, C] f32, loaded by TMA in boxes of 8 rows of 32 into o
// [Rp, Cp], padded to whole boxes (format version 3).
Bundle tmaCopyBundle() {
  Kernel k;
  k.name = "tma_copy";
  k.args = {Arg::tensor("x", Role::Input, DType::F32, {Dim::sym("R"), Dim::sym("C")})
                .withInnermostContiguous()
                .withAlignment(16),
            Arg::tensor("o", Role::Output, DType::F32, {Dim::sym("Rp"), Dim::sym("Cp")})
                .withContiguous()
                .withAlignment(16)};
  Binary b = gpuBinary("sm_90a", BinaryKind::Ptx, CallingConv::GpuExpandedMemref, "tma_copy",
                       readBytes(ATTN_TEST_TMA_PTX));
  b.launch->grid = {Expr::ceilDiv("Cp", 32), Expr::ceilDiv("Rp", 8), Expr{}};
  b.launch->block = {Expr::constant(256), Expr{}, Expr{}};
  b.tensorMaps = {{0, {32, 8}, TensorMapSwizzle::None}};
  k.binaries = {b};
  Bundle bundle;
  bundle.formatVersion = 3;
  bundle.producer = "attn tests";
  bundle.specName = "tma_copy_cuda";
  bundle.kernels = {k};
  return bundle;
}

class Cuda : public testing::Test {
protected:
  void SetUp() override {
    const Environment &env = environment();
    if (env.machine != Machine::Gpu)
      GTEST_SKIP() << "no CUDA device here; CudaUnavailable covers this machine";
    ASSERT_EQ(env.d.cuCtxSetCurrent(env.context), 0);
    bundle = load(cudaBundle());
  }
  void TearDown() override {
    for (unsigned long long p : allocations) environment().d.cuMemFree(p);
    attn_bundle_free(bundle);
  }

  void *upload(const std::vector<float> &host) {
    unsigned long long p = 0;
    EXPECT_EQ(environment().d.cuMemAlloc(&p, host.size() * sizeof(float)), 0);
    EXPECT_EQ(environment().d.cuMemcpyHtoD(p, host.data(), host.size() * sizeof(float)), 0);
    allocations.push_back(p);
    return reinterpret_cast<void *>(p);
  }
  std::vector<float> download(const DLTensor *t, size_t n) {
    std::vector<float> host(n);
    EXPECT_EQ(environment().d.cuCtxSynchronize(), 0);
    EXPECT_EQ(environment().d.cuMemcpyDtoH(
                  host.data(), reinterpret_cast<unsigned long long>(t->data) + t->byte_offset,
                  n * sizeof(float)),
              0);
    return host;
  }

  attn_bundle *bundle = nullptr;
  std::vector<unsigned long long> allocations;
};

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(i % 1000) - 300.0f;
  return v;
}

} // namespace

TEST(CudaUnavailable, EveryEntryPointSaysWhy) {
  const Environment &env = environment();
  if (env.machine == Machine::Gpu) GTEST_SKIP() << "a CUDA device is present; Cuda.* cover it";
  attn_bundle *bundle = load(cudaBundle());
  alignas(16) static float q[256], o[256];
  float scale = 2;
  int64_t shift = 1;
  Tensor tq(q, kF32, {256}, {kDLCUDA, 0}), to(o, kF32, {256}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {tq.get(), to.get(), ts.get(), th.get()};
  attn_status expected = env.machine == Machine::NoDriver ? ATTN_ERROR_NO_CUDA_DRIVER
                                                          : ATTN_ERROR_NO_CUDA_DEVICE;
  std::string prefix = env.machine == Machine::NoDriver
                           ? "CUDA driver not found (libcuda.so.1): libcuda.so.1: cannot open "
                             "shared object file"
                           : "no CUDA device: cuInit failed: ";
  int chosen = -1;
  EXPECT_EQ(attn_kernel_select(bundle, "expanded", nullptr, args, 4, &chosen), expected);
  EXPECT_EQ(std::string(attn_last_error()).rfind(prefix, 0), 0u) << attn_last_error();
  EXPECT_EQ(chosen, -1);
  EXPECT_EQ(attn_kernel_launch(bundle, "expanded", "cuda", args, 4, nullptr), expected);
  EXPECT_EQ(std::string(attn_last_error()).rfind(prefix, 0), 0u) << attn_last_error();
  EXPECT_EQ(attn_kernel_launch(bundle, "expanded", "sm_80", args, 4, nullptr), expected);
  DLManagedTensor *outs[4];
  EXPECT_EQ(attn_alloc_outputs(bundle, "expanded", args, 4, outs), expected);
  EXPECT_EQ(std::string(attn_last_error()).rfind(prefix, 0), 0u) << attn_last_error();
  EXPECT_EQ(outs[1], nullptr);
  attn_bundle_free(bundle);
}

TEST_F(Cuda, ExpandedMemrefConventionWithAllocatedOutput) {
  const size_t n = 1000;
  std::vector<float> host = iota(n);
  float scale = 2;
  int64_t shift = 3;
  Tensor q(upload(host), kF32, {int64_t(n)}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {q.get(), nullptr, ts.get(), th.get()};
  DLManagedTensor *outs[4];
  ASSERT_EQ(attn_alloc_outputs(bundle, "expanded", args, 4, outs), ATTN_OK) << attn_last_error();
  ASSERT_NE(outs[1], nullptr);
  EXPECT_EQ(outs[1]->dl_tensor.device.device_type, kDLCUDA);
  args[1] = &outs[1]->dl_tensor;

  int chosen = -1;
  ASSERT_EQ(attn_kernel_select(bundle, "expanded", nullptr, args, 4, &chosen), ATTN_OK)
      << attn_last_error();
  attn_binary_info info;
  ASSERT_EQ(attn_bundle_binary_info(bundle, 0, chosen, &info), ATTN_OK);
  const Environment &env = environment();
#ifdef ATTN_TEST_CUBIN_SM90
  bool cubinRuns = env.major == 9 && env.minor == 0;
#else
  bool cubinRuns = false;
#endif
  EXPECT_EQ(info.kind, cubinRuns ? ATTN_CUBIN : ATTN_PTX) << info.target;

  int64_t launches = 0;
  for (const char *preference : {(const char *)nullptr, "cuda", "sm_80"}) {
    shift = 3 + launches++; // a new value each time, so each launch must write
    ASSERT_EQ(attn_kernel_launch(bundle, "expanded", preference, args, 4, nullptr), ATTN_OK)
        << attn_last_error();
    std::vector<float> out = download(args[1], n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], host[i] * 2 + float(shift)) << i;
  }
  attn_tensor_free(outs[1]);
}

TEST_F(Cuda, ExpandedMemrefPassesStrides) {
  const size_t n = 777;
  std::vector<float> host = iota(2 * n);
  float scale = -1;
  int64_t shift = 10;
  std::vector<float> zeros(n, 0);
  Tensor q(upload(host), kF32, {int64_t(n)}, {kDLCUDA, 0}, {2});
  q.t.byte_offset = sizeof(float); // the odd elements
  Tensor o(upload(zeros), kF32, {int64_t(n)}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {q.get(), o.get(), ts.get(), th.get()};
  ASSERT_EQ(attn_kernel_launch(bundle, "expanded", nullptr, args, 4, nullptr), ATTN_OK)
      << attn_last_error();
  std::vector<float> out = download(o.get(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], -host[2 * i + 1] + 10) << i;
}

TEST_F(Cuda, BarePointerConvention) {
  const size_t n = 300;
  std::vector<float> host = iota(n), zeros(n, 0);
  float scale = 0.5f;
  int64_t shift = -4, count = int64_t(n);
  Tensor q(upload(host), kF32, {count}, {kDLCUDA, 0});
  Tensor o(upload(zeros), kF32, {count}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {}), tn(&count, kI64, {});
  const DLTensor *args[] = {q.get(), o.get(), ts.get(), th.get(), tn.get()};
  ASSERT_EQ(attn_kernel_launch(bundle, "bare", nullptr, args, 5, nullptr), ATTN_OK)
      << attn_last_error();
  std::vector<float> out = download(o.get(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], host[i] * 0.5f - 4) << i;
}

TEST_F(Cuda, DynamicSharedMemoryAndLaunchLimits) {
  const size_t n = 1000;
  std::vector<float> host = iota(n), zeros(n, 0);
  float scale = 1;
  int64_t shift = 1;
  Tensor q(upload(host), kF32, {int64_t(n)}, {kDLCUDA, 0});
  Tensor o(upload(zeros), kF32, {int64_t(n)}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {q.get(), o.get(), ts.get(), th.get()};

  // Above 48 KiB needs the per-function opt-in the runtime makes.
  ASSERT_EQ(attn_kernel_launch(bundle, "big_shared", nullptr, args, 4, nullptr), ATTN_OK)
      << attn_last_error();
  std::vector<float> out = download(o.get(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], host[i] + 1) << i;

  EXPECT_EQ(attn_kernel_launch(bundle, "huge_shared", nullptr, args, 4, nullptr),
            ATTN_ERROR_CUDA);
  std::string m = attn_last_error();
  EXPECT_EQ(m.rfind("cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = 409600) failed for "
                    "kernel 'huge_shared' target 'sm_80': CUDA_ERROR_",
                    0),
            0u)
      << m;

  EXPECT_EQ(attn_kernel_launch(bundle, "wide_block", nullptr, args, 4, nullptr), ATTN_ERROR_CUDA);
  m = attn_last_error();
  EXPECT_EQ(m.rfind("cuLaunchKernel failed for kernel 'wide_block' target 'sm_80' with grid "
                    "(8, 1, 1), block (4096, 1, 1), 0 bytes of shared memory: CUDA_ERROR_",
                    0),
            0u)
      << m;

  EXPECT_EQ(attn_kernel_launch(bundle, "huge_grid", nullptr, args, 4, nullptr),
            ATTN_ERROR_LAUNCH_CONFIG);
  EXPECT_STREQ(attn_last_error(), "grid.x = N * 8589934592 evaluates to 8589934592000, outside "
                                  "[0, 4294967295]");
  // The runtime still works after the failed launches.
  ASSERT_EQ(attn_kernel_launch(bundle, "expanded", nullptr, args, 4, nullptr), ATTN_OK)
      << attn_last_error();
}

TEST_F(Cuda, EmptyProblemsAreSkipped) {
  float scale = 1;
  int64_t shift = 1;
  Tensor q(nullptr, kF32, {0}, {kDLCUDA, 0}), o(nullptr, kF32, {0}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {q.get(), o.get(), ts.get(), th.get()};
  EXPECT_EQ(attn_kernel_launch(bundle, "expanded", nullptr, args, 4, nullptr), ATTN_OK)
      << attn_last_error();
}

// The tensor map reaches the kernel as its last parameter and describes x:
// its address (with the byte offset), extents and row stride, with zeros
// past its end.
TEST_F(Cuda, TensorMapsLoadByTma) {
  const Environment &env = environment();
  if (env.major != 9 || env.minor != 0)
    GTEST_SKIP() << "tma_copy is sm_90a PTX, which runs on compute capability 9.0 alone";
  attn_bundle *tma = load(tmaCopyBundle());
  ASSERT_NE(tma, nullptr);
  struct Case {
    const char *what;
    int64_t rows, cols, stride, offset; // x in elements of a buffer of `rows` x `stride`
  };
  const Case cases[] = {
      {"compact", 37, 50, 50, 0},
      {"a column range of a wider buffer", 37, 50, 96, 16},
      {"one row with a stride of no use", 1, 50, 7, 0},
      {"no rows", 0, 50, 50, 0},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    int64_t paddedRows = std::max<int64_t>(8, (c.rows + 7) / 8 * 8);
    int64_t paddedCols = (c.cols + 31) / 32 * 32;
    std::vector<float> buffer = iota(size_t(std::max<int64_t>(1, c.rows) * c.stride + 64));
    std::vector<float> sentinel(size_t(paddedRows * paddedCols), -7.0f);
    Tensor x(upload(buffer), kF32, {c.rows, c.cols}, {kDLCUDA, 0}, {c.stride, 1});
    x.t.byte_offset = uint64_t(c.offset) * sizeof(float);
    Tensor o(upload(sentinel), kF32, {paddedRows, paddedCols}, {kDLCUDA, 0});
    const DLTensor *args[] = {x.get(), o.get()};
    ASSERT_EQ(attn_kernel_launch(tma, "tma_copy", nullptr, args, 2, nullptr), ATTN_OK)
        << attn_last_error();
    std::vector<float> out = download(o.get(), sentinel.size());
    for (int64_t r = 0; r < paddedRows; ++r)
      for (int64_t col = 0; col < paddedCols; ++col) {
        float expected = r < c.rows && col < c.cols ? buffer[r * c.stride + c.offset + col] : 0;
        ASSERT_EQ(out[r * paddedCols + col], expected) << "row " << r << " column " << col;
      }
  }

  // A stride TMA cannot take (2^40 bytes) is refused before anything runs.
  std::vector<float> rows(64, 0);
  Tensor x(upload(rows), kF32, {2, 32}, {kDLCUDA, 0}, {int64_t(1) << 38, 1});
  Tensor o(upload(rows), kF32, {8, 32}, {kDLCUDA, 0});
  const DLTensor *args[] = {x.get(), o.get()};
  int chosen = -1;
  EXPECT_EQ(attn_kernel_select(tma, "tma_copy", nullptr, args, 2, &chosen),
            ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 0 ('x') is loaded by TMA (tensor map 0), but "
                                  "dimension 0 has stride 274877906944 (1099511627776 bytes), "
                                  "not below 2^40 bytes");
  EXPECT_EQ(attn_kernel_launch(tma, "tma_copy", nullptr, args, 2, nullptr),
            ATTN_ERROR_ARGUMENT_MISMATCH);
  attn_bundle_free(tma);
}

TEST_F(Cuda, ModuleAndSelectionFailures) {
  const Environment &env = environment();
  std::vector<float> host = iota(16);
  float scale = 1;
  int64_t shift = 1;
  Tensor q(upload(host), kF32, {16}, {kDLCUDA, 0}), o(upload(host), kF32, {16}, {kDLCUDA, 0});
  Tensor ts(&scale, kF32, {}), th(&shift, kI64, {});
  const DLTensor *args[] = {q.get(), o.get(), ts.get(), th.get()};

  EXPECT_EQ(attn_kernel_launch(bundle, "bad_ptx", nullptr, args, 4, nullptr), ATTN_ERROR_CUDA);
  std::string m = attn_last_error();
  EXPECT_EQ(m.rfind("cuModuleLoadDataEx failed for kernel 'bad_ptx' target 'sm_80' (ptx): "
                    "CUDA_ERROR_INVALID_PTX",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("bogus"), std::string::npos) << "the JIT log is part of the message: " << m;

  EXPECT_EQ(attn_kernel_launch(bundle, "no_entry", nullptr, args, 4, nullptr), ATTN_ERROR_CUDA);
  m = attn_last_error();
  EXPECT_EQ(m.rfind("cuModuleGetFunction('missing_kernel') failed for kernel 'no_entry' target "
                    "'sm_80' (ptx): CUDA_ERROR_NOT_FOUND",
                    0),
            0u)
      << m;

  std::string device = "CUDA device 0 (compute capability " + std::to_string(env.major) + "." +
                       std::to_string(env.minor) + ")";
  EXPECT_EQ(attn_kernel_launch(bundle, "old_cubin", nullptr, args, 4, nullptr),
            ATTN_ERROR_NO_BINARY);
  EXPECT_EQ(std::string(attn_last_error()),
            "kernel 'old_cubin' has no binary that runs on " + device +
                " (it has: sm_35 (cubin))");
  EXPECT_EQ(attn_kernel_launch(bundle, "old_cubin", "sm_35", args, 4, nullptr),
            ATTN_ERROR_NO_BINARY);
  EXPECT_EQ(std::string(attn_last_error()),
            "the cubin for 'sm_35' of kernel 'old_cubin' cannot run on " + device);
  EXPECT_EQ(attn_kernel_launch(bundle, "expanded", "sm_75", args, 4, nullptr),
            ATTN_ERROR_NO_BINARY);

  for (Tensor *t : {&q, &o}) t->t.device.device_id = 7;
  EXPECT_EQ(attn_kernel_launch(bundle, "expanded", nullptr, args, 4, nullptr),
            ATTN_ERROR_NO_CUDA_DEVICE);
  EXPECT_EQ(std::string(attn_last_error()),
            "no CUDA device 7: the driver sees " + std::to_string(env.devices) + " device(s)");
}
