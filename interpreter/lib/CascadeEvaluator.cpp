//===- CascadeEvaluator.cpp - float64 evaluation of Einsum cascades -------===//
//
// Each Einsum is compiled once into a small tree of nodes whose index terms
// refer to slots of one coordinate array, then run over its iteration space
// with an odometer: output ranks outside, reduced ranks inside. Tensors are
// dense row-major arrays over their ranks' extents (a running tensor's
// iterative dimension has one more entry than the rank). Entries nobody
// wrote hold NaN, so a mistake in the cascade semantics cannot pass a
// comparison unnoticed. An iteration with a visit clause really skips the
// steps of empty tiles and the mask tests on full ones, so a wrong tile
// classification changes the result instead of hiding behind the select.
//
//===----------------------------------------------------------------------===//
#include "attn/Interpreter/CascadeEvaluator.h"

#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Interpreter/RegionEvaluator.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SetVector.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
/// The reference keeps every tensor of a cascade in memory; beyond this many
/// float64 elements (1 GiB) it refuses rather than exhaust the machine.
constexpr int64_t kMaxElements = int64_t(1) << 27;

/// A dense float64 tensor over named ranks.
struct Storage {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> strides;
  std::vector<double> values;
};

/// One compiled index term: reads coordinate slots.
struct Term {
  IndexTermKind kind;
  unsigned slot = 0, innerSlot = 0;
  /// Offset, tile size, head-group size or extent, by kind.
  int64_t value = 0;
};

/// One compiled map node.
struct Node {
  enum class Kind { Access, Constant, Map } kind;
  MapKind map = MapKind::Add;
  double constant = 0.0;
  /// Access: the tensor read (`data` of either an input or a Storage).
  const double *data = nullptr;
  SmallVector<int64_t> shape, strides;
  SmallVector<Term> terms;
  /// Map: operands, and the rule and point of masks and score mods.
  SmallVector<unsigned> operands;
  Attribute rule;
  SmallVector<Term> point;
  /// A mask test of the running iteration's visit clause: known true on the
  /// tiles the clause classifies full.
  bool isVisitTest = false;
};

/// The tile classes of an iteration's visit clause at the bound sizes, one
/// per (batch, head, query tile, key tile): O(tiles), never O(Sq * Skv).
struct VisitTable {
  SmallVector<Attribute> tests;
  unsigned batchSlot = 0, headSlot = 0, queryTileSlot = 0, keyTileSlot = 0;
  int64_t heads = 0, queryTiles = 0, keyTiles = 0;
  std::vector<TileClass> classes;

  size_t index(int64_t b, int64_t h, int64_t queryTile, int64_t keyTile) const {
    return ((b * heads + h) * queryTiles + queryTile) * keyTiles + keyTile;
  }
  TileClass at(ArrayRef<int64_t> coordinates) const {
    return classes[index(coordinates[batchSlot], coordinates[headSlot],
                         coordinates[queryTileSlot],
                         coordinates[keyTileSlot])];
  }
};

/// A partition whose both parts are bound in an Einsum: the points with
/// outer * tile + inner >= extent do not exist.
struct PartitionCheck {
  unsigned outerSlot, innerSlot;
  int64_t tile, extent;
};

class CascadeInterpreter {
public:
  CascadeInterpreter(CascadeOp op, ArrayRef<const Tensor64 *> inputs,
                     const Bindings &context)
      : op(op), inputs(inputs), context(context), reader(context.data) {}

  FailureOr<SmallVector<Tensor64>> run();

private:
  LogicalResult bindInputs();
  LogicalResult checkRulesAtSizes();
  LogicalResult allocate();
  LogicalResult runEinsum(EinsumOp einsum);
  LogicalResult runIterate(IterateOp iterate);
  LogicalResult buildVisitTable(IterateOp iterate);
  FailureOr<Tensor64> readResult(AccessAttr access);

