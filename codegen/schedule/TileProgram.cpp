//===- TileProgram.cpp - A tiled cascade as tile operations ---------------===//
//
// Reads the tiled 1-pass cascade and maps each Einsum to a tile operation
// (TileProgram.h). The checks here are the schedule's, not the cascade
// verifier's: a well-formed cascade may still ask for something the
// schedule cannot do (a reduction over the head dimension outside a
// product, an Einsum before the iteration, ...), and the diagnostic says
// which Einsum and why.
//
//===----------------------------------------------------------------------===//
#include "attn/Schedule/TileProgram.h"

#include "attn/Dialect/AttnCascade.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::schedule;

namespace {

const char *shapeName(TileShape shape) {
  switch (shape) {
  case TileShape::Row:
    return "a per-row tensor [p0]";
  case TileShape::Column:
    return "a per-column tensor [m0]";
  case TileShape::Score:
    return "a per-score tensor [p0, m0]";
  case TileShape::Output:
    return "a per-output tensor [p0, f]";
  }
  llvm_unreachable("unknown tile shape");
}

class TileProgramBuilder {
public:
  explicit TileProgramBuilder(CascadeOp cascade) : cascade(cascade) {
    program.cascade = cascade;
  }

  FailureOr<TileProgram> build();

private:
  InFlightDiagnostic fail(Operation *at) {
    return at->emitError() << "cannot lower cascade '"
                           << cascade.getCascadeName() << "': ";
  }
  InFlightDiagnostic failEinsum(EinsumOp einsum) {
    return fail(einsum) << "Einsum @" << einsum.getTensor()
                        << " does not fit the tiled schedule: ";
  }

  LogicalResult findRanks();
  LogicalResult findStructure();
  /// The shape of a tensor of the body (with the iterative rank) or the
  /// epilogue, from its ranks; fails with a diagnostic for other shapes.
  FailureOr<TileShape> shapeOf(EinsumOp definition, StringAttr tensor,
                               bool inBody);
  LogicalResult classifyTensors();
  FailureOr<TileOp> buildOp(EinsumOp einsum, bool inBody);
  /// Checks the expression of a Map or RowReduce of shape `shape`.
  LogicalResult checkExpression(EinsumOp einsum, Attribute expression,
                                TileShape shape, bool inBody);
  FailureOr<TileOp> buildProduct(EinsumOp einsum, TileShape shape);
  void fuseValueProducts();
  LogicalResult findOutputs();

  bool isRank(IndexTermAttr term, StringAttr rank) {
    return term.getKind() == IndexTermKind::Rank && term.getRank() == rank;
  }
  bool isTiled(IndexTermAttr term, StringAttr outer, StringAttr inner) {
    return term.getKind() == IndexTermKind::Tiled && term.getRank() == outer &&
           term.getOperand() == inner;
  }
  bool isKVHead(IndexTermAttr term) {
    if (program.ranks.kvHead == program.ranks.head)
      return isRank(term, program.ranks.head);
    return term.getKind() == IndexTermKind::HeadMap &&
           term.getRank() == program.ranks.kvHead &&
           term.getOperand() == program.ranks.head;
  }

  CascadeOp cascade;
  CascadeStructure structure;
  TileProgram program;
};

} // namespace

