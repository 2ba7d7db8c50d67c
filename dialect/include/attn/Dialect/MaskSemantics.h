//===- MaskSemantics.h - Plain data used by the mask interfaces -*- C++ -*-===//
//
// The element rule of every mask and score mod is evaluated on these plain
// structs, so the float64 reference interpreter and tests share one
// definition of each variant's semantics.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_MASKSEMANTICS_H
#define ATTN_DIALECT_MASKSEMANTICS_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>

namespace mlir::attn {

/// Sizes of an attention op, read off its operand types. Dynamic sizes are
/// ShapedType::kDynamic.
struct AttentionShape {
  int64_t batch = ShapedType::kDynamic;
  int64_t queryHeads = 0;
  int64_t kvHeads = 0;
  int64_t seqQ = ShapedType::kDynamic;
  int64_t seqKV = ShapedType::kDynamic;
  int64_t headDimQK = 0;
  int64_t headDimV = 0;
  /// Types of the `data` operands, in order.
  llvm::SmallVector<RankedTensorType> dataTypes;
};

/// Read access to the `data` operands' values while evaluating a rule.
class DataOperandReader {
public:
  virtual ~DataOperandReader() = default;
  virtual int64_t dimSize(unsigned operand, unsigned dim) const = 0;
  virtual int64_t readInt(unsigned operand,
                          llvm::ArrayRef<int64_t> indices) const = 0;
  virtual double readFloat(unsigned operand,
                           llvm::ArrayRef<int64_t> indices) const = 0;
};

/// One (b, h, i, j) element with the concrete sizes of the call.
struct MaskPoint {
  int64_t b = 0, h = 0, i = 0, j = 0;
  int64_t batch = 0, queryHeads = 0, kvHeads = 0, seqQ = 0, seqKV = 0;
  const DataOperandReader *data = nullptr;

  int64_t kvHead() const { return h / (queryHeads / kvHeads); }
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKSEMANTICS_H