  unsigned slotOf(StringAttr rank) { return slots.lookup(rank); }
  Term compileTerm(IndexTermAttr term);
  unsigned compile(Attribute expression, std::vector<Node> &nodes);
  void bindAccess(Node &node, StringAttr tensor);
  int64_t evaluateTerm(const Term &term) const;
  FailureOr<double> evaluate(ArrayRef<Node> nodes, unsigned index);
  FailureOr<double> read(const Node &node) const;
  MaskPoint pointAt(const Node &node) const;

  CascadeOp op;
  ArrayRef<const Tensor64 *> inputs;
  const Bindings &context;
  BindingsDataReader reader;
  CascadeStructure structure;
  llvm::DenseMap<StringAttr, unsigned> slots;
  SmallVector<int64_t> extents;
  SmallVector<int64_t> coordinates;
  llvm::DenseMap<StringAttr, Storage> storages;
  MaskPoint sizes;
  /// Set while an iteration with a visit clause runs.
  std::optional<VisitTable> visit;
  /// Whether the point being evaluated lies in a tile classified full.
  bool inFullTile = false;
};

} // namespace

LogicalResult CascadeInterpreter::bindInputs() {
  if (inputs.size() != op.getInputs().size())
    return op.emitError() << "reference: the cascade has "
                          << op.getInputs().size() << " inputs but "
                          << inputs.size() << " tensors were bound";
  if (context.data.size() != op.getData().size())
    return op.emitError() << "reference: the cascade has "
                          << op.getData().size() << " data operands but "
                          << context.data.size() << " tensors were bound";
  for (auto [position, tensor, value] :
       llvm::enumerate(inputs, op.getInputs())) {
    auto type = cast<RankedTensorType>(value.getType());
    if (static_cast<int64_t>(tensor->shape.size()) != type.getRank() ||
        static_cast<int64_t>(tensor->values.size()) !=
            numElements(tensor->shape))
      return op.emitError()
             << "reference: input #" << position
             << " is bound to a tensor of shape " << formatShape(tensor->shape)
             << " with " << tensor->values.size() << " values, not a " << type;
    for (auto [dim, extent] : llvm::enumerate(tensor->shape))
      if (extent < 0 ||
          (!type.isDynamicDim(dim) && type.getDimSize(dim) != extent))
        return op.emitError()
               << "reference: input #" << position << " is bound to shape "
               << formatShape(tensor->shape) << " but its type is " << type;
  }

  for (auto &[name, rank] : structure.ranks) {
    slots[name] = extents.size();
    int64_t extent;
    if (rank.isPartitionPart()) {
      int64_t parent = extents[slots.lookup(rank.parent)];
      extent = rank.isOuter ? (parent + rank.tile - 1) / rank.tile : rank.tile;
    } else {
      extent = inputs[rank.input]->shape[rank.dim];
    }
    extents.push_back(extent);
  }
  // Every binding that names a rank must agree on its extent.
  for (auto [position, binding] :
       llvm::enumerate(op.getBindings().getAsRange<AccessAttr>()))
    for (auto [dim, term] : llvm::enumerate(binding.getIndices())) {
      int64_t extent = inputs[position]->shape[dim];
      int64_t expected = extents[slotOf(term.getRank())];
      if (extent != expected)
        return op.emitError()
               << "reference: rank " << term.getRank().getValue() << " is "
               << expected << " long in one input but input #" << position
               << " (shape " << formatShape(inputs[position]->shape)
               << ") makes it " << extent;
    }
  coordinates.assign(extents.size(), 0);

  if (inputs.size() >= 3 && inputs[0]->shape.size() == 4 &&
      inputs[1]->shape.size() == 4) {
    sizes.batch = inputs[0]->shape[0];
    sizes.queryHeads = inputs[0]->shape[1];
    sizes.seqQ = inputs[0]->shape[2];
    sizes.kvHeads = inputs[1]->shape[1];
    sizes.seqKV = inputs[1]->shape[2];
    if (sizes.kvHeads < 1 || sizes.queryHeads % sizes.kvHeads != 0)
      return op.emitError() << "reference: " << sizes.queryHeads
                            << " query heads do not split into "
                            << sizes.kvHeads << " KV heads";
  }
  sizes.data = &reader;
  return checkRulesAtSizes();
}

