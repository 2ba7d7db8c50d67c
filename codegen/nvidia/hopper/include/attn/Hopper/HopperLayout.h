//===- HopperLayout.h - Shared-memory tiles and wgmma descriptors -*- C++ -*-===//
//
// Plain arithmetic (no MLIR) behind the sm_90a kernel's shared memory: where
// an element of a staged tile lives, and the 64-bit matrix descriptors that
// let wgmma.mma_async read a tile. Kept apart so that a host unit test can
// check them against the PTX ISA's canonical layouts by brute force.
//
// Tiles of 16-bit elements use the 128-byte swizzle: a tile of `rows` rows
// and `columns` columns is stored as columns / 64 column blocks, each
// `rows` x 128 bytes; row r of a block is the 128 bytes at r * 128, and its
// 16-byte chunk c sits at chunk position c XOR (r mod 8). Every tile starts
// at a multiple of 1024 bytes, so the XOR equals the hardware's swizzle of
// address bits 4-6 by bits 7-9.
//
// Descriptor (PTX ISA, "Matrix Descriptor Format"): bits 0-13 the start
// address >> 4, 16-29 the leading dimension byte offset >> 4, 32-45 the
// stride dimension byte offset >> 4, 49-51 the base offset (0: atoms are
// 1024-byte aligned), 62-63 the swizzle mode (1: 128 bytes).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOPPER_HOPPERLAYOUT_H
#define ATTN_HOPPER_HOPPERLAYOUT_H

#include <cstdint>

namespace attn::hopper {

/// Bytes of one swizzled row (and of a column block's row): 64 16-bit
/// elements.
constexpr int64_t kSwizzleBytes = 128;
/// Rows after which the swizzle pattern repeats; 8 rows are one 1024-byte
/// atom, the alignment every tile needs.
constexpr int64_t kSwizzleRows = 8;
constexpr int64_t kAtomBytes = kSwizzleBytes * kSwizzleRows;
/// Bytes of one 16-byte copy chunk.
constexpr int64_t kChunkBytes = 16;
/// Elements (16-bit) of one column block and one wgmma k step.
constexpr int64_t kBlockColumns = kSwizzleBytes / 2;
constexpr int64_t kStepK = 16;

/// The byte offset of element (row, column) in a staged tile of `rows`
/// rows of 16-bit elements, from the tile's (1024-byte aligned) start.
int64_t tileByteOffset(int64_t rows, int64_t row, int64_t column);
/// The byte offset of 16-byte chunk `chunk` of row `row` (chunk = column /
/// 8): where a copy of that chunk goes.
int64_t tileChunkOffset(int64_t rows, int64_t row, int64_t chunk);

/// A wgmma operand's matrix as one descriptor describes it.
enum class Major {
  /// The reduction (k) dimension is contiguous: Q and K (rows of a tile are
  /// m or n, columns are k).
  K,
  /// The m/n dimension is contiguous: V read as B of P V (rows of the tile
  /// are k, columns are n).
  MN,
};

struct Descriptor {
  /// Shared-memory address of the operand's first element (a multiple of 16).
  uint32_t startAddress = 0;
  uint32_t leadingByteOffset = 0;
  uint32_t strideByteOffset = 0;
  /// 1: the 128-byte swizzle.
  uint32_t swizzleMode = 0;
  uint32_t baseOffset = 0;

  uint64_t encode() const;
  static Descriptor decode(uint64_t bits);
};

/// The descriptor constant bits (everything but the start address) of an
/// operand in a staged tile of `rows` rows: K-major (Q, K: rows are m or n),
/// MN-major (V: rows are k).
uint64_t descriptorHighBits(Major major, int64_t rows);
/// The byte offset from the tile's start where the operand of k step
/// `kStep` begins, for an operand whose m/n extent starts at row (K-major)
/// or column (MN-major) `first`.
int64_t operandByteOffset(Major major, int64_t rows, int64_t first,
                          int64_t kStep);

/// What the hardware reads for element (mn, k) of an operand (mn < 256, k <
/// 16) described by `descriptor`, following the canonical layouts of the
/// PTX ISA ("Shared Memory Matrix Layout") for the 128-byte swizzle: the
/// unswizzled address from the descriptor's offsets, then address bits 4-6
/// XORed with bits 7-9. For the unit test's brute-force comparison with
/// tileByteOffset.
uint32_t hardwareAddress(const Descriptor &descriptor, Major major, int64_t mn,
                         int64_t k);

} // namespace attn::hopper

#endif // ATTN_HOPPER_HOPPERLAYOUT_H
