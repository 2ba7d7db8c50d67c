// The C API: bundle loading and queries, target selection, launches and
// output allocation. Every entry point catches everything, so no C++
// exception crosses into C callers.
#include "attn/runtime.h"

#include "arguments.h"
#include "attn/bundle.h"
#include "cuda_driver.h"
#include "hip_runtime.h"
#include "host_loader.h"
#include "tensor_map.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>

using attn::bundle::Binary;
using attn::bundle::BinaryKind;
using attn::bundle::TargetFamily;
using attn::rt::BoundArgs;
using attn::rt::PackedArgs;
using attn::rt::Signature;
using attn::rt::Status;
using attn::rt::TensorMapEncoding;
namespace cuda = attn::rt::cuda;
namespace hip = attn::rt::hip;

static_assert(ATTN_BUNDLE_FORMAT_VERSION == attn::bundle::kFormatVersion,
              "the C and C++ format versions must agree");
// Both sides number their enums from 0 without gaps, so equal last values
// mean equal values throughout.
static_assert(static_cast<int>(attn::bundle::DType::U8) == ATTN_U8 &&
                  static_cast<int>(attn::bundle::Role::Output) == ATTN_OUTPUT &&
                  static_cast<int>(attn::bundle::ArgKind::Scalar) == ATTN_SCALAR &&
                  static_cast<int>(attn::bundle::BinaryKind::Hsaco) == ATTN_HSACO &&
                  static_cast<int>(attn::bundle::CallingConv::GpuBarePtr) ==
                      ATTN_GPU_BARE_PTR,
              "C enums mirror the bundle enums");

struct attn_bundle {
  struct CudaFunction {
    cuda::CUmodule module = nullptr;
    cuda::CUfunction function = nullptr;
    // Dynamic shared memory this function may use, as last set with
    // cuFuncSetAttribute. The driver's default (48 KiB less the kernel's
    // static shared memory) is not known here, so any use sets it once.
    unsigned sharedOptIn = 0;
  };
  struct HipFunction {
    const hip::Runtime *runtime = nullptr;
    int device = 0;
    hip::hipModule_t module = nullptr;
    hip::hipFunction_t function = nullptr;
  };
  struct KernelView {
    std::vector<std::vector<attn_dim>> dims; // per argument
    std::vector<std::string> launch;         // per binary; empty for host
  };

  explicit attn_bundle(attn::bundle::Bundle b);
  ~attn_bundle();

  const attn::bundle::Bundle model;
  std::vector<Signature> signatures; // per kernel
  std::vector<KernelView> views;     // per kernel, for the query functions

  std::mutex mutex; // guards the caches below
  std::map<const Binary *, attn::rt::HostModule> hostModules;
  std::map<std::pair<const Binary *, cuda::CUcontext>, CudaFunction> cudaFunctions;
  std::map<std::pair<const Binary *, int>, HipFunction> hipFunctions; // per device
};

namespace {

thread_local std::string tLastError;

attn_status finish(const Status &st) {
  if (!st.ok()) tLastError = st.message;
  return st.code;
}

// Runs `body` (returning Status) so that no exception escapes to C.
template <typename F> attn_status guarded(F &&body) {
  try {
    return finish(body());
  } catch (const std::bad_alloc &) {
    return finish(Status::error(ATTN_ERROR_OUT_OF_MEMORY, "out of host memory"));
  } catch (const std::exception &e) {
    return finish(Status::error(ATTN_ERROR_INTERNAL, std::string("internal error: ") + e.what()));
  }
}

Status invalid(std::string message) {
  return Status::error(ATTN_ERROR_INVALID_ARGUMENT, std::move(message));
}

std::string launchString(const attn::bundle::LaunchConfig &l) {
  return "grid=" + attn::bundle::str(l.grid) + " block=" + attn::bundle::str(l.block) +
         " shared_mem_bytes=" + l.sharedMemBytes.str();
}

Status findKernel(const attn_bundle *b, const char *name, int *index) {
  if (!b) return invalid("bundle is NULL");
  if (!name) return invalid("kernel name is NULL");
  for (size_t i = 0; i < b->model.kernels.size(); ++i)
    if (b->model.kernels[i].name == name) {
      *index = static_cast<int>(i);
      return Status::success();
    }
  std::string names;
  for (const auto &k : b->model.kernels) names += (names.empty() ? "" : ", ") + k.name;
  return Status::error(ATTN_ERROR_NOT_FOUND,
                       "no kernel '" + std::string(name) + "' in bundle (it has: " + names + ")");
}

Status checkIndex(const attn_bundle *b, int kernel, const void *out) {
  if (!b) return invalid("bundle is NULL");
  if (!out) return invalid("output pointer is NULL");
  if (kernel < 0 || kernel >= static_cast<int>(b->model.kernels.size()))
    return invalid("kernel index " + std::to_string(kernel) + " is out of range (bundle has " +
                   std::to_string(b->model.kernels.size()) + " kernels)");
  return Status::success();
}

std::string available(const attn::bundle::Kernel &k) {
  std::string s;
  for (const Binary &b : k.binaries)
    s += (s.empty() ? "" : ", ") + b.target + " (" + attn::bundle::name(b.kind) + ")";
  return s;
}

// --- target choice -----------------------------------------------------------

struct TargetChoice {
  TargetFamily family = TargetFamily::Host;
  std::string exact; // a specific target name, or empty
};

Status chooseTarget(const Signature &sig, const char *preference, const DLTensor *const *args,
                    int nargs, TargetChoice *out) {
  std::string pref = preference ? preference : "";
  if (pref == "host" || pref == "cuda" || pref == "rocm") {
    out->family = pref == "host" ? TargetFamily::Host
                  : pref == "cuda" ? TargetFamily::Cuda
                                   : TargetFamily::Amd;
    return Status::success();
  }
  if (!pref.empty()) {
    auto family = attn::bundle::targetFamily(pref);
    if (!family)
      return invalid("unknown target preference '" + pref +
                     "' (expected NULL, \"host\", \"cuda\", \"rocm\" or a target name "
                     "such as \"sm_90\")");
    out->family = *family;
    out->exact = pref;
    return Status::success();
  }
  const auto &params = sig.kernel->args;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].kind != attn::bundle::ArgKind::Tensor) continue;
    // A wrong count or NULL tensor is reported by the argument checks.
    if (!args || static_cast<int>(i) >= nargs || !args[i]) return Status::success();
    switch (args[i]->device.device_type) {
    case kDLCPU: out->family = TargetFamily::Host; return Status::success();
    case kDLCUDA: out->family = TargetFamily::Cuda; return Status::success();
    case kDLROCM: out->family = TargetFamily::Amd; return Status::success();
    default:
      return Status::error(ATTN_ERROR_ARGUMENT_MISMATCH,
                           "argument " + std::to_string(i) + " ('" + params[i].name +
                               "') is on device type " +
                               std::to_string(args[i]->device.device_type) +
                               ", which no target runs on (kDLCPU: host, kDLCUDA: cuda, "
                               "kDLROCM: rocm)");
    }
  }
  return invalid("kernel '" + sig.kernel->name +
                 "' has no tensor arguments to infer the target from; pass a target "
                 "preference");
}

