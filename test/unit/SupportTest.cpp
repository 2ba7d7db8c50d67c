// attn-run's LLVM-free support library against LLVM: f16/bf16 rounding and
// widening against APFloat, and .npy round trips of every dtype.
#include "attn/Support/FloatBits.h"
#include "attn/Support/Npy.h"

#include "llvm/ADT/APFloat.h"
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace attn::support;

namespace {
uint16_t roundWithAPFloat(double value, const llvm::fltSemantics &semantics) {
  llvm::APFloat converted(value);
  bool losesInfo = false;
  converted.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint16_t>(converted.bitcastToAPInt().getZExtValue());
}

struct Format {
  HalfFormat format;
  const llvm::fltSemantics *semantics;
  const char *name;
};

std::vector<Format> formats() {
  return {{kF16, &llvm::APFloat::IEEEhalf(), "f16"},
          {kBF16, &llvm::APFloat::BFloat(), "bf16"}};
}
} // namespace

TEST(FloatBits, RoundingMatchesAPFloat) {
  std::mt19937_64 engine(11);
  std::vector<double> values = {0.0, -0.0, 1.0, 65504.0, 65520.0, 65519.99,
                                1e-8, -3e-5, 6.0e-8, 2.9e-8, 1e39, -1e300,
                                INFINITY, -INFINITY, 0x1.0p-133, 0x1.8p-134};
  for (int i = 0; i < 200000; ++i) {
    // Any bit pattern, and values near representable points and their
    // midpoints (ties) across the normal and subnormal ranges.
    uint64_t bits = engine();
    double any;
    std::memcpy(&any, &bits, sizeof(any));
    if (!std::isnan(any))
      values.push_back(any);
    int exponent = static_cast<int>(engine() % 60) - 40;
    double grid = std::ldexp(static_cast<double>(engine() % 4096), exponent);
    values.push_back(grid);
    values.push_back(-grid * (1 + std::ldexp(1.0, -30)));
  }
  for (const Format &f : formats())
    for (double value : values)
      ASSERT_EQ(roundToHalf(value, f.format),
                roundWithAPFloat(value, *f.semantics))
          << f.name << " of " << value;
}

TEST(FloatBits, WideningIsExactForEveryPattern) {
  for (const Format &f : formats())
    for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
      llvm::APFloat expected(*f.semantics, llvm::APInt(16, bits));
      double widened = widenHalf(static_cast<uint16_t>(bits), f.format);
      if (expected.isNaN()) {
        EXPECT_TRUE(std::isnan(widened)) << f.name << " " << bits;
        continue;
      }
      ASSERT_EQ(widened, expected.convertToDouble()) << f.name << " " << bits;
      ASSERT_EQ(roundToHalf(widened, f.format), bits) << f.name;
    }
}

TEST(Npy, RoundTripsEveryDType) {
  std::vector<int64_t> shape = {2, 3};
  std::vector<double> values = {0, -1, 2, 300, -4096, 7};
  for (NpyDType dtype : {NpyDType::F16, NpyDType::F32, NpyDType::F64,
                         NpyDType::I32, NpyDType::I64}) {
    std::string bytes;
    ASSERT_EQ(serializeNpy(shape, values, dtype, bytes), "");
    NpyArray array;
    ASSERT_EQ(parseNpy(bytes, "t.npy", 100, "test limit", array), "");
    EXPECT_EQ(array.dtype, dtype);
    EXPECT_EQ(array.shape, shape);
    EXPECT_EQ(array.values, values);
  }
  NpyArray array;
  std::string bytes;
  ASSERT_EQ(serializeNpy(shape, values, NpyDType::F64, bytes), "");
  EXPECT_EQ(parseNpy(bytes, "t.npy", 5, "test limit", array),
            "t.npy: shape [2, 3] has more than 5 elements, test limit");
  EXPECT_EQ(serializeNpy(shape, {0.5, 0, 0, 0, 0, 0}, NpyDType::I32, bytes),
            "npy: value 0.500000 at flat position 0 is not an integer of <i4");
}
