// attn bundle: the in-memory model of a bundle file, its writer and its reader.
//
// A bundle holds one or more kernels; each kernel has one argument signature
// and one binary per target, each binary with its calling convention and (GPU
// only) launch configuration. The compiler fills a `Bundle` and calls `write`;
// the runtime calls `read`. Both run `check`, so neither side can produce or
// accept a bundle that breaks the rules in docs/runtime.md.
//
// No LLVM/MLIR here and no FlatBuffers types in this header: the file format is
// an implementation detail of bundle.cpp.
#ifndef ATTN_BUNDLE_H
#define ATTN_BUNDLE_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attn::bundle {

// The format versions this library reads and writes: from the oldest to the
// newest. A bundle is written as its `Bundle::formatVersion` says, which must
// be at least `leastFormatVersion` of it (version 3 added tensor maps).
inline constexpr uint32_t kOldestFormatVersion = 2;
inline constexpr uint32_t kFormatVersion = 3;
// The most binary data (all kernels, all targets) one bundle may hold: 1 GiB.
inline constexpr uint64_t kMaxBinaryBytes = uint64_t(1) << 30;

// Values match the schema (runtime/schema/bundle.fbs) and the C API enums.
enum class DType : uint8_t { F16, BF16, F32, F64, I32, I64, I1, U8 };
enum class Role : uint8_t { Input, Output };
enum class ArgKind : uint8_t { Tensor, Scalar };
enum class BinaryKind : uint8_t { HostSharedObject, Cubin, Ptx, Hsaco };
enum class CallingConv : uint8_t { HostCIface, GpuExpandedMemref, GpuBarePtr };
// CUtensorMapSwizzle's values.
enum class TensorMapSwizzle : uint8_t { None, Bytes32, Bytes64, Bytes128 };

const char *name(DType);
const char *name(Role);
const char *name(ArgKind);
const char *name(BinaryKind);
const char *name(CallingConv);
const char *name(TensorMapSwizzle); // "none", "32B", "64B", "128B"
// Bytes per element in memory (i1 takes one byte).
size_t byteSize(DType);

// ceil_div(n, divisor) with n = the runtime size `size` if non-empty, else
// `constant`.
struct Factor {
  std::string size;
  int64_t constant = 1;
  int64_t divisor = 1;
};

// A launch quantity: the product of its factors (1 when there are none).
struct Expr {
  std::vector<Factor> factors;

  static Expr constant(int64_t value) { return {{Factor{{}, value, 1}}}; }
  static Expr size(std::string name) { return {{Factor{std::move(name), 1, 1}}}; }
  static Expr ceilDiv(std::string name, int64_t divisor) {
    return {{Factor{std::move(name), 1, divisor}}};
  }
  Expr operator*(const Expr &other) const;
  // The value with each size name resolved by `sizeOf` (sizes are >= 0);
  // std::nullopt when the product overflows int64.
  std::optional<int64_t>
  evaluate(const std::function<int64_t(const std::string &)> &sizeOf) const;
  // E.g. "ceil_div(Sq, 128) * Hq"; "1" for the empty product.
  std::string str() const;
};

// One dimension: a static extent, or a named runtime size shared by every
// dimension (of any argument of the kernel) that carries the same name.
struct Dim {
  int64_t extent = -1; // >= 0 when static
  std::string symbol;  // non-empty when symbolic

  static Dim fixed(int64_t extent) { return {extent, {}}; }
  static Dim sym(std::string name) { return {-1, std::move(name)}; }
  bool isStatic() const { return symbol.empty(); }
};

// A least extent of one dimension, checked at every launch: data operands
// that kernels index by blocks (ceil_div(Sq, block_q) rows of blocks), or
// that need a few entries (document offsets: 2).
struct MinimumExtent {
  uint32_t dim = 0;
  Expr atLeast;
};

struct Arg {
  std::string name;
  ArgKind kind = ArgKind::Tensor;
  Role role = Role::Input;
  DType dtype = DType::F32;
  std::vector<Dim> dims;              // rank = dims.size(); scalars have none
  bool innermostContiguous = false;   // last dimension has stride 1
  bool contiguous = false;            // compact row-major
  uint32_t alignment = 1;             // data pointer alignment in bytes
  std::vector<MinimumExtent> minimums; // input tensors only
  // A rank-1 integer input whose entries never decrease (document offsets);
  // the runtime checks it where it can read the tensor (host memory).
  bool nonDecreasing = false;

