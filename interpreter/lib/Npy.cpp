//===- Npy.cpp - Minimal NumPy .npy reading and writing -------------------===//
//
// The format itself lives in the LLVM-free attn-run support library
// (support/lib/Npy.cpp), which the MLIR-free attn-run shares;
// these are its LLVM-flavoured entry points for the reference interpreter.
//
//===----------------------------------------------------------------------===//
#include "attn/Interpreter/Npy.h"

// The .npy reader and writer are shared with attn-run.
#include "attn/Support/Npy.h"

using namespace mlir::attn::interpreter;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static_assert(static_cast<int>(NpyDType::I64) ==
                  static_cast<int>(::attn::support::NpyDType::I64),
              "the two NpyDType enums must list the same types in order");

static ::attn::support::NpyDType plain(NpyDType dtype) {
  return static_cast<::attn::support::NpyDType>(dtype);
}

static Error npyError(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

StringRef mlir::attn::interpreter::npyDescriptor(NpyDType dtype) {
  return ::attn::support::npyDescriptor(plain(dtype));
}

bool mlir::attn::interpreter::isIntegerDType(NpyDType dtype) {
  return ::attn::support::isIntegerDType(plain(dtype));
}

static constexpr const char *kLimitName = "the reference interpreter's limit";

static NpyArray fromPlain(::attn::support::NpyArray &&array) {
  NpyArray result{static_cast<NpyDType>(array.dtype), {}};
  result.tensor.shape.assign(array.shape.begin(), array.shape.end());
  result.tensor.values = std::move(array.values);
  return result;
}

Expected<NpyArray> mlir::attn::interpreter::parseNpy(StringRef bytes,
                                                   StringRef name,
                                                   int64_t maxElements) {
  ::attn::support::NpyArray array;
  std::string error =
      ::attn::support::parseNpy(std::string_view(bytes.data(), bytes.size()),
                            name.str(), maxElements, kLimitName, array);
  if (!error.empty())
    return npyError(error);
  return fromPlain(std::move(array));
}

Expected<NpyArray> mlir::attn::interpreter::readNpy(StringRef path,
                                                  int64_t maxElements) {
  ::attn::support::NpyArray array;
  std::string error =
      ::attn::support::readNpy(path.str(), maxElements, kLimitName, array);
  if (!error.empty())
    return npyError(error);
  return fromPlain(std::move(array));
}

Expected<std::string> mlir::attn::interpreter::serializeNpy(
    const Tensor64 &tensor, NpyDType dtype) {
  std::string bytes;
  std::string error = ::attn::support::serializeNpy(
      {tensor.shape.begin(), tensor.shape.end()}, tensor.values, plain(dtype),
      bytes);
  if (!error.empty())
    return npyError(error);
  return bytes;
}

Error mlir::attn::interpreter::writeNpy(StringRef path, const Tensor64 &tensor,
                                      NpyDType dtype) {
  std::string error = ::attn::support::writeNpy(
      path.str(), {tensor.shape.begin(), tensor.shape.end()}, tensor.values,
      plain(dtype));
  if (!error.empty())
    return npyError(error);
  return Error::success();
}
