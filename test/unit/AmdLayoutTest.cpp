//===- AmdLayoutTest.cpp - The AMD instruction tables and LDS layout ------===//
//
// What the AMD kernels derive from the matrix instructions' register tables
// (MatrixInstruction.h), checked on the tables alone: the accumulator
// layout and lanes sharing a row, operand runs, where P is found for the
// value product, the emulation's holder tables, and that every LDS operand
// read of every supported shape is free of bank conflicts.
//
//===----------------------------------------------------------------------===//
#include "attn/Amd/AmdChip.h"
#include "attn/Amd/AmdTiling.h"
#include "attn/Amd/MatrixInstruction.h"

#include <gtest/gtest.h>
#include <map>
#include <set>

using namespace mlir::attn::amd;

namespace {

TEST(AmdLayout, MfmaDerivation) {
  WaveLayout layout;
  std::string error;
  ASSERT_TRUE(deriveWaveLayout(mfma32x32x8(), layout, error)) << error;
  EXPECT_EQ(layout.queryRows, 32);
  EXPECT_EQ(layout.blockRows, 32);
  // Lanes l and l ^ 32 share a query row.
  EXPECT_EQ(layout.rowLaneXorMasks, std::vector<int64_t>{32});
  std::vector<int64_t> offsets = {0,  1,  2,  3,  8,  9,  10, 11,
                                  16, 17, 18, 19, 24, 25, 26, 27};
  EXPECT_EQ(layout.columnOffset, offsets);
  EXPECT_EQ(layout.laneQuery[37], 5);
  EXPECT_EQ(layout.laneFirstColumn[37], 4);
  EXPECT_EQ(layout.aRow[37], 5);
  EXPECT_EQ(layout.aFirstK[37], 4);
  // P's score registers are already the B operand: no lane moves.
  ASSERT_EQ(layout.probabilitySource.size(), 4u);
  for (size_t step = 0; step < 4; ++step)
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(layout.probabilitySource[step][i].own());
      EXPECT_EQ(layout.probabilitySource[step][i].reg,
                static_cast<int64_t>(4 * step + i));
    }
}

TEST(AmdLayout, WmmaDerivation) {
  WaveLayout layout;
  std::string error;
  ASSERT_TRUE(deriveWaveLayout(wmma16x16x16(), layout, error)) << error;
  EXPECT_EQ(layout.rowLaneXorMasks, std::vector<int64_t>{16});
  std::vector<int64_t> offsets = {0, 2, 4, 6, 8, 10, 12, 14};
  EXPECT_EQ(layout.columnOffset, offsets);
  EXPECT_EQ(layout.laneFirstColumn[3], 0);
  EXPECT_EQ(layout.laneFirstColumn[19], 1);
  // Lane 16 h + c holds keys 2 r + h; the B operand wants all 16 keys of
  // the block: key i is register i / 2 of the lane whose h is i % 2.
  ASSERT_EQ(layout.probabilitySource.size(), 1u);
  for (int64_t i = 0; i < 16; ++i) {
    const ProbabilitySource &source = layout.probabilitySource[0][i];
    EXPECT_EQ(source.reg, i / 2);
    for (int64_t lane = 0; lane < 32; ++lane)
      EXPECT_EQ(source.xorMask[lane], (lane / 16 == i % 2) ? 0 : 16)
          << "key " << i << " lane " << lane;
  }
}

// A table where lane 1 holds two columns of C: the derivation must say so
// rather than produce a layout.
MatrixElement brokenC(int64_t lane, int64_t r) {
  return {r, lane == 1 ? r % 2 : lane % 4};
}
MatrixElement identityA(int64_t lane, int64_t i) { return {lane % 4, i}; }
MatrixElement identityB(int64_t lane, int64_t i) { return {i, lane % 4}; }

TEST(AmdLayout, DerivationRejectsBrokenTables) {
  MatrixInstruction broken{"broken", MatrixFamily::Mfma, 4, 4, 4, 4, 4, 4, 4,
                           identityA, identityB, brokenC};
  WaveLayout layout;
  std::string error;
  EXPECT_FALSE(deriveWaveLayout(broken, layout, error));
  EXPECT_NE(error.find("lane 1 holds more than one column of C"),
            std::string::npos)
      << error;
}