LogicalResult CascadeInterpreter::checkRulesAtSizes() {
  llvm::SetVector<Attribute> rules;
  op.getBody().walk([&](EinsumOp einsum) {
    walkMaps(einsum.getMap(), [&](MapAttr map) {
      if (map.getRule())
        rules.insert(map.getRule());
    });
  });
  if (rules.empty())
    return success();
  // The verifier checked the rules against the types; the data operands
  // must also fit them at the bound sizes, or a rule would read past them.
  AttentionShape shape;
  shape.batch = sizes.batch;
  shape.queryHeads = sizes.queryHeads;
  shape.kvHeads = sizes.kvHeads;
  shape.seqQ = sizes.seqQ;
  shape.seqKV = sizes.seqKV;
  shape.headDimQK = inputs[0]->shape[3];
  shape.headDimV = inputs[2]->shape[3];
  for (auto [data, bound] : llvm::zip_equal(op.getData(), context.data))
    shape.dataTypes.push_back(RankedTensorType::get(
        bound.shape, cast<RankedTensorType>(data.getType()).getElementType()));
  for (Attribute rule : rules) {
    LogicalResult fits = success();
    if (auto mask = dyn_cast<MaskAttrInterface>(rule))
      fits = mask.verifyUse(shape, op);
    else if (auto mod = dyn_cast<ScoreModAttrInterface>(rule))
      fits = mod.verifyUse(shape, op);
    if (failed(fits))
      return op.emitError()
             << "reference: the data operands do not fit " << rule
             << " at the bound sizes B = " << sizes.batch
             << ", Sq = " << sizes.seqQ << ", Skv = " << sizes.seqKV;
  }
  return success();
}

LogicalResult CascadeInterpreter::allocate() {
  int64_t total = 0;
  for (auto &[name, tensor] : structure.tensors) {
    if (tensor.kind == CascadeTensor::Kind::Input)
      continue;
    Storage storage;
    for (auto [dim, rank] : llvm::enumerate(tensor.ranks)) {
      int64_t extent = extents[slotOf(rank)];
      if (tensor.kind == CascadeTensor::Kind::Running &&
          dim == tensor.iterativeDim)
        ++extent;
      storage.shape.push_back(extent);
    }
    storage.strides.assign(storage.shape.size(), 1);
    for (int dim = static_cast<int>(storage.shape.size()) - 2; dim >= 0; --dim)
      storage.strides[dim] = storage.strides[dim + 1] * storage.shape[dim + 1];
    int64_t elements = numElements(storage.shape);
    total += elements;
    if (total > kMaxElements)
      return op.emitError()
             << "reference: the cascade's tensors need more "
                "than "
             << kMaxElements << " float64 elements at these sizes";
    storage.values.assign(elements, kNaN);
    if (tensor.kind == CascadeTensor::Kind::Running) {
      // Entry 0 of the iterative dimension holds the initial value.
      int64_t stride = storage.strides[tensor.iterativeDim];
      int64_t extent = storage.shape[tensor.iterativeDim];
      for (int64_t flat = 0; flat < elements; ++flat)
        if ((flat / stride) % extent == 0)
          storage.values[flat] = tensor.initial;
    }
    storages[name] = std::move(storage);
  }
  return success();
}

