//===- SeededRandom.h - Reproducible random inputs --------------*- C++ -*-===//
//
// The generator behind every seeded input of attn: std::mt19937_64 (fixed
// by the C++ standard) with our own distributions, so the same seed gives
// the same values with any standard library. The float64 reference's input
// generation and the MLIR-free attn-run both draw from it: a bundle run on
// a GPU machine sees exactly the q, k and v that `attn-run SPEC --target ref
// --seed S` used.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_SEEDEDRANDOM_H
#define ATTN_SUPPORT_SEEDEDRANDOM_H

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace attn::support {

class SeededRandom {
public:
  explicit SeededRandom(uint64_t seed) : engine(seed) {}

  /// Uniform in [low, high]; rejection sampling avoids modulo bias.
  int64_t uniformInt(int64_t low, int64_t high) {
    uint64_t span = static_cast<uint64_t>(high - low) + 1;
    if (span == 0) // The full 64-bit range.
      return static_cast<int64_t>(engine());
    uint64_t limit = std::numeric_limits<uint64_t>::max() -
                     std::numeric_limits<uint64_t>::max() % span;
    uint64_t draw;
    do
      draw = engine();
    while (draw >= limit);
    return low + static_cast<int64_t>(draw % span);
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

  /// Standard normal by the Box-Muller transform.
  double normal() {
    double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    constexpr double twoPi = 6.283185307179586476925286766559;
    return radius * std::cos(twoPi * uniform());
  }

  template <typename T> void shuffle(std::vector<T> &items) {
    for (int64_t last = static_cast<int64_t>(items.size()) - 1; last > 0;
         --last)
      std::swap(items[last], items[uniformInt(0, last)]);
  }

private:
  std::mt19937_64 engine;
};

/// Independent seeds per tensor (SplitMix64 finalizer), so that adding a
/// data operand does not change the values of Q, K and V. Streams: 0 for Q,
/// 1 for K, 2 for V, 3 + N for data operand N.
inline uint64_t streamSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

} // namespace attn::support

#endif // ATTN_SUPPORT_SEEDEDRANDOM_H
