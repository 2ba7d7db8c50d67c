// Helpers shared by the runtime tests: DLTensor views and sample bundles.
#ifndef ATTN_TEST_UTIL_H
#define ATTN_TEST_UTIL_H

#include "attn/bundle.h"
#include "attn/runtime.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace attn::test {

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A DLTensor that owns its shape and strides arrays (not its data).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides; // empty: DLPack NULL (compact row-major)
  DLTensor t{};

  Tensor(void *data, DLDataType dtype, std::vector<int64_t> shape_,
         DLDevice device = {kDLCPU, 0}, std::vector<int64_t> strides_ = {})
      : shape(std::move(shape_)), strides(std::move(strides_)) {
    t.data = data;
    t.device = device;
    t.ndim = static_cast<int>(shape.size());
    t.dtype = dtype;
    refresh();
  }
  Tensor(const Tensor &o) : shape(o.shape), strides(o.strides), t(o.t) { refresh(); }
  Tensor &operator=(const Tensor &o) {
    shape = o.shape;
    strides = o.strides;
    t = o.t;
    refresh();
    return *this;
  }
  // Call after changing `shape` or `strides`.
  void refresh() {
    t.ndim = static_cast<int>(shape.size());
    t.shape = shape.data();
    t.strides = strides.empty() ? nullptr : strides.data();
  }
  const DLTensor *get() const { return &t; }
};

constexpr DLDataType kF32{kDLFloat, 32, 1};
constexpr DLDataType kF16{kDLFloat, 16, 1};
constexpr DLDataType kBF16{kDLBfloat, 16, 1};
constexpr DLDataType kI64{kDLInt, 64, 1};

// An attention-like signature: q, k, v, o, lse and a scalar scale, with the
// sizes B, Hq, Hkv, Sq, Skv and a static head dimension of 64.
inline bundle::Kernel attentionKernel() {
  using namespace attn::bundle;
  Kernel k;
  k.name = "attention";
  auto dims = [](const char *h, const char *s) {
    return std::vector<Dim>{Dim::sym("B"), Dim::sym(h), Dim::sym(s), Dim::fixed(64)};
  };
  k.args = {
      Arg::tensor("q", Role::Input, DType::BF16, dims("Hq", "Sq"))
          .withInnermostContiguous().withAlignment(16),
      Arg::tensor("k", Role::Input, DType::BF16, dims("Hkv", "Skv"))
          .withInnermostContiguous().withAlignment(16),
      Arg::tensor("v", Role::Input, DType::BF16, dims("Hkv", "Skv"))
          .withInnermostContiguous().withAlignment(16),
      Arg::tensor("o", Role::Output, DType::BF16, dims("Hq", "Sq"))
          .withContiguous().withAlignment(16),
      Arg::tensor("lse", Role::Output, DType::F32, {Dim::sym("B"), Dim::sym("Hq"), Dim::sym("Sq")})
          .withContiguous().withAlignment(4),
      Arg::scalar("scale", DType::F32),
  };
  Binary sm90;
  sm90.target = "sm_90a";
  sm90.kind = BinaryKind::Cubin;
  sm90.conv = CallingConv::GpuExpandedMemref;
  sm90.entry = "attention_fwd";
  sm90.data = {0x7f, 'E', 'L', 'F', 1, 2, 3};
  LaunchConfig lc;
  lc.grid = {Expr::ceilDiv("Sq", 128), Expr::size("Hq"), Expr::size("B")};
  lc.block = {Expr::constant(128), Expr{}, Expr{}};
  lc.sharedMemBytes = Expr::constant(96 * 1024);
  sm90.launch = lc;
  Binary ptx = sm90;
  ptx.target = "sm_80";
  ptx.kind = BinaryKind::Ptx;
  ptx.conv = CallingConv::GpuBarePtr;
  ptx.data = {'.', 'v', 'e', 'r', 's', 'i', 'o', 'n'};
  Binary host;
  host.target = "host";
  host.kind = BinaryKind::HostSharedObject;
  host.conv = CallingConv::HostCIface;
  host.entry = "attention_host";
  host.data = {0x7f, 'E', 'L', 'F'}; // never loaded by the tests that use it
  k.binaries = {sm90, ptx, host};
  return k;
}

inline bundle::Bundle sampleBundle() {
  bundle::Bundle b;
  b.producer = "attn tests";
  b.specName = "sample_attention";
  b.kernels = {attentionKernel()};
  return b;
}

// The sample bundle whose sm_90a binary loads k and v by TMA: 128 x 64 tiles
// (64 head-dimension elements of bf16 are one 128-byte swizzle span).
inline bundle::Bundle tmaBundle() {
  using bundle::TensorMapSwizzle;
  bundle::Bundle b = sampleBundle();
  b.formatVersion = 3;
  b.kernels[0].binaries[0].tensorMaps = {{1, {64, 128, 1, 1}, TensorMapSwizzle::Bytes128},
                                         {2, {64, 128, 1, 1}, TensorMapSwizzle::Bytes128}};
  return b;
}

inline std::vector<uint8_t> serialize(const bundle::Bundle &b) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(bundle::write(b, bytes, error)) << error;
  return bytes;
}

// Loads `b` through the C API; fails the test on error.
inline attn_bundle *load(const bundle::Bundle &b) {
  std::vector<uint8_t> bytes = serialize(b);
  attn_bundle *out = nullptr;
  EXPECT_EQ(attn_bundle_load_memory(bytes.data(), bytes.size(), &out), ATTN_OK)
      << attn_last_error();
  return out;
}

} // namespace attn::test

#endif // ATTN_TEST_UTIL_H