// --- binary choice -------------------------------------------------------------

Status selectCuda(const attn::bundle::Kernel &k, const TargetChoice &choice, int ordinal,
                  const cuda::Device &dev, const Binary **out) {
  auto device = [&] {
    return "CUDA device " + std::to_string(ordinal) + " (compute capability " +
           std::to_string(dev.major) + "." + std::to_string(dev.minor) + ")";
  };
  if (choice.exact.empty()) {
    int i = attn::bundle::selectCudaBinary(k, dev.major, dev.minor);
    if (i < 0)
      return Status::error(ATTN_ERROR_NO_BINARY, "kernel '" + k.name +
                                                     "' has no binary that runs on " + device() +
                                                     " (it has: " + available(k) + ")");
    *out = &k.binaries[i];
    return Status::success();
  }
  const Binary *found = nullptr;
  for (const Binary &b : k.binaries)
    if (b.target == choice.exact && (!found || b.kind == BinaryKind::Cubin)) found = &b;
  if (!found)
    return Status::error(ATTN_ERROR_NO_BINARY, "kernel '" + k.name + "' has no binary for target '" +
                                                   choice.exact + "' (it has: " + available(k) +
                                                   ")");
  if (!attn::bundle::cudaBinaryRuns(*found, dev.major, dev.minor))
    return Status::error(ATTN_ERROR_NO_BINARY, "the " + std::string(attn::bundle::name(found->kind)) +
                                                   " for '" + found->target + "' of kernel '" +
                                                   k.name + "' cannot run on " + device());
  *out = found;
  return Status::success();
}

// An HSACO runs on exactly the architecture it was built for.
Status selectAmd(const attn::bundle::Kernel &k, const TargetChoice &choice,
                 const hip::Device &dev, const Binary **out) {
  std::string device =
      "ROCm device " + std::to_string(dev.ordinal) + " (" + dev.arch + ")";
  if (choice.exact.empty()) {
    for (const Binary &b : k.binaries)
      if (b.kind == BinaryKind::Hsaco && b.target == dev.arch) {
        *out = &b;
        return Status::success();
      }
    return Status::error(ATTN_ERROR_NO_BINARY, "kernel '" + k.name +
                                                   "' has no binary that runs on " + device +
                                                   " (it has: " + available(k) + ")");
  }
  for (const Binary &b : k.binaries)
    if (b.target == choice.exact && b.kind == BinaryKind::Hsaco) {
      if (b.target != dev.arch)
        return Status::error(ATTN_ERROR_NO_BINARY, "the hsaco for '" + b.target +
                                                       "' of kernel '" + k.name +
                                                       "' cannot run on " + device);
      *out = &b;
      return Status::success();
    }
  return Status::error(ATTN_ERROR_NO_BINARY, "kernel '" + k.name + "' has no binary for target '" +
                                                 choice.exact + "' (it has: " + available(k) +
                                                 ")");
}

// What a launch runs: the checked arguments and the chosen binary (for CUDA,
// in the context of the ContextScope that select() entered; for ROCm, with
// the tensors' device current).
struct Selection {
  const Signature *sig = nullptr;
  const Binary *binary = nullptr;
  BoundArgs bound;
  const cuda::Driver *driver = nullptr; // CUDA only
  const hip::Runtime *hip = nullptr;    // ROCm only
  hip::DeviceScope hipDevice;           // ROCm only
  // CUDA only: per tensor map of the binary, what to encode; none for a
  // tensor without elements (TMA takes no extent of 0).
  std::vector<std::optional<TensorMapEncoding>> tensorMaps;
};