LogicalResult TileProgramBuilder::findRanks() {
  ArrayRef<Attribute> bindings = cascade.getBindings().getValue();
  auto ranksOf = [&](unsigned input) {
    SmallVector<StringAttr> ranks;
    for (IndexTermAttr term : cast<AccessAttr>(bindings[input]).getIndices())
      ranks.push_back(term.getRank());
    return ranks;
  };
  SmallVector<StringAttr> q = ranksOf(0), k = ranksOf(1), v = ranksOf(2);
  TileRanks &r = program.ranks;
  r.batch = q[0];
  r.head = q[1];
  r.query = q[2];
  r.headDimQK = q[3];
  r.kvHead = k[1];
  r.key = k[2];
  r.headDimV = v[3];
  if (k[0] != r.batch || v[0] != r.batch || k[3] != r.headDimQK ||
      v[1] != r.kvHead || v[2] != r.key || r.query == r.key ||
      r.headDimQK == r.headDimV || r.kvHead == r.query)
    return fail(cascade)
           << "its inputs must bind the query as [b, h, p, e], the key as "
              "[b, g, m, e] and the value as [b, g, m, f] (one batch rank, "
              "the key's head rank shared with the value, distinct query "
              "and key ranks, distinct head dimensions)";
  for (auto [rank, outer, inner, pass] :
       {std::tuple{r.query, &r.queryTile, &r.queryRow, "attn-tile"},
        std::tuple{r.key, &r.keyTile, &r.keyColumn, "attn-online-softmax"}}) {
    auto it = structure.partitions.find(rank);
    if (it == structure.partitions.end())
      return fail(cascade) << "rank " << rank.getValue() << " is not partitioned into "
                           << "tiles; run " << pass << " first";
    *outer = it->second.first;
    *inner = it->second.second;
  }
  program.blockQ = structure.rank(r.queryRow).extent;
  program.blockKV = structure.rank(r.keyColumn).extent;
  program.query = cast<AccessAttr>(bindings[0]).getTensor();
  program.key = cast<AccessAttr>(bindings[1]).getTensor();
  program.value = cast<AccessAttr>(bindings[2]).getTensor();
  return success();
}

LogicalResult TileProgramBuilder::findStructure() {
  for (Operation &op : cascade.getBody().front()) {
    if (auto iterate = dyn_cast<IterateOp>(op)) {
      if (program.iterate)
        return fail(iterate) << "it iterates more than once; the schedule "
                                "runs one iteration over the key tiles";
      program.iterate = iterate;
      continue;
    }
    if (auto einsum = dyn_cast<EinsumOp>(op)) {
      if (!program.iterate)
        return failEinsum(einsum)
               << "it is computed before the iteration over the key tiles, "
                  "and the schedule has no such stage";
    }
  }
  if (!program.iterate)
    return fail(cascade) << "it has no iteration over the key tiles; run "
                            "attn-defer-division and attn-online-softmax "
                            "first";
  if (program.iterate.getRankAttr() != program.ranks.keyTile)
    return fail(program.iterate)
           << "it iterates over " << program.iterate.getRank()
           << ", not over the key tiles " << program.ranks.keyTile.getValue();
  if (ArrayAttr visit = program.iterate.getVisitAttr()) {
    program.hasVisitClause = true;
    for (Attribute test : visit) {
      auto map = cast<MapAttr>(test);
      if (map.getKind() == MapKind::Mask)
        program.visitMask = cast<MaskAttrInterface>(map.getRule());
      else
        program.visitRegion = true;
    }
  }
  // Neighborhoods whose sequences are the grid get N-dimensional tiles.
  auto grid = dyn_cast_if_present<NeighborhoodAttr>(program.visitMask);
  if (grid && !program.visitRegion) {
    AttentionShape shape = cascade.getAttentionShape();
    int64_t tokens = 1;
    for (int64_t extent : grid.getGrid())
      tokens *= extent;
    if (shape.seqQ == tokens && shape.seqKV == tokens)
      program.patches =
          choosePatchTiling(grid, program.blockQ, program.blockKV);
  }
  return success();
}

