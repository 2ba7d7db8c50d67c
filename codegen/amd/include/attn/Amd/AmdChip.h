//===- AmdChip.h - The AMD chips attn compiles for --------------*- C++ -*-===//
//
// gfx90a (MI200, CDNA2) and gfx942 (MI300, CDNA3): wave64, MFMA 32x32x8;
// gfx1100 (RDNA3): wave32, WMMA 16x16x16. With each chip, the occupancy
// the kernels are built for, which the ISA checks hold them to
// (docs/amd.md).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_AMD_AMDCHIP_H
#define ATTN_AMD_AMDCHIP_H

#include "attn/Amd/MatrixInstruction.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace mlir::attn::amd {

struct AmdChip {
  llvm::StringRef name;
  /// "MI300 (CDNA3)".
  llvm::StringRef family;
  const MatrixInstruction *instruction;
  /// LDS one workgroup may allocate, and LDS of the unit workgroups share
  /// (a CU; an RDNA3 WGP) with its SIMDs.
  int64_t maxLdsBytes;
  int64_t ldsPerUnit;
  int64_t simdsPerUnit;
  /// The occupancy target: waves per SIMD, and the VGPRs (with AGPRs where
  /// the chip has them) per lane that allow it.
  int64_t targetWavesPerSimd;
  int64_t registerBudget;
  bool hasAgprs;
};

/// The chips, in the order of `targets=` lists ("gfx90a", "gfx942",
/// "gfx1100").
llvm::ArrayRef<AmdChip> supportedChips();
llvm::ArrayRef<llvm::StringRef> supportedChipNames();
std::string supportedChipList();
/// Null for a chip attn does not know.
const AmdChip *lookupChip(llvm::StringRef name);

} // namespace mlir::attn::amd

#endif // ATTN_AMD_AMDCHIP_H
