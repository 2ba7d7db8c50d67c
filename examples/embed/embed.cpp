// A minimal application embedding attn: it links only the runtime
// (runtime.hpp), loads a bundle, makes inputs, runs the kernel on the host
// or (--cuda) a CUDA device, and prints a checksum of the output.
//
//   embed BUNDLE [--kernel NAME] [--batch B] [--seq S] [--cuda]
//
// Sizes the signature leaves symbolic: B from --batch, Sq and Skv from
// --seq. Kernels with data operands need real data and are refused here.
#include "attn/runtime.hpp"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
// The CUDA driver calls the example needs beyond the runtime (a current
// context, memory, copies), opened like the runtime opens them: no CUDA
// link-time dependency.
struct Cuda {
  int (*init)(unsigned);
  int (*deviceGet)(int *, int);
  int (*primaryCtxRetain)(void **, int);
  int (*ctxSetCurrent)(void *);
  int (*memAlloc)(unsigned long long *, size_t);
  int (*memcpyHtoD)(unsigned long long, const void *, size_t);
  int (*memcpyDtoH)(void *, unsigned long long, size_t);
  int (*ctxSynchronize)();
};

float valueAt(size_t index) { return std::sin(0.37f * float(index)); }

// f32 to bf16 or f16 bits (round to nearest even; normal range only, which
// the values above stay in).
uint16_t toHalf(float value, bool brain) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if (brain) return uint16_t((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
  int exponent = int((bits >> 23) & 0xFF) - 127 + 15;
  if (exponent <= 0) return uint16_t((bits >> 16) & 0x8000); // tiny: +-0
  uint32_t mantissa = bits & 0x7FFFFF, rest = mantissa & 0x1FFF;
  uint32_t half = ((bits >> 16) & 0x8000) | (uint32_t(exponent) << 10) | (mantissa >> 13);
  return uint16_t(half + (rest > 0x1000 || (rest == 0x1000 && (half & 1))));
}

float fromHalf(uint16_t bits, bool brain) {
  if (brain) { uint32_t wide = uint32_t(bits) << 16; float f; std::memcpy(&f, &wide, 4); return f; }
  int exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  float magnitude = exponent == 0    ? std::ldexp(float(mantissa), -24)
                    : exponent == 31 ? (mantissa ? NAN : INFINITY)
                                     : std::ldexp(float(mantissa | 0x400), exponent - 25);
  return bits & 0x8000 ? -magnitude : magnitude;
}
} // namespace

