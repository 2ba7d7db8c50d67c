//===- FloatBits.h - f16 and bf16 bit patterns <-> double -------*- C++ -*-===//
//
// Exact conversions without LLVM: a double rounds to the nearest f16/bf16
// (ties to even, overflow to infinity, subnormals kept), and 16-bit patterns
// widen exactly. attn-run stores inputs and reads outputs of those types.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_FLOATBITS_H
#define ATTN_SUPPORT_FLOATBITS_H

#include <cstdint>

namespace attn::support {

/// A binary16-like format: 1 sign bit, `exponentBits`, `mantissaBits`.
struct HalfFormat {
  int exponentBits;
  int mantissaBits;
};
inline constexpr HalfFormat kF16{5, 10};
inline constexpr HalfFormat kBF16{8, 7};

uint16_t roundToHalf(double value, HalfFormat format);
double widenHalf(uint16_t bits, HalfFormat format);

} // namespace attn::support

#endif // ATTN_SUPPORT_FLOATBITS_H
