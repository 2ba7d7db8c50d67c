//===- HopperLayout.cpp - Shared-memory tiles and wgmma descriptors -------===//
#include "attn/Hopper/HopperLayout.h"

namespace attn::hopper {

namespace {
constexpr uint64_t kFieldMask = 0x3FFF; // 14 bits, in units of 16 bytes
constexpr int64_t kElementBytes = 2;
constexpr uint32_t kSwizzle128 = 1;

uint32_t swizzle128(uint32_t address) {
  return address ^ (((address >> 7) & 7u) << 4);
}
} // namespace

int64_t tileChunkOffset(int64_t rows, int64_t row, int64_t chunk) {
  constexpr int64_t chunksPerBlock = kSwizzleBytes / kChunkBytes;
  int64_t block = chunk / chunksPerBlock;
  int64_t position = (chunk % chunksPerBlock) ^ (row % kSwizzleRows);
  return block * rows * kSwizzleBytes + row * kSwizzleBytes +
         position * kChunkBytes;
}

int64_t tileByteOffset(int64_t rows, int64_t row, int64_t column) {
  int64_t chunkElements = kChunkBytes / kElementBytes;
  return tileChunkOffset(rows, row, column / chunkElements) +
         column % chunkElements * kElementBytes;
}

uint64_t Descriptor::encode() const {
  return (uint64_t(startAddress >> 4) & kFieldMask) |
         ((uint64_t(leadingByteOffset >> 4) & kFieldMask) << 16) |
         ((uint64_t(strideByteOffset >> 4) & kFieldMask) << 32) |
         (uint64_t(baseOffset & 7u) << 49) | (uint64_t(swizzleMode & 3u) << 62);
}

Descriptor Descriptor::decode(uint64_t bits) {
  Descriptor d;
  d.startAddress = uint32_t(bits & kFieldMask) << 4;
  d.leadingByteOffset = uint32_t((bits >> 16) & kFieldMask) << 4;
  d.strideByteOffset = uint32_t((bits >> 32) & kFieldMask) << 4;
  d.baseOffset = uint32_t((bits >> 49) & 7u);
  d.swizzleMode = uint32_t((bits >> 62) & 3u);
  return d;
}

uint64_t descriptorHighBits(Major major, int64_t rows) {
  Descriptor d;
  d.swizzleMode = kSwizzle128;
  // Consecutive groups of 8 rows (atoms) follow each other.
  d.strideByteOffset = kAtomBytes;
  // K-major swizzled operands never cross a 128-byte row (the field is
  // unused, conventionally 1); MN-major ones cross column blocks.
  d.leadingByteOffset =
      major == Major::K ? kChunkBytes : uint32_t(rows * kSwizzleBytes);
  return d.encode();
}

int64_t operandByteOffset(Major major, int64_t rows, int64_t first,
                          int64_t kStep) {
  if (major == Major::K) {
    // k steps of 16 elements (32 bytes) advance within a 128-byte row, 4 per
    // column block.
    constexpr int64_t stepsPerBlock = kBlockColumns / kStepK;
    return kStep / stepsPerBlock * rows * kSwizzleBytes +
           first * kSwizzleBytes + kStep % stepsPerBlock * kStepK * kElementBytes;
  }
  // MN-major: k steps are 16 rows; `first` is a column-block boundary.
  return first / kBlockColumns * rows * kSwizzleBytes +
         kStep * kStepK * kSwizzleBytes;
}

uint32_t hardwareAddress(const Descriptor &descriptor, Major major, int64_t mn,
                         int64_t k) {
  // Canonical 128-byte-swizzled layouts in elements, T = 8 elements per 16
  // bytes:
  //   K-major:  ((8, m), (T, 2)) : ((8T, SBO), (1, T))
  //   MN-major: ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO))
  uint32_t address = descriptor.startAddress;
  if (major == Major::K) {
    address += uint32_t(mn % 8 * kSwizzleBytes + mn / 8 * descriptor.strideByteOffset +
                        k * kElementBytes);
  } else {
    address += uint32_t(mn % kBlockColumns * kElementBytes +
                        mn / kBlockColumns * descriptor.leadingByteOffset +
                        k % 8 * kSwizzleBytes + k / 8 * descriptor.strideByteOffset);
  }
  return descriptor.swizzleMode == kSwizzle128 ? swizzle128(address) : address;
}

} // namespace attn::hopper
