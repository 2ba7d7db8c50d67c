//===- TileProgram.h - A tiled cascade as tile operations -------*- C++ -*-===//
//
// The code generators' view of a tiled, sparsified 1-pass cascade (what
// attn-online-softmax, attn-tile and attn-sparsify leave): one
// attn.iterate over the key tiles m1 of a query tile p1, whose Einsums each
// become one of a few tile operations on registers, then an epilogue that
// runs once per query tile. Fixing (b, h, p1, m1), every tensor of the body
// is one of three shapes:
//
//   Row    [p0]      one value per query row of the tile
//   Score  [p0, m0]  one value per (query row, key) of the tile
//   Output [p0, f]   one value per (query row, value column)
//
// and every Einsum is one of
//
//   QueryKeyProduct   Score  = c * sum_e Q K        (the matrix unit)
//   ValueProduct      Output = c * sum_m0 P V       (the matrix unit; P a
//                                                    Score tensor)
//   Map               any    = an element-wise expression of tensors of its
//                              own shape, Row tensors (broadcast along the
//                              row), constants, mask tests and score mods
//   RowReduce         Row    = max or sum over m0 of a Score expression
//
// Anything else gets a diagnostic naming the Einsum and why it does not fit
// (docs/architecture.md). The schedule emitter (ScheduleEmitter.h) lowers a
// TileProgram through a ScheduleTarget.
//
// A gradient program (analyzeGradientProgram) is one cascade of a backward
// function (attn-differentiate, docs/backward.md), read untiled: its rows
// are the queries (dQ, D) or the keys (dK, dV: a *transposed* program, whose
// columns are the queries), and it adds
//
//   Column            [m0] (rows: keys) one value per column, read from memory
//   ScoreProduct      Score  = c * sum_d A B        (A read at the rows, B at
//                                                    the columns: Q K, dO V)
//   ValueProduct      Output += c * sum_c S B       (accumulated over every
//                                                    column tile: dQ, dK, dV)
//   RowProduct        Row    = c * sum_d A B        (both read at the rows,
//                                                    once per lane: D)
//
// with per-row and per-column inputs (LSE, D) read from memory, and
// per-score results (the gradient of a bias, dS * dS/dbias) stored tile by
// tile.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SCHEDULE_TILEPROGRAM_H
#define ATTN_SCHEDULE_TILEPROGRAM_H

#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/PatchTiling.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace mlir::attn::schedule {

enum class TileShape { Row, Column, Score, Output };

/// A tensor of the tile body or the epilogue.
struct TileTensor {
  StringAttr name;
  TileShape shape = TileShape::Row;
  /// A running tensor of the iteration: carried from key tile to key tile.
  bool running = false;
  /// Its value before the first key tile.
  double initial = 0.0;
  /// Output: its columns (a head dimension).
  int64_t columns = 0;
  /// Gradient programs: a Row or Column input read from memory.
  bool input = false;
};

/// An input a product reads from memory (gradient programs): a
/// [B, heads, S, depth] tensor read at the work item's batch row, at the
/// query head or its key/value head.
struct ProductOperand {
  StringAttr tensor;
  bool atKVHead = false;
  int64_t depth = 0;
};

enum class TileOpKind {
  QueryKeyProduct,
  ScoreProduct,
  ValueProduct,
  RowProduct,
  Map,
  RowReduce
};

/// One Einsum of the body or the epilogue as a tile operation.
struct TileOp {
  TileOpKind kind = TileOpKind::Map;
  mutable EinsumOp einsum;
  /// The tensor it writes (for a running tensor's recurrence, its next
  /// value).
  StringAttr result;
  TileShape shape = TileShape::Row;
  /// Map: the element expression. RowReduce: the expression reduced.
  Attribute expression;
  /// RowReduce: max or sum.
  ReduceKind reduction = ReduceKind::Sum;
  /// Products: the product of the map's constant factors.
  double scale = 1.0;
  /// ValueProduct: the Score tensor multiplying V.
  StringAttr probabilities;
  /// ValueProduct read by exactly one Map `add(product, rest)`: the product
  /// is emitted there, accumulating into `rest` (one matrix-unit pass
  /// instead of a product and an addition). `fusedInto` is that Map's index
  /// in TileProgram::body.
  std::optional<size_t> fusedInto;
  /// Map fusing a ValueProduct: the product's index in TileProgram::body
  /// and the other operand of the add.
  std::optional<size_t> fusedProduct;
  Attribute accumulator;
  /// Gradient products: ScoreProduct (rows side, columns side), ValueProduct
  /// (the columns side), RowProduct (two rows sides).
  llvm::SmallVector<ProductOperand, 2> operands;
  /// ValueProduct of a gradient program: its running result accumulates the
  /// product of every column tile.
  bool accumulates = false;
};

