#include "arguments.h"
#include "strides.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace attn::rt {
namespace {

using bundle::ArgKind;
using bundle::CallingConv;
using bundle::DType;

static_assert(sizeof(void *) == sizeof(int64_t), "descriptors assume 64-bit pointers");

// kDLBool of DLPack >= 0.8 (one byte per element); the installed dlpack.h
// (0.6) predates it, and frameworks export bool tensors with it.
constexpr uint8_t kDLBoolCode = 6;

bool dtypeMatches(DType t, DLDataType dl) {
  if (dl.lanes != 1) return false;
  switch (t) {
  case DType::F16: return dl.code == kDLFloat && dl.bits == 16;
  case DType::BF16: return dl.code == kDLBfloat && dl.bits == 16;
  case DType::F32: return dl.code == kDLFloat && dl.bits == 32;
  case DType::F64: return dl.code == kDLFloat && dl.bits == 64;
  case DType::I32: return dl.code == kDLInt && dl.bits == 32;
  case DType::I64: return dl.code == kDLInt && dl.bits == 64;
  case DType::I1: return (dl.code == kDLUInt || dl.code == kDLBoolCode) && dl.bits == 8;
  case DType::U8: return dl.code == kDLUInt && dl.bits == 8;
  }
  return false;
}

std::string describe(DLDataType dl) {
  return "(code " + std::to_string(dl.code) + ", bits " + std::to_string(dl.bits) +
         ", lanes " + std::to_string(dl.lanes) + ")";
}

std::string deviceName(int type) {
  switch (type) {
  case kDLCPU: return "kDLCPU";
  case kDLCUDA: return "kDLCUDA";
  case kDLCUDAHost: return "kDLCUDAHost";
  case kDLROCM: return "kDLROCM";
  case kDLCUDAManaged: return "kDLCUDAManaged";
  default: return "device type " + std::to_string(type);
  }
}

std::string argName(const Signature &sig, int i) {
  return "argument " + std::to_string(i) + " ('" + sig.kernel->args[i].name + "')";
}

Status mismatch(std::string message) {
  return Status::error(ATTN_ERROR_ARGUMENT_MISMATCH, std::move(message));
}

// The first element's address. Integer arithmetic: data may be NULL (an empty
// tensor) with a byte_offset.
uintptr_t dataAddress(const DLTensor *t) {
  return reinterpret_cast<uintptr_t>(t->data) + t->byte_offset;
}

Status checkScalar(const Signature &sig, int i, const DLTensor *t) {
  const bundle::Arg &a = sig.kernel->args[i];
  auto who = [&] { return argName(sig, i); }; // messages only: built on failure
  if (t->device.device_type != kDLCPU)
    return mismatch(who() + " is a scalar passed by value, so it must be in host memory "
                          "(kDLCPU), not " + deviceName(t->device.device_type));
  if (t->ndim != 0)
    return mismatch(who() + " is a scalar: ndim must be 0, not " + std::to_string(t->ndim));
  if (!dtypeMatches(a.dtype, t->dtype))
    return mismatch(who() + " has dtype " + describe(t->dtype) + ", expected " +
                    bundle::name(a.dtype));
  if (!t->data) return mismatch(who() + " is a scalar with NULL data");
  return Status::success();
}

Status checkLayout(const Signature &sig, int i, const DLTensor *t, int64_t elements) {
  const bundle::Arg &a = sig.kernel->args[i];
  auto who = [&] { return argName(sig, i); };
  if (elements == 0) return Status::success(); // no element is ever addressed
  if (!t->data)
    return mismatch(who() + " has NULL data but " + std::to_string(elements) + " elements");
  std::vector<int64_t> strides = stridesOf(*t);
  int rank = t->ndim;
  // Strides of extent-1 dimensions never matter (frameworks leave them free).
  if (a.innermostContiguous && rank > 0 && t->shape[rank - 1] != 1 &&
      strides[rank - 1] != 1)
    return mismatch(who() + " must have stride 1 in its last dimension (" +
                    std::to_string(rank - 1) + "), but the stride is " +
                    std::to_string(strides[rank - 1]));
  if (a.contiguous) {
    int64_t expected = 1;
    for (int d = rank - 1; d >= 0; --d) {
      if (t->shape[d] != 1 && strides[d] != expected)
        return mismatch(who() + " must be compact row-major, but dimension " +
                        std::to_string(d) + " has stride " + std::to_string(strides[d]) +
                        " (expected " + std::to_string(expected) + ")");
      expected *= t->shape[d];
    }
  }
  uintptr_t address = dataAddress(t);
  if (address % a.alignment != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, address);
    return mismatch(who() + " data pointer + byte_offset = " + buf + " is not aligned to " +
                    std::to_string(a.alignment) + " bytes");
  }
  // Kernels copy innermost rows in aligned vectors, so every row must start
  // as aligned as the first element: outer strides (in bytes) must be
  // multiples of the alignment.
  if (a.innermostContiguous && a.alignment > 1) {
    int64_t elementBytes = (t->dtype.bits * t->dtype.lanes + 7) / 8;
    for (int d = 0; d + 1 < rank; ++d) {
      if (t->shape[d] == 1) continue;
      int64_t strideBytes = 0;
      // A stride whose byte distance overflows addresses nothing real
      // (found by the launch fuzzer: UB in this very check).
      if (__builtin_mul_overflow(strides[d], elementBytes, &strideBytes))
        return mismatch(who() + " dimension " + std::to_string(d) + " has stride " +
                        std::to_string(strides[d]) + ", whose distance in bytes "
                        "overflows 64 bits");
      if (strideBytes % static_cast<int64_t>(a.alignment) != 0)
        return mismatch(who() + " dimension " + std::to_string(d) + " has stride " +
                        std::to_string(strides[d]) + " (" + std::to_string(strideBytes) +
                        " bytes), which is not a multiple of its " +
                        std::to_string(a.alignment) + "-byte alignment");
    }
  }
  return Status::success();
}

