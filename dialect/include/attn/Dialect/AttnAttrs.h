//===- AttnAttrs.h - Mask and score-mod attributes --------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTNATTRS_H
#define ATTN_DIALECT_ATTNATTRS_H

#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/MaskSemantics.h"
#include "attn/Dialect/MaskTiling.h"
#include "attn/Dialect/MaskLowering.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::attn {
class AttentionOp;

// Custom parameter parsers/printers used by the generated attribute code.
FailureOr<bool> parseBoolParameter(AsmParser &parser);
FailureOr<unsigned> parseOperandIndexParameter(AsmParser &parser);
FailureOr<llvm::APFloat> parseF64Parameter(AsmParser &parser);
FailureOr<llvm::SmallVector<bool>> parseBoolListParameter(AsmParser &parser);
void printBoolListParameter(AsmPrinter &printer, llvm::ArrayRef<bool> values);
FailureOr<llvm::SmallVector<int64_t>> parseI64ListParameter(AsmParser &parser);
void printI64ListParameter(AsmPrinter &printer, llvm::ArrayRef<int64_t> values);

/// The largest position-like mask parameter (window extents, sink counts,
/// block sizes, S2 strides and offsets, grid volumes) and static sequence
/// extent: GPU kernels index positions in 32-bit integers (the runtime caps
/// their extents at 2^30), and with every term at most 2^30 the element
/// rules of every target compute without overflow.
inline constexpr int64_t kMaxPosition = int64_t(1) << 30;
/// The largest static head count and head dimension.
inline constexpr int64_t kMaxHeadsOrDims = int64_t(1) << 16;
/// The deepest nesting of #attn.and / #attn.or that the parser accepts:
/// parsing, verification and lowering recurse over the mask tree.
inline constexpr unsigned kMaxMaskDepth = 32;
} // namespace mlir::attn

#include "attn/Dialect/AttnEnums.h.inc"
#include "attn/Dialect/AttnAttrInterfaces.h.inc"

namespace mlir::attn {
/// The operand list of #attn.and / #attn.or, refused beyond kMaxMaskDepth
/// nested levels.
FailureOr<llvm::SmallVector<MaskAttrInterface>>
parseMaskListParameter(AsmParser &parser);
} // namespace mlir::attn

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/AttnAttrs.h.inc"

#endif // ATTN_DIALECT_ATTNATTRS_H
