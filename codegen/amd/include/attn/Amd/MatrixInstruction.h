//===- MatrixInstruction.h - AMD matrix instructions as data ----*- C++ -*-===//
//
// The one place the AMD matrix instructions' register layouts are written
// down: for each instruction, which element of A, B and C/D every register
// of every lane of a wave holds (the ISA documents' tables, as functions).
// Everything else is derived from these tables and checked while deriving:
// the accumulator layout the schedule emitter sees (FragmentLayout), where
// each lane reads its operands from memory, how the probabilities P move
// from the score accumulator into the B operand of the value product, and
// the emulation of the instruction on the host (docs/amd.md).
//
// The kernels use the transposed products S^T = K Q^T and O^T = V^T P^T, so
// that the C/D columns, which a lane holds whole, are query rows:
//
//   instruction    A (m x k)     B (k x n)     C/D (m x n)
//   S^T = K Q^T    K[key][e]     Q[query][e]   S[query][key]
//   O^T = V^T P^T  V[key][f]^T   P[query][key] O[query][f]
//
// No LLVM or MLIR here: the tables are plain integers, tested on their own
// (test/unit/AmdLayoutTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_MATRIXINSTRUCTION_H
#define ATTN_AMD_MATRIXINSTRUCTION_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::amd {

/// A position in a matrix operand.
struct MatrixElement {
  int64_t row = 0;
  int64_t column = 0;
  bool operator==(const MatrixElement &other) const {
    return row == other.row && column == other.column;
  }
};

enum class MatrixFamily { Mfma, Wmma };

/// One wave-wide matrix instruction D = A B + C with f16 or bf16 A and B
/// and f32 C and D.
struct MatrixInstruction {
  /// "v_mfma_f32_32x32x8_f16 / _bf16_1k" (for diagnostics and docs).
  const char *name;
  MatrixFamily family;
  int64_t m, n, k;
  int64_t waveSize;
  /// Elements per lane of each operand.
  int64_t aElements, bElements, cElements;
  /// The element of A (row < m, column < k), B (row < k, column < n) and
  /// C/D (row < m, column < n) that element `index` of `lane` holds.
  MatrixElement (*a)(int64_t lane, int64_t index);
  MatrixElement (*b)(int64_t lane, int64_t index);
  MatrixElement (*c)(int64_t lane, int64_t index);
};

/// v_mfma_f32_32x32x8_f16 and v_mfma_f32_32x32x8_bf16_1k (CDNA2/CDNA3,
/// wave64): lane = 32 h + c holds A[c][4h + i], B[4h + i][c] (i < 4) and
/// D[8 (r / 4) + 4 h + r % 4][c] (r < 16).
const MatrixInstruction &mfma32x32x8();
/// v_wmma_f32_16x16x16_f16 / _bf16 (RDNA3, wave32): lane = 16 h + c holds
/// A[c][i], B[i][c] (i < 16; both halves of the wave hold the same A and B)
/// and D[2 r + h][c] (r < 8).
const MatrixInstruction &wmma16x16x16();

/// Where the value product finds B element `index` of a lane: register
/// `reg` of the score block holding the k step's keys (the same register
/// in every lane), in the lane `xorMask[lane]` lanes away (0: its own).
struct ProbabilitySource {
  int64_t reg = 0;
  std::vector<int64_t> xorMask;
  bool own() const {
    for (int64_t mask : xorMask)
      if (mask != 0)
        return false;
    return true;
  }
};

/// What the schedule needs of an instruction for the transposed products,
/// derived from its tables by deriveWaveLayout, which checks every
/// assumption it makes (one lane holds one query row whole, operands are
/// contiguous runs, the same per-lane formulas hold for every lane).
struct WaveLayout {
  const MatrixInstruction *instruction = nullptr;
  /// Query rows per wave (n) and keys/value columns per accumulator block
  /// (m).
  int64_t queryRows = 0, blockRows = 0;
  /// Per lane: its query row (a C/D column) and the first key or value
  /// column of its accumulator registers (a C/D row).
  std::vector<int64_t> laneQuery, laneFirstColumn;
  /// Per C/D register: its column offset from laneFirstColumn (the same for
  /// every lane).
  std::vector<int64_t> columnOffset;
  /// The XOR distances generating the lanes that share a query row.
  std::vector<int64_t> rowLaneXorMasks;
  /// Operands read from memory: lane's A row (key or value column of the
  /// block) and first k; lane's B column (query) and first k. Each lane's
  /// elements are k, k + 1, ...
  std::vector<int64_t> aRow, aFirstK, bColumn, bFirstK;
  /// Per k step within a score block of m keys (m / k of them) and B
  /// element: where the value product finds P (score blocks are m keys,
  /// k steps k keys).
  std::vector<std::vector<ProbabilitySource>> probabilitySource;
};

/// Derives the layout; on failure returns false and says which assumption
/// the instruction's tables break.
bool deriveWaveLayout(const MatrixInstruction &instruction, WaveLayout &layout,
                      std::string &error);

/// A per-lane quantity as arithmetic on the lane id: base plus, for each
/// run of lane bits [firstBit, firstBit + bits), the run's value times
/// `weight`. Every per-lane table of a WaveLayout has this form (checked by
/// fitLaneFunction), so kernels compute it with shifts and masks instead of
/// reading a table.
struct LaneFunction {
  struct Run {
    int64_t firstBit, bits, weight;
  };
  int64_t base = 0;
  std::vector<Run> runs;
  int64_t evaluate(int64_t lane) const;
};
/// Fits `values` (one per lane, a power-of-two count) with a LaneFunction;
/// false when no sum of weighted lane bits gives them.
bool fitLaneFunction(const std::vector<int64_t> &values, LaneFunction &out);

/// For the emulation of an instruction: the lanes holding each element of A
/// (m x k) and B (k x n), with the element's index in those lanes. Where the
/// ISA wants an operand replicated (WMMA), an element has several holders,
/// which must hold equal values.
struct OperandHolders {
  struct Holder {
    int64_t lane, index;
  };
  /// [row * columns + column] -> holders.
  std::vector<std::vector<Holder>> a, b;
};
OperandHolders operandHolders(const MatrixInstruction &instruction);

} // namespace mlir::attn::amd

#endif // ATTN_AMD_MATRIXINSTRUCTION_H
