//===- GradientProgram.cpp - A backward cascade as tile operations --------===//
//
// Reads one cascade of a backward function (attn-differentiate,
// docs/backward.md) as a gradient program (TileProgram.h). The cascades are
// untiled: the yielded tensors name the rows ([b, h, p, ...] for D and dQ,
// [b, h, m, ...] for dK and dV), the rank the accumulating products reduce
// over names the columns, and the schedule tiles both. Per-score tensors are
// computed per (row, column) of a tile whatever the orientation; mask and
// score rules are evaluated at the element's (query, key).
//
//===----------------------------------------------------------------------===//
#include "ScheduleAnalysis.h"
#include "attn/Schedule/TileProgram.h"

#include "attn/Dialect/AttnCascade.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::schedule;

namespace {

class GradientProgramBuilder {
public:
  GradientProgramBuilder(CascadeOp cascade, int64_t blockQ, int64_t blockKV)
      : cascade(cascade) {
    program.cascade = cascade;
    program.gradient = true;
    program.blockQ = blockQ;
    program.blockKV = blockKV;
  }

  FailureOr<TileProgram> build();

private:
  InFlightDiagnostic fail(Operation *at) {
    return at->emitError() << "cannot lower backward cascade '"
                           << cascade.getCascadeName() << "': ";
  }
  InFlightDiagnostic failEinsum(EinsumOp einsum) {
    return fail(einsum) << "Einsum @" << einsum.getTensor()
                        << " does not fit the backward schedule: ";
  }

  LogicalResult findRanks();
  /// The shape of a tensor from its ranks besides the batch and head ones.
  std::optional<TileShape> shapeOf(ArrayRef<StringAttr> ranks,
                                   StringAttr &depth);
  LogicalResult classifyInputs();
  LogicalResult buildOp(EinsumOp einsum);
  LogicalResult buildReduction(EinsumOp einsum, TileOp &op);
  LogicalResult checkMap(EinsumOp einsum, TileShape shape);
  /// The product operand an access of a [b, head, S, d] input names, if
  /// it reads one at the rows (or the columns) over `depth`.
  std::optional<ProductOperand> operandOf(AccessAttr access, StringAttr seq,
                                          StringAttr depth);
  LogicalResult findResults();
  void findVisitMask();

  CascadeOp cascade;
  CascadeStructure structure;
  TileProgram program;
  StringAttr batch, head, query, key, rows, columns;
  /// Inputs read by products: name -> (sequence rank, head dimension rank,
  /// read at the key/value head).
  struct OperandInput {
    StringAttr seq, depth;
    bool atKVHead = false;
    int64_t extent = 0;
  };
  llvm::DenseMap<StringAttr, OperandInput> operandInputs;
};

} // namespace

LogicalResult GradientProgramBuilder::findRanks() {
  auto yields =
      cascade.getYield().getTensors().getAsRange<AccessAttr>();
  for (AccessAttr access : yields) {
    ArrayRef<IndexTermAttr> indices = access.getIndices();
    bool plain = llvm::all_of(indices, [](IndexTermAttr term) {
      return term.getKind() == IndexTermKind::Rank;
    });
    if (!plain || indices.size() < 3 || indices.size() > 4)
      return fail(cascade.getYield())
             << "it must yield [b, h, row] or [b, h, row, d] tensors";
    if (!batch) {
      batch = indices[0].getRank();
      head = indices[1].getRank();
      rows = indices[2].getRank();
    } else if (indices[0].getRank() != batch ||
               indices[1].getRank() != head || indices[2].getRank() != rows) {
      return fail(cascade.getYield())
             << "its results must share their batch, head and row ranks";
    }
  }
  // The query and key ranks: the sequence ranks of the inputs read at the
  // query head and at another (the key/value) head.
  for (Attribute binding : cascade.getBindings()) {
    ArrayRef<IndexTermAttr> indices = cast<AccessAttr>(binding).getIndices();
    if (indices.size() < 3)
      continue;
    StringAttr seq = indices[2].getRank();
    if (indices[0].getRank() != batch)
      return fail(cascade) << "input @" << cast<AccessAttr>(binding).getTensor()
                           << " does not start with the batch rank "
                           << batch.getValue();
    if (indices[1].getRank() == head) {
      if (query && query != seq)
        return fail(cascade) << "inputs read at the query head have two "
                                "sequence ranks";
      query = seq;
    } else {
      if (key && key != seq)
        return fail(cascade) << "inputs read at the key/value head have two "
                                "sequence ranks";
      key = seq;
      program.ranks.kvHead = indices[1].getRank();
    }
  }
  bool rowsAreQueries = query && rows == query;
  bool rowsAreKeys = key && rows == key;
  if (!rowsAreQueries && !rowsAreKeys)
    return fail(cascade) << "its rows " << rows.getValue()
                         << " are neither the queries nor the keys";
  program.transposed = rowsAreKeys;
  columns = program.transposed ? query : key;
  program.ranks.batch = batch;
  program.ranks.head = head;
  program.ranks.query = query;
  program.ranks.key = key;
  if (!program.ranks.kvHead)
    program.ranks.kvHead = head;
  return success();
}

