//===- Npy.cpp - NumPy .npy files without LLVM ----------------------------===//
//
// Format: the magic "\x93NUMPY", a version (1.0 has a 16-bit header length,
// 2.0 and 3.0 a 32-bit one), then a Python dict literal with 'descr',
// 'fortran_order' and 'shape', padded with spaces and a newline, then the
// raw elements.
//
//===----------------------------------------------------------------------===//
#include "attn/Support/Npy.h"

#include "attn/Support/FloatBits.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

using namespace attn::support;

namespace {
constexpr std::string_view kMagic("\x93NUMPY", 6);

size_t elementBytes(NpyDType dtype) {
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
  return 8;
}

uint64_t readLittleEndian(const char *bytes, size_t width) {
  uint64_t value = 0;
  for (size_t byte = 0; byte < width; ++byte)
    value |= uint64_t(static_cast<unsigned char>(bytes[byte])) << (8 * byte);
  return value;
}

void writeLittleEndian(char *bytes, uint64_t value, size_t width) {
  for (size_t byte = 0; byte < width; ++byte)
    bytes[byte] = static_cast<char>((value >> (8 * byte)) & 0xFF);
}

struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<int64_t>> shape;
};

/// Parses the Python dict literal of a .npy header; `error` is set on the
/// first problem.
class HeaderParser {
public:
  HeaderParser(std::string_view text, const std::string &name)
      : rest(text), name(name) {}

  bool parse(NpyHeader &header) {
    if (!consume('{'))
      return fail("expected '{' at the start of the header");
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return false;
      if (!consume(':'))
        return fail("expected ':' after key '" + key + "'");
      if (key == "descr") {
        std::string descr;
        if (!parseString(descr))
          return false;
        header.descr = descr;
      } else if (key == "fortran_order") {
        if (consumeWord("True"))
          header.fortranOrder = true;
        else if (consumeWord("False"))
          header.fortranOrder = false;
        else
          return fail("expected True or False for 'fortran_order'");
      } else if (key == "shape") {
        std::vector<int64_t> shape;
        if (!parseShape(shape))
          return false;
        header.shape = shape;
      } else {
        return fail("unexpected header key '" + key + "'");
      }
      if (!consume(',') && !peek('}'))
        return fail("expected ',' or '}' in the header");
    }
    skipSpace();
    if (!rest.empty())
      return fail("unexpected text after the header dict");
    return true;
  }

  std::string error;

private:
  void skipSpace() {
    size_t start = rest.find_first_not_of(" \t\n");
    rest.remove_prefix(start == std::string_view::npos ? rest.size() : start);
  }
  bool peek(char c) {
    skipSpace();
    return !rest.empty() && rest.front() == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    rest.remove_prefix(1);
    return true;
  }
  bool consumeWord(std::string_view word) {
    skipSpace();
    if (rest.substr(0, word.size()) != word)
      return false;
    rest.remove_prefix(word.size());
    return true;
  }
  bool fail(const std::string &message) {
    error = name + ": malformed .npy header: " + message;
    return false;
  }

  bool parseString(std::string &text) {
    skipSpace();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return fail("expected a quoted string");
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == std::string_view::npos)
      return fail("unterminated string");
    text = std::string(rest.substr(1, end - 1));
    rest.remove_prefix(end + 1);
    return true;
  }

  bool parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return fail("expected '(' to start 'shape'");
    while (!consume(')')) {
      skipSpace();
      size_t digits = rest.find_first_not_of("0123456789");
      if (digits == 0 || rest.empty())
        return fail("expected a non-negative integer in 'shape'");
      if (digits == std::string_view::npos)
        digits = rest.size();
      std::string_view text = rest.substr(0, digits);
      int64_t extent = 0;
      for (char digit : text) {
        if (extent > (INT64_MAX - (digit - '0')) / 10)
          return fail("extent '" + std::string(text) + "' is too large");
        extent = extent * 10 + (digit - '0');
      }
      shape.push_back(extent);
      rest.remove_prefix(digits);
      if (!consume(',') && !peek(')'))
        return fail("expected ',' or ')' in 'shape'");
    }
    return true;
  }

  std::string_view rest;
  const std::string &name;
};