// The encodings of the tensor maps of `sel`'s binary over the checked
// tensors, so that a tensor TMA cannot load is an argument mismatch found by
// attn_kernel_select as well as by a launch.
Status prepareTensorMaps(const DLTensor *const *args, Selection *sel) {
  const Binary &bin = *sel->binary;
  const auto &k = *sel->sig->kernel;
  sel->tensorMaps.assign(bin.tensorMaps.size(), std::nullopt);
  for (size_t i = 0; i < bin.tensorMaps.size(); ++i) {
    const DLTensor &t = *args[bin.tensorMaps[i].arg];
    if (std::find(t.shape, t.shape + t.ndim, 0) != t.shape + t.ndim) continue;
    TensorMapEncoding e;
    Status st = attn::rt::tensorMapEncoding(k, bin, i, t, &e);
    if (!st.ok()) return st;
    sel->tensorMaps[i] = e;
  }
  return Status::success();
}

Status select(attn_bundle *b, const char *kernel, const char *preference,
              const DLTensor *const *args, int nargs, cuda::ContextScope &scope,
              Selection *out) {
  int ki;
  Status st = findKernel(b, kernel, &ki);
  if (!st.ok()) return st;
  out->sig = &b->signatures[ki];
  const Signature &sig = *out->sig;
  const auto &k = *sig.kernel;
  TargetChoice choice;
  if (!(st = chooseTarget(sig, preference, args, nargs, &choice)).ok()) return st;
  if (choice.family == TargetFamily::Amd) {
    std::string what = choice.exact.empty() ? "a ROCm target" : "target '" + choice.exact + "'";
    st = attn::rt::bindArguments(sig, args, nargs, kDLROCM, what, false, &out->bound);
    if (!st.ok()) return st;
    if (!(st = hip::runtime(&out->hip)).ok()) return st;
    hip::Device dev;
    if (!(st = hip::device(*out->hip, out->bound.device.device_id, &dev)).ok()) return st;
    if (!(st = selectAmd(k, choice, dev, &out->binary)).ok()) return st;
    return out->hipDevice.enter(*out->hip, dev.ordinal);
  }
  if (choice.family == TargetFamily::Host) {
    st = attn::rt::bindArguments(sig, args, nargs, kDLCPU, "target 'host'", false, &out->bound);
    if (!st.ok()) return st;
    for (const Binary &bin : k.binaries)
      if (bin.target == "host") {
        out->binary = &bin;
        return Status::success();
      }
    return Status::error(ATTN_ERROR_NO_BINARY, "kernel '" + k.name +
                                                   "' has no binary for target 'host' (it has: " +
                                                   available(k) + ")");
  }
  std::string what = choice.exact.empty() ? "a CUDA target" : "target '" + choice.exact + "'";
  st = attn::rt::bindArguments(sig, args, nargs, kDLCUDA, what, false, &out->bound);
  if (!st.ok()) return st;
  if (!(st = cuda::driver(&out->driver)).ok()) return st;
  int ordinal = out->bound.device.device_id;
  if (!(st = scope.enter(*out->driver, ordinal)).ok()) return st;
  if (!(st = selectCuda(k, choice, ordinal, scope.device(), &out->binary)).ok()) return st;
  return prepareTensorMaps(args, out);
}

// --- launches ------------------------------------------------------------------

Status launchHost(attn_bundle *b, const Selection &sel, const DLTensor *const *args,
                  void *stream) {
  if (stream) return invalid("the host target takes no stream; pass NULL");
  const Binary &bin = *sel.binary;
  attn::rt::HostEntry entry;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    auto cached = b->hostModules.find(&bin);
    if (cached == b->hostModules.end()) {
      attn::rt::HostModule m;
      Status st = attn::rt::loadHostModule(
          bin.data, bin.entry, "host binary of kernel '" + sel.sig->kernel->name + "'", &m);
      if (!st.ok()) return st;
      cached = b->hostModules.emplace(&bin, m).first;
    }
    entry = cached->second.entry;
  }
  PackedArgs packed;
  attn::rt::packArguments(*sel.sig, bin.conv, args, &packed);
  entry(packed.pointers.data());
  return Status::success();
}

Status loadCudaFunction(const cuda::Driver &d, const attn::bundle::Kernel &k, const Binary &bin,
                        attn_bundle::CudaFunction *out) {
  std::string what = "kernel '" + k.name + "' target '" + bin.target + "' (" +
                     attn::bundle::name(bin.kind) + ")";
  std::vector<uint8_t> image = bin.data;
  if (bin.kind == BinaryKind::Ptx) image.push_back(0); // the driver reads PTX as a C string
  char log[8192] = {0};
  int options[] = {cuda::kJitErrorLogBuffer, cuda::kJitErrorLogBufferSizeBytes};
  void *values[] = {log, reinterpret_cast<void *>(static_cast<uintptr_t>(sizeof log))};
  cuda::CUresult r = d.cuModuleLoadDataEx(&out->module, image.data(), 2, options, values);
  if (r != cuda::kSuccess)
    return Status::error(ATTN_ERROR_CUDA, "cuModuleLoadDataEx failed for " + what + ": " +
                                              d.describe(r) + (log[0] ? std::string(": ") + log : ""));
  r = d.cuModuleGetFunction(&out->function, out->module, bin.entry.c_str());
  if (r != cuda::kSuccess) {
    d.cuModuleUnload(out->module);
    return Status::error(ATTN_ERROR_CUDA, "cuModuleGetFunction('" + bin.entry + "') failed for " +
                                              what + ": " + d.describe(r));
  }
  return Status::success();
}

