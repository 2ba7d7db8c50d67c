//===- ScheduleEmitter.h - The one tiled-schedule emitter -------*- C++ -*-===//
//
// Lowers a TileProgram (a tiled, sparsified 1-pass cascade) to the body of a
// kernel through a ScheduleTarget. This is the only place the tiled schedule
// is written: per work item, the visit ranges of the mask's closed form;
// per lane, the pipelined loop over the visited key tiles (empty tiles
// skipped, element rules only on partial ones), each Einsum of the tile as
// matrix-unit products, element-wise maps, row reductions and running
// tensor updates in registers, then the epilogue and the stores of O and
// the LSE. docs/architecture.md describes it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SCHEDULE_SCHEDULEEMITTER_H
#define ATTN_SCHEDULE_SCHEDULEEMITTER_H

#include "attn/Schedule/ScheduleTarget.h"
#include "attn/Schedule/TileProgram.h"

namespace mlir::attn::schedule {

/// Emits the body of the kernel computing `program` for `spec` at `b`'s
/// insertion point, inside a kernel function whose `arguments` are the
/// memrefs of the signature (kernelArgumentMemRefType), through `target`.
/// The caller creates the function and its terminator; the target's
/// checkProgram must have succeeded.
void emitScheduledKernel(ImplicitLocOpBuilder &b, const KernelSpec &spec,
                         const TileProgram &program, ScheduleTarget &target,
                         ValueRange arguments);

/// The memrefs of a gradient program's tensors (TileProgram::gradient) and
/// the sizes of the call.
struct GradientOperands {
  /// Every input and result of the program's cascade, by tensor name.
  DenseMap<StringAttr, Value> tensors;
  SmallVector<Value> data;
  Value batchSize, seqQ, seqKV;
  int64_t queryHeads = 0, kvHeads = 0;

  /// Takes the sizes from q [B, Hq, Sq, E] and k [B, Hkv, Skv, E], which
  /// give those of every phase.
  void setSizesFrom(ImplicitLocOpBuilder &b, Value query, Value key);
};

/// Emits one gradient program (a phase of a backward kernel) at `b`'s
/// insertion point through `target`; the target's checkProgram must have
/// succeeded.
void emitGradientKernel(ImplicitLocOpBuilder &b, const TileProgram &program,
                        ScheduleTarget &target,
                        const GradientOperands &operands);

/// Emits the preparation kernel of a key summary (attn-compile
/// mask-prep=kernel; addKeySummaryArgument, attn/Kernel/KernelSpec.h) at
/// `b`'s insertion point through `target`: a work item per chunk of
/// kKeySummaryChunk keys of each batch row reduces the chunk's ids (`ids`,
/// [B, S]) to their smallest and largest, stored at [b, chunk, 0] and
/// [b, chunk, 1] of `summary` ([B, chunks, 2]; chunks past its extent are not
/// stored). O(B S) per call. The target lays the work items out as query
/// tiles of kKeySummaryChunk rows of one head (GPUs: grid
/// (ceil(S / chunk), 1, B)), and must tile its rows by kKeySummaryChunk.
void emitKeySummaryKernel(ImplicitLocOpBuilder &b, ScheduleTarget &target,
                          Value ids, Value summary);

} // namespace mlir::attn::schedule

#endif // ATTN_SCHEDULE_SCHEDULEEMITTER_H
