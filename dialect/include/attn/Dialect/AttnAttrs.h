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
} // namespace mlir::attn

#include "attn/Dialect/AttnEnums.h.inc"
#include "attn/Dialect/AttnAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/AttnAttrs.h.inc"

#endif // ATTN_DIALECT_ATTNATTRS_H
