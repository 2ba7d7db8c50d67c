//===- AttnDialect.cpp - attn dialect registration ------------------------===//
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/AttnDialect.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/AttnOps.cpp.inc"
      >();
  registerAttributes();
}