// The launch's grid and block (dims: grid x, y, z, block x, y, z) and dynamic
// shared memory, evaluated over the bound sizes and checked against what the
// launch calls take.
Status launchDimensions(const Selection &sel, int64_t dims[6], int64_t *shared) {
  const Signature &sig = *sel.sig;
  const auto &lc = *sel.binary->launch;
  Status st;
  static const char *const kNames[] = {"grid.x", "grid.y", "grid.z",
                                       "block.x", "block.y", "block.z"};
  for (int i = 0; i < 6; ++i) {
    const auto &e = i < 3 ? lc.grid[i] : lc.block[i - 3];
    if (!(st = attn::rt::evaluate(e, sig, sel.bound.sizes, kNames[i], &dims[i])).ok()) return st;
    constexpr int64_t kMax = std::numeric_limits<unsigned>::max();
    // A zero grid extent is an empty problem (skipped); a zero block is a bug.
    if (dims[i] > kMax || (i >= 3 && dims[i] == 0))
      return Status::error(ATTN_ERROR_LAUNCH_CONFIG,
                           std::string(kNames[i]) + " = " + e.str() + " evaluates to " +
                               std::to_string(dims[i]) + ", outside [" + (i < 3 ? "0" : "1") +
                               ", " + std::to_string(kMax) + "]");
  }
  if (!(st = attn::rt::evaluate(lc.sharedMemBytes, sig, sel.bound.sizes, "shared_mem_bytes",
                                shared))
           .ok())
    return st;
  if (*shared > std::numeric_limits<int>::max()) // cuFuncSetAttribute takes an int
    return Status::error(ATTN_ERROR_LAUNCH_CONFIG,
                         "shared_mem_bytes = " + lc.sharedMemBytes.str() + " evaluates to " +
                             std::to_string(*shared) + ", above " +
                             std::to_string(std::numeric_limits<int>::max()));
  return Status::success();
}

// "[128, 517, 3, 2]": the first n values.
template <typename T, size_t N> std::string bracketed(const std::array<T, N> &values, uint32_t n) {
  std::string s = "[";
  for (uint32_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

// Encodes tensor map `index` of the launch's binary into `out`.
Status encodeTensorMap(const Selection &sel, size_t index, cuda::CUtensorMap *out) {
  const cuda::Driver &d = *sel.driver;
  const auto &k = *sel.sig->kernel;
  const Binary &bin = *sel.binary;
  const TensorMapEncoding &e = *sel.tensorMaps[index];
  cuda::CUresult r = d.cuTensorMapEncodeTiled(
      out, e.dtype, e.rank, e.address, e.globalDim.data(), e.globalStrides.data(), e.box.data(),
      e.elementStrides.data(), e.interleave, e.swizzle, e.l2Promotion, e.oobFill);
  if (r == cuda::kSuccess) return Status::success();
  const attn::bundle::TensorMap &map = bin.tensorMaps[index];
  return Status::error(
      ATTN_ERROR_CUDA,
      "cuTensorMapEncodeTiled failed for kernel '" + k.name + "' target '" + bin.target +
          "', argument " + std::to_string(map.arg) + " ('" + k.args[map.arg].name +
          "') (tensor map " + std::to_string(index) + ": dims " +
          bracketed(e.globalDim, e.rank) + ", strides " + bracketed(e.globalStrides, e.rank - 1) +
          " bytes, box " + bracketed(e.box, e.rank) +
          ", swizzle " + attn::bundle::name(map.swizzle) + "): " + d.describe(r));
}

Status launchCuda(attn_bundle *b, const Selection &sel, const cuda::ContextScope &scope,
                  const DLTensor *const *args, void *stream) {
  const Signature &sig = *sel.sig;
  const auto &k = *sig.kernel;
  const Binary &bin = *sel.binary;
  const cuda::Driver &d = *sel.driver;
  int64_t dims[6], shared = 0; // grid x, y, z, then block x, y, z
  Status st = launchDimensions(sel, dims, &shared);
  if (!st.ok()) return st;

  cuda::CUfunction fn;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    auto key = std::make_pair(&bin, scope.context());
    auto it = b->cudaFunctions.find(key);
    if (it == b->cudaFunctions.end()) {
      attn_bundle::CudaFunction f;
      if (!(st = loadCudaFunction(d, k, bin, &f)).ok()) return st;
      it = b->cudaFunctions.emplace(key, f).first;
    }
    if (static_cast<unsigned>(shared) > it->second.sharedOptIn) {
      cuda::CUresult r = d.cuFuncSetAttribute(it->second.function,
                                              cuda::kFuncAttrMaxDynamicSharedBytes,
                                              static_cast<int>(shared));
      if (r != cuda::kSuccess)
        return Status::error(ATTN_ERROR_CUDA,
                             "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = " +
                                 std::to_string(shared) + ") failed for kernel '" + k.name +
                                 "' target '" + bin.target + "': " + d.describe(r));
      it->second.sharedOptIn = static_cast<unsigned>(shared);
    }
    fn = it->second.function;
  }
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) return Status::success();
  PackedArgs packed;
  attn::rt::packArguments(sig, bin.conv, args, &packed);
  // One 128-byte parameter per tensor map after the arguments', in the
  // binary's order; cuLaunchKernel copies them. A tensor without elements
  // gets zeros: the kernel loads nothing of it.
  if (!bin.tensorMaps.empty() && !d.cuTensorMapEncodeTiled)
    return Status::error(ATTN_ERROR_CUDA,
                         "the CUDA driver has no cuTensorMapEncodeTiled (kernel '" + k.name +
                             "' target '" + bin.target +
                             "' loads by TMA; it needs a CUDA 12 driver)");
  std::vector<cuda::CUtensorMap> maps(bin.tensorMaps.size());
  for (size_t i = 0; i < maps.size(); ++i) {
    if (sel.tensorMaps[i] && !(st = encodeTensorMap(sel, i, &maps[i])).ok()) return st;
    packed.pointers.push_back(&maps[i]);
  }
  auto u = [](int64_t v) { return static_cast<unsigned>(v); };
  cuda::CUresult r =
      d.cuLaunchKernel(fn, u(dims[0]), u(dims[1]), u(dims[2]), u(dims[3]), u(dims[4]),
                       u(dims[5]), u(shared), static_cast<cuda::CUstream>(stream),
                       packed.pointers.empty() ? nullptr : packed.pointers.data(), nullptr);
  if (r != cuda::kSuccess)
    return Status::error(
        ATTN_ERROR_CUDA,
        "cuLaunchKernel failed for kernel '" + k.name + "' target '" + bin.target +
            "' with grid (" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " +
            std::to_string(dims[2]) + "), block (" + std::to_string(dims[3]) + ", " +
            std::to_string(dims[4]) + ", " + std::to_string(dims[5]) + "), " +
            std::to_string(shared) + " bytes of shared memory: " + d.describe(r));
  return Status::success();
}