std::optional<TileShape>
GradientProgramBuilder::shapeOf(ArrayRef<StringAttr> ranks,
                                StringAttr &depth) {
  SmallVector<StringAttr> rest;
  for (StringAttr rank : ranks)
    if (rank != batch && rank != head && rank != program.ranks.kvHead)
      rest.push_back(rank);
  if (ranks.size() < 2 || ranks[0] != batch)
    return std::nullopt;
  bool hasRows = llvm::is_contained(rest, rows);
  bool hasColumns = columns && llvm::is_contained(rest, columns);
  if (rest.size() == 1)
    return hasRows ? std::optional(TileShape::Row)
           : hasColumns ? std::optional(TileShape::Column)
                        : std::nullopt;
  if (rest.size() == 2 && hasRows && hasColumns)
    return TileShape::Score;
  if (rest.size() == 2 && hasRows) {
    depth = rest[0] == rows ? rest[1] : rest[0];
    return TileShape::Output;
  }
  return std::nullopt;
}

LogicalResult GradientProgramBuilder::classifyInputs() {
  for (auto [position, binding] : llvm::enumerate(cascade.getBindings())) {
    auto access = cast<AccessAttr>(binding);
    ArrayRef<IndexTermAttr> indices = access.getIndices();
    StringAttr name = access.getTensor();
    auto type = cast<RankedTensorType>(cascade.getInputs()[position].getType());
    bool atQueryHead = indices[1].getRank() == head;
    if (indices.size() == 3 && atQueryHead) {
      TileTensor tensor;
      tensor.name = name;
      tensor.input = true;
      tensor.shape =
          indices[2].getRank() == rows ? TileShape::Row : TileShape::Column;
      program.tensors.insert({name, tensor});
      continue;
    }
    if (indices.size() == 4 && !type.isDynamicDim(3)) {
      operandInputs[name] = {indices[2].getRank(), indices[3].getRank(),
                             !atQueryHead, type.getDimSize(3)};
      continue;
    }
    return fail(cascade) << "input @" << name.getValue()
                         << " is neither a per-row input [b, h, row] nor a "
                            "[b, head, S, d] operand of products with a "
                            "static d";
  }
  return success();
}

std::optional<ProductOperand>
GradientProgramBuilder::operandOf(AccessAttr access, StringAttr seq,
                                  StringAttr depth) {
  auto found = operandInputs.find(access.getTensor());
  if (found == operandInputs.end() || found->second.seq != seq)
    return std::nullopt;
  ArrayRef<IndexTermAttr> indices = access.getIndices();
  auto isRank = [](IndexTermAttr term, StringAttr rank) {
    return term.getKind() == IndexTermKind::Rank && term.getRank() == rank;
  };
  bool headOk = found->second.atKVHead
                    ? (program.ranks.kvHead == head
                           ? isRank(indices[1], head)
                           : indices[1].getKind() == IndexTermKind::HeadMap &&
                                 indices[1].getRank() == program.ranks.kvHead &&
                                 indices[1].getOperand() == head)
                    : isRank(indices[1], head);
  if (indices.size() != 4 || !isRank(indices[0], batch) || !headOk ||
      !isRank(indices[2], seq) || !isRank(indices[3], depth))
    return std::nullopt;
  return ProductOperand{access.getTensor(), found->second.atKVHead,
                        found->second.extent};
}