  static Arg tensor(std::string name, Role role, DType dtype,
                    std::vector<Dim> dims) {
    Arg a;
    a.name = std::move(name);
    a.role = role;
    a.dtype = dtype;
    a.dims = std::move(dims);
    return a;
  }
  static Arg scalar(std::string name, DType dtype) {
    Arg a;
    a.name = std::move(name);
    a.kind = ArgKind::Scalar;
    a.dtype = dtype;
    return a;
  }
  Arg &withAlignment(uint32_t bytes) { alignment = bytes; return *this; }
  Arg &withInnermostContiguous() { innermostContiguous = true; return *this; }
  Arg &withContiguous() { contiguous = true; return *this; }
};

// "(x, y, z)" of three expressions, e.g. a grid.
std::string str(const std::array<Expr, 3> &xyz);

struct LaunchConfig {
  std::array<Expr, 3> grid;  // defaults: 1
  std::array<Expr, 3> block; // defaults: 1
  Expr sharedMemBytes = Expr::constant(0);
};

// A TMA tensor map the runtime encodes at every launch over tensor argument
// `arg` and passes by value (128 bytes, 64-byte aligned) after the
// parameters of the arguments, in the order of Binary::tensorMaps.
struct TensorMap {
  uint32_t arg = 0; // index into Kernel::args
  // Box extents in elements, innermost dimension first, one per dimension of
  // the tensor.
  std::vector<uint32_t> box;
  TensorMapSwizzle swizzle = TensorMapSwizzle::None;
};

struct Binary {
  std::string target; // "host", "sm_80", "sm_90a", "gfx942", ...
  BinaryKind kind = BinaryKind::HostSharedObject;
  CallingConv conv = CallingConv::HostCIface;
  std::string entry;
  std::vector<uint8_t> data;
  std::optional<LaunchConfig> launch; // present exactly for GPU binaries
  std::vector<TensorMap> tensorMaps;  // CUDA binaries for sm_90 or newer only
};

struct Kernel {
  std::string name;
  std::vector<Arg> args;
  std::vector<Binary> binaries;
};

struct Bundle {
  // The oldest version by default, which every runtime of this format reads;
  // a bundle with tensor maps must say 3 (see leastFormatVersion).
  uint32_t formatVersion = kOldestFormatVersion;
  std::string producer;
  std::string specName;
  std::string specSource; // the spec's MLIR text; may be empty
  std::vector<Kernel> kernels;
};

bool operator==(const Dim &, const Dim &);
bool operator==(const MinimumExtent &, const MinimumExtent &);
bool operator==(const Arg &, const Arg &);
bool operator==(const Factor &, const Factor &);
bool operator==(const Expr &, const Expr &);
bool operator==(const LaunchConfig &, const LaunchConfig &);
bool operator==(const TensorMap &, const TensorMap &);
bool operator==(const Binary &, const Binary &);
bool operator==(const Kernel &, const Kernel &);
bool operator==(const Bundle &, const Bundle &);

// The least format version that describes `bundle`: 3 when a binary has
// tensor maps, else 2.
uint32_t leastFormatVersion(const Bundle &bundle);

// Every rule of docs/runtime.md, section 1.3. Returns an empty
// string when `bundle` is valid, else the first violation, naming where it is.
std::string check(const Bundle &bundle);

// Serializes `bundle` after `check`. On failure returns false and sets `error`.
bool write(const Bundle &bundle, std::vector<uint8_t> &out, std::string &error);
bool writeFile(const Bundle &bundle, const std::string &path, std::string &error);

enum class ReadStatus { Ok, IoError, Invalid, UnsupportedVersion };

// Parses and checks a bundle. Never trusts the bytes: foreign, truncated and
// corrupted inputs give Invalid (or UnsupportedVersion) with a message.
ReadStatus read(const void *data, size_t size, Bundle &out, std::string &error);
ReadStatus readFile(const std::string &path, Bundle &out, std::string &error);

// Targets. "host"; "sm_<major><minor>" with an optional "a" suffix for
// arch-specific code (sm_90a runs only on 9.0); "gfx<id>" for AMD.
enum class TargetFamily { Host, Cuda, Amd };
std::optional<TargetFamily> targetFamily(std::string_view target);

struct CudaArch {
  int major = 0;
  int minor = 0;
  bool archSpecific = false; // the "a" suffix
};
std::optional<CudaArch> parseCudaTarget(std::string_view target);

// Whether a CUDA binary built for `target` can run on a device of compute
// capability major.minor: a cubin needs the same major and a minor no larger
// (arch-specific: the exact version); PTX needs a version no larger (arch-
// specific: the exact version), the driver compiling it for the device.
bool cudaBinaryRuns(const Binary &binary, int major, int minor);

// The index of the binary of `kernel` to run on a CUDA device of compute
// capability major.minor, or -1. Preference: a cubin for exactly that version
// (arch-specific first), then a compatible cubin of the same major with the
// highest minor, then the compatible PTX of the highest version.
int selectCudaBinary(const Kernel &kernel, int major, int minor);

} // namespace attn::bundle

#endif // ATTN_BUNDLE_H