Status launchHip(attn_bundle *b, const Selection &sel, const DLTensor *const *args,
                 void *stream) {
  const Signature &sig = *sel.sig;
  const auto &k = *sig.kernel;
  const Binary &bin = *sel.binary;
  const hip::Runtime &r = *sel.hip;
  int64_t dims[6], shared = 0;
  Status st = launchDimensions(sel, dims, &shared);
  if (!st.ok()) return st;
  std::string what = "kernel '" + k.name + "' target '" + bin.target + "'";
  hip::hipFunction_t fn;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    int device = sel.bound.device.device_id;
    auto key = std::make_pair(&bin, device);
    auto it = b->hipFunctions.find(key);
    if (it == b->hipFunctions.end()) {
      attn_bundle::HipFunction f;
      f.runtime = &r;
      f.device = device;
      hip::hipError_t e = r.hipModuleLoadData(&f.module, bin.data.data());
      if (e != hip::kSuccess)
        return Status::error(ATTN_ERROR_HIP,
                             "hipModuleLoadData failed for " + what + ": " + r.describe(e));
      e = r.hipModuleGetFunction(&f.function, f.module, bin.entry.c_str());
      if (e != hip::kSuccess) {
        r.hipModuleUnload(f.module);
        return Status::error(ATTN_ERROR_HIP, "hipModuleGetFunction('" + bin.entry +
                                                 "') failed for " + what + ": " +
                                                 r.describe(e));
      }
      it = b->hipFunctions.emplace(key, f).first;
    }
    fn = it->second.function;
  }
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) return Status::success();
  PackedArgs packed;
  attn::rt::packArguments(sig, bin.conv, args, &packed);
  auto u = [](int64_t v) { return static_cast<unsigned>(v); };
  hip::hipError_t e = r.hipModuleLaunchKernel(
      fn, u(dims[0]), u(dims[1]), u(dims[2]), u(dims[3]), u(dims[4]), u(dims[5]), u(shared),
      static_cast<hip::hipStream_t>(stream),
      packed.pointers.empty() ? nullptr : packed.pointers.data(), nullptr);
  if (e != hip::kSuccess)
    return Status::error(
        ATTN_ERROR_HIP,
        "hipModuleLaunchKernel failed for " + what + " with grid (" + std::to_string(dims[0]) +
            ", " + std::to_string(dims[1]) + ", " + std::to_string(dims[2]) + "), block (" +
            std::to_string(dims[3]) + ", " + std::to_string(dims[4]) + ", " +
            std::to_string(dims[5]) + "), " + std::to_string(shared) +
            " bytes of shared memory: " + r.describe(e));
  return Status::success();
}

Status makeBundle(attn::bundle::ReadStatus rs, std::string error, attn::bundle::Bundle model,
                  attn_bundle **out) {
  using attn::bundle::ReadStatus;
  switch (rs) {
  case ReadStatus::Ok: break;
  case ReadStatus::IoError: return Status::error(ATTN_ERROR_IO, std::move(error));
  case ReadStatus::Invalid: return Status::error(ATTN_ERROR_INVALID_BUNDLE, std::move(error));
  case ReadStatus::UnsupportedVersion:
    return Status::error(ATTN_ERROR_UNSUPPORTED_VERSION, std::move(error));
  }
  *out = new attn_bundle(std::move(model));
  return Status::success();
}

// --- output allocation -------------------------------------------------------

struct OwnedTensor {
  DLManagedTensor managed{};
  std::vector<int64_t> shape;
  const cuda::Driver *driver = nullptr; // set for CUDA memory
  cuda::CUcontext context = nullptr;
  const hip::Runtime *hip = nullptr; // set for ROCm memory
};

void deleteOwned(DLManagedTensor *m) {
  auto *o = static_cast<OwnedTensor *>(m->manager_ctx);
  if (void *data = o->managed.dl_tensor.data) {
    if (o->driver) {
      cuda::PushedContext pushed(*o->driver, o->context);
      o->driver->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(data));
    } else if (o->hip) {
      hip::DeviceScope scope;
      if (scope.enter(*o->hip, o->managed.dl_tensor.device.device_id).ok()) o->hip->hipFree(data);
    } else {
      std::free(data);
    }
  }
  delete o;
}

