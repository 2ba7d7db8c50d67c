//===- FloatBits.cpp - f16 and bf16 bit patterns <-> double ---------------===//
//
// Rounding works on magnitudes: the quantum (spacing of representable
// values) at |x| is a power of two, so |x| / quantum is exact in double and
// nearbyint rounds it to even in the default rounding mode.
//
//===----------------------------------------------------------------------===//
#include "attn/Support/FloatBits.h"

#include <cmath>

using namespace attn::support;

uint16_t attn::support::roundToHalf(double value, HalfFormat format) {
  const int bias = (1 << (format.exponentBits - 1)) - 1;
  const int minExponent = 1 - bias;
  const uint16_t exponentMask = static_cast<uint16_t>(
      ((1u << format.exponentBits) - 1) << format.mantissaBits);
  uint16_t sign = std::signbit(value)
                      ? static_cast<uint16_t>(1u << (format.exponentBits +
                                                     format.mantissaBits))
                      : 0;
  if (std::isnan(value))
    return sign | exponentMask |
           static_cast<uint16_t>(1u << (format.mantissaBits - 1));
  double magnitude = std::fabs(value);
  if (std::isinf(magnitude))
    return sign | exponentMask;

  auto quantumAt = [&](double x) {
    int exponent = minExponent;
    if (x >= std::ldexp(1.0, minExponent)) {
      std::frexp(x, &exponent);
      exponent -= 1; // frexp gives x = f * 2^e with f in [0.5, 1)
    }
    return std::ldexp(1.0, exponent - format.mantissaBits);
  };
  double rounded = std::nearbyint(magnitude / quantumAt(magnitude)) *
                   quantumAt(magnitude);
  const int maxExponent = bias;
  double largest = std::ldexp(2.0 - std::ldexp(1.0, -format.mantissaBits),
                              maxExponent);
  if (rounded > largest)
    return sign | exponentMask;
  if (rounded < std::ldexp(1.0, minExponent)) // subnormal or zero
    return sign | static_cast<uint16_t>(rounded / quantumAt(0.0));
  int exponent;
  std::frexp(rounded, &exponent);
  exponent -= 1;
  auto mantissa = static_cast<uint16_t>(
      rounded / std::ldexp(1.0, exponent - format.mantissaBits) -
      std::ldexp(1.0, format.mantissaBits));
  return sign |
         static_cast<uint16_t>((exponent + bias) << format.mantissaBits) |
         mantissa;
}

double attn::support::widenHalf(uint16_t bits, HalfFormat format) {
  const int bias = (1 << (format.exponentBits - 1)) - 1;
  const unsigned mantissaMask = (1u << format.mantissaBits) - 1;
  const unsigned exponentAllOnes = (1u << format.exponentBits) - 1;
  bool negative = bits >> (format.exponentBits + format.mantissaBits);
  unsigned exponent = (bits >> format.mantissaBits) & exponentAllOnes;
  unsigned mantissa = bits & mantissaMask;
  double magnitude;
  if (exponent == exponentAllOnes)
    magnitude = mantissa ? std::nan("") : INFINITY;
  else if (exponent == 0)
    magnitude = std::ldexp(static_cast<double>(mantissa),
                           1 - bias - format.mantissaBits);
  else
    magnitude = std::ldexp(static_cast<double>(mantissa | (mantissaMask + 1)),
                           static_cast<int>(exponent) - bias -
                               format.mantissaBits);
  return negative ? -magnitude : magnitude;
}