std::optional<NpyDType> dtypeOfDescriptor(const std::string &descr) {
  for (NpyDType dtype : {NpyDType::F16, NpyDType::F32, NpyDType::F64,
                         NpyDType::I32, NpyDType::I64})
    if (descr == npyDescriptor(dtype))
      return dtype;
  return std::nullopt;
}
} // namespace

std::string attn::support::formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t dim = 0; dim < shape.size(); ++dim)
    text += (dim ? ", " : "") + std::to_string(shape[dim]);
  return text + "]";
}

std::optional<int64_t>
attn::support::checkedElementCount(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    if (extent < 0 || __builtin_mul_overflow(count, extent, &count))
      return std::nullopt;
  return count;
}

int64_t attn::support::elementCount(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

const char *attn::support::npyDescriptor(NpyDType dtype) {
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
  return "?";
}

bool attn::support::isIntegerDType(NpyDType dtype) {
  return dtype == NpyDType::I32 || dtype == NpyDType::I64;
}

std::string attn::support::parseNpy(std::string_view bytes,
                                const std::string &name, int64_t maxElements,
                                const std::string &limitName, NpyArray &out) {
  auto fail = [&](const std::string &message) { return name + ": " + message; };
  if (bytes.substr(0, kMagic.size()) != kMagic)
    return fail("not a .npy file (bad magic)");
  if (bytes.size() < 10)
    return fail("truncated .npy preamble");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = readLittleEndian(bytes.data() + 8, 2);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated .npy preamble");
    headerLength = readLittleEndian(bytes.data() + 8, 4);
    headerStart = 12;
  } else {
    return fail("unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() - headerStart < headerLength)
    return fail("truncated .npy header");

  NpyHeader header;
  HeaderParser parser(bytes.substr(headerStart, headerLength), name);
  if (!parser.parse(header))
    return parser.error;
  if (!header.descr || !header.fortranOrder || !header.shape)
    return fail("the header must give 'descr', 'fortran_order' and 'shape'");
  std::optional<NpyDType> dtype = dtypeOfDescriptor(*header.descr);
  if (!dtype)
    return fail("unsupported dtype '" + *header.descr +
                "' (supported: little-endian <f2, <f4, <f8, <i4, <i8)");
  if (*header.fortranOrder)
    return fail("Fortran-order arrays are not supported; save a C-order "
                "array (numpy.ascontiguousarray)");

  int64_t count = 1;
  for (int64_t extent : *header.shape)
    if (__builtin_mul_overflow(count, extent, &count) || count > maxElements)
      return fail("shape " + formatShape(*header.shape) + " has more than " +
                  std::to_string(maxElements) + " elements, " + limitName);

  std::string_view payload = bytes.substr(headerStart + headerLength);
  size_t width = elementBytes(*dtype);
  if (payload.size() != static_cast<size_t>(count) * width)
    return fail("holds " + std::to_string(payload.size()) +
                " data bytes but shape " + formatShape(*header.shape) +
                " of " + *header.descr + " needs " +
                std::to_string(count * static_cast<int64_t>(width)));

  out.dtype = *dtype;
  out.shape = *header.shape;
  out.values.assign(count, 0.0);
  for (int64_t index = 0; index < count; ++index) {
    uint64_t bits = readLittleEndian(payload.data() + index * width, width);
    double &value = out.values[index];
    switch (*dtype) {
    case NpyDType::F16:
      value = widenHalf(static_cast<uint16_t>(bits), kF16);
      break;
    case NpyDType::F32: {
      auto narrow = static_cast<uint32_t>(bits);
      float single;
      std::memcpy(&single, &narrow, sizeof(single));
      value = single;
      break;
    }
    case NpyDType::F64:
      std::memcpy(&value, &bits, sizeof(value));
      break;
    case NpyDType::I32:
      value = static_cast<int32_t>(static_cast<uint32_t>(bits));
      break;
    case NpyDType::I64: {
      auto integer = static_cast<int64_t>(bits);
      // Integers travel as doubles; beyond 2^53 they would change value.
      if (integer > (int64_t(1) << 53) || integer < -(int64_t(1) << 53))
        return fail("integer " + std::to_string(integer) +
                    " at flat position " + std::to_string(index) +
                    " exceeds 2^53 in magnitude");
      value = static_cast<double>(integer);
      break;
    }
    }
  }
  return "";
}

std::string attn::support::readNpy(const std::string &path, int64_t maxElements,
                               const std::string &limitName, NpyArray &out) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return path + ": cannot read: " + std::strerror(errno);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad())
    return path + ": cannot read: " + std::strerror(errno);
  std::string bytes = contents.str();
  return parseNpy(bytes, path, maxElements, limitName, out);
}