/// The constant factors and the accesses of a `mul(...)`.
static LogicalResult splitProduct(Attribute map, double &scale,
                                  SmallVectorImpl<AccessAttr> &accesses) {
  auto mul = dyn_cast<MapAttr>(map);
  if (!mul || mul.getKind() != MapKind::Mul)
    return failure();
  scale = 1.0;
  for (Attribute operand : mul.getOperands()) {
    if (auto constant = dyn_cast<FloatAttr>(operand))
      scale *= constant.getValueAsDouble();
    else if (auto access = dyn_cast<AccessAttr>(operand))
      accesses.push_back(access);
    else
      return failure();
  }
  return success();
}

LogicalResult GradientProgramBuilder::buildReduction(EinsumOp einsum,
                                                     TileOp &op) {
  SmallVector<AccessAttr> accesses;
  ArrayAttr reduced = einsum.getReducedAttr();
  if (einsum.getReducer() != ReduceKind::Sum || reduced.size() != 1 ||
      failed(splitProduct(einsum.getMap(), op.scale, accesses)) ||
      accesses.size() != 2)
    return failEinsum(einsum) << "a reduction must be a product `mul(A, B, "
                                 "constants...) reduce(sum: r)` over one rank";
  StringAttr over = cast<StringAttr>(reduced[0]);
  const TileTensor &result = program.tensor(op.result);
  switch (result.shape) {
  case TileShape::Score:
    // sum_d A[row, d] B[column, d], in either order.
    for (unsigned first = 0; first < 2; ++first) {
      std::optional<ProductOperand> rowSide =
          operandOf(accesses[first], rows, over);
      std::optional<ProductOperand> columnSide =
          operandOf(accesses[1 - first], columns, over);
      if (rowSide && columnSide) {
        op.kind = TileOpKind::ScoreProduct;
        op.operands = {*rowSide, *columnSide};
        return success();
      }
    }
    return failEinsum(einsum)
           << "a per-score product must multiply an input read at the rows "
              "by one read at the columns over their last rank";
  case TileShape::Output:
    if (over == columns)
      for (unsigned first = 0; first < 2; ++first) {
        AccessAttr scores = accesses[first];
        auto tensor = program.tensors.find(scores.getTensor());
        if (tensor == program.tensors.end() ||
            tensor->second.shape != TileShape::Score)
          continue;
        StringAttr depth = structure.tensor(op.result).ranks[3];
        std::optional<ProductOperand> columnSide =
            operandOf(accesses[1 - first], columns, depth);
        if (!columnSide)
          continue;
        op.kind = TileOpKind::ValueProduct;
        op.probabilities = scores.getTensor();
        op.operands = {*columnSide};
        op.accumulates = true;
        TileTensor &accumulator = program.tensors.find(op.result)->second;
        accumulator.running = true;
        accumulator.initial = 0.0;
        accumulator.columns = columnSide->depth;
        return success();
      }
    return failEinsum(einsum)
           << "a per-output product must multiply a per-score tensor by an "
              "input read at the columns and reduce over the columns "
           << (columns ? columns.getValue() : StringRef("(none)"));
  case TileShape::Row: {
    std::optional<ProductOperand> first = operandOf(accesses[0], rows, over);
    std::optional<ProductOperand> second = operandOf(accesses[1], rows, over);
    if (!first || !second)
      return failEinsum(einsum)
             << "a per-row reduction must multiply two inputs read at the "
                "rows over their last rank";
    op.kind = TileOpKind::RowProduct;
    op.operands = {*first, *second};
    return success();
  }
  case TileShape::Column:
    break;
  }
  return failEinsum(einsum) << "per-column reductions are not supported";
}