// Least extents (data operands read by blocks), once every size is bound.
Status checkMinimums(const Signature &sig, const DLTensor *const *args,
                     const std::vector<int64_t> &sizes, bool inputsOnly) {
  const auto &params = sig.kernel->args;
  for (size_t i = 0; i < params.size(); ++i) {
    // Outputs being allocated (attn_alloc_outputs) are not given.
    if (inputsOnly && params[i].role == bundle::Role::Output) continue;
    for (const bundle::MinimumExtent &m : params[i].minimums) {
      bool bound = true;
      std::string bindings;
      for (const bundle::Factor &f : m.atLeast.factors) {
        if (f.size.empty()) continue;
        int64_t value = sizes[sig.symbolIndex(f.size)];
        bound = bound && value >= 0;
        bindings += (bindings.empty() ? " (" : ", ") + f.size + " = " + std::to_string(value);
      }
      if (!bound) continue; // only outputs bind a size it needs: checked at launch
      auto sizeOf = [&](const std::string &name) { return sizes[sig.symbolIndex(name)]; };
      std::optional<int64_t> least = m.atLeast.evaluate(sizeOf);
      int64_t extent = args[i]->shape[m.dim];
      if (least && extent >= *least) continue;
      std::string value = least ? std::to_string(*least) : "more than 2^63";
      return mismatch(argName(sig, static_cast<int>(i)) + " dimension " +
                      std::to_string(m.dim) + " is " + std::to_string(extent) +
                      ", but the kernel reads at least " +
                      (bindings.empty() ? value : m.atLeast.str() + " = " + value) +
                      " entries there" + (bindings.empty() ? "" : bindings + ")"));
    }
  }
  return Status::success();
}

// Entries of a rank-1 integer tensor that must never decrease, where the
// runtime can read them (host memory); device-resident ones are the
// kernel's to check (docs/runtime.md).
Status checkNonDecreasing(const Signature &sig, const DLTensor *const *args) {
  const auto &params = sig.kernel->args;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].nonDecreasing) continue;
    const DLTensor *t = args[i];
    if (t->device.device_type != kDLCPU && t->device.device_type != kDLCUDAHost) continue;
    int64_t count = t->shape[0];
    bool wide = params[i].dtype == bundle::DType::I64;
    int64_t strideBytes = 0, lastByte = 0;
    if (count > 1 && (__builtin_mul_overflow(stridesOf(*t)[0], wide ? 8 : 4, &strideBytes) ||
                      __builtin_mul_overflow(strideBytes, count - 1, &lastByte)))
      return mismatch(argName(sig, static_cast<int>(i)) +
                      " has a stride whose distance in bytes overflows 64 bits");
    auto base = reinterpret_cast<const char *>(dataAddress(t));
    auto at = [&](int64_t x) -> int64_t {
      const char *element = base + x * strideBytes;
      if (wide) {
        int64_t v;
        std::memcpy(&v, element, sizeof v);
        return v;
      }
      int32_t v;
      std::memcpy(&v, element, sizeof v);
      return v;
    };
    for (int64_t x = 1; x < count; ++x) {
      int64_t previous = at(x - 1), current = at(x);
      if (current < previous)
        return mismatch(argName(sig, static_cast<int>(i)) +
                        " must never decrease (the kernel reads it as sorted offsets), "
                        "but entry " + std::to_string(x) + " is " + std::to_string(current) +
                        " after " + std::to_string(previous));
    }
  }
  return Status::success();
}

} // namespace