std::string attn::support::serializeNpy(const std::vector<int64_t> &shape,
                                    const std::vector<double> &values,
                                    NpyDType dtype, std::string &out) {
  if (static_cast<int64_t>(values.size()) != elementCount(shape))
    return "npy: shape " + formatShape(shape) + " does not match " +
           std::to_string(values.size()) + " values";
  // NumPy's tuple spelling: (), (7,) or (2, 3).
  std::string tuple = "(";
  for (size_t dim = 0; dim < shape.size(); ++dim)
    tuple += (dim ? ", " : "") + std::to_string(shape[dim]);
  tuple += shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + npyDescriptor(dtype) +
                       "', 'fortran_order': False, 'shape': " + tuple + ", }";
  // The preamble (10 bytes) plus the header, ending in '\n', is padded to a
  // multiple of 64 bytes so that the data is aligned.
  size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';

  std::string bytes(kMagic);
  bytes += '\x01';
  bytes += '\x00';
  char length[2];
  writeLittleEndian(length, header.size(), 2);
  bytes.append(length, 2);
  bytes += header;

  size_t width = elementBytes(dtype);
  size_t start = bytes.size();
  bytes.resize(start + values.size() * width);
  for (size_t index = 0; index < values.size(); ++index) {
    double value = values[index];
    char *element = bytes.data() + start + index * width;
    switch (dtype) {
    case NpyDType::F16:
      writeLittleEndian(element, roundToHalf(value, kF16), 2);
      break;
    case NpyDType::F32: {
      float single = static_cast<float>(value);
      uint32_t bits;
      std::memcpy(&bits, &single, sizeof(bits));
      writeLittleEndian(element, bits, 4);
      break;
    }
    case NpyDType::F64: {
      uint64_t bits;
      std::memcpy(&bits, &value, sizeof(bits));
      writeLittleEndian(element, bits, 8);
      break;
    }
    case NpyDType::I32:
    case NpyDType::I64: {
      bool narrow = dtype == NpyDType::I32;
      double limit = narrow ? 2147483648.0 : 9223372036854775808.0;
      if (value != std::trunc(value) || value < -limit || value >= limit)
        return "npy: value " + std::to_string(value) + " at flat position " +
               std::to_string(index) + " is not an integer of " +
               npyDescriptor(dtype);
      writeLittleEndian(element,
                        static_cast<uint64_t>(static_cast<int64_t>(value)),
                        width);
      break;
    }
    }
  }
  out = std::move(bytes);
  return "";
}

std::string attn::support::writeNpy(const std::string &path,
                                const std::vector<int64_t> &shape,
                                const std::vector<double> &values,
                                NpyDType dtype) {
  std::string bytes;
  std::string error = serializeNpy(shape, values, dtype, bytes);
  if (!error.empty())
    return path + ": " + error;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    return path + ": cannot write: " + std::strerror(errno);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file)
    return path + ": write failed: " + std::strerror(errno);
  return "";
}
