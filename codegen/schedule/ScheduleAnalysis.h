//===- ScheduleAnalysis.h - What the schedule emitter decides up front -*- C++ -*-===//
//
// The schedule emitter's analyses of a tile program (ScheduleAnalysis.cpp):
// pending factors, keys past Skv, lane-partial sums. Private to
// codegen/schedule.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SCHEDULE_SCHEDULEANALYSIS_H
#define ATTN_SCHEDULE_SCHEDULEANALYSIS_H

#include "attn/Schedule/TileProgram.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include <optional>

namespace mlir::attn::schedule {

struct ScheduleAnalysis {
  /// The factor each running tensor is carried at (it stands for factor *
  /// register).
  DenseMap<StringAttr, double> runningFactor;
  /// Row sums and running tensors kept as per-lane partial sums.
  llvm::DenseSet<StringAttr> lanePartial;
  /// What per-score tensors hold at keys past Skv, where known.
  DenseMap<StringAttr, double> outsideValues;
  /// What the query-key product's keys past Skv are set to (nullopt: left
  /// as computed).
  std::optional<double> productOutside;
  /// The product productOutside applies to: the body's first.
  StringAttr outsideProduct;

  /// The value a per-score expression holds at keys past Skv (every mask
  /// test fails there), when the analysis can tell.
  std::optional<double> outsideValueOf(Attribute expression) const;
};

/// Analyzes `program`; `lanesShareRows` says whether several lanes hold
/// parts of one row (so that sums may stay lane-partial).
ScheduleAnalysis analyzeSchedule(const TileProgram &program,
                                 bool lanesShareRows);

/// The factor a map's result carries given the factors of its operands
/// (`constants[i]` is set for constant operands, whose factor is 1), or
/// nullopt when the operands must be materialized (factor 1) first. The
/// emitter and the inference of running tensors' factors both decide here.
std::optional<double> resultFactor(MapKind kind, ArrayRef<double> factors,
                                   ArrayRef<std::optional<double>> constants);

} // namespace mlir::attn::schedule

#endif // ATTN_SCHEDULE_SCHEDULEANALYSIS_H
