//===- MaskLowering.h - IR emission of element rules ------------*- C++ -*-===//
//
// Code generators evaluate a mask's element rule and a score mod inside their
// loops through MaskAttrInterface::buildKeep and
// ScoreModAttrInterface::buildApply. Both read the element's coordinates and
// the call's sizes as index Values and the data operands as memrefs, so the
// same emission serves every target that lowers to memrefs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_MASKLOWERING_H
#define ATTN_DIALECT_MASKLOWERING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn {

/// Where an element rule is evaluated: (b, h, i, j) and the call's sizes,
/// all of index type, plus the `data` operands as memrefs (position k holds
/// data operand #k; the element types are the spec's).
struct ElementIndices {
  Value b, h, i, j;
  Value batch, queryHeads, kvHeads, seqQ, seqKV;
  llvm::SmallVector<Value> data;

  /// The KV head of query head h: h / (Hq / Hkv).
  Value buildKVHead(OpBuilder &builder, Location loc) const;
};

/// A tile of one (b, h) for tile-level emission: query rows
/// [rowBegin, rowEnd) (never empty) and key columns [colBegin, colEnd), as
/// index Values; key-tile ranges count tiles of `blockKV` keys. Sizes and
/// data operands are as in ElementIndices.
struct TileIndices {
  Value b, h;
  Value rowBegin, rowEnd;
  Value colBegin, colEnd;
  int64_t blockKV = 1;
  Value batch, queryHeads, kvHeads, seqQ, seqKV;
  llvm::SmallVector<Value> data;

  /// The KV head of query head h: h / (Hq / Hkv).
  Value buildKVHead(OpBuilder &builder, Location loc) const;
  /// Element (i, j) of this tile's (b, h), with its sizes and data.
  ElementIndices elementAt(Value i, Value j) const;
};

/// Key tiles begin, begin + step, ... below end (index Values).
struct KeyTileRange {
  Value begin, end;
  int64_t step = 1;
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_MASKLOWERING_H
