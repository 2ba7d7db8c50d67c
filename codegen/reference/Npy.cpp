//===- Npy.cpp - Minimal NumPy .npy reading and writing -------------------===//
//
// Format: the magic "\x93NUMPY", a version (1.0 has a 16-bit header length,
// 2.0 and 3.0 a 32-bit one), then a Python dict literal with 'descr',
// 'fortran_order' and 'shape', padded with spaces and a newline, then the
// raw elements.
//
//===----------------------------------------------------------------------===//
#include "attn/Reference/Npy.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>
#include <cstring>

using namespace mlir::attn::reference;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static constexpr StringRef kMagic("\x93NUMPY", 6);

StringRef mlir::attn::reference::npyDescriptor(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F16:
    return "<f2";
  case NpyDType::F32:
    return "<f4";
  case NpyDType::F64:
    return "<f8";
  case NpyDType::I32:
    return "<i4";
  case NpyDType::I64:
    return "<i8";
  }
  llvm_unreachable("unknown dtype");
}

bool mlir::attn::reference::isIntegerDType(NpyDType dtype) {
  return dtype == NpyDType::I32 || dtype == NpyDType::I64;
}

static size_t elementBytes(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F16:
    return 2;
  case NpyDType::F32:
  case NpyDType::I32:
    return 4;
  case NpyDType::F64:
  case NpyDType::I64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

static Error npyError(StringRef name, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 name + ": " + message);
}

namespace {
/// The fields of the header dict that matter; the parser rejects others.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<llvm::SmallVector<int64_t>> shape;
};

/// Parses the Python dict literal of a .npy header.
class HeaderParser {
public:
  HeaderParser(StringRef text, StringRef name) : rest(text), name(name) {}

  Expected<NpyHeader> parse() {
    NpyHeader header;
    if (!consume('{'))
      return fail("expected '{' at the start of the header");
    while (!consume('}')) {
      Expected<std::string> key = parseString();
      if (!key)
        return key.takeError();
      if (!consume(':'))
        return fail("expected ':' after key '" + *key + "'");
      if (*key == "descr") {
        Expected<std::string> descr = parseString();
        if (!descr)
          return descr.takeError();
        header.descr = *descr;
      } else if (*key == "fortran_order") {
        if (consumeWord("True"))
          header.fortranOrder = true;
        else if (consumeWord("False"))
          header.fortranOrder = false;
        else
          return fail("expected True or False for 'fortran_order'");
      } else if (*key == "shape") {
        Expected<llvm::SmallVector<int64_t>> shape = parseShape();
        if (!shape)
          return shape.takeError();
        header.shape = *shape;
      } else {
        return fail("unexpected header key '" + *key + "'");
      }
      if (!consume(',') && !peek('}'))
        return fail("expected ',' or '}' in the header");
    }
    skipSpace();
    if (!rest.empty())
      return fail("unexpected text after the header dict");
    return header;
  }

private:
  void skipSpace() { rest = rest.ltrim(" \t\n"); }
  bool peek(char c) {
    skipSpace();
    return !rest.empty() && rest.front() == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    rest = rest.drop_front();
    return true;
  }
  bool consumeWord(StringRef word) {
    skipSpace();
    return rest.consume_front(word);
  }
  Error fail(const llvm::Twine &message) {
    return npyError(name, "malformed .npy header: " + message);
  }

  Expected<std::string> parseString() {
    skipSpace();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return fail("expected a quoted string");
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return fail("unterminated string");
    std::string text = rest.slice(1, end).str();
    rest = rest.drop_front(end + 1);
    return text;
  }

  Expected<llvm::SmallVector<int64_t>> parseShape() {
    llvm::SmallVector<int64_t> shape;
    if (!consume('('))
      return fail("expected '(' to start 'shape'");
    while (!consume(')')) {
      skipSpace();
      size_t digits = rest.find_first_not_of("0123456789");
      if (digits == 0 || rest.empty())
        return fail("expected a non-negative integer in 'shape'");
      int64_t extent;
      if (rest.take_front(digits).getAsInteger(10, extent))
        return fail("extent '" + rest.take_front(digits) + "' is too large");
      shape.push_back(extent);
      rest = rest.drop_front(digits == StringRef::npos ? rest.size() : digits);
      if (!consume(',') && !peek(')'))
        return fail("expected ',' or ')' in 'shape'");
    }
    return shape;
  }

