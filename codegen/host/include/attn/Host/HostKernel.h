//===- HostKernel.h - attn.attention to loop-level host kernels -*- C++ -*-===//
//
// The host target's first half: a spec function (one attn.attention on the
// function's arguments) becomes a func.func on memrefs that runs the 1-pass
// online-softmax cascade over query tiles and key tiles with scf loops.
// HostCompiler.h turns such functions into a shared object.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_HOST_HOSTKERNEL_H
#define ATTN_HOST_HOSTKERNEL_H

#include "attn/Dialect/AttnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace mlir::attn::host {

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
};

/// A spec function the host target compiles: @f(q, k, v, data...) returning
/// the output (and the LSE) of the one attn.attention in its body. This is
/// the contract attn-run uses to bind inputs.
struct KernelSpec {
  func::FuncOp function;
  AttentionOp attention;
  /// Inputs in function-argument order, then the outputs.
  llvm::SmallVector<KernelArgument> arguments;
};

/// Checks that `function` has the spec shape above and that every construct
/// in its op can be lowered (custom regions read data operands only through
/// tensor.extract and tensor.dim). Emits an error on failure.
FailureOr<KernelSpec> analyzeKernelSpec(func::FuncOp function);

/// The kernel specs of every function of `module` that contains an
/// attn.attention op, in module order; an error when there is none.
FailureOr<llvm::SmallVector<KernelSpec>> collectKernelSpecs(ModuleOp module);

/// The memref type a kernel argument is passed as (host and GPU kernels):
/// its extents, dynamic strides and offset, except a unit last stride where
/// the signature promises one.
MemRefType kernelArgumentMemRefType(const KernelArgument &argument);

/// A kernel's memref arguments in the order of analyzeKernelSpec: q, k, v,
/// the data operands, o, then lse when `op` has one.
struct KernelOperands {
  Value query, key, value, output, lse;
  SmallVector<Value> data;
};
KernelOperands bindKernelOperands(AttentionOp op, ValueRange arguments);

/// Clones a custom region of `op` (mask or score) at `builder`'s insertion
/// point with its block arguments bound to `arguments`, reading the data
/// operands from `dataMemrefs` (position k holds data operand #k) instead of
/// the spec's tensors; returns the yielded value. analyzeKernelSpec has
/// checked that the region reads data only through tensor.extract/tensor.dim.
Value inlineSpecRegion(OpBuilder &builder, AttentionOp op, Region &region,
                       ValueRange arguments, ArrayRef<Value> dataMemrefs);

/// Block lists and block masks are indexed by query (and key) block, whose
/// count the signature cannot tie to Sq (Skv): the i1 "every such data
/// operand is large enough for this call", or null when none needs checking.
Value buildDataExtentsFit(OpBuilder &builder, Location loc, AttentionOp op,
                          ArrayRef<Value> dataMemrefs, Value seqQ,
                          Value seqKV);

/// Query tile rows and key tile columns of the host schedule; blockKV must
/// be a multiple of 8 (the kernel's vector width).
struct HostTiling {
  int64_t blockQ = 64;
  int64_t blockKV = 64;
};

/// Emits `func.func @<kernelName>` into `into`: one memref argument per
/// KernelArgument (innermost-contiguous ones have unit last stride, all other
/// strides and offsets dynamic), computing the outputs in place. Emits an
/// error and returns failure when something cannot be lowered.
FailureOr<func::FuncOp> buildHostKernel(const KernelSpec &spec,
                                        const HostTiling &tiling,
                                        StringRef kernelName, ModuleOp into);

} // namespace mlir::attn::host

#endif // ATTN_HOST_HOSTKERNEL_H