Term CascadeInterpreter::compileTerm(IndexTermAttr term) {
  Term compiled{term.getKind()};
  switch (term.getKind()) {
  case IndexTermKind::Rank:
    compiled.slot = slotOf(term.getRank());
    break;
  case IndexTermKind::Offset:
    compiled.slot = slotOf(term.getRank());
    compiled.value = term.getOffset();
    break;
  case IndexTermKind::Tiled:
    compiled.slot = slotOf(term.getRank());
    compiled.innerSlot = slotOf(term.getOperand());
    compiled.value = structure.rank(term.getOperand()).tile;
    break;
  case IndexTermKind::HeadMap:
    compiled.innerSlot = slotOf(term.getOperand());
    compiled.value =
        extents[slotOf(term.getOperand())] / extents[slotOf(term.getRank())];
    break;
  case IndexTermKind::Extent:
    compiled.value = extents[slotOf(term.getRank())];
    break;
  }
  return compiled;
}

int64_t CascadeInterpreter::evaluateTerm(const Term &term) const {
  switch (term.kind) {
  case IndexTermKind::Rank:
    return coordinates[term.slot];
  case IndexTermKind::Offset:
    return coordinates[term.slot] + term.value;
  case IndexTermKind::Tiled:
    return coordinates[term.slot] * term.value + coordinates[term.innerSlot];
  case IndexTermKind::HeadMap:
    return coordinates[term.innerSlot] / term.value;
  case IndexTermKind::Extent:
    return term.value;
  }
  return 0;
}

void CascadeInterpreter::bindAccess(Node &node, StringAttr tensor) {
  const CascadeTensor &info = structure.tensor(tensor);
  if (info.kind == CascadeTensor::Kind::Input) {
    const Tensor64 &input = *inputs[info.input];
    node.data = input.values.data();
    node.shape.assign(input.shape.begin(), input.shape.end());
    node.strides.assign(node.shape.size(), 1);
    for (int dim = static_cast<int>(node.shape.size()) - 2; dim >= 0; --dim)
      node.strides[dim] = node.strides[dim + 1] * node.shape[dim + 1];
    return;
  }
  const Storage &storage = storages.find(tensor)->second;
  node.data = storage.values.data();
  node.shape = storage.shape;
  node.strides = storage.strides;
}

unsigned CascadeInterpreter::compile(Attribute expression,
                                     std::vector<Node> &nodes) {
  Node node;
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    node.kind = Node::Kind::Access;
    bindAccess(node, access.getTensor());
    for (IndexTermAttr term : access.getIndices())
      node.terms.push_back(compileTerm(term));
  } else if (auto constant = dyn_cast<FloatAttr>(expression)) {
    node.kind = Node::Kind::Constant;
    node.constant = constant.getValueAsDouble();
  } else {
    auto map = cast<MapAttr>(expression);
    node.kind = Node::Kind::Map;
    node.map = map.getKind();
    node.rule = map.getRule();
    node.isVisitTest = visit && llvm::is_contained(visit->tests, map);
    for (IndexTermAttr term : map.getPoint())
      node.point.push_back(compileTerm(term));
    for (Attribute operand : map.getOperands())
      node.operands.push_back(compile(operand, nodes));
  }
  nodes.push_back(std::move(node));
  return nodes.size() - 1;
}

FailureOr<double> CascadeInterpreter::read(const Node &node) const {
  int64_t flat = 0;
  for (auto [term, extent, stride] :
       llvm::zip_equal(node.terms, node.shape, node.strides)) {
    int64_t index = evaluateTerm(term);
    if (index < 0 || index >= extent)
      return failure();
    flat += index * stride;
  }
  return node.data[flat];
}

MaskPoint CascadeInterpreter::pointAt(const Node &node) const {
  MaskPoint point = sizes;
  point.b = evaluateTerm(node.point[0]);
  point.h = evaluateTerm(node.point[1]);
  point.i = evaluateTerm(node.point[2]);
  point.j = evaluateTerm(node.point[3]);
  return point;
}