  StringRef rest;
  StringRef name;
};
} // namespace

static std::optional<NpyDType> dtypeOfDescriptor(StringRef descr) {
  for (NpyDType dtype : {NpyDType::F16, NpyDType::F32, NpyDType::F64,
                         NpyDType::I32, NpyDType::I64})
    if (descr == npyDescriptor(dtype))
      return dtype;
  return std::nullopt;
}

static double halfToDouble(uint16_t bits) {
  llvm::APFloat value(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  return value.convertToDouble();
}

Expected<NpyArray> mlir::attn::reference::parseNpy(StringRef bytes,
                                                   StringRef name,
                                                   int64_t maxElements) {
  if (!bytes.starts_with(kMagic))
    return npyError(name, "not a .npy file (bad magic)");
  if (bytes.size() < 10)
    return npyError(name, "truncated .npy preamble");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = llvm::support::endian::read16le(bytes.data() + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return npyError(name, "truncated .npy preamble");
    headerLength = llvm::support::endian::read32le(bytes.data() + 8);
    headerStart = 12;
  } else {
    return npyError(name, "unsupported .npy version " + llvm::Twine(major));
  }
  if (bytes.size() - headerStart < headerLength)
    return npyError(name, "truncated .npy header");

  Expected<NpyHeader> header =
      HeaderParser(bytes.substr(headerStart, headerLength), name).parse();
  if (!header)
    return header.takeError();
  if (!header->descr || !header->fortranOrder || !header->shape)
    return npyError(name, "the header must give 'descr', 'fortran_order' "
                          "and 'shape'");
  std::optional<NpyDType> dtype = dtypeOfDescriptor(*header->descr);
  if (!dtype)
    return npyError(name, "unsupported dtype '" + *header->descr +
                              "' (supported: little-endian <f2, <f4, <f8, "
                              "<i4, <i8)");
  if (*header->fortranOrder)
    return npyError(name, "Fortran-order arrays are not supported; save a "
                          "C-order array (numpy.ascontiguousarray)");

  int64_t count = 1;
  for (int64_t extent : *header->shape)
    if (llvm::MulOverflow(count, extent, count) || count > maxElements)
      return npyError(name, "shape " + formatShape(*header->shape) +
                                " has more than " + llvm::Twine(maxElements) +
                                " elements, the reference interpreter's limit");

  StringRef payload = bytes.drop_front(headerStart + headerLength);
  size_t width = elementBytes(*dtype);
  if (payload.size() != static_cast<size_t>(count) * width)
    return npyError(name, "holds " + llvm::Twine(payload.size()) +
                              " data bytes but shape " +
                              formatShape(*header->shape) + " of " +
                              *header->descr + " needs " +
                              llvm::Twine(count * width));

  NpyArray array{*dtype, {}};
  array.tensor.shape = *header->shape;
  array.tensor.values.resize(count);
  const char *data = payload.data();
  for (int64_t index = 0; index < count; ++index) {
    const char *element = data + index * width;
    double &value = array.tensor.values[index];
    switch (*dtype) {
    case NpyDType::F16:
      value = halfToDouble(llvm::support::endian::read16le(element));
      break;
    case NpyDType::F32: {
      uint32_t bits = llvm::support::endian::read32le(element);
      float single;
      std::memcpy(&single, &bits, sizeof(single));
      value = single;
      break;
    }
    case NpyDType::F64: {
      uint64_t bits = llvm::support::endian::read64le(element);
      std::memcpy(&value, &bits, sizeof(value));
      break;
    }
    case NpyDType::I32:
      value = static_cast<int32_t>(llvm::support::endian::read32le(element));
      break;
    case NpyDType::I64: {
      auto integer =
          static_cast<int64_t>(llvm::support::endian::read64le(element));
      // Integers travel as doubles; beyond 2^53 they would change value.
      if (integer > (int64_t(1) << 53) || integer < -(int64_t(1) << 53))
        return npyError(name, "integer " + llvm::Twine(integer) +
                                  " at flat position " + llvm::Twine(index) +
                                  " exceeds 2^53 in magnitude");
      value = static_cast<double>(integer);
      break;
    }
    }
  }
  return array;
}

Expected<NpyArray> mlir::attn::reference::readNpy(StringRef path,
                                                  int64_t maxElements) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return npyError(path, "cannot read: " + buffer.getError().message());
  return parseNpy((*buffer)->getBuffer(), path, maxElements);
}