/// The rank names a tiled attention cascade uses for each role.
struct TileRanks {
  StringAttr batch, head, kvHead, query, queryTile, queryRow, key, keyTile,
      keyColumn, headDimQK, headDimV;
};

struct TileProgram {
  // Op handles are mutable: MLIR's op accessors are not const.
  mutable CascadeOp cascade;
  mutable IterateOp iterate;
  TileRanks ranks;
  /// Query rows per query tile (P0) and keys per key tile (M0).
  int64_t blockQ = 0, blockKV = 0;
  /// The names of the cascade's query, key and value inputs.
  StringAttr query, key, value;
  llvm::MapVector<StringAttr, TileTensor> tensors;
  /// The Einsums of one key tile, in order.
  llvm::SmallVector<TileOp> body;
  /// The Einsums after the last key tile, in order.
  llvm::SmallVector<TileOp> epilogue;
  /// The yielded output [b, h, p, f] and, when the cascade returns one, the
  /// log-sum-exp [b, h, p].
  StringAttr output, lse;
  /// The visit clause: the mask attribute and whether a mask region joins
  /// it. Without a clause every key tile is visited and tested.
  mutable MaskAttrInterface visitMask;
  bool visitRegion = false;
  bool hasVisitClause = false;
  /// Set where the visit clause is a neighborhood whose grid gains from
  /// N-dimensional tiles (choosePatchTiling): work item t is query patch t
  /// and the key tiles are the patches of its visits.
  std::optional<PatchTiling> patches;

  /// A gradient program (analyzeGradientProgram): products read their
  /// operands by name through the target's general products, the tensors
  /// `results` lists are stored, `prologue` runs once per lane.
  bool gradient = false;
  /// Rows are keys, columns queries (dK, dV).
  bool transposed = false;
  /// Transposed programs under GQA: the query heads summed into the rows of
  /// each key/value head (the reduction of the cascades the backward
  /// function sums dK and dV over a group with). A work item is then a key
  /// tile of a key/value head, and the column tiles of each query head of
  /// its group are walked in turn.
  int64_t headGroup = 1;
  /// Gradient programs: the Einsums computed once per lane, before the
  /// first column tile (RowProduct, per-row maps).
  llvm::SmallVector<TileOp> prologue;
  /// Gradient programs: the tensors stored after the last column tile, in
  /// the cascade's yield order (Output or Row tensors).
  llvm::SmallVector<StringAttr> results;
  /// Gradient programs whose rows are the queries: the per-score tensors
  /// yielded (gradients of bias operands, [b, h, query, key]), stored by
  /// each column tile that computes them. Every element of a column tile
  /// the program does not compute is 0 (the tile's scores are all masked),
  /// so the lane writes zeros to all of its row's columns first when the
  /// program skips tiles.
  llvm::SmallVector<StringAttr> scoreResults;

  const TileTensor &tensor(StringAttr name) const {
    return tensors.find(name)->second;
  }
};

/// Query tiles (work items per batch row and head) of `program`: a
/// constant under patch tiles, else std::nullopt (ceil(Sq / blockQ)).
std::optional<int64_t> staticQueryTileCount(const TileProgram &program);

/// Reads `cascade` as a tile program; emits a diagnostic naming the Einsum
/// (or structure) that does not fit and why, and fails, otherwise.
FailureOr<TileProgram> analyzeTileProgram(CascadeOp cascade);

/// Gradient programs: the distinct operands (by tensor and head) the body's
/// products read at the rows (the first of each ScoreProduct), fixed for a
/// work item, and at the columns (the second of each ScoreProduct, each
/// ValueProduct's, both of a per-column RowProduct), one tile per column
/// tile; in program order. Targets
/// that stage tiles copy these once each instead of once per product.
llvm::SmallVector<ProductOperand> rowProductOperands(const TileProgram &program);
llvm::SmallVector<ProductOperand>
columnProductOperands(const TileProgram &program);

/// The R of a backward cascade summing a [b, h, ...] tensor over each group
/// of R query heads (`attn.partition h = h1 * R + h0`, a sum over h0), or
/// nullopt for other cascades.
std::optional<int64_t> headGroupReduction(CascadeOp cascade);

/// Reads one untiled cascade of a backward function (attn-differentiate) as
/// a gradient program with `blockQ` queries and `blockKV` keys per tile;
/// emits a diagnostic naming what does not fit and fails otherwise.
FailureOr<TileProgram> analyzeGradientProgram(CascadeOp cascade,
                                              int64_t blockQ, int64_t blockKV);

/// How an expression reads a running tensor: its value before this key
/// tile (`m1`), after this tile's recurrence (`m1 + 1`), or after the last
/// tile (`M1`, in the epilogue). Non-running tensors read `Current`.
enum class RunningRead { Current, Previous, Next, Final };
RunningRead runningReadOf(AccessAttr access, const TileProgram &program);

} // namespace mlir::attn::schedule

#endif // ATTN_SCHEDULE_TILEPROGRAM_H
