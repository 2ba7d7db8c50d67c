//===- Npy.h - NumPy .npy files without LLVM --------------------*- C++ -*-===//
//
// Little-endian f16, f32, f64, i32 and i64 arrays in C order, held as
// doubles. The float64 interpreter (interpreter/) and attn-run share it;
// the MLIR-free attn-run reads the inputs and expected outputs that
// `attn-run SPEC --target ref --dump DIR` writes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_NPY_H
#define ATTN_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <string_view>
#include <optional>
#include <vector>

namespace attn::support {

/// A row-major array of doubles (integers are stored exactly up to 2^53).
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// "[2, 32, 12, 128]".
std::string formatShape(const std::vector<int64_t> &shape);
/// The product of the extents.
int64_t elementCount(const std::vector<int64_t> &shape);
/// The product of `shape`, or nothing when an extent is negative or the
/// product overflows 64 bits.
std::optional<int64_t> checkedElementCount(const std::vector<int64_t> &shape);

enum class NpyDType { F16, F32, F64, I32, I64 };

/// The NumPy type string, e.g. "<f4".
const char *npyDescriptor(NpyDType dtype);
bool isIntegerDType(NpyDType dtype);

struct NpyArray {
  NpyDType dtype = NpyDType::F64;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// Parses a whole .npy file held in memory into `out`; an array of more than
/// `maxElements` elements is refused. Returns "" on success, else a message
/// starting with `name`; `limitName` names whose limit `maxElements` is.
std::string parseNpy(std::string_view bytes, const std::string &name,
                     int64_t maxElements, const std::string &limitName,
                     NpyArray &out);

/// Reads and parses the .npy file at `path`.
std::string readNpy(const std::string &path, int64_t maxElements,
                    const std::string &limitName, NpyArray &out);

/// Serializes `values` of `shape` as a version 1.0 .npy file converted to
/// `dtype` (integer dtypes need integral values in range). Returns "" on
/// success, else a message starting with "npy: ".
std::string serializeNpy(const std::vector<int64_t> &shape,
                         const std::vector<double> &values, NpyDType dtype,
                         std::string &out);

/// Serializes and writes to `path`; messages start with `path`.
std::string writeNpy(const std::string &path,
                     const std::vector<int64_t> &shape,
                     const std::vector<double> &values, NpyDType dtype);

} // namespace attn::support

#endif // ATTN_SUPPORT_NPY_H
