// The sm_90a kernel's shared-memory tiles and wgmma descriptors
// (codegen/nvidia/hopper/HopperLayout.h), checked by brute force: for every
// operand shape the kernel uses, every element wgmma reads through a
// descriptor (modelled from the PTX ISA's canonical 128-byte-swizzled
// layouts) must be the element the copies stored there.
#include "attn/Hopper/HopperLayout.h"

#include <gtest/gtest.h>
#include <set>

using namespace attn::hopper;

namespace {

// A tile base that is a multiple of 1024 but not 0, as the kernel's are.
constexpr uint32_t kTileBase = 3 * kAtomBytes;

Descriptor descriptorFor(Major major, int64_t rows, int64_t first, int64_t kStep) {
  uint64_t address = kTileBase + operandByteOffset(major, rows, first, kStep);
  return Descriptor::decode(descriptorHighBits(major, rows) | (address >> 4));
}

} // namespace

TEST(HopperLayout, DescriptorBitFields) {
  // The field positions of the PTX ISA's matrix descriptor.
  Descriptor d;
  d.startAddress = 0x3FFF0;
  d.leadingByteOffset = 16;
  d.strideByteOffset = 1024;
  d.swizzleMode = 1;
  uint64_t bits = d.encode();
  EXPECT_EQ(bits & 0x3FFF, 0x3FFFu);
  EXPECT_EQ((bits >> 16) & 0x3FFF, 1u);
  EXPECT_EQ((bits >> 32) & 0x3FFF, 64u);
  EXPECT_EQ((bits >> 49) & 7, 0u);
  EXPECT_EQ(bits >> 62, 1u);
  EXPECT_EQ(bits & ~((0x3FFFull) | (0x3FFFull << 16) | (0x3FFFull << 32) | (3ull << 62)), 0u);
  Descriptor back = Descriptor::decode(bits);
  EXPECT_EQ(back.startAddress, d.startAddress);
  EXPECT_EQ(back.leadingByteOffset, d.leadingByteOffset);
  EXPECT_EQ(back.strideByteOffset, d.strideByteOffset);
  EXPECT_EQ(back.swizzleMode, d.swizzleMode);
  // The start address field holds bits 4-17 only: the OR of the high bits
  // with address >> 4 must not spill into the leading byte offset.
  EXPECT_EQ(descriptorHighBits(Major::MN, 256) & 0x3FFF, 0u);
  EXPECT_EQ(descriptorHighBits(Major::K, 64) & 0x3FFF, 0u);
}

TEST(HopperLayout, TilesAreBijective) {
  // Every element of a tile has its own 2 bytes inside the tile.
  for (int64_t rows : {8, 16, 64, 128}) {
    for (int64_t columns : {64, 128, 256}) {
      std::set<int64_t> seen;
      for (int64_t row = 0; row < rows; ++row)
        for (int64_t column = 0; column < columns; ++column) {
          int64_t offset = tileByteOffset(rows, row, column);
          ASSERT_EQ(offset % 2, 0);
          ASSERT_GE(offset, 0);
          ASSERT_LT(offset, rows * columns * 2);
          ASSERT_TRUE(seen.insert(offset).second) << rows << "x" << columns;
        }
    }
  }
}

TEST(HopperLayout, SwizzleMatchesTheHardwareAddressSwizzle) {
  // With 1024-byte aligned tiles, the tile's XOR of chunk and row is the
  // swizzle of address bits 4-6 by bits 7-9.
  for (int64_t rows : {8, 64, 128})
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t chunk = 0; chunk < 16; ++chunk) {
        uint32_t linear = uint32_t(chunk / 8 * rows * kSwizzleBytes + row * kSwizzleBytes +
                                   chunk % 8 * kChunkBytes);
        uint32_t swizzled = linear ^ (((linear >> 7) & 7u) << 4);
        EXPECT_EQ(int64_t(swizzled), tileChunkOffset(rows, row, chunk));
      }
}

TEST(HopperLayout, KMajorOperandsReadTheirTile) {
  // Q (A of Q K^T: 64 rows of one warpgroup) and K (B: n = the key tile),
  // head dimensions 64, 128, 256: element (mn, k) of k step s is tile
  // element (first + mn, 16 s + k).
  for (int64_t rows : {64, 128, 256})
    for (int64_t headDim : {64, 128, 256})
      for (int64_t first = 0; first < rows; first += 64)
        for (int64_t kStep = 0; kStep < headDim / kStepK; ++kStep) {
          Descriptor d = descriptorFor(Major::K, rows, first, kStep);
          int64_t extent = std::min<int64_t>(rows - first, 256);
          for (int64_t mn = 0; mn < extent; ++mn)
            for (int64_t k = 0; k < kStepK; ++k)
              ASSERT_EQ(hardwareAddress(d, Major::K, mn, k),
                        kTileBase + tileByteOffset(rows, first + mn, kStepK * kStep + k))
                  << "rows " << rows << " E " << headDim << " first " << first << " step "
                  << kStep << " (" << mn << ", " << k << ")";
        }
}

TEST(HopperLayout, MNMajorOperandsReadTheirTile) {
  // V as B of P V: k = 16 keys of step s (tile rows), n = the value's head
  // dimension (tile columns, across column blocks through the leading byte
  // offset).
  for (int64_t rows : {16, 32, 64, 128, 256})
    for (int64_t headDim : {64, 128, 256})
      for (int64_t kStep = 0; kStep < rows / kStepK; ++kStep) {
        Descriptor d = descriptorFor(Major::MN, rows, 0, kStep);
        for (int64_t n = 0; n < headDim; ++n)
          for (int64_t k = 0; k < kStepK; ++k)
            ASSERT_EQ(hardwareAddress(d, Major::MN, n, k),
                      kTileBase + tileByteOffset(rows, kStepK * kStep + k, n))
                << "rows " << rows << " F " << headDim << " step " << kStep << " (" << n
                << ", " << k << ")";
      }
}

TEST(HopperLayout, ASwizzleWithoutAlignmentWouldBreak) {
  // The check above can fail: a tile 512 bytes off a 1024-byte boundary
  // reads other elements (the kernel aligns its tiles for this reason).
  uint64_t address = kTileBase + 512;
  Descriptor d = Descriptor::decode(descriptorHighBits(Major::K, 64) | (address >> 4));
  int mismatches = 0;
  for (int64_t mn = 0; mn < 64; ++mn)
    for (int64_t k = 0; k < kStepK; ++k)
      mismatches += hardwareAddress(d, Major::K, mn, k) !=
                    address + tileByteOffset(64, mn, k);
  EXPECT_GT(mismatches, 0);
}