FailureOr<TileShape> TileProgramBuilder::shapeOf(EinsumOp definition,
                                                 StringAttr tensor,
                                                 bool inBody) {
  const TileRanks &r = program.ranks;
  llvm::SmallSetVector<StringAttr, 4> rest;
  for (StringAttr rank : structure.tensor(tensor).ranks)
    if (rank != r.batch && rank != r.head && rank != r.queryTile &&
        rank != r.keyTile)
      rest.insert(rank);
  bool hasBatchHeadTile = llvm::is_contained(structure.tensor(tensor).ranks,
                                             r.batch) &&
                          llvm::is_contained(structure.tensor(tensor).ranks,
                                             r.head) &&
                          llvm::is_contained(structure.tensor(tensor).ranks,
                                             r.queryTile);
  bool hasKeyTile =
      llvm::is_contained(structure.tensor(tensor).ranks, r.keyTile);
  std::optional<TileShape> shape;
  if (rest.size() == 1 && rest[0] == r.queryRow)
    shape = TileShape::Row;
  else if (rest.size() == 2 && rest.contains(r.queryRow) &&
           rest.contains(r.keyColumn))
    shape = TileShape::Score;
  else if (rest.size() == 2 && rest.contains(r.queryRow) &&
           rest.contains(r.headDimV))
    shape = TileShape::Output;
  if (!shape || !hasBatchHeadTile || (inBody && !hasKeyTile)) {
    InFlightDiagnostic diagnostic = failEinsum(definition);
    diagnostic << "tensor @" << tensor.getValue() << " has ranks [";
    llvm::interleaveComma(structure.tensor(tensor).ranks, diagnostic,
                          [&](StringAttr rank) { diagnostic << rank.getValue(); });
    return diagnostic << "]; the schedule keeps, per (" << r.batch.getValue() << ", "
                      << r.head.getValue() << ", " << r.queryTile.getValue()
                      << (inBody ? ", " + r.keyTile.str() : std::string())
                      << "), per-row [" << r.queryRow.getValue() << "], per-score ["
                      << r.queryRow.getValue() << ", " << r.keyColumn.getValue()
                      << "] and per-output [" << r.queryRow.getValue() << ", "
                      << r.headDimV.getValue() << "] tensors only";
  }
  if (!inBody && *shape == TileShape::Score) {
    return failEinsum(definition)
           << "a per-score tensor after the iteration has no key tile to "
              "belong to";
  }
  return *shape;
}

LogicalResult TileProgramBuilder::classifyTensors() {
  IterateOp iterate = program.iterate;
  for (auto [access, initial] :
       llvm::zip_equal(iterate.getRunning().getAsRange<AccessAttr>(),
                       iterate.getInitial().getAsValueRange<FloatAttr>())) {
    StringAttr name = access.getTensor();
    const CascadeTensor &info = structure.tensor(name);
    FailureOr<TileShape> shape = shapeOf(info.definition, name, true);
    if (failed(shape))
      return failure();
    if (*shape == TileShape::Score)
      return failEinsum(info.definition)
             << "running tensor @" << name.getValue() << " is per-score; running "
                "tensors carry one value per row or per output element";
    TileTensor tensor;
    tensor.name = name;
    tensor.shape = *shape;
    tensor.running = true;
    tensor.initial = initial.convertToDouble();
    program.tensors.insert({name, tensor});
  }
  for (Operation &op : cascade.getBody().front()) {
    bool inBody = isa<IterateOp>(op);
    SmallVector<EinsumOp> einsums;
    if (inBody)
      llvm::append_range(einsums,
                         cast<IterateOp>(op).getBody().getOps<EinsumOp>());
    else if (auto einsum = dyn_cast<EinsumOp>(op))
      einsums.push_back(einsum);
    for (EinsumOp einsum : einsums) {
      StringAttr name = einsum.getTensorAttr();
      if (program.tensors.contains(name))
        continue; // A recurrence: the running tensor is classified above.
      FailureOr<TileShape> shape = shapeOf(einsum, name, inBody);
      if (failed(shape))
        return failure();
      TileTensor tensor;
      tensor.name = name;
      tensor.shape = *shape;
      program.tensors.insert({name, tensor});
    }
  }
  return success();
}