DLDataType toDL(attn::bundle::DType t) {
  using attn::bundle::DType;
  uint8_t bits = static_cast<uint8_t>(8 * attn::bundle::byteSize(t));
  switch (t) {
  case DType::F16: case DType::F32: case DType::F64: return {kDLFloat, bits, 1};
  case DType::BF16: return {kDLBfloat, bits, 1};
  case DType::I32: case DType::I64: return {kDLInt, bits, 1};
  case DType::I1: case DType::U8: return {kDLUInt, bits, 1};
  }
  return {kDLUInt, bits, 1};
}

Status allocOutputs(attn_bundle *b, const char *kernel, const DLTensor *const *args, int nargs,
                    DLManagedTensor **outputs, std::vector<DLManagedTensor *> &made) {
  int ki;
  Status st = findKernel(b, kernel, &ki);
  if (!st.ok()) return st;
  if (!outputs) return invalid("outputs array is NULL");
  const Signature &sig = b->signatures[ki];
  const auto &params = sig.kernel->args;
  if (nargs != static_cast<int>(params.size()))
    return invalid("kernel '" + sig.kernel->name + "' takes " + std::to_string(params.size()) +
                   " arguments, got " + std::to_string(nargs));
  // The first tensor input decides the device; the checks then hold every
  // other input to it.
  DLDeviceType type = kDLCPU;
  bool found = false;
  for (int i = 0; i < nargs && !found; ++i)
    if (params[i].kind == attn::bundle::ArgKind::Tensor &&
        params[i].role == attn::bundle::Role::Input && args && args[i]) {
      type = static_cast<DLDeviceType>(args[i]->device.device_type);
      found = true;
    }
  if (!found)
    return invalid("kernel '" + sig.kernel->name +
                   "' has no tensor inputs to take the device and sizes from");
  if (type != kDLCPU && type != kDLCUDA && type != kDLROCM)
    return Status::error(ATTN_ERROR_UNSUPPORTED,
                         "cannot allocate outputs on device type " + std::to_string(type) +
                             " (only kDLCPU, kDLCUDA and kDLROCM)");
  BoundArgs bound;
  st = attn::rt::bindArguments(sig, args, nargs, type, "output allocation", true, &bound);
  if (!st.ok()) return st;

  const cuda::Driver *d = nullptr;
  cuda::ContextScope scope;
  if (type == kDLCUDA) {
    if (!(st = cuda::driver(&d)).ok()) return st;
    if (!(st = scope.enter(*d, bound.device.device_id)).ok()) return st;
  }
  const hip::Runtime *h = nullptr;
  hip::DeviceScope hipScope;
  if (type == kDLROCM) {
    if (!(st = hip::runtime(&h)).ok()) return st;
    hip::Device dev;
    if (!(st = hip::device(*h, bound.device.device_id, &dev)).ok()) return st;
    if (!(st = hipScope.enter(*h, dev.ordinal)).ok()) return st;
  }
  for (int i = 0; i < nargs; ++i) {
    const auto &a = params[i];
    if (a.role != attn::bundle::Role::Output) continue;
    auto owned = std::make_unique<OwnedTensor>();
    int64_t bytes = static_cast<int64_t>(attn::bundle::byteSize(a.dtype));
    for (size_t dim = 0; dim < a.dims.size(); ++dim) {
      int s = sig.dimSymbol[i][dim];
      int64_t extent = s < 0 ? a.dims[dim].extent : bound.sizes[s];
      // A size no input binds: the least extent the kernel writes, if the
      // bundle records one (a key summary's ceil_div(Skv, 64) chunks).
      for (const attn::bundle::MinimumExtent &m : a.minimums) {
        if (extent >= 0 || m.dim != dim) continue;
        auto sizeOf = [&](const std::string &name) { return bound.sizes[sig.symbolIndex(name)]; };
        if (std::optional<int64_t> least = m.atLeast.evaluate(sizeOf)) extent = *least;
      }
      if (extent < 0)
        return invalid("output argument " + std::to_string(i) + " ('" + a.name + "') dimension " +
                       std::to_string(dim) + " has size '" + a.dims[dim].symbol +
                       "', which no input defines; allocate it yourself");
      owned->shape.push_back(extent);
      if (__builtin_mul_overflow(bytes, extent, &bytes))
        return Status::error(ATTN_ERROR_OUT_OF_MEMORY,
                             "output argument " + std::to_string(i) + " ('" + a.name +
                                 "') has more bytes than fit in 64 bits");
    }
    void *data = nullptr;
    if (bytes > 0 && type == kDLCPU) {
      size_t align = std::max<size_t>(a.alignment, 64);
      size_t rounded = (static_cast<size_t>(bytes) + align - 1) / align * align;
      data = std::aligned_alloc(align, rounded);
      if (!data)
        return Status::error(ATTN_ERROR_OUT_OF_MEMORY,
                             "cannot allocate " + std::to_string(bytes) +
                                 " bytes of host memory for output '" + a.name + "'");
    } else if (bytes > 0 && type == kDLROCM) {
      if (a.alignment > 256) // what hipMalloc guarantees
        return Status::error(ATTN_ERROR_UNSUPPORTED,
                             "output '" + a.name + "' needs " + std::to_string(a.alignment) +
                                 "-byte alignment; hipMalloc gives 256");
      hip::hipError_t e = h->hipMalloc(&data, static_cast<size_t>(bytes));
      if (e != hip::kSuccess)
        return Status::error(ATTN_ERROR_OUT_OF_MEMORY,
                             "hipMalloc(" + std::to_string(bytes) + ") for output '" + a.name +
                                 "' failed: " + h->describe(e));
      owned->hip = h;
    } else if (bytes > 0) {
      if (a.alignment > 256) // what cuMemAlloc guarantees
        return Status::error(ATTN_ERROR_UNSUPPORTED,
                             "output '" + a.name + "' needs " + std::to_string(a.alignment) +
                                 "-byte alignment; cuMemAlloc gives 256");
      cuda::CUdeviceptr ptr = 0;
      cuda::CUresult r = d->cuMemAlloc(&ptr, static_cast<size_t>(bytes));
      if (r != cuda::kSuccess)
        return Status::error(ATTN_ERROR_OUT_OF_MEMORY,
                             "cuMemAlloc(" + std::to_string(bytes) + ") for output '" + a.name +
                                 "' failed: " + d->describe(r));
      data = reinterpret_cast<void *>(ptr);
      owned->driver = d;
      owned->context = scope.context();
    }
    DLTensor &t = owned->managed.dl_tensor;
    t.data = data;
    t.device = bound.device;
    t.ndim = static_cast<int>(owned->shape.size());
    t.dtype = toDL(a.dtype);
    t.shape = owned->shape.data();
    t.strides = nullptr;
    t.byte_offset = 0;
    owned->managed.manager_ctx = owned.get();
    owned->managed.deleter = deleteOwned;
    made.push_back(&owned->managed);
    outputs[i] = &owned.release()->managed;
  }
  return Status::success();
}

} // namespace