LogicalResult GradientProgramBuilder::checkMap(EinsumOp einsum,
                                               TileShape shape) {
  LogicalResult result = success();
  walkAccesses(einsum.getMap(), [&](AccessAttr access) {
    if (failed(result))
      return;
    auto found = program.tensors.find(access.getTensor());
    if (found == program.tensors.end()) {
      result = failEinsum(einsum)
               << "it reads @" << access.getTensor().getValue()
               << " outside a product";
      return;
    }
    TileShape operand = found->second.shape;
    bool fits = operand == shape || operand == TileShape::Row ||
                (shape == TileShape::Score && operand == TileShape::Column);
    if (!fits)
      result = failEinsum(einsum)
               << "an element-wise map reads tensors of its own shape, per-row "
                  "and (per-score maps) per-column tensors";
  });
  if (failed(result))
    return failure();
  walkMaps(einsum.getMap(), [&](MapAttr map) {
    if (failed(result))
      return;
    MapKind kind = map.getKind();
    if (kind != MapKind::Mask && kind != MapKind::MaskRegion &&
        kind != MapKind::ScoreMod && kind != MapKind::ScoreRegion)
      return;
    ArrayRef<IndexTermAttr> point = map.getPoint();
    auto isRank = [](IndexTermAttr term, StringAttr rank) {
      return term.getKind() == IndexTermKind::Rank && term.getRank() == rank;
    };
    if (shape != TileShape::Score || point.size() != 4 ||
        !isRank(point[0], batch) || !isRank(point[1], head) ||
        !isRank(point[2], query) || !isRank(point[3], key))
      result = failEinsum(einsum)
               << "its rule is evaluated at a point other than the per-score "
                  "element [b, h, query, key] it computes";
  });
  return result;
}

LogicalResult GradientProgramBuilder::buildOp(EinsumOp einsum) {
  TileOp op;
  op.einsum = einsum;
  op.result = einsum.getTensorAttr();
  op.shape = program.tensor(op.result).shape;
  if (einsum.getReducer()) {
    if (failed(buildReduction(einsum, op)))
      return failure();
  } else {
    if (op.shape == TileShape::Output || op.shape == TileShape::Column)
      return failEinsum(einsum) << "element-wise maps compute per-row or "
                                   "per-score tensors only";
    if (failed(checkMap(einsum, op.shape)))
      return failure();
    op.kind = TileOpKind::Map;
    op.expression = einsum.getMap();
  }
  // Per-row tensors of the rows alone are computed once per lane.
  if (op.shape == TileShape::Row) {
    program.prologue.push_back(op);
    return success();
  }
  program.body.push_back(op);
  return success();
}

LogicalResult GradientProgramBuilder::findResults() {
  for (AccessAttr access :
       cascade.getYield().getTensors().getAsRange<AccessAttr>()) {
    const TileTensor &tensor = program.tensor(access.getTensor());
    if (!tensor.input && tensor.shape == TileShape::Score &&
        !program.transposed) {
      program.scoreResults.push_back(access.getTensor());
      continue;
    }
    if (tensor.input ||
        (tensor.shape != TileShape::Output && tensor.shape != TileShape::Row))
      return fail(cascade.getYield())
             << "it yields @" << access.getTensor().getValue()
             << "; the backward schedule stores per-row and per-output "
                "results, and per-score ones where the rows are the queries";
    program.results.push_back(access.getTensor());
  }
  return success();
}

void GradientProgramBuilder::findVisitMask() {
  // Tiles where the mask keeps nothing may be skipped when every
  // accumulating product then multiplies zeros: what the analysis of keys
  // past Skv computes, since every mask test fails there as well.
  llvm::SetVector<Attribute> masks;
  bool region = false;
  for (const TileOp &op : program.body)
    if (op.expression)
      walkMaps(op.expression, [&](MapAttr map) {
        if (map.getKind() == MapKind::Mask)
          masks.insert(map.getRule());
        region |= map.getKind() == MapKind::MaskRegion;
      });
  if (masks.size() != 1 || region)
    return;
  ScheduleAnalysis zeros;
  for (const TileOp &op : program.body) {
    if (op.kind == TileOpKind::Map && op.shape == TileShape::Score) {
      if (std::optional<double> value = zeros.outsideValueOf(op.expression))
        zeros.outsideValues[op.result] = *value;
    } else if (op.kind == TileOpKind::ValueProduct) {
      auto found = zeros.outsideValues.find(op.probabilities);
      if (found == zeros.outsideValues.end() || found->second != 0.0)
        return;
    }
  }
  program.visitMask = cast<MaskAttrInterface>(masks.front());
  program.hasVisitClause = true;
}