LogicalResult TileProgramBuilder::checkExpression(EinsumOp einsum,
                                                  Attribute expression,
                                                  TileShape shape,
                                                  bool inBody) {
  const TileRanks &r = program.ranks;
  LogicalResult result = success();
  walkAccesses(expression, [&](AccessAttr access) {
    if (failed(result))
      return;
    StringAttr name = access.getTensor();
    if (name == program.query || name == program.key ||
        name == program.value) {
      result = failEinsum(einsum)
               << "it reads input @" << name.getValue()
               << " outside a product; the schedule reads the query, key "
                  "and value only in `mul(...) reduce(sum: ...)` products "
                  "on the matrix unit";
      return;
    }
    if (!program.tensors.contains(name)) {
      result = failEinsum(einsum) << "it reads @" << name.getValue()
                                  << ", which is not a tensor of the tiles";
      return;
    }
    TileShape operand = program.tensor(name).shape;
    if (operand != shape && operand != TileShape::Row) {
      result = failEinsum(einsum)
               << "it computes " << shapeName(shape) << " from @" << name.getValue()
               << ", " << shapeName(operand)
               << "; an element-wise map reads tensors of its own shape and "
                  "per-row tensors";
    }
  });
  if (failed(result))
    return failure();
  walkMaps(expression, [&](MapAttr map) {
    if (failed(result))
      return;
    MapKind kind = map.getKind();
    bool isRule = kind == MapKind::Mask || kind == MapKind::MaskRegion ||
                  kind == MapKind::ScoreMod || kind == MapKind::ScoreRegion;
    if (!isRule)
      return;
    if (!inBody || shape != TileShape::Score) {
      result = failEinsum(einsum)
               << "it applies a mask or score rule outside a per-score "
                  "tensor of a key tile";
      return;
    }
    ArrayRef<IndexTermAttr> point = map.getPoint();
    if (point.size() != 4 || !isRank(point[0], r.batch) ||
        !isRank(point[1], r.head) ||
        !isTiled(point[2], r.queryTile, r.queryRow) ||
        !isTiled(point[3], r.keyTile, r.keyColumn))
      result = failEinsum(einsum)
               << "its rule is evaluated at a point other than [" << r.batch.getValue()
               << ", " << r.head.getValue() << ", " << r.queryTile.getValue() << " * "
               << extentName(r.queryRow.getValue()) << " + " << r.queryRow.getValue()
               << ", " << r.keyTile.getValue() << " * "
               << extentName(r.keyColumn.getValue()) << " + " << r.keyColumn.getValue()
               << "], the element of the tile it computes";
  });
  return result;
}

/// The constant factors and the accesses of a `mul(...)`; fails when an
/// operand is neither.
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

FailureOr<TileOp> TileProgramBuilder::buildProduct(EinsumOp einsum,
                                                   TileShape shape) {
  const TileRanks &r = program.ranks;
  TileOp op;
  op.einsum = einsum;
  op.result = einsum.getTensorAttr();
  op.shape = shape;
  SmallVector<AccessAttr> accesses;
  ArrayAttr reduced = einsum.getReducedAttr();
  if (einsum.getReducer() != ReduceKind::Sum ||
      failed(splitProduct(einsum.getMap(), op.scale, accesses)) ||
      accesses.size() != 2)
    return failEinsum(einsum)
           << "a reduction to " << shapeName(shape)
           << " must be a product `mul(A, B, constants...) reduce(sum: "
              "...)` on the matrix unit";
  auto find = [&](StringAttr name) -> AccessAttr {
    for (AccessAttr access : accesses)
      if (access.getTensor() == name)
        return access;
    return {};
  };
  if (shape == TileShape::Score) {
    AccessAttr q = find(program.query), k = find(program.key);
    bool reducesE = reduced.size() == 1 &&
                    cast<StringAttr>(reduced[0]) == r.headDimQK;
    if (!q || !k || !reducesE)
      return failEinsum(einsum)
             << "a per-score product must multiply the query and the key "
                "and reduce over "
             << r.headDimQK.getValue();
    ArrayRef<IndexTermAttr> qi = q.getIndices(), ki = k.getIndices();
    if (!isRank(qi[0], r.batch) || !isRank(qi[1], r.head) ||
        !isTiled(qi[2], r.queryTile, r.queryRow) ||
        !isRank(qi[3], r.headDimQK) || !isRank(ki[0], r.batch) ||
        !isKVHead(ki[1]) || !isTiled(ki[2], r.keyTile, r.keyColumn) ||
        !isRank(ki[3], r.headDimQK))
      return failEinsum(einsum)
             << "it must read the query at [" << r.batch.getValue() << ", " << r.head.getValue()
             << ", " << r.queryTile.getValue() << " * P0 + " << r.queryRow.getValue() << ", "
             << r.headDimQK.getValue() << "] and the key at its tile's keys";
    op.kind = TileOpKind::QueryKeyProduct;
    return op;
  }
  AccessAttr v = find(program.value);
  AccessAttr p = accesses[0] == v ? accesses[1] : accesses[0];
  bool reducesKeys =
      reduced.size() == 1 && cast<StringAttr>(reduced[0]) == r.keyColumn;
  if (!v || !reducesKeys || !program.tensors.contains(p.getTensor()) ||
      program.tensor(p.getTensor()).shape != TileShape::Score)
    return failEinsum(einsum)
           << "a per-output product must multiply a per-score tensor by the "
              "value and reduce over "
           << r.keyColumn.getValue();
  ArrayRef<IndexTermAttr> vi = v.getIndices();
  if (!isRank(vi[0], r.batch) || !isKVHead(vi[1]) ||
      !isTiled(vi[2], r.keyTile, r.keyColumn) || !isRank(vi[3], r.headDimV))
    return failEinsum(einsum) << "it must read the value at its tile's keys";
  op.kind = TileOpKind::ValueProduct;
  op.probabilities = p.getTensor();
  return op;
}