Signature::Signature(const bundle::Kernel &k) : kernel(&k) {
  for (const bundle::Arg &a : k.args) {
    std::vector<int> dims;
    for (const bundle::Dim &d : a.dims) {
      if (d.isStatic()) {
        dims.push_back(-1);
        continue;
      }
      int idx = symbolIndex(d.symbol);
      if (idx < 0) {
        idx = static_cast<int>(symbols.size());
        symbols.push_back(d.symbol);
      }
      dims.push_back(idx);
    }
    dimSymbol.push_back(std::move(dims));
  }
}

int Signature::symbolIndex(std::string_view name) const {
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i] == name) return static_cast<int>(i);
  return -1;
}

/// The largest extent of any dimension on a GPU target.
constexpr int64_t kMaxGpuExtent = int64_t(1) << 30;

Status bindArguments(const Signature &sig, const DLTensor *const *args, int nargs,
                     DLDeviceType deviceType, const std::string &what, bool inputsOnly,
                     BoundArgs *out) {
  const auto &params = sig.kernel->args;
  if (nargs != static_cast<int>(params.size()))
    return Status::error(ATTN_ERROR_INVALID_ARGUMENT,
                         "kernel '" + sig.kernel->name + "' takes " +
                             std::to_string(params.size()) + " arguments, got " +
                             std::to_string(nargs));
  if (nargs > 0 && !args)
    return Status::error(ATTN_ERROR_INVALID_ARGUMENT, "the argument array is NULL");
  BoundArgs bound;
  bound.sizes.assign(sig.symbols.size(), -1);
  std::vector<int> binder(sig.symbols.size(), -1); // argument that bound each size
  std::vector<int> binderDim(sig.symbols.size(), -1);
  int deviceArg = -1;
  for (int i = 0; i < nargs; ++i) {
    const bundle::Arg &a = params[i];
    if (inputsOnly && a.role == bundle::Role::Output) continue;
    const DLTensor *t = args[i];
    auto who = [&] { return argName(sig, i); };
    if (!t) return mismatch(who() + " is NULL");
    if (a.kind == ArgKind::Scalar) {
      Status st = checkScalar(sig, i, t);
      if (!st.ok()) return st;
      continue;
    }
    if (t->device.device_type != deviceType)
      return mismatch(who() + " is on " + deviceName(t->device.device_type) + ", but " +
                      what + " needs " + deviceName(deviceType) + " tensors");
    if (deviceArg < 0) {
      deviceArg = i;
      bound.device = t->device;
    } else if (t->device.device_id != bound.device.device_id) {
      return mismatch(who() + " is on device " + std::to_string(t->device.device_id) +
                      ", but " + argName(sig, deviceArg) + " is on device " +
                      std::to_string(bound.device.device_id));
    }
    if (!dtypeMatches(a.dtype, t->dtype))
      return mismatch(who() + " has dtype " + describe(t->dtype) + ", expected " +
                      bundle::name(a.dtype));
    int rank = static_cast<int>(a.dims.size());
    if (t->ndim != rank)
      return mismatch(who() + " has rank " + std::to_string(t->ndim) + ", expected " +
                      std::to_string(rank));
    if (rank > 0 && !t->shape) return mismatch(who() + " has a NULL shape array");
    int64_t elements = 1;
    for (int d = 0; d < rank; ++d) {
      int64_t extent = t->shape[d];
      auto dimWho = [&] { return who() + " dimension " + std::to_string(d); };
      if (extent < 0)
        return mismatch(dimWho() + " has negative extent " + std::to_string(extent));
      // GPU kernels evaluate mask rules and score mods on 32-bit indices.
      if (deviceType != kDLCPU && extent > kMaxGpuExtent)
        return mismatch(dimWho() + " is " + std::to_string(extent) +
                        ", more than GPU kernels support (2^30: their mask rules "
                        "compute in 32-bit integers)");
      const bundle::Dim &dim = a.dims[d];
      int s = sig.dimSymbol[i][d];
      if (s < 0) {
        if (extent != dim.extent)
          return mismatch(dimWho() + " is " + std::to_string(extent) + ", expected " +
                          std::to_string(dim.extent));
      } else if (bound.sizes[s] < 0) {
        bound.sizes[s] = extent;
        binder[s] = i;
        binderDim[s] = d;
      } else if (bound.sizes[s] != extent) {
        return mismatch(dimWho() + " ('" + dim.symbol + "') is " + std::to_string(extent) +
                        ", but " + argName(sig, binder[s]) + " dimension " +
                        std::to_string(binderDim[s]) + " set " + dim.symbol + " = " +
                        std::to_string(bound.sizes[s]));
      }
      if (__builtin_mul_overflow(elements, extent, &elements))
        return mismatch(who() + " has more elements than fit in 64 bits");
    }
    Status st = checkLayout(sig, i, t, elements);
    if (!st.ok()) return st;
  }
  Status st = checkMinimums(sig, args, bound.sizes, inputsOnly);
  if (st.ok()) st = checkNonDecreasing(sig, args);
  if (!st.ok()) return st;
  *out = std::move(bound);
  return Status::success();
}