Expected<std::string> mlir::attn::reference::serializeNpy(
    const Tensor64 &tensor, NpyDType dtype) {
  if (static_cast<int64_t>(tensor.values.size()) != numElements(tensor.shape))
    return npyError("npy", "shape " + formatShape(tensor.shape) +
                               " does not match " +
                               llvm::Twine(tensor.values.size()) + " values");
  // NumPy's tuple spelling: (), (7,) or (2, 3).
  std::string shape = "(";
  for (auto [position, extent] : llvm::enumerate(tensor.shape))
    shape += (position ? ", " : "") + std::to_string(extent);
  shape += tensor.shape.size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + npyDescriptor(dtype).str() +
                       "', 'fortran_order': False, 'shape': " + shape;
  header += ", }";
  // The preamble (10 bytes) plus the header, ending in '\n', is padded to a
  // multiple of 64 bytes so that the data is aligned.
  size_t total = llvm::alignTo(10 + header.size() + 1, 64);
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';

  std::string bytes(kMagic);
  bytes += '\x01';
  bytes += '\x00';
  char length[2];
  llvm::support::endian::write16le(length, static_cast<uint16_t>(header.size()));
  bytes.append(length, 2);
  bytes += header;

  size_t width = elementBytes(dtype);
  size_t start = bytes.size();
  bytes.resize(start + tensor.values.size() * width);
  char *out = bytes.data() + start;
  for (auto [index, value] : llvm::enumerate(tensor.values)) {
    char *element = out + index * width;
    switch (dtype) {
    case NpyDType::F16: {
      llvm::APFloat half(value);
      bool losesInfo;
      half.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                   &losesInfo);
      llvm::support::endian::write16le(
          element, static_cast<uint16_t>(half.bitcastToAPInt().getZExtValue()));
      break;
    }
    case NpyDType::F32: {
      float single = static_cast<float>(value);
      uint32_t bits;
      std::memcpy(&bits, &single, sizeof(bits));
      llvm::support::endian::write32le(element, bits);
      break;
    }
    case NpyDType::F64: {
      uint64_t bits;
      std::memcpy(&bits, &value, sizeof(bits));
      llvm::support::endian::write64le(element, bits);
      break;
    }
    case NpyDType::I32:
    case NpyDType::I64: {
      bool narrow = dtype == NpyDType::I32;
      double limit = narrow ? 2147483648.0 : 9223372036854775808.0;
      if (value != std::trunc(value) || value < -limit || value >= limit)
        return npyError("npy", "value " + std::to_string(value) +
                                   " at flat position " + llvm::Twine(index) +
                                   " is not an integer of " +
                                   npyDescriptor(dtype));
      auto integer = static_cast<int64_t>(value);
      if (narrow)
        llvm::support::endian::write32le(element,
                                         static_cast<uint32_t>(integer));
      else
        llvm::support::endian::write64le(element,
                                         static_cast<uint64_t>(integer));
      break;
    }
    }
  }
  return bytes;
}

Error mlir::attn::reference::writeNpy(StringRef path, const Tensor64 &tensor,
                                      NpyDType dtype) {
  Expected<std::string> bytes = serializeNpy(tensor, dtype);
  if (!bytes)
    return npyError(path, llvm::toString(bytes.takeError()));
  std::error_code error;
  llvm::raw_fd_ostream out(path, error, llvm::sys::fs::OF_None);
  if (error)
    return npyError(path, "cannot write: " + error.message());
  out << *bytes;
  out.close();
  if (out.has_error())
    return npyError(path, "write failed: " + out.error().message());
  return Error::success();
}