FailureOr<TileOp> TileProgramBuilder::buildOp(EinsumOp einsum, bool inBody) {
  const TileTensor &result = program.tensor(einsum.getTensorAttr());
  if (std::optional<ReduceKind> reducer = einsum.getReducer()) {
    if (!inBody)
      return failEinsum(einsum)
             << "it reduces after the iteration; the epilogue maps per-row "
                "and per-output tensors element by element";
    if (result.shape == TileShape::Score ||
        result.shape == TileShape::Output)
      return buildProduct(einsum, result.shape);
    // A row reduction over the tile's keys.
    ArrayAttr reduced = einsum.getReducedAttr();
    if (reduced.size() != 1 ||
        cast<StringAttr>(reduced[0]) != program.ranks.keyColumn)
      return failEinsum(einsum) << "a per-row reduction must reduce over "
                                << program.ranks.keyColumn.getValue() << " alone";
    if (failed(checkExpression(einsum, einsum.getMap(), TileShape::Score,
                               inBody)))
      return failure();
    TileOp op;
    op.kind = TileOpKind::RowReduce;
    op.einsum = einsum;
    op.result = einsum.getTensorAttr();
    op.shape = TileShape::Row;
    op.expression = einsum.getMap();
    op.reduction = *reducer;
    return op;
  }
  if (failed(checkExpression(einsum, einsum.getMap(), result.shape, inBody)))
    return failure();
  TileOp op;
  op.kind = TileOpKind::Map;
  op.einsum = einsum;
  op.result = einsum.getTensorAttr();
  op.shape = result.shape;
  op.expression = einsum.getMap();
  return op;
}

void TileProgramBuilder::fuseValueProducts() {
  SmallVector<TileOp> &body = program.body;
  for (size_t position = 0; position < body.size(); ++position) {
    TileOp &product = body[position];
    if (product.kind != TileOpKind::ValueProduct)
      continue;
    // Its readers, and how often each reads it.
    SmallVector<size_t> readers;
    unsigned reads = 0;
    for (size_t later = position + 1; later < body.size(); ++later) {
      unsigned here = 0;
      walkAccesses(body[later].expression, [&](AccessAttr access) {
        if (access.getTensor() == product.result)
          ++here;
      });
      if (here) {
        readers.push_back(later);
        reads += here;
      }
    }
    if (readers.size() != 1 || reads != 1)
      continue;
    TileOp &reader = body[readers.front()];
    auto add = dyn_cast_if_present<MapAttr>(reader.expression);
    if (reader.kind != TileOpKind::Map || reader.shape != TileShape::Output ||
        !add || add.getKind() != MapKind::Add ||
        add.getOperands().size() != 2)
      continue;
    ArrayRef<Attribute> operands = add.getOperands();
    for (unsigned side = 0; side < 2; ++side) {
      auto access = dyn_cast<AccessAttr>(operands[side]);
      if (!access || access.getTensor() != product.result)
        continue;
      product.fusedInto = readers.front();
      reader.fusedProduct = position;
      reader.accumulator = operands[1 - side];
    }
  }
}

