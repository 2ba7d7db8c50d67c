#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

// A mask kind is algebra, not data: each kind answers the element rule here;
// tile classification and visit sets join this interface with tiling.
def Attn_MaskAttrInterface : AttrInterface<"MaskAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    A sparsity mask over (b, h, i, j): which keys each query attends to.
  }];
  let methods = [
    InterfaceMethod<[{
        Checks the mask against the attention op using it (head counts,
        sequence lengths, data operands). Emits an error on the op.
      }], "::llvm::LogicalResult", "verifyUse",
      (ins "const ::mlir::attn::AttentionShape &":$shape,
           "::mlir::Operation *":$op),
      /*methodBody=*/"", /*defaultImplementation=*/"return ::mlir::success();">,
    InterfaceMethod<[{
        The element rule: true when the query keeps the key.
      }], "bool", "keeps", (ins "const ::mlir::attn::MaskPoint &":$point)>,
    InterfaceMethod<[{
        Appends the indices of the `data` operands this mask reads.
      }], "void", "collectDataOperands",
      (ins "::llvm::SmallVectorImpl<unsigned> &":$indices),
      /*methodBody=*/"", /*defaultImplementation=*/"return;">,
    InterfaceMethod<[{
        Emits the element rule at `at` (dialect/lib/MaskLowering.cpp): an i1
        that is true when the query keeps the key. Must agree with `keeps`.
      }], "::mlir::Value", "buildKeep",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "const ::mlir::attn::ElementIndices &":$at)>,
    // Tile-level emission for generated loops (MaskLowering.cpp), the IR
    // counterpart of visitSet/classifyTile below: sizes are runtime Values,
    // so answers may be conservative but never wrong.
    InterfaceMethod<[{
        Appends disjoint key-tile ranges (tiles of `tile.blockKV` keys)
        whose union holds every key tile in which some query row of
        [tile.rowBegin, tile.rowEnd) keeps a key. Ranges may extend past the
        last key tile; the caller clips them.
      }], "void", "buildKeyTileRanges",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "const ::mlir::attn::TileIndices &":$tile,
           "::llvm::SmallVectorImpl<::mlir::attn::KeyTileRange> &":$ranges)>,
    InterfaceMethod<[{
        An i1 that is true only if no element of the tile (rows
        [rowBegin, rowEnd), keys [colBegin, colEnd)) is kept.
      }], "::mlir::Value", "buildTileIsEmpty",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "const ::mlir::attn::TileIndices &":$tile)>,
    InterfaceMethod<[{
        An i1 that is true only if every element of the tile is kept, so
        the element rule may be skipped there.
      }], "::mlir::Value", "buildTileIsFull",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "const ::mlir::attn::TileIndices &":$tile)>,

    // Tiling (attn/Dialect/MaskTiling.h, implemented per kind in
    // dialect/lib/MaskTiling.cpp). No defaults: every mask kind must answer.
    InterfaceMethod<[{
        The class of `tile` for batch row `b` and query head `h`: Empty iff
        no element is kept, Full iff every element is kept. Exact for
        closed-form kinds; where the answer needs data that `ctx.data`
        lacks, Partial means "not known to be Empty or Full"
        (docs/sparsity.md lists each kind's precision).
      }], "::mlir::attn::TileClass", "classifyTile",
      (ins "const ::mlir::attn::TilingContext &":$ctx, "int64_t":$b,
           "int64_t":$h, "const ::mlir::attn::TileRange &":$tile)>,
    InterfaceMethod<[{
        The key tiles query tile `queryTile` visits, each with its class: a
        tile is in the set iff classifyTile says it is not Empty.
      }], "::mlir::attn::VisitSet", "visitSet",
      (ins "const ::mlir::attn::TilingContext &":$ctx, "int64_t":$b,
           "int64_t":$h, "int64_t":$queryTile)>,
    InterfaceMethod<[{
        The number of elements of `tile` the mask keeps; needs `ctx.data`
        when the mask reads data.
      }], "int64_t", "countKept",
      (ins "const ::mlir::attn::TilingContext &":$ctx, "int64_t":$b,
           "int64_t":$h, "const ::mlir::attn::TileRange &":$tile)>,
    InterfaceMethod<[{
        For masks over an N-dimensional token grid, the patch of
        `ctx.blockQ` tokens a query tile should cover (a TokenOrder); empty
        when tiles are best taken in sequence order.
      }], "::llvm::SmallVector<int64_t>", "queryTileShape",
      (ins "const ::mlir::attn::TilingContext &":$ctx)>,
  ];
}

def Attn_ScoreModAttrInterface : AttrInterface<"ScoreModAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    An elementwise modification of the scaled score S[b, h, i, j].
  }];
  let methods = [
    InterfaceMethod<"Checks the score mod against the attention op using it.",
      "::llvm::LogicalResult", "verifyUse",
      (ins "const ::mlir::attn::AttentionShape &":$shape,
           "::mlir::Operation *":$op),
      /*methodBody=*/"", /*defaultImplementation=*/"return ::mlir::success();">,
    InterfaceMethod<"Applies the modification to one score.",
      "double", "apply",
      (ins "double":$score, "const ::mlir::attn::MaskPoint &":$point)>,
    InterfaceMethod<[{
        True when the modification is non-decreasing in the score, so it
        commutes with a running maximum.
      }], "bool", "isMonotone">,
    InterfaceMethod<"Appends the indices of the `data` operands it reads.",
      "void", "collectDataOperands",
      (ins "::llvm::SmallVectorImpl<unsigned> &":$indices),
      /*methodBody=*/"", /*defaultImplementation=*/"return;">,
    InterfaceMethod<[{
        Emits the modification of `score` (a float Value) at `at`
        (dialect/lib/MaskLowering.cpp); the result has the score's type.
        Must agree with `apply`.
      }], "::mlir::Value", "buildApply",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$score,
           "const ::mlir::attn::ElementIndices &":$at)>,
  ];
}

#endif // ATTN_INTERFACES_TD
