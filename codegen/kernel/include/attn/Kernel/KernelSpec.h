//===- KernelSpec.h - The kernel ABI every target shares --------*- C++ -*-===//
//
// What a compiled kernel looks like from the outside, independent of the
// target: a spec function @f(q, k, v, data...) returning O (and the LSE) of
// the one attention-shaped attn.cascade in its body becomes a kernel taking
// one memref per argument (q, k, v, data..., o, lse), computing the outputs
// in place. The bundle records this signature (docs/runtime.md); attn-run
// and the runtime bind tensors by it.
//
// An attn.attention is compiled through its cascade (attn-decompose), so the
// analysis here sees cascades only: hand-written ones and decomposed ones
// are the same to it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_KERNEL_KERNELSPEC_H
#define ATTN_KERNEL_KERNELSPEC_H

#include "attn/Dialect/AttnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

/// The least extent a call may pass in dimension `dim` of a data operand
/// that the kernel reads at indices the signature's sizes do not bound:
/// ceil(n / divisor), where n is the runtime size named `size`, or
/// `constant` when `size` is empty.
struct MinimumExtent {
  unsigned dim = 0;
  std::string size;
  int64_t constant = 0;
  int64_t divisor = 1;
};

/// One argument of a compiled kernel, as callers see it.
struct KernelArgument {
  /// "q", "k", "v", "data<N>", "o" or "lse" (the names attn-run's .npy files
  /// use).
  std::string name;
  RankedTensorType type;
  bool isOutput = false;
  /// Per dimension: empty when the extent is static, else the name of the
  /// runtime size it carries ("B", "Sq", "Skv", ...). Equal names must have
  /// equal values, which is what keeps the kernel's reads in bounds.
  llvm::SmallVector<std::string> dimSizes;
  /// Static extents; ShapedType::kDynamic where dimSizes names a size.
  llvm::SmallVector<int64_t> extents;
  /// The last dimension must have stride 1 (Q, K, V, O and LSE).
  bool innermostContiguous = false;
  /// Least extents beyond what `extents`/`dimSizes` say (block lists and
  /// masks: ceil(Sq / block_q) rows of blocks; document offsets: 2 entries).
  std::vector<MinimumExtent> minimumExtents;
  /// A rank-1 operand whose entries must never decrease (document offsets).
  bool nonDecreasing = false;
};

/// A spec function the code generators compile, with its kernel signature.
struct KernelSpec {
  // Op handles are mutable: MLIR's op accessors are not const.
  mutable func::FuncOp function;
  /// The attention-shaped cascade whose results the function returns.
  mutable CascadeOp cascade;
  /// Inputs in function-argument order (q, k, v, data...), then the outputs
  /// (o, then lse when the cascade returns one).
  llvm::SmallVector<KernelArgument> arguments;
  /// attn-compile mask-prep=kernel: the position of the key summary input
  /// (addKeySummaryArgument) among `arguments`, right after the data
  /// operands; -1 when the kernel scans the data itself.
  int keySummaryArgument = -1;
  /// The data operand the key summary summarizes.
  unsigned summarizedData = 0;

  unsigned numData() const { return cascade.getData().size(); }
  bool hasLse() const { return cascade.getResults().size() == 2; }
};

/// The name of the key summary of data operand `data`: "data<N>_summary".
std::string keySummaryName(unsigned data);

/// Adds to `spec` the key summary input of its data operand `data` (the ids
/// [B, S] of documents, which its kernels then read through the summary;
/// attn/Dialect/MaskVisits.h): "data<N>_summary" [B, key_chunks, 2] of the
/// ids' element type, B as the ids' and key_chunks at least
/// ceil(Skv / kKeySummaryChunk), placed after the data operands.
void addKeySummaryArgument(KernelSpec &spec, unsigned data);

/// The signature of the preparation kernel that writes the key summary of
/// `spec` (which has one): the ids (input) and the summary (output).
llvm::SmallVector<KernelArgument> keySummaryPreparationArguments(
    const KernelSpec &spec);

/// Checks that `function` holds one attention-shaped attn.cascade (inputs
/// query [B, Hq, Sq, E], key [B, Hkv, Skv, E], value [B, Hkv, Skv, F] on
/// its first three arguments, then its data operands; results O
/// [B, Hq, Sq, F] and optionally LSE [B, Hq, Sq], returned in that order)
/// and that custom regions read data operands only through tensor.extract
/// and tensor.dim; derives the kernel signature. Emits an error on failure.
FailureOr<KernelSpec> analyzeKernelSpec(func::FuncOp function);

/// The kernel specs of every function of `module` that holds an
/// attn.cascade, in module order; an error when there is none.
FailureOr<llvm::SmallVector<KernelSpec>> collectKernelSpecs(ModuleOp module);

/// Query-key pairs the tiles of `spec` cover when it runs `blockQ` x
/// `blockKV` tiles at `seqQ` x `seqKV` positions (a static length of the
/// cascade takes precedence): the area of every tile its mask visits,
/// summed over the query heads of one batch row. Targets compare tile
/// shapes by it (the work a tile shape wastes on masked pairs). nullopt
/// when the visits are not known at compile time: masks that read data
/// operands, neighborhoods (tiled as patches of the token grid, not in
/// sequence order), mask regions the interval evaluation cannot analyze,
/// dynamic head counts.
std::optional<int64_t> visitedTileArea(const KernelSpec &spec, int64_t blockQ,
                                       int64_t blockKV, int64_t seqQ,
                                       int64_t seqKV);

/// The memref type a kernel argument is passed as (every target): its
/// extents, dynamic strides and offset, except a unit last stride where the
/// signature promises one.
MemRefType kernelArgumentMemRefType(const KernelArgument &argument);

/// A kernel's memref arguments in signature order.
struct KernelOperands {
  Value query, key, value, output, lse;
  SmallVector<Value> data;
  /// KernelSpec::keySummaryArgument's memref (null when none).
  Value keySummary;
};
KernelOperands bindKernelOperands(const KernelSpec &spec, ValueRange arguments);

/// Clones a custom region of `cascade` (mask or score) at `builder`'s
/// insertion point with its block arguments bound to `arguments`, reading
/// the data operands from `dataMemrefs` (position k holds data operand #k)
/// instead of the spec's tensors; returns the yielded value.
/// analyzeKernelSpec has checked that the region reads data only through
/// tensor.extract/tensor.dim; an extract outside the operand yields zero
/// without reading memory (docs/spec-language.md).
Value inlineSpecRegion(OpBuilder &builder, CascadeOp cascade, Region &region,
                       ValueRange arguments, ArrayRef<Value> dataMemrefs);

/// The i1 "the data operands `mask` reads are valid for this call", or
/// null when none needs checking: block lists and block masks, indexed by
/// query (and key) block, whose count the signature cannot tie to Sq (Skv),
/// have enough blocks; document offsets never decrease (O(entries)). The
/// runtime checks both before a launch where it can read the data (host
/// memory); kernels check again, since GPU data is not host-readable.
Value buildDataOperandsValid(OpBuilder &builder, Location loc,
                             MaskAttrInterface mask,
                             ArrayRef<Value> dataMemrefs, Value seqQ,
                             Value seqKV);

} // namespace mlir::attn

#endif // ATTN_KERNEL_KERNELSPEC_H