FailureOr<double> CascadeInterpreter::evaluate(ArrayRef<Node> nodes,
                                               unsigned index) {
  const Node &node = nodes[index];
  if (node.kind == Node::Kind::Constant)
    return node.constant;
  if (node.kind == Node::Kind::Access) {
    FailureOr<double> value = read(node);
    if (failed(value))
      return op.emitError() << "reference: an access reads outside its "
                               "tensor; the cascade is not well formed";
    return value;
  }

  if (node.isVisitTest && inFullTile)
    return 1.0;
  if (node.map == MapKind::Mask)
    return cast<MaskAttrInterface>(node.rule).keeps(pointAt(node)) ? 1.0 : 0.0;
  if (node.map == MapKind::MaskRegion) {
    MaskPoint at = pointAt(node);
    FailureOr<bool> keep = evaluateMaskRegion(
        op.getMaskRegion(), at.b, at.h, at.i, at.j, context, op.getData());
    if (failed(keep))
      return failure();
    return *keep ? 1.0 : 0.0;
  }
  if (node.map == MapKind::Select) {
    FailureOr<double> condition = evaluate(nodes, node.operands[0]);
    if (failed(condition))
      return failure();
    return evaluate(nodes, node.operands[*condition != 0.0 ? 1 : 2]);
  }

  SmallVector<double, 4> values;
  for (unsigned operand : node.operands) {
    FailureOr<double> value = evaluate(nodes, operand);
    if (failed(value))
      return failure();
    values.push_back(*value);
  }
  switch (node.map) {
  case MapKind::Add: {
    double sum = 0.0;
    for (double value : values)
      sum += value;
    return sum;
  }
  case MapKind::Mul: {
    double product = 1.0;
    for (double value : values)
      product *= value;
    return product;
  }
  case MapKind::Max: {
    double result = -kInfinity;
    for (double value : values)
      result = std::fmax(result, value);
    return result;
  }
  case MapKind::Min: {
    double result = kInfinity;
    for (double value : values)
      result = std::fmin(result, value);
    return result;
  }
  case MapKind::Sub:
    return values[0] - values[1];
  case MapKind::Div:
    return values[0] / values[1];
  case MapKind::Neg:
    return -values[0];
  case MapKind::Exp:
    return std::exp(values[0]);
  case MapKind::Log:
    return std::log(values[0]);
  case MapKind::Tanh:
    return std::tanh(values[0]);
  case MapKind::ExpDiff:
    // exp(x - m) with m a maximum over x: m = -inf means every x is -inf.
    return values[1] == -kInfinity ? 0.0 : std::exp(values[0] - values[1]);
  case MapKind::DivOrZero:
    return values[1] == 0.0 ? 0.0 : values[0] / values[1];
  case MapKind::ScoreMod:
    return cast<ScoreModAttrInterface>(node.rule).apply(values[0],
                                                        pointAt(node));
  case MapKind::ScoreRegion: {
    MaskPoint at = pointAt(node);
    return evaluateScoreRegion(op.getScoreRegion(), values[0], at.b, at.h, at.i,
                               at.j, context, op.getData());
  }
  default:
    return op.emitError() << "reference: unexpected map action '"
                          << stringifyMapKind(node.map) << "'";
  }
}