FailureOr<TileProgram> GradientProgramBuilder::build() {
  FailureOr<CascadeStructure> analyzed = analyzeCascade(cascade);
  if (failed(analyzed))
    return cascade.emitError() << "cannot lower a malformed cascade";
  structure = std::move(*analyzed);
  if (!cascade.getBody().getOps<IterateOp>().empty() ||
      !cascade.getBody().getOps<PartitionOp>().empty())
    return fail(cascade)
           << "backward cascades are lowered untiled, without iterations "
              "or partitions (the reduction of dK and dV over the query "
              "heads of a group is not lowered yet)";
  if (failed(findRanks()) || failed(classifyInputs()))
    return failure();
  for (EinsumOp einsum : cascade.getBody().getOps<EinsumOp>()) {
    StringAttr depth;
    std::optional<TileShape> shape =
        shapeOf(structure.tensor(einsum.getTensorAttr()).ranks, depth);
    if (!shape)
      return failEinsum(einsum)
             << "its ranks are not those of a per-row, per-column, "
                "per-score or per-output tensor of the rows "
             << rows.getValue();
    TileTensor tensor;
    tensor.name = einsum.getTensorAttr();
    tensor.shape = *shape;
    program.tensors.insert({tensor.name, tensor});
    if (failed(buildOp(einsum)))
      return failure();
  }
  if (program.body.empty() != !columns)
    return fail(cascade) << "a backward phase with columns must compute "
                            "per-score tensors";
  if (failed(findResults()))
    return failure();
  findVisitMask();
  return std::move(program);
}

FailureOr<TileProgram>
mlir::attn::schedule::analyzeGradientProgram(CascadeOp cascade, int64_t blockQ,
                                             int64_t blockKV) {
  return GradientProgramBuilder(cascade, blockQ, blockKV).build();
}

std::optional<int64_t>
mlir::attn::schedule::headGroupReduction(CascadeOp cascade) {
  auto partitions = cascade.getBody().getOps<PartitionOp>();
  auto einsums = cascade.getBody().getOps<EinsumOp>();
  if (cascade.getInputs().size() != 1 || !cascade.getData().empty() ||
      std::distance(partitions.begin(), partitions.end()) != 1 ||
      std::distance(einsums.begin(), einsums.end()) != 1)
    return std::nullopt;
  PartitionOp partition = *partitions.begin();
  EinsumOp sum = *einsums.begin();
  ArrayAttr reduced = sum.getReducedAttr();
  auto input = dyn_cast<AccessAttr>(sum.getMap());
  auto binding = cast<AccessAttr>(cascade.getBindings()[0]);
  if (sum.getReducer() != ReduceKind::Sum || !reduced || reduced.size() != 1 ||
      cast<StringAttr>(reduced[0]) != partition.getInnerAttr() || !input ||
      input.getTensor() != binding.getTensor() ||
      binding.getIndices().size() < 2 ||
      binding.getIndices()[1].getRank() != partition.getRankAttr())
    return std::nullopt;
  return partition.getTile();
}

/// Appends `operand` to `operands` unless it is there (same tensor, same
/// head).
static void addOperand(SmallVector<ProductOperand> &operands,
                       const ProductOperand &operand) {
  for (const ProductOperand &known : operands)
    if (known.tensor == operand.tensor && known.atKVHead == operand.atKVHead)
      return;
  operands.push_back(operand);
}

SmallVector<ProductOperand>
mlir::attn::schedule::rowProductOperands(const TileProgram &program) {
  SmallVector<ProductOperand> operands;
  for (const TileOp &op : program.body)
    if (op.kind == TileOpKind::ScoreProduct)
      addOperand(operands, op.operands[0]);
  return operands;
}

SmallVector<ProductOperand>
mlir::attn::schedule::columnProductOperands(const TileProgram &program) {
  SmallVector<ProductOperand> operands;
  for (const TileOp &op : program.body)
    if (op.kind == TileOpKind::ScoreProduct) {
      addOperand(operands, op.operands[1]);
    } else if (op.kind == TileOpKind::ValueProduct) {
      addOperand(operands, op.operands[0]);
    } else if (op.kind == TileOpKind::RowProduct &&
               op.shape == TileShape::Column) {
      for (const ProductOperand &operand : op.operands)
        addOperand(operands, operand);
    }
  return operands;
}
