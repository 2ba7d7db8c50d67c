//===- Npy.h - Minimal NumPy .npy reading and writing -----------*- C++ -*-===//
//
// Only what reference runs exchange with NumPy: little-endian f16, f32, f64,
// i32 and i64 arrays in C order. Anything else is rejected with a reason.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_NPY_H
#define ATTN_INTERPRETER_NPY_H

#include "attn/Interpreter/Reference.h"
#include "llvm/Support/Error.h"

namespace mlir::attn::interpreter {

enum class NpyDType { F16, F32, F64, I32, I64 };

/// The NumPy type string, e.g. "<f4".
llvm::StringRef npyDescriptor(NpyDType dtype);
bool isIntegerDType(NpyDType dtype);

struct NpyArray {
  NpyDType dtype;
  Tensor64 tensor;
};

/// Parses a whole .npy file held in memory; `maxElements` bounds the array
/// size accepted. `name` only labels error messages.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name,
                                  int64_t maxElements);

/// Reads and parses the .npy file at `path`.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path, int64_t maxElements);

/// Serializes `tensor` as a version 1.0 .npy file. Values are converted to
/// `dtype`; an integer dtype needs integral values in its range.
llvm::Expected<std::string> serializeNpy(const Tensor64 &tensor,
                                         NpyDType dtype);

/// Serializes and writes `tensor` to `path`.
llvm::Error writeNpy(llvm::StringRef path, const Tensor64 &tensor,
                     NpyDType dtype);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_NPY_H