LogicalResult CascadeInterpreter::runEinsum(EinsumOp einsum) {
  std::vector<Node> nodes;
  unsigned root = compile(einsum.getMap(), nodes);
  Storage &output = storages.find(einsum.getTensorAttr())->second;
  SmallVector<Term> outputTerms = llvm::map_to_vector(
      einsum.getIndices().getAsRange<IndexTermAttr>(),
      [&](IndexTermAttr term) { return compileTerm(term); });

  EinsumDomain domain = getEinsumDomain(einsum);
  auto slotsOf = [&](ArrayRef<StringAttr> ranks) {
    return llvm::map_to_vector(ranks,
                               [&](StringAttr rank) { return slotOf(rank); });
  };
  SmallVector<unsigned> outer = slotsOf(domain.outputRanks);
  SmallVector<unsigned> inner = slotsOf(domain.reducedRanks);
  llvm::SmallDenseSet<unsigned> bound(outer.begin(), outer.end());
  bound.insert(inner.begin(), inner.end());
  if (domain.fixedRank)
    bound.insert(slotOf(domain.fixedRank));
  SmallVector<PartitionCheck> checks;
  for (auto &[parent, parts] : structure.partitions) {
    unsigned outerSlot = slotOf(parts.first), innerSlot = slotOf(parts.second);
    if (bound.contains(outerSlot) && bound.contains(innerSlot))
      checks.push_back({outerSlot, innerSlot, structure.rank(parts.second).tile,
                        extents[slotOf(parent)]});
  }
  auto exists = [&]() {
    return llvm::all_of(checks, [&](const PartitionCheck &check) {
      return coordinates[check.outerSlot] * check.tile +
                 coordinates[check.innerSlot] <
             check.extent;
    });
  };
  // Visits every point of `ranks` (row-major) and calls `body` on it.
  auto forEach = [&](ArrayRef<unsigned> ranks,
                     function_ref<LogicalResult()> body) -> LogicalResult {
    for (unsigned slot : ranks) {
      if (extents[slot] == 0)
        return success();
      coordinates[slot] = 0;
    }
    while (true) {
      if (failed(body()))
        return failure();
      int position = static_cast<int>(ranks.size()) - 1;
      for (; position >= 0; --position) {
        unsigned slot = ranks[position];
        if (++coordinates[slot] < extents[slot])
          break;
        coordinates[slot] = 0;
      }
      if (position < 0)
        return success();
    }
  };

  auto flatOutputIndex = [&]() -> FailureOr<int64_t> {
    int64_t flat = 0;
    for (auto [term, extent, stride] :
         llvm::zip_equal(outputTerms, output.shape, output.strides)) {
      int64_t index = evaluateTerm(term);
      if (index < 0 || index >= extent)
        return einsum.emitError()
               << "reference: writes outside @" << einsum.getTensor();
      flat += index * stride;
    }
    return flat;
  };
  const CascadeTensor &written = structure.tensor(einsum.getTensorAttr());
  bool isRecurrence = written.kind == CascadeTensor::Kind::Running;

  std::optional<ReduceKind> reducer = einsum.getReducer();
  LogicalResult result = forEach(outer, [&]() -> LogicalResult {
    if (!exists())
      return success();
    inFullTile = false;
    if (visit) {
      TileClass tileClass = visit->at(coordinates);
      if (tileClass == TileClass::Empty) {
        // A skipped step leaves the running tensors as they were.
        if (isRecurrence) {
          FailureOr<int64_t> flat = flatOutputIndex();
          if (failed(flat))
            return failure();
          output.values[*flat] =
              output.values[*flat - output.strides[written.iterativeDim]];
        }
        return success();
      }
      inFullTile = tileClass == TileClass::Full;
    }
    double value;
    if (reducer) {
      value = *reducer == ReduceKind::Sum ? 0.0 : -kInfinity;
      if (failed(forEach(inner, [&]() -> LogicalResult {
            if (!exists())
              return success();
            FailureOr<double> element = evaluate(nodes, root);
            if (failed(element))
              return failure();
            value = *reducer == ReduceKind::Sum ? value + *element
                                                : std::fmax(value, *element);
            return success();
          })))
        return failure();
    } else {
      FailureOr<double> element = evaluate(nodes, root);
      if (failed(element))
        return failure();
      value = *element;
    }
    FailureOr<int64_t> flat = flatOutputIndex();
    if (failed(flat))
      return failure();
    output.values[*flat] = value;
    return success();
  });
  if (failed(result))
    return failure();
  if (const std::optional<std::string> &bad = reader.firstBadAccess())
    return einsum.emitError() << "reference: " << *bad;
  return success();
}

