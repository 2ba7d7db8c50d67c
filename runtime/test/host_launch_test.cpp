// End-to-end launches of a real host shared object (kernels/add_bias.c, built
// by CMake) in the host_c_iface convention, and the host loader's failures.
#include "attn/runtime.hpp"
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

using namespace attn::test;
using namespace attn::bundle;

namespace {

// o[b, h, s, d] = q[b, h, s, d] * scale + shift, d of static extent 4.
Bundle addBiasBundle(const std::string &entry = "add_bias",
                     std::vector<uint8_t> image = readBytes(ATTN_TEST_HOST_KERNEL)) {
  Kernel k;
  k.name = "add_bias";
  std::vector<Dim> dims = {Dim::sym("B"), Dim::sym("H"), Dim::sym("S"), Dim::fixed(4)};
  k.args = {Arg::tensor("q", Role::Input, DType::F32, dims).withAlignment(4),
            Arg::tensor("o", Role::Output, DType::F32, dims).withContiguous().withAlignment(16),
            Arg::scalar("scale", DType::F32), Arg::scalar("shift", DType::I64)};
  Binary host;
  host.target = "host";
  host.kind = BinaryKind::HostSharedObject;
  host.conv = CallingConv::HostCIface;
  host.entry = entry;
  host.data = std::move(image);
  k.binaries = {host};
  Bundle b;
  b.producer = "attn tests";
  b.specName = "add_bias";
  b.kernels = {k};
  return b;
}

struct Problem {
  int64_t B = 2, H = 3, S = 5;
  std::vector<float> qData;
  float scale = 1.0f;
  int64_t shift = 1;
  Tensor scaleT{&scale, kF32, {}};
  Tensor shiftT{&shift, kI64, {}};

  int64_t count() const { return B * H * S * 4; }
  float qAt(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return float(((b * 10 + h) * 10 + s) * 10 + d);
  }
  // q stored compactly in [B, H, S, 4] order.
  Tensor compactQ() {
    qData.resize(static_cast<size_t>(count()));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < S; ++s)
          for (int64_t d = 0; d < 4; ++d)
            qData[static_cast<size_t>(((b * H + h) * S + s) * 4 + d)] = qAt(b, h, s, d);
    return Tensor(qData.data(), kF32, {B, H, S, 4});
  }
  // q stored in [B, S, H, 4] order and viewed as [B, H, S, 4] through strides,
  // after `pad` leading floats reached through byte_offset.
  Tensor stridedQ(int64_t pad) {
    qData.assign(static_cast<size_t>(count() + pad), -1.0f);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < S; ++s)
          for (int64_t d = 0; d < 4; ++d)
            qData[static_cast<size_t>(pad + ((b * S + s) * H + h) * 4 + d)] = qAt(b, h, s, d);
    Tensor t(qData.data(), kF32, {B, H, S, 4}, {kDLCPU, 0}, {S * H * 4, 4, H * 4, 1});
    t.t.byte_offset = static_cast<uint64_t>(pad) * sizeof(float);
    return t;
  }
  void expectOutput(const DLTensor *o) const {
    ASSERT_EQ(o->ndim, 4);
    ASSERT_EQ(o->strides, nullptr);
    const float *out = reinterpret_cast<const float *>(static_cast<const char *>(o->data) +
                                                       o->byte_offset);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < S; ++s)
          for (int64_t d = 0; d < 4; ++d)
            ASSERT_EQ(out[((b * H + h) * S + s) * 4 + d], qAt(b, h, s, d) * scale + float(shift))
                << b << "," << h << "," << s << "," << d;
  }
};

// Allocates o with attn_alloc_outputs and launches; returns the launch status.
attn_status allocAndLaunch(attn_bundle *bundle, Problem &p, const Tensor &q,
                           DLManagedTensor **o) {
  const DLTensor *args[] = {q.get(), nullptr, p.scaleT.get(), p.shiftT.get()};
  DLManagedTensor *outs[4];
  attn_status s = attn_alloc_outputs(bundle, "add_bias", args, 4, outs);
  if (s != ATTN_OK) return s;
  EXPECT_EQ(outs[0], nullptr);
  EXPECT_EQ(outs[2], nullptr);
  *o = outs[1];
  args[1] = &outs[1]->dl_tensor;
  return attn_kernel_launch(bundle, "add_bias", nullptr, args, 4, nullptr);
}

} // namespace