LogicalResult TileProgramBuilder::findOutputs() {
  const TileRanks &r = program.ranks;
  CascadeYieldOp yield = cascade.getYield();
  auto accesses = yield.getTensors().getAsRange<AccessAttr>();
  for (auto [position, access] : llvm::enumerate(accesses)) {
    StringAttr name = access.getTensor();
    ArrayRef<IndexTermAttr> indices = access.getIndices();
    bool rowMajor = indices.size() >= 4 && isRank(indices[0], r.batch) &&
                    isRank(indices[1], r.head) &&
                    isRank(indices[2], r.queryTile) &&
                    isRank(indices[3], r.queryRow);
    bool isOutput = position == 0 && indices.size() == 5 && rowMajor &&
                    isRank(indices[4], r.headDimV);
    bool isLse = position == 1 && indices.size() == 4 && rowMajor;
    if (!program.tensors.contains(name) || (!isOutput && !isLse))
      return fail(yield) << "the schedule returns O as [" << r.batch.getValue() << ", "
                         << r.head.getValue() << ", " << r.queryTile.getValue() << ", "
                         << r.queryRow.getValue() << ", " << r.headDimV.getValue()
                         << "] and optionally the LSE as [" << r.batch.getValue()
                         << ", " << r.head.getValue() << ", " << r.queryTile.getValue() << ", "
                         << r.queryRow.getValue() << "], computed after the iteration";
    (isOutput ? program.output : program.lse) = name;
  }
  return success();
}

FailureOr<TileProgram> TileProgramBuilder::build() {
  FailureOr<CascadeStructure> analyzed = analyzeCascade(cascade);
  if (failed(analyzed))
    return cascade.emitError() << "cannot lower a malformed cascade";
  structure = std::move(*analyzed);
  if (cascade.getInputs().size() != 3)
    return fail(cascade) << "the schedule reads three inputs (query, key, "
                            "value) and takes anything else as data operands";
  if (failed(findRanks()) || failed(findStructure()) ||
      failed(classifyTensors()))
    return failure();
  for (EinsumOp einsum : program.iterate.getBody().getOps<EinsumOp>()) {
    FailureOr<TileOp> op = buildOp(einsum, /*inBody=*/true);
    if (failed(op))
      return failure();
    program.body.push_back(*op);
  }
  for (EinsumOp einsum : cascade.getBody().front().getOps<EinsumOp>()) {
    FailureOr<TileOp> op = buildOp(einsum, /*inBody=*/false);
    if (failed(op))
      return failure();
    program.epilogue.push_back(*op);
  }
  fuseValueProducts();
  if (failed(findOutputs()))
    return failure();
  return std::move(program);
}

FailureOr<TileProgram> mlir::attn::schedule::analyzeTileProgram(CascadeOp cascade) {
  return TileProgramBuilder(cascade).build();
}

RunningRead mlir::attn::schedule::runningReadOf(AccessAttr access,
                                                const TileProgram &program) {
  auto it = program.tensors.find(access.getTensor());
  if (it == program.tensors.end() || !it->second.running)
    return RunningRead::Current;
  StringAttr keyTile = program.ranks.keyTile;
  for (IndexTermAttr term : access.getIndices()) {
    if (term.getKind() == IndexTermKind::Extent && term.getRank() == keyTile)
      return RunningRead::Final;
    if (term.getKind() == IndexTermKind::Offset && term.getRank() == keyTile)
      return RunningRead::Next;
    if (term.getKind() == IndexTermKind::Rank && term.getRank() == keyTile)
      return RunningRead::Previous;
  }
  return RunningRead::Current;
}

std::optional<int64_t>
mlir::attn::schedule::staticQueryTileCount(const TileProgram &program) {
  if (!program.patches)
    return std::nullopt;
  return program.patches->numPatches();
}
