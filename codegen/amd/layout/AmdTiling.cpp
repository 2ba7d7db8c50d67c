//===- AmdTiling.cpp - The shape of an AMD kernel -------------------------===//
#include "attn/Amd/AmdTiling.h"

#include <algorithm>

using namespace mlir::attn::amd;

namespace {
constexpr int64_t kElementBytes = 2;
/// The widest LDS read of one lane (ds_read_b128); wider operands are read
/// in pieces of this size.
constexpr int64_t kMaxReadBytes = 16;
} // namespace

LdsLayout mlir::attn::amd::ldsLayout(const AmdChip &chip,
                                     const AmdTiling &tiling,
                                     int64_t headDimQK, int64_t headDimV) {
  const MatrixInstruction &in = *chip.instruction;
  LdsLayout layout;
  // A and B reads have the same width on both instructions.
  layout.pad = std::min(std::max(in.aElements, in.bElements) * kElementBytes,
                        kMaxReadBytes) /
               kElementBytes;
  layout.keyRow = headDimQK + layout.pad;
  layout.valueRow = tiling.blockKV + layout.pad;
  layout.queryRow = headDimQK + layout.pad;
  layout.keyStageBytes = tiling.blockKV * layout.keyRow * kElementBytes;
  layout.valueStageBytes = headDimV * layout.valueRow * kElementBytes;
  layout.totalBytes =
      tiling.stages * (layout.keyStageBytes + layout.valueStageBytes);
  // Two 16-bit elements per VGPR.
  int64_t queryRegisters = headDimQK / in.k * in.bElements / 2;
  if (queryRegisters <= kMaxQueryRegisters)
    return layout;
  int64_t queryBytes = tiling.blockQ(in) * layout.queryRow * kElementBytes;
  if (layout.totalBytes + queryBytes <= ldsBudget(chip, tiling.waves)) {
    layout.query = QueryPlacement::Lds;
    layout.queryBytes = queryBytes;
    layout.totalBytes += queryBytes;
  } else {
    layout.query = QueryPlacement::Global;
  }
  return layout;
}

int64_t mlir::attn::amd::defaultBlockQ(int64_t headDimQK, int64_t headDimV) {
  return std::max(headDimQK, headDimV) > 128 ? 256 : 128;
}

AmdTiling mlir::attn::amd::defaultTiling(const AmdChip &chip,
                                         int64_t headDimQK, int64_t headDimV) {
  AmdTiling tiling;
  tiling.blockKV = kDefaultBlockKV;
  tiling.waves = defaultBlockQ(headDimQK, headDimV) / chip.instruction->n;
  return tiling;
}

int64_t mlir::attn::amd::ldsBudget(const AmdChip &chip, int64_t waves) {
  // Workgroups a unit must hold for the target waves per SIMD.
  int64_t workgroups =
      std::max<int64_t>(1, chip.targetWavesPerSimd * chip.simdsPerUnit / waves);
  return std::min(chip.maxLdsBytes, chip.ldsPerUnit / workgroups);
}