LogicalResult CascadeInterpreter::buildVisitTable(IterateOp iterate) {
  ArrayAttr tests = iterate.getVisitAttr();
  MaskAttrInterface mask;
  Region *region = nullptr;
  for (auto test : tests.getAsRange<MapAttr>()) {
    if (test.getKind() == MapKind::Mask)
      mask = cast<MaskAttrInterface>(test.getRule());
    else
      region = &op.getMaskRegion();
  }
  ArrayRef<IndexTermAttr> point = cast<MapAttr>(tests[0]).getPoint();
  StringAttr queryTile = point[2].getRank(), keyTile = point[3].getRank();
  const CascadeRank &queryParts = structure.rank(queryTile);
  const CascadeRank &keyParts = structure.rank(keyTile);
  int64_t queryLength = extents[slotOf(queryParts.parent)];
  int64_t keyLength = extents[slotOf(keyParts.parent)];
  if (queryLength != sizes.seqQ || keyLength != sizes.seqKV)
    return iterate.emitError()
           << "reference: the visit clause tiles ranks "
           << queryParts.parent.getValue() << " and "
           << keyParts.parent.getValue() << " of lengths " << queryLength
           << " and " << keyLength << ", but the mask sees Sq = " << sizes.seqQ
           << " and Skv = " << sizes.seqKV;

  TilingContext ctx;
  ctx.batch = sizes.batch;
  ctx.queryHeads = sizes.queryHeads;
  ctx.kvHeads = sizes.kvHeads;
  ctx.seqQ = sizes.seqQ;
  ctx.seqKV = sizes.seqKV;
  ctx.blockQ = queryParts.tile;
  ctx.blockKV = keyParts.tile;
  ctx.data = &reader;

  VisitTable table;
  table.tests.assign(tests.begin(), tests.end());
  table.batchSlot = slotOf(point[0].getRank());
  table.headSlot = slotOf(point[1].getRank());
  table.queryTileSlot = slotOf(queryTile);
  table.keyTileSlot = slotOf(keyTile);
  int64_t batch = extents[table.batchSlot];
  table.heads = extents[table.headSlot];
  table.queryTiles = extents[table.queryTileSlot];
  table.keyTiles = extents[table.keyTileSlot];
  table.classes.assign(batch * table.heads * table.queryTiles * table.keyTiles,
                       TileClass::Empty);
  EffectiveMaskTiling tiling(mask, region);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < table.heads; ++h)
      for (int64_t q = 0; q < table.queryTiles; ++q)
        tiling.visitSet(ctx, b, h, q).forEachTile(
            [&](int64_t k, TileClass tileClass) {
              if (k < table.keyTiles)
                table.classes[table.index(b, h, q, k)] = tileClass;
            });
  if (const std::optional<std::string> &bad = reader.firstBadAccess())
    return iterate.emitError() << "reference: " << *bad;
  visit = std::move(table);
  return success();
}

LogicalResult CascadeInterpreter::runIterate(IterateOp iterate) {
  if (iterate.getVisitAttr() && failed(buildVisitTable(iterate)))
    return failure();
  unsigned slot = slotOf(iterate.getRankAttr());
  LogicalResult result = success();
  for (int64_t step = 0; step < extents[slot] && succeeded(result); ++step) {
    coordinates[slot] = step;
    for (Operation &nested : iterate.getBody().front())
      if (failed(result = runEinsum(cast<EinsumOp>(nested))))
        break;
  }
  visit.reset();
  inFullTile = false;
  return result;
}