TEST(AmdLayout, LaneFunctions) {
  LaneFunction function;
  std::vector<int64_t> values;
  for (int64_t lane = 0; lane < 64; ++lane)
    values.push_back(8 * (lane / 32) + lane % 32 + 3);
  ASSERT_TRUE(fitLaneFunction(values, function));
  EXPECT_EQ(function.base, 3);
  for (int64_t lane = 0; lane < 64; ++lane)
    EXPECT_EQ(function.evaluate(lane), values[lane]);
  // lane * lane is no sum of weighted bits.
  for (int64_t lane = 0; lane < 64; ++lane)
    values[lane] = lane * lane;
  EXPECT_FALSE(fitLaneFunction(values, function));
}

TEST(AmdLayout, OperandHolders) {
  OperandHolders mfma = operandHolders(mfma32x32x8());
  for (const auto &element : mfma.a)
    EXPECT_EQ(element.size(), 1u);
  // RDNA3 wants A and B in both halves of the wave.
  OperandHolders wmma = operandHolders(wmma16x16x16());
  for (const auto &element : wmma.b) {
    ASSERT_EQ(element.size(), 2u);
    EXPECT_EQ(element[0].lane ^ element[1].lane, 16);
  }
}

/// The banks (4 bytes wide, 32 of them) the distinct dwords of one LDS read
/// instruction touch, lanes served together grouped by 128 bytes per clock:
/// true when no two distinct dwords of a group share a bank.
bool conflictFree(const std::vector<int64_t> &laneAddresses, int64_t bytes) {
  int64_t perClock = 128 / bytes;
  for (size_t first = 0; first < laneAddresses.size(); first += perClock) {
    std::map<int64_t, int64_t> bankDword;
    for (size_t lane = first;
         lane < std::min(laneAddresses.size(), first + perClock); ++lane)
      for (int64_t dword = laneAddresses[lane] / 4;
           dword < (laneAddresses[lane] + bytes) / 4; ++dword) {
        auto [it, inserted] = bankDword.insert({dword % 32, dword});
        if (!inserted && it->second != dword)
          return false;
      }
  }
  return true;
}

TEST(AmdLayout, OperandReadsAreBankConflictFree) {
  for (const AmdChip &chip : supportedChips()) {
    const MatrixInstruction &in = *chip.instruction;
    WaveLayout layout;
    std::string error;
    ASSERT_TRUE(deriveWaveLayout(in, layout, error)) << error;
    for (int64_t headDim : {32, 64, 128, 256})
      for (int64_t blockKV : {32, 64, 128}) {
        AmdTiling tiling;
        tiling.blockKV = blockKV;
        tiling.waves = defaultBlockQ(headDim, headDim) / in.n;
        LdsLayout lds = ldsLayout(chip, tiling, headDim, headDim);
        // K [key][e] and V^T [f][key]: lane reads row block*m + aRow, from
        // column step*k + aFirstK, aElements 2-byte elements, in pieces of
        // at most 16 bytes; Q [row][e] (when staged) likewise with the B
        // operand's bColumn and bFirstK.
        for (auto [rowElements, columns, what] :
             {std::tuple{lds.keyRow, headDim, "K"},
              std::tuple{lds.valueRow, blockKV, "V^T"},
              std::tuple{lds.queryRow, headDim, "Q"}}) {
          bool query = std::string(what) == "Q";
          if (query && lds.query != QueryPlacement::Lds)
            continue;
          int64_t elements = query ? in.bElements : in.aElements;
          int64_t readBytes = elements * 2;
          int64_t pieceBytes = std::min<int64_t>(readBytes, 16);
          for (int64_t step = 0; step < columns / in.k; ++step)
            for (int64_t piece = 0; piece < readBytes / pieceBytes; ++piece) {
              std::vector<int64_t> addresses;
              for (int64_t lane = 0; lane < in.waveSize; ++lane) {
                int64_t row = query ? layout.bColumn[lane] : layout.aRow[lane];
                int64_t first = query ? layout.bFirstK[lane]
                                      : layout.aFirstK[lane];
                addresses.push_back(
                    (row * rowElements + step * in.k + first) * 2 +
                    piece * pieceBytes);
              }
              EXPECT_TRUE(conflictFree(addresses, pieceBytes))
                  << chip.name.str() << " " << what << " head dim " << headDim
                  << " block-kv " << blockKV << " step " << step;
            }
        }
      }
  }
}

TEST(AmdLayout, DefaultTilesFitTheOccupancyTarget) {
  for (const AmdChip &chip : supportedChips())
    for (int64_t headDim : {32, 64, 128, 256}) {
      AmdTiling tiling = defaultTiling(chip, headDim, headDim);
      LdsLayout lds = ldsLayout(chip, tiling, headDim, headDim);
      EXPECT_LE(lds.totalBytes, ldsBudget(chip, tiling.waves))
          << chip.name.str() << " head dim " << headDim;
    }
}

} // namespace