attn_bundle::attn_bundle(attn::bundle::Bundle b) : model(std::move(b)) {
  for (const auto &k : model.kernels) {
    signatures.emplace_back(k);
    KernelView v;
    for (const auto &a : k.args) {
      std::vector<attn_dim> dims;
      for (const auto &d : a.dims)
        dims.push_back({d.extent, d.isStatic() ? nullptr : d.symbol.c_str()});
      v.dims.push_back(std::move(dims));
    }
    for (const auto &bin : k.binaries)
      v.launch.push_back(bin.launch ? launchString(*bin.launch) : std::string());
    views.push_back(std::move(v));
  }
}

attn_bundle::~attn_bundle() {
  for (auto &[binary, m] : hostModules) attn::rt::unloadHostModule(m);
  for (auto &[key, f] : hipFunctions) {
    hip::DeviceScope scope;
    if (scope.enter(*f.runtime, f.device).ok()) f.runtime->hipModuleUnload(f.module);
  }
  const cuda::Driver *d = nullptr;
  if (!cudaFunctions.empty() && cuda::driver(&d).ok())
    for (auto &[key, f] : cudaFunctions) {
      cuda::PushedContext pushed(*d, key.second);
      d->cuModuleUnload(f.module);
    }
}

extern "C" {

const char *attn_last_error(void) { return tLastError.c_str(); }

const char *attn_status_string(attn_status status) {
  // A C caller may pass any int; in C++ a value outside the enumerators'
  // range is undefined to load as attn_status (UBSan's report on the
  // "unknown status" test), so the switch reads the bits as an int.
  static_assert(sizeof(attn_status) == sizeof(int), "attn_status is an int");
  int s;
  std::memcpy(&s, &status, sizeof s);
  switch (s) {
  case ATTN_OK: return "ATTN_OK";
  case ATTN_ERROR_INVALID_ARGUMENT: return "ATTN_ERROR_INVALID_ARGUMENT";
  case ATTN_ERROR_IO: return "ATTN_ERROR_IO";
  case ATTN_ERROR_INVALID_BUNDLE: return "ATTN_ERROR_INVALID_BUNDLE";
  case ATTN_ERROR_UNSUPPORTED_VERSION: return "ATTN_ERROR_UNSUPPORTED_VERSION";
  case ATTN_ERROR_NOT_FOUND: return "ATTN_ERROR_NOT_FOUND";
  case ATTN_ERROR_NO_BINARY: return "ATTN_ERROR_NO_BINARY";
  case ATTN_ERROR_ARGUMENT_MISMATCH: return "ATTN_ERROR_ARGUMENT_MISMATCH";
  case ATTN_ERROR_LAUNCH_CONFIG: return "ATTN_ERROR_LAUNCH_CONFIG";
  case ATTN_ERROR_HOST_LOADER: return "ATTN_ERROR_HOST_LOADER";
  case ATTN_ERROR_NO_CUDA_DRIVER: return "ATTN_ERROR_NO_CUDA_DRIVER";
  case ATTN_ERROR_NO_CUDA_DEVICE: return "ATTN_ERROR_NO_CUDA_DEVICE";
  case ATTN_ERROR_CUDA: return "ATTN_ERROR_CUDA";
  case ATTN_ERROR_UNSUPPORTED: return "ATTN_ERROR_UNSUPPORTED";
  case ATTN_ERROR_OUT_OF_MEMORY: return "ATTN_ERROR_OUT_OF_MEMORY";
  case ATTN_ERROR_INTERNAL: return "ATTN_ERROR_INTERNAL";
  case ATTN_ERROR_NO_HIP_RUNTIME: return "ATTN_ERROR_NO_HIP_RUNTIME";
  case ATTN_ERROR_NO_HIP_DEVICE: return "ATTN_ERROR_NO_HIP_DEVICE";
  case ATTN_ERROR_HIP: return "ATTN_ERROR_HIP";
  }
  return "unknown status";
}

attn_status attn_bundle_load_file(const char *path, attn_bundle **out) {
  return guarded([&] {
    if (!path) return invalid("path is NULL");
    if (!out) return invalid("output pointer is NULL");
    *out = nullptr;
    attn::bundle::Bundle model;
    std::string error;
    auto rs = attn::bundle::readFile(path, model, error);
    return makeBundle(rs, std::move(error), std::move(model), out);
  });
}

attn_status attn_bundle_load_memory(const void *data, size_t size, attn_bundle **out) {
  return guarded([&] {
    if (!data && size > 0) return invalid("data is NULL");
    if (!out) return invalid("output pointer is NULL");
    *out = nullptr;
    attn::bundle::Bundle model;
    std::string error;
    auto rs = attn::bundle::read(data, size, model, error);
    return makeBundle(rs, std::move(error), std::move(model), out);
  });
}

void attn_bundle_free(attn_bundle *bundle) { delete bundle; }

uint32_t attn_bundle_format_version(const attn_bundle *b) {
  return b ? b->model.formatVersion : 0;
}
const char *attn_bundle_producer(const attn_bundle *b) {
  return b ? b->model.producer.c_str() : nullptr;
}
const char *attn_bundle_spec_name(const attn_bundle *b) {
  return b ? b->model.specName.c_str() : nullptr;
}
int attn_bundle_num_kernels(const attn_bundle *b) {
  return b ? static_cast<int>(b->model.kernels.size()) : 0;
}

attn_status attn_bundle_find_kernel(const attn_bundle *b, const char *name, int *index) {
  return guarded([&] {
    if (!index) return invalid("output pointer is NULL");
    return findKernel(b, name, index);
  });
}

attn_status attn_bundle_kernel_info(const attn_bundle *b, int kernel, attn_kernel_info *out) {
  return guarded([&] {
    Status st = checkIndex(b, kernel, out);
    if (!st.ok()) return st;
    const auto &k = b->model.kernels[kernel];
    *out = {k.name.c_str(), static_cast<int>(k.args.size()),
            static_cast<int>(k.binaries.size())};
    return st;
  });
}

attn_status attn_bundle_arg_info(const attn_bundle *b, int kernel, int arg, attn_arg_info *out) {
  return guarded([&] {
    Status st = checkIndex(b, kernel, out);
    if (!st.ok()) return st;
    const auto &k = b->model.kernels[kernel];
    if (arg < 0 || arg >= static_cast<int>(k.args.size()))
      return invalid("argument index " + std::to_string(arg) + " is out of range (kernel '" +
                     k.name + "' has " + std::to_string(k.args.size()) + ")");
    const auto &a = k.args[arg];
    const auto &dims = b->views[kernel].dims[arg];
    *out = {a.name.c_str(),
            static_cast<attn_arg_kind>(a.kind),
            static_cast<attn_role>(a.role),
            static_cast<attn_dtype>(a.dtype),
            static_cast<int>(dims.size()),
            dims.empty() ? nullptr : dims.data(),
            a.innermostContiguous,
            a.contiguous,
            a.alignment};
    return st;
  });
}

attn_status attn_bundle_binary_info(const attn_bundle *b, int kernel, int binary,
                                    attn_binary_info *out) {
  return guarded([&] {
    Status st = checkIndex(b, kernel, out);
    if (!st.ok()) return st;
    const auto &k = b->model.kernels[kernel];
    if (binary < 0 || binary >= static_cast<int>(k.binaries.size()))
      return invalid("binary index " + std::to_string(binary) + " is out of range (kernel '" +
                     k.name + "' has " + std::to_string(k.binaries.size()) + ")");
    const auto &bin = k.binaries[binary];
    const std::string &launch = b->views[kernel].launch[binary];
    *out = {bin.target.c_str(),
            static_cast<attn_binary_kind>(bin.kind),
            static_cast<attn_calling_conv>(bin.conv),
            bin.entry.c_str(),
            bin.data.size(),
            launch.empty() ? nullptr : launch.c_str()};
    return st;
  });
}

attn_status attn_kernel_launch(attn_bundle *b, const char *kernel, const char *preference,
                               const DLTensor *const *args, int nargs, void *stream) {
  return guarded([&] {
    cuda::ContextScope scope;
    Selection sel;
    Status st = select(b, kernel, preference, args, nargs, scope, &sel);
    if (!st.ok()) return st;
    if (sel.driver) return launchCuda(b, sel, scope, args, stream);
    if (sel.hip) return launchHip(b, sel, args, stream);
    return launchHost(b, sel, args, stream);
  });
}

attn_status attn_kernel_select(attn_bundle *b, const char *kernel, const char *preference,
                               const DLTensor *const *args, int nargs, int *binary) {
  return guarded([&] {
    if (!binary) return invalid("output pointer is NULL");
    cuda::ContextScope scope;
    Selection sel;
    Status st = select(b, kernel, preference, args, nargs, scope, &sel);
    if (!st.ok()) return st;
    *binary = static_cast<int>(sel.binary - sel.sig->kernel->binaries.data());
    return st;
  });
}

attn_status attn_alloc_outputs(attn_bundle *b, const char *kernel, const DLTensor *const *args,
                               int nargs, DLManagedTensor **outputs) {
  std::vector<DLManagedTensor *> made;
  attn_status s = guarded([&] {
    if (outputs)
      for (int i = 0; i < nargs; ++i) outputs[i] = nullptr;
    made.reserve(nargs > 0 ? static_cast<size_t>(nargs) : 0); // push_back must not throw
    return allocOutputs(b, kernel, args, nargs, outputs, made);
  });
  if (s != ATTN_OK) {
    for (DLManagedTensor *t : made) t->deleter(t);
    if (outputs)
      for (int i = 0; i < nargs; ++i) outputs[i] = nullptr;
  }
  return s;
}

void attn_tensor_free(DLManagedTensor *t) {
  if (t && t->deleter) t->deleter(t);
}

} // extern "C"