int main(int argc, char **argv) try {
  std::string path, kernelName;
  int64_t batch = 1, seq = 128;
  bool cuda = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--cuda") cuda = true;
    else if (arg == "--kernel" && hasValue) kernelName = argv[++i];
    else if (arg == "--batch" && hasValue) batch = std::atoll(argv[++i]);
    else if (arg == "--seq" && hasValue) seq = std::atoll(argv[++i]);
    else if (path.empty() && arg[0] != '-') path = arg;
    else { std::fprintf(stderr, "usage: embed BUNDLE [--kernel NAME] [--batch B] [--seq S] [--cuda]\n"); return 2; }
  }
  if (path.empty() || batch < 1 || seq < 1) { std::fprintf(stderr, "embed: need a bundle and sizes >= 1\n"); return 2; }

  attn::Bundle bundle = attn::Bundle::loadFile(path);
  int kernel = kernelName.empty() ? 0 : bundle.findKernel(kernelName);
  attn_kernel_info info = bundle.kernel(kernel);

  Cuda driver{};
  if (cuda) {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) { std::fprintf(stderr, "embed: --cuda: no CUDA driver (libcuda.so.1): %s\n", dlerror()); return 1; }
    driver.init = reinterpret_cast<decltype(driver.init)>(dlsym(lib, "cuInit"));
    driver.deviceGet = reinterpret_cast<decltype(driver.deviceGet)>(dlsym(lib, "cuDeviceGet"));
    driver.primaryCtxRetain = reinterpret_cast<decltype(driver.primaryCtxRetain)>(dlsym(lib, "cuDevicePrimaryCtxRetain"));
    driver.ctxSetCurrent = reinterpret_cast<decltype(driver.ctxSetCurrent)>(dlsym(lib, "cuCtxSetCurrent"));
    driver.memAlloc = reinterpret_cast<decltype(driver.memAlloc)>(dlsym(lib, "cuMemAlloc_v2"));
    driver.memcpyHtoD = reinterpret_cast<decltype(driver.memcpyHtoD)>(dlsym(lib, "cuMemcpyHtoD_v2"));
    driver.memcpyDtoH = reinterpret_cast<decltype(driver.memcpyDtoH)>(dlsym(lib, "cuMemcpyDtoH_v2"));
    driver.ctxSynchronize = reinterpret_cast<decltype(driver.ctxSynchronize)>(dlsym(lib, "cuCtxSynchronize"));
    // Device 0's primary context, made current: the runtime launches in it.
    int device = 0;
    void *context = nullptr;
    if (!driver.init || !driver.memAlloc || !driver.ctxSynchronize || driver.init(0) ||
        driver.deviceGet(&device, 0) || driver.primaryCtxRetain(&context, device) ||
        driver.ctxSetCurrent(context)) {
      std::fprintf(stderr, "embed: --cuda: no usable CUDA device\n"); return 1;
    }
  }

  // Inputs in the signature's order; outputs are allocated by the runtime.
  std::vector<std::vector<int64_t>> shapes(info.num_args);
  std::vector<std::vector<uint8_t>> host(info.num_args);
  std::vector<DLTensor> tensors(info.num_args);
  std::vector<const DLTensor *> args(info.num_args, nullptr);
  for (int a = 0; a < info.num_args; ++a) {
    attn_arg_info arg = bundle.arg(kernel, a);
    for (int d = 0; d < arg.rank; ++d) {
      std::string symbol = arg.dims[d].symbol ? arg.dims[d].symbol : "";
      shapes[a].push_back(symbol.empty() ? arg.dims[d].extent
                          : symbol == "B" ? batch
                          : (symbol == "Sq" || symbol == "Skv") ? seq : -1);
      if (shapes[a].back() < 0) { std::fprintf(stderr, "embed: cannot size '%s' of '%s'\n", symbol.c_str(), arg.name); return 1; }
    }
    if (arg.role == ATTN_OUTPUT) continue;
    bool isFloat = arg.dtype == ATTN_F32 || arg.dtype == ATTN_BF16 || arg.dtype == ATTN_F16;
    if (!isFloat || arg.kind != ATTN_TENSOR) { std::fprintf(stderr, "embed: argument '%s' is a data operand; this example makes only q, k, v\n", arg.name); return 1; }
    size_t count = 1;
    for (int64_t extent : shapes[a]) count *= size_t(extent);
    size_t width = arg.dtype == ATTN_F32 ? 4 : 2;
    host[a].resize(count * width);
    for (size_t i = 0; i < count; ++i) {
      float value = valueAt(i + size_t(a) * 7919);
      if (width == 4) std::memcpy(&host[a][i * 4], &value, 4);
      else { uint16_t half = toHalf(value, arg.dtype == ATTN_BF16); std::memcpy(&host[a][i * 2], &half, 2); }
    }
    DLTensor &t = tensors[a];
    t.data = host[a].data();
    t.device = {kDLCPU, 0};
    t.ndim = arg.rank;
    t.dtype = width == 4 ? DLDataType{kDLFloat, 32, 1} : DLDataType{arg.dtype == ATTN_BF16 ? uint8_t(kDLBfloat) : uint8_t(kDLFloat), 16, 1};
    t.shape = shapes[a].data();
    if (cuda) {
      unsigned long long device = 0;
      if (driver.memAlloc(&device, host[a].size()) || driver.memcpyHtoD(device, host[a].data(), host[a].size())) {
        std::fprintf(stderr, "embed: --cuda: cannot allocate or copy '%s'\n", arg.name); return 1;
      }
      t.data = reinterpret_cast<void *>(device);
      t.device = {kDLCUDA, 0};
    }
    args[a] = &t;
  }

  std::vector<attn::Tensor> outputs = bundle.allocOutputs(info.name, args);
  for (int a = 0; a < info.num_args; ++a)
    if (outputs[a]) args[a] = outputs[a].get();
  bundle.launch(info.name, args, cuda ? "cuda" : "host");
  if (cuda && driver.ctxSynchronize()) { std::fprintf(stderr, "embed: the kernel failed on the device\n"); return 1; }

  // Checksum of the first output (o): sum and sum of squares, NaN count.
  const DLTensor *o = nullptr;
  for (int a = 0; !o && a < info.num_args; ++a) if (outputs[a]) o = outputs[a].get();
  size_t count = 1;
  for (int d = 0; d < o->ndim; ++d) count *= size_t(o->shape[d]);
  size_t width = o->dtype.bits / 8;
  std::vector<uint8_t> bytes(count * width);
  if (cuda) driver.memcpyDtoH(bytes.data(), reinterpret_cast<unsigned long long>(o->data), bytes.size());
  else std::memcpy(bytes.data(), o->data, bytes.size());
  double sum = 0, squares = 0;
  size_t nans = 0;
  for (size_t i = 0; i < count; ++i) {
    float value;
    if (width == 4) std::memcpy(&value, &bytes[i * 4], 4);
    else { uint16_t half; std::memcpy(&half, &bytes[i * 2], 2); value = fromHalf(half, o->dtype.code == kDLBfloat); }
    if (std::isnan(value)) { ++nans; continue; }
    sum += value;
    squares += double(value) * value;
  }
  std::printf("kernel %s on %s: %zu outputs, sum=%.6g sum_sq=%.6g nan=%zu\n", info.name,
              cuda ? "cuda" : "host", count, sum, squares, nans);
  return nans ? 1 : 0;
} catch (const attn::Error &e) {
  std::fprintf(stderr, "embed: %s\n", e.what());
  return 1;
}