Status evaluate(const bundle::Expr &expr, const Signature &sig,
                const std::vector<int64_t> &sizes, const char *what, int64_t *out) {
  auto sizeOf = [&](const std::string &name) { return sizes[sig.symbolIndex(name)]; };
  std::optional<int64_t> value = expr.evaluate(sizeOf);
  if (!value) {
    std::string bindings;
    for (const bundle::Factor &f : expr.factors)
      if (!f.size.empty())
        bindings += (bindings.empty() ? "" : ", ") + f.size + " = " +
                    std::to_string(sizeOf(f.size));
    return Status::error(ATTN_ERROR_LAUNCH_CONFIG, std::string(what) + " = " + expr.str() +
                                                       " overflows 64 bits (" + bindings + ")");
  }
  *out = *value;
  return Status::success();
}

void packArguments(const Signature &sig, CallingConv conv, const DLTensor *const *args,
                   PackedArgs *out) {
  const auto &params = sig.kernel->args;
  std::vector<int64_t> &words = out->words;
  words.clear();
  // Word index where each callee-visible value starts: one per argument for
  // host_c_iface (the descriptor or scalar), one per parameter for the GPU
  // conventions. Pointers are made afterwards, once `words` stops growing.
  std::vector<size_t> starts;
  for (size_t i = 0; i < params.size(); ++i) {
    const DLTensor *t = args[i];
    if (params[i].kind == ArgKind::Scalar) {
      starts.push_back(words.size());
      int64_t slot = 0;
      std::memcpy(&slot, reinterpret_cast<const void *>(dataAddress(t)),
                  bundle::byteSize(params[i].dtype));
      words.push_back(slot);
      continue;
    }
    auto pointer = static_cast<int64_t>(dataAddress(t));
    if (conv == CallingConv::GpuBarePtr) {
      starts.push_back(words.size());
      words.push_back(pointer);
      continue;
    }
    size_t first = words.size();
    words.push_back(pointer); // allocated
    words.push_back(pointer); // aligned
    words.push_back(0);       // offset: byte_offset is folded into the pointers
    words.insert(words.end(), t->shape, t->shape + t->ndim);
    std::vector<int64_t> strides = stridesOf(*t);
    words.insert(words.end(), strides.begin(), strides.end());
    if (conv == CallingConv::HostCIface) {
      starts.push_back(first);
    } else {
      for (size_t w = first; w < words.size(); ++w) starts.push_back(w);
    }
  }
  out->pointers.clear();
  for (size_t s : starts) out->pointers.push_back(&words[s]);
}

} // namespace attn::rt
