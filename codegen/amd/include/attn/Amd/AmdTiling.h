//===- AmdTiling.h - The shape of an AMD kernel ------------------*- C++ -*-===//
//
// Waves per workgroup, key tile, LDS stages, and the LDS layout they give.
// K is staged as K[stage][key][e] and V transposed as V^T[stage][f][key]
// (the value product's A operand runs along keys); each row is padded by
// the width of one lane's operand read (at most 16 bytes), so the lanes the
// LDS serves in one clock, which read the same columns of consecutive rows,
// fall on distinct banks (test/unit/AmdLayoutTest.cpp checks every read).
// Q's operands stay in registers when they are few, else go through LDS
// (Q[row][e], padded the same way) when it has room, else are read from
// global memory for every key tile. Pure arithmetic, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_AMDTILING_H
#define ATTN_AMD_AMDTILING_H

#include "attn/Amd/AmdChip.h"

namespace mlir::attn::amd {

struct AmdTiling {
  int64_t waves = 4;
  /// Keys per key tile (a multiple of the instruction's m).
  int64_t blockKV = 32;
  /// K/V tiles in LDS at once (1: the next tile is copied after the last
  /// one is used; 2: double buffering).
  int64_t stages = 1;

  int64_t blockQ(const MatrixInstruction &in) const { return waves * in.n; }
  int64_t lanes(const MatrixInstruction &in) const {
    return waves * in.waveSize;
  }
};

/// Where the query tile's B operands live while the key tiles go by.
enum class QueryPlacement { Registers, Lds, Global };

/// LDS layout in elements of the (16-bit) input type.
struct LdsLayout {
  int64_t pad = 0;
  /// Row lengths (with padding) of the K, V^T and Q tiles.
  int64_t keyRow = 0, valueRow = 0, queryRow = 0;
  /// Bytes of one stage of K and V^T, of the Q tile (0 unless Q is in LDS,
  /// after the stages), and of everything.
  int64_t keyStageBytes = 0, valueStageBytes = 0, queryBytes = 0,
          totalBytes = 0;
  QueryPlacement query = QueryPlacement::Registers;
};

/// Q's B operands take at most this many VGPRs per lane in registers.
inline constexpr int64_t kMaxQueryRegisters = 32;

LdsLayout ldsLayout(const AmdChip &chip, const AmdTiling &tiling,
                    int64_t headDimQK, int64_t headDimV);

/// The default tiles of every AMD chip for head dimensions E and F: 128
/// query rows and 32 keys, 256 query rows above head dimension 128 (so that
/// the larger LDS tiles serve more waves and the target occupancy holds;
/// docs/amd.md). The same tiles on every chip let one tiled cascade serve
/// them all.
int64_t defaultBlockQ(int64_t headDimQK, int64_t headDimV);
inline constexpr int64_t kDefaultBlockKV = 32;
/// The default shape on `chip`: waves = block-q / n.
AmdTiling defaultTiling(const AmdChip &chip, int64_t headDimQK,
                        int64_t headDimV);

/// The LDS one workgroup of `waves` waves may use for the chip's target
/// occupancy.
int64_t ldsBudget(const AmdChip &chip, int64_t waves);

} // namespace mlir::attn::amd

#endif // ATTN_AMD_AMDTILING_H
