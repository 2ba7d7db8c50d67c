//===- AmdChip.cpp - The AMD chips attn compiles for ----------------------===//
#include "attn/Amd/AmdChip.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir::attn::amd;

// Occupancy targets. CDNA2/3: a CU has 4 SIMDs and 64 KiB of LDS; a SIMD
// has 512 registers per lane shared by VGPRs and AGPRs, so 2 waves per SIMD
// allow 256 each. RDNA3 (WGP mode): a WGP has 4 SIMDs and 128 KiB of LDS; a
// SIMD has 1536 VGPRs per lane in wave32, so 6 waves per SIMD allow 256
// each, the most one wave can address.
llvm::ArrayRef<AmdChip> mlir::attn::amd::supportedChips() {
  static const AmdChip chips[] = {
      {"gfx90a", "MI200 (CDNA2)", &mfma32x32x8(), 64 * 1024, 64 * 1024, 4, 2,
       256, true},
      {"gfx942", "MI300 (CDNA3)", &mfma32x32x8(), 64 * 1024, 64 * 1024, 4, 2,
       256, true},
      {"gfx1100", "RDNA3", &wmma16x16x16(), 64 * 1024, 128 * 1024, 4, 6, 256,
       false},
  };
  return chips;
}

llvm::ArrayRef<llvm::StringRef> mlir::attn::amd::supportedChipNames() {
  static const llvm::SmallVector<llvm::StringRef> names = [] {
    llvm::SmallVector<llvm::StringRef> list;
    for (const AmdChip &chip : supportedChips())
      list.push_back(chip.name);
    return list;
  }();
  return names;
}

std::string mlir::attn::amd::supportedChipList() {
  return llvm::join(supportedChipNames(), ", ");
}

const AmdChip *mlir::attn::amd::lookupChip(llvm::StringRef name) {
  const AmdChip *found = llvm::find_if(
      supportedChips(), [&](const AmdChip &chip) { return chip.name == name; });
  return found == supportedChips().end() ? nullptr : found;
}
