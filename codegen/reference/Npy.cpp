//===- Npy.cpp - Minimal NumPy .npy reading and writing -------------------===//
//
// The format itself lives in the LLVM-free attn-run support library
// (tools/attn-run/support/Npy.cpp), which the MLIR-free attn-run shares;
// these are its LLVM-flavoured entry points for the reference interpreter.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Npy.h"

#include "support/Npy.h" // tools/attn-run: shared with attn-run

using namespace mlir::attn::reference;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static_assert(static_cast<int>(NpyDType::I64) ==
                  static_cast<int>(::attn::run::NpyDType::I64),
              "the two NpyDType enums must list the same types in order");

static ::attn::run::NpyDType plain(NpyDType dtype) {
  return static_cast<::attn::run::NpyDType>(dtype);
}

static Error npyError(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

StringRef mlir::attn::reference::npyDescriptor(NpyDType dtype) {
  return ::attn::run::npyDescriptor(plain(dtype));
}

bool mlir::attn::reference::isIntegerDType(NpyDType dtype) {
  return ::attn::run::isIntegerDType(plain(dtype));
}

static constexpr const char *kLimitName = "the reference interpreter's limit";

static NpyArray fromPlain(::attn::run::NpyArray &&array) {
  NpyArray result{static_cast<NpyDType>(array.dtype), {}};
  result.tensor.shape.assign(array.shape.begin(), array.shape.end());
  result.tensor.values = std::move(array.values);
  return result;
}

Expected<NpyArray> mlir::attn::reference::parseNpy(StringRef bytes,
                                                   StringRef name,
                                                   int64_t maxElements) {
  ::attn::run::NpyArray array;
  std::string error =
      ::attn::run::parseNpy(std::string_view(bytes.data(), bytes.size()),
                            name.str(), maxElements, kLimitName, array);
  if (!error.empty())
    return npyError(error);
  return fromPlain(std::move(array));
}

Expected<NpyArray> mlir::attn::reference::readNpy(StringRef path,
                                                  int64_t maxElements) {
  ::attn::run::NpyArray array;
  std::string error =
      ::attn::run::readNpy(path.str(), maxElements, kLimitName, array);
  if (!error.empty())
    return npyError(error);
  return fromPlain(std::move(array));
}

Expected<std::string> mlir::attn::reference::serializeNpy(
    const Tensor64 &tensor, NpyDType dtype) {
  std::string bytes;
  std::string error = ::attn::run::serializeNpy(
      {tensor.shape.begin(), tensor.shape.end()}, tensor.values, plain(dtype),
      bytes);
  if (!error.empty())
    return npyError(error);
  return bytes;
}

Error mlir::attn::reference::writeNpy(StringRef path, const Tensor64 &tensor,
                                      NpyDType dtype) {
  std::string error = ::attn::run::writeNpy(
      path.str(), {tensor.shape.begin(), tensor.shape.end()}, tensor.values,
      plain(dtype));
  if (!error.empty())
    return npyError(error);
  return Error::success();
}