FailureOr<Tensor64> CascadeInterpreter::readResult(AccessAttr access) {
  Node node;
  bindAccess(node, access.getTensor());
  /// One result dimension: a rank, or the two parts of a partitioned rank
  /// (outer, inner) yielded as the rank itself.
  struct ResultDim {
    unsigned slot, innerSlot;
    int64_t tile = 0;
  };
  SmallVector<ResultDim> dims;
  Tensor64 result;
  for (IndexTermAttr term : access.getIndices()) {
    node.terms.push_back(compileTerm(term));
    if (!term.isRank())
      continue;
    const CascadeRank &rank = structure.rank(term.getRank());
    unsigned slot = slotOf(term.getRank());
    if (rank.isPartitionPart() && !rank.isOuter && !dims.empty() &&
        dims.back().tile == 0 &&
        dims.back().slot ==
            slotOf(structure.partitions.lookup(rank.parent).first)) {
      dims.back().innerSlot = slot;
      dims.back().tile = rank.tile;
      result.shape.back() = extents[slotOf(rank.parent)];
      continue;
    }
    dims.push_back({slot, slot});
    result.shape.push_back(extents[slot]);
  }
  result.values.reserve(numElements(result.shape));
  if (numElements(result.shape) == 0)
    return result;
  SmallVector<int64_t> position(dims.size(), 0);
  auto place = [&]() {
    for (auto [dim, at] : llvm::zip_equal(dims, position)) {
      if (dim.tile == 0) {
        coordinates[dim.slot] = at;
        continue;
      }
      coordinates[dim.slot] = at / dim.tile;
      coordinates[dim.innerSlot] = at % dim.tile;
    }
  };
  while (true) {
    place();
    FailureOr<double> value = read(node);
    if (failed(value))
      return op.emitError() << "reference: cannot read result @"
                            << access.getTensor().getValue();
    result.values.push_back(*value);
    int dim = static_cast<int>(dims.size()) - 1;
    for (; dim >= 0; --dim) {
      if (++position[dim] < result.shape[dim])
        break;
      position[dim] = 0;
    }
    if (dim < 0)
      return result;
  }
}

FailureOr<SmallVector<Tensor64>> CascadeInterpreter::run() {
  FailureOr<CascadeStructure> analyzed = analyzeCascade(op);
  if (failed(analyzed))
    return op.emitError() << "reference: the cascade is malformed";
  structure = std::move(*analyzed);
  if (failed(bindInputs()) || failed(allocate()))
    return failure();
  for (Operation &nested : op.getBody().front()) {
    LogicalResult result = success();
    if (auto einsum = dyn_cast<EinsumOp>(nested))
      result = runEinsum(einsum);
    else if (auto iterate = dyn_cast<IterateOp>(nested))
      result = runIterate(iterate);
    if (failed(result))
      return failure();
  }
  SmallVector<Tensor64> results;
  for (AccessAttr access :
       op.getYield().getTensors().getAsRange<AccessAttr>()) {
    FailureOr<Tensor64> result = readResult(access);
    if (failed(result))
      return failure();
    results.push_back(std::move(*result));
  }
  return results;
}

FailureOr<SmallVector<Tensor64>> mlir::attn::interpreter::evaluateCascadeResults(
    CascadeOp op, ArrayRef<const Tensor64 *> inputs, const Bindings &context) {
  return CascadeInterpreter(op, inputs, context).run();
}

FailureOr<Results>
mlir::attn::interpreter::evaluateCascade(CascadeOp op, const Bindings &inputs) {
  if (op.getInputs().size() != 3 || op.getNumResults() < 1 ||
      op.getNumResults() > 2)
    return op.emitError()
           << "reference: evaluateCascade needs a cascade over (query, key, "
              "value) returning the output and optionally the LSE; this one "
              "has "
           << op.getInputs().size() << " inputs and " << op.getNumResults()
           << " results";
  SmallVector<const Tensor64 *> tensors = {&inputs.query, &inputs.key,
                                           &inputs.value};
  FailureOr<SmallVector<Tensor64>> results =
      evaluateCascadeResults(op, tensors, inputs);
  if (failed(results))
    return failure();
  Results packed;
  packed.output = std::move((*results)[0]);
  if (results->size() == 2)
    packed.lse = std::move((*results)[1]);
  return packed;
}
