//===- launch_fuzzer.cpp - libFuzzer target: the launch validator ---------===//
//
// Builds well-formed DLTensor descriptors for one of a few kernel
// signatures, lets the input mutate them (device, ndim, dtype, extents,
// strides, offsets, data pointers, argument count, NULL entries, target
// preference), then asks attn_kernel_select (the full check of
// docs/runtime.md 3.3 without loading anything) and, for small accepted
// problems, attn_alloc_outputs. A status other than OK must come with a
// message; OK must mean the tensors really fit. Nothing is launched.
//
//===----------------------------------------------------------------------===//
#include "attn/bundle.h"
#include "attn/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace attn::bundle;

namespace {
[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "launch fuzzer: %s\n", what.c_str());
  std::abort();
}

/// Reads the input front to back; zeros once it runs out.
struct Input {
  const uint8_t *data;
  size_t size;
  size_t at = 0;
  bool empty() const { return at >= size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
  int64_t i64() {
    uint64_t value = 0;
    for (int b = 0; b < 8; ++b)
      value |= static_cast<uint64_t>(byte()) << (8 * b);
    return static_cast<int64_t>(value);
  }
  /// Mostly small values, sometimes extreme ones.
  int64_t extent() {
    uint8_t kind = byte();
    switch (kind % 8) {
    case 0:
      return i64();
    case 1:
      return -static_cast<int64_t>(byte());
    case 2:
      return int64_t(1) << (byte() % 63);
    default:
      return byte() % 40;
    }
  }
};

std::vector<Bundle> signatures() {
  auto dims4 = [](const char *h, const char *s, int64_t d) {
    return std::vector<Dim>{Dim::sym("B"), Dim::sym(h), Dim::sym(s), Dim::fixed(d)};
  };
  Binary host;
  host.target = "host";
  host.kind = BinaryKind::HostSharedObject;
  host.conv = CallingConv::HostCIface;
  host.entry = "never_loaded";
  host.data = {0x7f, 'E', 'L', 'F'};
  Binary gpu;
  gpu.target = "sm_90";
  gpu.kind = BinaryKind::Ptx;
  gpu.conv = CallingConv::GpuExpandedMemref;
  gpu.entry = "never_loaded";
  gpu.data = {'.', 'v', 'e', 'r'};
  LaunchConfig launch;
  launch.grid = {Expr::ceilDiv("Sq", 128), Expr::size("Hq"), Expr::size("B")};
  launch.block = {Expr::constant(128), Expr{}, Expr{}};
  launch.sharedMemBytes = Expr::constant(49152);
  gpu.launch = launch;

  std::vector<Bundle> bundles;
  {
    Kernel k; // attention with LSE, bf16, GQA-shaped
    k.name = "attention";
    k.args = {
        Arg::tensor("q", Role::Input, DType::BF16, dims4("Hq", "Sq", 64))
            .withInnermostContiguous().withAlignment(16),
        Arg::tensor("k", Role::Input, DType::BF16,
                    {Dim::sym("B"), Dim::fixed(2), Dim::sym("Skv"), Dim::fixed(64)})
            .withInnermostContiguous().withAlignment(16),
        Arg::tensor("v", Role::Input, DType::BF16,
                    {Dim::sym("B"), Dim::fixed(2), Dim::sym("Skv"), Dim::fixed(64)})
            .withInnermostContiguous().withAlignment(16),
        Arg::tensor("o", Role::Output, DType::BF16, dims4("Hq", "Sq", 64))
            .withContiguous().withAlignment(16),
        Arg::tensor("lse", Role::Output, DType::F32,
                    {Dim::sym("B"), Dim::sym("Hq"), Dim::sym("Sq")})
            .withContiguous().withAlignment(4)};
    k.binaries = {host, gpu};
    Bundle b;
    b.producer = "launch fuzzer";
    b.specName = "attention";
    b.kernels = {k};
    bundles.push_back(b);
  }
  {
    Kernel k; // data operands of every integer kind and a scalar
    k.name = "mixed";
    k.args = {Arg::tensor("ids", Role::Input, DType::I32, {Dim::sym("B"), Dim::sym("S")}),
              Arg::tensor("mask", Role::Input, DType::I1, {Dim::sym("S")}),
              Arg::tensor("bytes", Role::Input, DType::U8, {Dim::fixed(3), Dim::sym("S")})
                  .withContiguous(),
              Arg::tensor("wide", Role::Input, DType::I64, {Dim::sym("N")}).withAlignment(8),
              Arg::tensor("out", Role::Output, DType::F16, {Dim::sym("B"), Dim::sym("S")})
                  .withContiguous().withAlignment(2),
              Arg::scalar("scale", DType::F32)};
    k.binaries = {host};
    Bundle b;
    b.producer = "launch fuzzer";
    b.specName = "mixed";
    b.kernels = {k};
    bundles.push_back(b);
  }
  return bundles;
}

struct Loaded {
  std::vector<attn_bundle *> bundles;
  std::vector<Bundle> models;
  Loaded() : models(signatures()) {
    for (const Bundle &model : models) {
      std::vector<uint8_t> bytes;
      std::string error;
      if (!write(model, bytes, error))
        fail("fuzzer signature invalid: " + error);
      attn_bundle *b = nullptr;
      if (attn_bundle_load_memory(bytes.data(), bytes.size(), &b) != ATTN_OK)
        fail(std::string("cannot load fuzzer bundle: ") + attn_last_error());
      bundles.push_back(b);
    }
  }
};

DLDataType dlType(DType t) {
  switch (t) {
  case DType::F16: return {kDLFloat, 16, 1};
  case DType::BF16: return {kDLBfloat, 16, 1};
  case DType::F32: return {kDLFloat, 32, 1};
  case DType::F64: return {kDLFloat, 64, 1};
  case DType::I32: return {kDLInt, 32, 1};
  case DType::I64: return {kDLInt, 64, 1};
  case DType::I1:
  case DType::U8: return {kDLUInt, 8, 1};
  }
  return {kDLFloat, 32, 1};
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Loaded *loaded = new Loaded();
  // One arena for every tensor: select never reads the elements, but
  // pointers should be real and aligned unless the input says otherwise.
  alignas(256) static uint8_t arena[1 << 16];
  Input in{data, size};

  size_t which = in.byte() % loaded->bundles.size();
  const Kernel &kernel = loaded->models[which].kernels[0];
  int64_t sizes[] = {1 + in.byte() % 3, 1 + in.byte() % 5, 1 + in.byte() % 9,
                     1 + in.byte() % 7};
  auto symbolValue = [&](const std::string &symbol) -> int64_t {
    if (symbol == "B") return sizes[0];
    if (symbol == "Hq") return 2 * sizes[1];
    if (symbol == "Sq" || symbol == "S") return sizes[2];
    return sizes[3];
  };

  size_t n = kernel.args.size();
  std::vector<DLTensor> tensors(n);
  std::vector<std::vector<int64_t>> shapes(n), strides(n);
  std::vector<uint8_t> scalarStorage(16, 0);
  for (size_t i = 0; i < n; ++i) {
    const Arg &arg = kernel.args[i];
    DLTensor &t = tensors[i];
    t.device = {kDLCPU, 0};
    t.dtype = dlType(arg.dtype);
    for (const Dim &d : arg.dims)
      shapes[i].push_back(d.isStatic() ? d.extent : symbolValue(d.symbol));
    t.ndim = static_cast<int32_t>(shapes[i].size());
    t.shape = shapes[i].empty() ? nullptr : shapes[i].data();
    t.strides = nullptr;
    t.byte_offset = 0;
    t.data = arg.kind == ArgKind::Scalar ? static_cast<void *>(scalarStorage.data())
                                         : static_cast<void *>(arena);
  }

  std::vector<const DLTensor *> args;
  for (DLTensor &t : tensors) args.push_back(&t);
  const char *preferences[] = {"host", "cuda", nullptr, "", "sm_90", "gfx90a", "bogus"};
  const char *preference = "host";

  // Mutations until the input runs out.
  while (!in.empty()) {
    uint8_t op = in.byte();
    size_t i = in.byte() % n;
    DLTensor &t = tensors[i];
    switch (op % 14) {
    case 0: t.device.device_type = static_cast<DLDeviceType>(in.byte() % 16); break;
    case 1: t.device.device_id = static_cast<int32_t>(in.extent()); break;
    case 2: t.ndim = static_cast<int32_t>(in.byte() % 8) - 1; break;
    case 3: t.dtype = {in.byte(), in.byte(), static_cast<uint16_t>(in.byte() % 3)}; break;
    case 4: {
      size_t d = in.byte() % 4;
      if (d < shapes[i].size()) shapes[i][d] = in.extent();
      break;
    }
    case 5: {
      strides[i].assign(shapes[i].size(), 0);
      int64_t stride = 1;
      for (size_t d = shapes[i].size(); d-- > 0;) {
        strides[i][d] = stride;
        // Wrapping is fine here (the validator must cope with any stride);
        // signed overflow in the harness is not.
        stride = static_cast<int64_t>(static_cast<uint64_t>(stride) *
                                      static_cast<uint64_t>(shapes[i][d] > 0 ? shapes[i][d] : 1));
      }
      size_t d = in.byte() % 4;
      if (d < strides[i].size()) strides[i][d] = in.extent();
      t.strides = strides[i].empty() ? nullptr : strides[i].data();
      break;
    }
    case 6: t.byte_offset = static_cast<uint64_t>(in.extent()); break;
    case 7: t.data = nullptr; break;
    case 8: t.data = arena + in.byte() % 64; break;
    case 9: t.shape = nullptr; break;
    case 10: args[i] = nullptr; break;
    case 11: if (!args.empty()) args.pop_back(); break;
    case 12: args.push_back(&tensors[in.byte() % n]); break;
    case 13: preference = preferences[in.byte() % 7]; break;
    }
  }

  attn_bundle *bundle = loaded->bundles[which];
  int binary = -1;
  attn_status status = attn_kernel_select(bundle, kernel.name.c_str(), preference,
                                          args.data(), static_cast<int>(args.size()),
                                          &binary);
  if (status != ATTN_OK) {
    if (!attn_last_error() || !*attn_last_error())
      fail(std::string(attn_status_string(status)) + " without a message");
    return 0;
  }
  if (binary < 0 || binary >= static_cast<int>(kernel.binaries.size()))
    fail("select returned binary " + std::to_string(binary));
  // Accepted: every tensor argument's shape equals the signature's.
  if (args.size() != n) fail("select accepted a wrong argument count");
  for (size_t i = 0; i < n; ++i) {
    const DLTensor *t = args[i];
    if (!t) fail("select accepted a NULL argument");
    const Arg &arg = kernel.args[i];
    if (t->ndim != static_cast<int32_t>(arg.dims.size()))
      fail("select accepted a wrong rank for " + arg.name);
    for (size_t d = 0; d < arg.dims.size(); ++d) {
      if (t->shape[d] < 0) fail("select accepted a negative extent");
      if (arg.dims[d].isStatic() && t->shape[d] != arg.dims[d].extent)
        fail("select accepted a wrong static extent for " + arg.name);
    }
  }
  // Allocation sizes come from validated shapes; keep them small here.
  bool small = true;
  for (size_t i = 0; i < n; ++i) {
    int64_t count = 1;
    for (int d = 0; d < args[i]->ndim; ++d) {
      if (args[i]->shape[d] > (1 << 12)) small = false;
      else count *= args[i]->shape[d];
    }
    if (count > (1 << 16)) small = false;
  }
  if (small && args[0]->device.device_type == kDLCPU) {
    std::vector<DLManagedTensor *> outputs(n, nullptr);
    if (attn_alloc_outputs(bundle, kernel.name.c_str(), args.data(),
                           static_cast<int>(n), outputs.data()) == ATTN_OK)
      for (DLManagedTensor *o : outputs) attn_tensor_free(o);
  }
  return 0;
}