TEST(HostLaunch, ComputesThroughTheDescriptors) {
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  Tensor q = p.compactQ();
  DLManagedTensor *o = nullptr;
  ASSERT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_OK) << attn_last_error();
  const DLTensor &t = o->dl_tensor;
  EXPECT_EQ(t.device.device_type, kDLCPU);
  EXPECT_EQ(t.dtype.code, kDLFloat);
  EXPECT_EQ(t.dtype.bits, 32);
  EXPECT_EQ(std::vector<int64_t>(t.shape, t.shape + 4), (std::vector<int64_t>{2, 3, 5, 4}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u);
  p.expectOutput(&t);

  // Other scalar values, same cached module.
  p.scale = -2.5f;
  p.shift = 7;
  const DLTensor *args[] = {q.get(), &o->dl_tensor, p.scaleT.get(), p.shiftT.get()};
  ASSERT_EQ(attn_kernel_launch(bundle, "add_bias", "host", args, 4, nullptr), ATTN_OK)
      << attn_last_error();
  p.expectOutput(&o->dl_tensor);
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

TEST(HostLaunch, StridedInputWithByteOffset) {
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  p.scale = 0.5f;
  p.shift = -3;
  Tensor q = p.stridedQ(3);
  DLManagedTensor *o = nullptr;
  ASSERT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_OK) << attn_last_error();
  p.expectOutput(&o->dl_tensor);
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

TEST(HostLaunch, EmptyProblem) {
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  p.S = 0;
  Tensor q = p.compactQ();
  q.t.data = nullptr;
  DLManagedTensor *o = nullptr;
  ASSERT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_OK) << attn_last_error();
  EXPECT_EQ(o->dl_tensor.data, nullptr);
  EXPECT_EQ(o->dl_tensor.shape[2], 0);
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

TEST(HostLaunch, TwoBundlesOfTheSameObjectAndManyThreads) {
  attn_bundle *first = load(addBiasBundle());
  attn_bundle *second = load(addBiasBundle());
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      attn_bundle *bundle = t % 2 ? second : first;
      for (int i = 0; i < 20; ++i) {
        Problem p;
        p.B = 1 + t;
        p.shift = i;
        Tensor q = p.compactQ();
        std::vector<float> out(static_cast<size_t>(p.count()));
        Tensor o(out.data(), kF32, {p.B, p.H, p.S, 4});
        const DLTensor *args[] = {q.get(), o.get(), p.scaleT.get(), p.shiftT.get()};
        if (attn_kernel_launch(bundle, "add_bias", nullptr, args, 4, nullptr) != ATTN_OK) {
          ++failures[t];
          continue;
        }
        for (int64_t j = 0; j < p.count(); ++j)
          if (out[j] != p.qData[j] + float(i)) {
            ++failures[t];
            break;
          }
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  attn_bundle_free(first);
  attn_bundle_free(second);
}

int countEntries(const std::string &dir) {
  int entries = 0;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++entries;
    ::closedir(d);
  }
  return entries;
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name, saved;
  bool had;
  ScopedEnv(const char *n, const char *value) : name(n) {
    const char *old = std::getenv(n);
    had = old != nullptr;
    saved = old ? old : "";
    if (value) ::setenv(n, value, 1);
    else ::unsetenv(n);
  }
  ~ScopedEnv() {
    if (had) ::setenv(name.c_str(), saved.c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

TEST(HostLaunch, TemporaryFilesAreRemoved) {
  std::string dir = testing::TempDir() + "/attn-tmp-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ScopedEnv tmp("TMPDIR", dir.c_str());
  // Both ways of loading: an anonymous memory file (the default, nothing on
  // disk) and a private directory (ATTN_HOST_LOADER=tmpdir).
  for (const char *mode : {static_cast<const char *>(nullptr), "tmpdir"}) {
    ScopedEnv loader("ATTN_HOST_LOADER", mode);
    attn_bundle *bundle = load(addBiasBundle());
    Problem p;
    Tensor q = p.compactQ();
    DLManagedTensor *o = nullptr;
    EXPECT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_OK) << attn_last_error();
    attn_tensor_free(o);
    attn_bundle_free(bundle);
    EXPECT_EQ(countEntries(dir), 0) << (mode ? mode : "memfd");
  }
  ::rmdir(dir.c_str());

  ScopedEnv missing("TMPDIR", "/nonexistent-attn-dir");
  ScopedEnv loader("ATTN_HOST_LOADER", "tmpdir");
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  Tensor q = p.compactQ();
  DLManagedTensor *o = nullptr;
  EXPECT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_ERROR_HOST_LOADER);
  EXPECT_STREQ(attn_last_error(),
               "cannot create a private temporary directory in /nonexistent-attn-dir for "
               "host binary of kernel 'add_bias': No such file or directory");
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

// Issue 16: a loader that crashed (here: the object's constructor aborts)
// left an attn-host-* file behind. Loaded from a memory file, nothing is
// ever written to the temporary directory.
TEST(HostLaunch, CrashWhileLoadingLeavesNoFile) {
  std::string dir = testing::TempDir() + "/attn-crash-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("TMPDIR", dir.c_str(), 1);
    ::unsetenv("ATTN_HOST_LOADER");
    attn_bundle *bundle =
        load(addBiasBundle("add_bias", readBytes(ATTN_TEST_CRASH_KERNEL)));
    Problem p;
    Tensor q = p.compactQ();
    DLManagedTensor *o = nullptr;
    allocAndLaunch(bundle, p, q, &o);
    ::_exit(0); // not reached: the constructor aborts
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the crashing constructor did not run";
  EXPECT_EQ(countEntries(dir), 0);
  ::rmdir(dir.c_str());
}

// A host object compiled for features this CPU lacks is refused with their
// names (an unknown name counts as lacking), not run into SIGILL.
TEST(HostLaunch, MissingCpuFeaturesAreRefused) {
  attn_bundle *bundle =
      load(addBiasBundle("add_bias", readBytes(ATTN_TEST_FEATURES_KERNEL)));
  Problem p;
  Tensor q = p.compactQ();
  DLManagedTensor *o = nullptr;
  EXPECT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_ERROR_HOST_LOADER);
  std::string message = attn_last_error();
  EXPECT_NE(message.find("was compiled for CPU features this CPU lacks ("),
            std::string::npos) << message;
  EXPECT_NE(message.find("not-a-cpu-feature"), std::string::npos) << message;
  EXPECT_EQ(message.find("sse2"), std::string::npos) << message;
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

TEST(HostLaunch, LoaderFailures) {
  Problem p;
  Tensor q = p.compactQ();
  DLManagedTensor *o = nullptr;

  attn_bundle *bundle = load(addBiasBundle("no_such_entry"));
  EXPECT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_ERROR_HOST_LOADER);
  std::string m = attn_last_error();
  EXPECT_EQ(m.rfind("host binary of kernel 'add_bias' has no entry symbol 'no_such_entry': ", 0),
            0u) << m;
  attn_tensor_free(o);
  attn_bundle_free(bundle);

  bundle = load(addBiasBundle("add_bias", std::vector<uint8_t>(4096, 0x5a)));
  EXPECT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_ERROR_HOST_LOADER);
  m = attn_last_error();
  EXPECT_EQ(m.rfind("cannot load host binary of kernel 'add_bias': ", 0), 0u) << m;
  EXPECT_NE(m.find("invalid ELF header"), std::string::npos) << m;
  attn_tensor_free(o);
  attn_bundle_free(bundle);
}

TEST(HostLaunch, HostTakesNoStreamAndNeedsAHostBinary) {
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  Tensor q = p.compactQ();
  std::vector<float> out(static_cast<size_t>(p.count()));
  Tensor o(out.data(), kF32, {p.B, p.H, p.S, 4});
  const DLTensor *args[] = {q.get(), o.get(), p.scaleT.get(), p.shiftT.get()};
  int dummyStream;
  EXPECT_EQ(attn_kernel_launch(bundle, "add_bias", nullptr, args, 4, &dummyStream),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "the host target takes no stream; pass NULL");
  EXPECT_EQ(out[0], 0.0f) << "nothing ran";
  attn_bundle_free(bundle);

  Bundle gpuOnly = sampleBundle();
  gpuOnly.kernels[0].binaries.pop_back();
  bundle = load(gpuOnly);
  alignas(16) static uint16_t mem[4][2 * 4 * 8 * 64];
  float lseMem[2 * 4 * 8], scale = 1;
  Tensor tq(mem[0], kBF16, {2, 4, 8, 64}), tk(mem[1], kBF16, {2, 2, 8, 64}),
      tv(mem[2], kBF16, {2, 2, 8, 64}), to(mem[3], kBF16, {2, 4, 8, 64}),
      tl(lseMem, kF32, {2, 4, 8}), ts(&scale, kF32, {});
  const DLTensor *a[] = {tq.get(), tk.get(), tv.get(), to.get(), tl.get(), ts.get()};
  EXPECT_EQ(attn_kernel_launch(bundle, "attention", nullptr, a, 6, nullptr), ATTN_ERROR_NO_BINARY);
  EXPECT_STREQ(attn_last_error(), "kernel 'attention' has no binary for target 'host' (it has: "
                                  "sm_90a (cubin), sm_80 (ptx))");
  attn_bundle_free(bundle);
}

TEST(HostAlloc, Failures) {
  Bundle b = addBiasBundle();
  b.kernels[0].args[1].dims[0] = Dim::sym("M"); // no input defines M
  attn_bundle *bundle = load(b);
  Problem p;
  Tensor q = p.compactQ();
  const DLTensor *args[] = {q.get(), nullptr, p.scaleT.get(), p.shiftT.get()};
  DLManagedTensor *garbage = reinterpret_cast<DLManagedTensor *>(8);
  DLManagedTensor *outs[4] = {garbage, garbage, garbage, garbage};
  EXPECT_EQ(attn_alloc_outputs(bundle, "add_bias", args, 4, outs), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "output argument 1 ('o') dimension 0 has size 'M', which no "
                                  "input defines; allocate it yourself");
  for (DLManagedTensor *t : outs) EXPECT_EQ(t, nullptr);
  EXPECT_EQ(attn_alloc_outputs(bundle, "add_bias", args, 3, outs), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "kernel 'add_bias' takes 4 arguments, got 3");
  q.shape[3] = 5;
  EXPECT_EQ(attn_alloc_outputs(bundle, "add_bias", args, 4, outs), ATTN_ERROR_ARGUMENT_MISMATCH);
  EXPECT_STREQ(attn_last_error(), "argument 0 ('q') dimension 3 is 5, expected 4");
  EXPECT_EQ(attn_alloc_outputs(bundle, "add_bias", args, 4, nullptr), ATTN_ERROR_INVALID_ARGUMENT);
  attn_bundle_free(bundle);

  Bundle scalarsOnly = addBiasBundle();
  scalarsOnly.kernels[0].args.erase(scalarsOnly.kernels[0].args.begin());
  scalarsOnly.kernels[0].args[0].dims = {Dim::fixed(4)};
  bundle = load(scalarsOnly);
  const DLTensor *sargs[] = {nullptr, p.scaleT.get(), p.shiftT.get()};
  EXPECT_EQ(attn_alloc_outputs(bundle, "add_bias", sargs, 3, outs), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "kernel 'add_bias' has no tensor inputs to take the device and "
                                  "sizes from");
  attn_bundle_free(bundle);
}

TEST(HostAlloc, OutputsOutliveTheirBundle) {
  attn_bundle *bundle = load(addBiasBundle());
  Problem p;
  Tensor q = p.compactQ();
  DLManagedTensor *o = nullptr;
  ASSERT_EQ(allocAndLaunch(bundle, p, q, &o), ATTN_OK) << attn_last_error();
  attn_bundle_free(bundle);
  p.expectOutput(&o->dl_tensor);
  o->deleter(o); // the DLPack way, same as attn_tensor_free
}

TEST(HostCpp, WrapperRoundTrip) {
  std::vector<uint8_t> bytes = serialize(addBiasBundle());
  attn::Bundle b = attn::Bundle::loadMemory(bytes.data(), bytes.size());
  Problem p;
  p.scale = 3;
  Tensor q = p.compactQ();
  std::vector<const DLTensor *> args = {q.get(), nullptr, p.scaleT.get(), p.shiftT.get()};
  std::vector<attn::Tensor> outs = b.allocOutputs("add_bias", args);
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_FALSE(outs[0]);
  ASSERT_TRUE(outs[1]);
  args[1] = outs[1].get();
  EXPECT_EQ(b.select("add_bias", args), 0);
  b.launch("add_bias", args);
  p.expectOutput(outs[1].get());
  q.shape[0] = 7;
  try {
    b.launch("add_bias", args);
    FAIL() << "no exception";
  } catch (const attn::Error &e) {
    EXPECT_EQ(e.status(), ATTN_ERROR_ARGUMENT_MISMATCH);
    EXPECT_STREQ(e.what(), "ATTN_ERROR_ARGUMENT_MISMATCH: argument 1 ('o') dimension 0 ('B') "
                           "is 2, but argument 0 ('q') dimension 0 set B = 7");
  }
}
