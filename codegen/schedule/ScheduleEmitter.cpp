//===- ScheduleEmitter.cpp - The one tiled-schedule emitter ---------------===//
//
// Per work item (a query tile of one batch row and query head):
//
//   ranges = the mask's key-tile ranges for the tile (closed form)
//   per lane:
//     copy the query tile; running tensors = their initial values
//     for each range, for each key tile n of it (copies of tile
//         n + stages - 1 in flight while n is computed):
//       empty tile: the running tensors keep their values
//       otherwise, in the cascade's order, each Einsum of the body:
//         products on the matrix unit, element-wise maps (mask tests only
//         where the tile is partial), row reductions, recurrences
//     the epilogue's Einsums, then the stores of O and the LSE
//
// Values may carry a pending constant factor (Scaled): what they stand for
// is factor * register. ScheduleAnalysis.cpp decides the factors of running
// tensors, what keys past Skv hold, and which sums stay lane-partial; this
// file emits the code.
//
//===----------------------------------------------------------------------===//
#include "attn/Schedule/ScheduleEmitter.h"

#include "ScheduleAnalysis.h"
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/MaskLowering.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Dialect/MaskVisits.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include <cmath>
#include <functional>
#include <map>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::schedule;

ScheduleTarget::~ScheduleTarget() = default;

SmallVector<Value> ScheduleTarget::reduceOverRange(
    ImplicitLocOpBuilder &b, Value begin, Value end, Type type,
    ArrayRef<ReductionKind> kinds, ReductionElements elements) {
  return reduceRangeInLoop(b, b.getLoc(), begin, end, type, kinds, elements);
}

void ScheduleTarget::waitStage(ImplicitLocOpBuilder &b, Value) {
  // Groups complete in order: at most copiesAhead() after this visit's.
  waitCopies(b, copiesAhead());
  barrier(b);
}

void ScheduleTarget::releaseStage(ImplicitLocOpBuilder &b, Value) {
  barrier(b);
}

Value ScheduleTarget::exp2(ImplicitLocOpBuilder &b, Value x) {
  return math::Exp2Op::create(b, x);
}

Value ScheduleTarget::multiplyAdd(ImplicitLocOpBuilder &b, Value x, Value y,
                                  Value z) {
  return math::FmaOp::create(b, x, y, z);
}

SmallVector<Value> ScheduleTarget::startQueryKey(ImplicitLocOpBuilder &,
                                                 const KernelContext &,
                                                 const WorkItem &,
                                                 const KeyTile &) {
  llvm_unreachable("only targets that overlap products are asked");
}

SmallVector<Value> ScheduleTarget::startValueProduct(
    ImplicitLocOpBuilder &, const KernelContext &, const WorkItem &,
    const KeyTile &, ArrayRef<Value>, ArrayRef<Value>) {
  llvm_unreachable("only targets that overlap products are asked");
}

void ScheduleTarget::commitProducts(ImplicitLocOpBuilder &) {
  llvm_unreachable("only targets that overlap products are asked");
}

SmallVector<Value> ScheduleTarget::waitProducts(ImplicitLocOpBuilder &,
                                                int64_t, ArrayRef<Value>) {
  llvm_unreachable("only targets that overlap products are asked");
}

SmallVector<Value> ScheduleTarget::multiplyRowsByColumns(
    ImplicitLocOpBuilder &, const KernelContext &, const WorkItem &,
    const KeyTile &, const ProductMemRef &, const ProductMemRef &) {
  llvm_unreachable("only targets whose backend compiles gradients are asked");
}

SmallVector<Value> ScheduleTarget::multiplyScoresByColumns(
    ImplicitLocOpBuilder &, const KernelContext &, const WorkItem &,
    const KeyTile &, const ProductMemRef &, ArrayRef<Value>, ArrayRef<Value>) {
  llvm_unreachable("only targets whose backend compiles gradients are asked");
}

SmallVector<Value> ScheduleTarget::multiplyRows(ImplicitLocOpBuilder &,
                                                const KernelContext &,
                                                const WorkItem &,
                                                const ProductMemRef &,
                                                const ProductMemRef &) {
  llvm_unreachable("only targets whose backend compiles gradients are asked");
}

SmallVector<Value> ScheduleTarget::multiplyColumns(
    ImplicitLocOpBuilder &, const KernelContext &, const WorkItem &,
    const KeyTile &, const ProductMemRef &, const ProductMemRef &) {
  llvm_unreachable("only targets whose backend folds row products are asked");
}

/// The patch coordinates of tile row `row` (digits in the patch extents).
static SmallVector<Value> patchCoordinates(ImplicitLocOpBuilder &b,
                                           const TileRows &rows, Value row) {
  SmallVector<Value> coordinates(rows.patch.size());
  int64_t inner = 1;
  for (int dim = static_cast<int>(rows.patch.size()) - 1; dim >= 0; --dim) {
    Value quotient = b.createOrFold<arith::DivUIOp>(
        row, arith::ConstantIndexOp::create(b, inner));
    coordinates[dim] =
        dim == 0 ? quotient
                 : b.createOrFold<arith::RemUIOp>(
                       quotient,
                       arith::ConstantIndexOp::create(b, rows.patch[dim]));
    inner *= rows.patch[dim];
  }
  return coordinates;
}

Value TileRows::position(ImplicitLocOpBuilder &b, Value row) const {
  Value one = arith::ConstantIndexOp::create(b, 1);
  if (!isPatch()) {
    Value last = b.createOrFold<arith::SubIOp>(limit, one);
    return b.createOrFold<arith::MinSIOp>(
        b.createOrFold<arith::AddIOp>(first, row), last);
  }
  Value result = first;
  for (auto [dim, coordinate] :
       llvm::enumerate(patchCoordinates(b, *this, row))) {
    Value lastCoordinate = b.createOrFold<arith::SubIOp>(extents[dim], one);
    Value clamped = b.createOrFold<arith::MinSIOp>(coordinate, lastCoordinate);
    Value offset = b.createOrFold<arith::MulIOp>(
        clamped, arith::ConstantIndexOp::create(b, gridStrides[dim]));
    result = b.createOrFold<arith::AddIOp>(result, offset);
  }
  return result;
}

Value TileRows::exists(ImplicitLocOpBuilder &b, Value row) const {
  if (!isPatch())
    return b.createOrFold<arith::CmpIOp>(
        arith::CmpIPredicate::slt, b.createOrFold<arith::AddIOp>(first, row),
        limit);
  Value all;
  for (auto [dim, coordinate] :
       llvm::enumerate(patchCoordinates(b, *this, row))) {
    Value inside = b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::slt,
                                                 coordinate, extents[dim]);
    all = all ? b.createOrFold<arith::AndIOp>(all, inside) : inside;
  }
  return all;
}

namespace {

constexpr double kLog2E = 1.4426950408889634;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
/// Elements of O one vector store writes at most.
constexpr int64_t kMaxStoreElements = 8;

/// A value with a pending constant factor: it stands for factor * value.
/// Constants are kept apart (no Value) so that they can adapt to the factor
/// of the values they combine with.
struct Scaled {
  Value value;
  double factor = 1.0;
  std::optional<double> constant;

  static Scaled of(Value value, double factor = 1.0) {
    return {value, factor, std::nullopt};
  }
  static Scaled constantOf(double constant) { return {Value(), 1.0, constant}; }
  bool isConstant() const { return constant.has_value(); }
};

/// The registers of one tensor of the tile and their common factor.
struct TileValue {
  SmallVector<Value> registers;
  double factor = 1.0;
};

/// Where an element-wise expression is evaluated: a register of a
/// per-score or per-output accumulator (`element`, in row slot `slot`), or
/// a row slot of a per-row tensor (element == slot).
struct Site {
  TileShape shape = TileShape::Row;
  int64_t element = 0;
  int64_t slot = 0;
  /// The tile is known full: every mask test holds, keys are in bounds.
  bool fullTile = false;
};

bool isRuleKind(MapKind kind) {
  return kind == MapKind::Mask || kind == MapKind::MaskRegion ||
         kind == MapKind::ScoreMod || kind == MapKind::ScoreRegion;
}

bool containsRules(Attribute expression) {
  bool found = false;
  walkMaps(expression, [&](MapAttr map) { found |= isRuleKind(map.getKind()); });
  return found;
}

/// Whether `expression` (null: none) reads tensor `name`.
bool readsTensor(Attribute expression, StringAttr name) {
  if (!expression)
    return false;
  if (auto access = dyn_cast<AccessAttr>(expression))
    return access.getTensor() == name;
  auto map = dyn_cast<MapAttr>(expression);
  return map && llvm::any_of(map.getOperands(), [&](Attribute operand) {
           return readsTensor(operand, name);
         });
}

class ScheduleEmitter {
public:
  ScheduleEmitter(ImplicitLocOpBuilder &b, const TileProgram &program,
                  ScheduleTarget &target)
      : b(b), program(program), target(target), cascade(program.cascade) {
    if (program.visitRegion)
      regionTiling.emplace(MaskAttrInterface(), &cascade.getMaskRegion());
  }

  void emit(const KernelSpec &spec, ValueRange arguments);
  void emitGradient(const GradientOperands &operands);

private:
  //===--- Small builders -------------------------------------------------===//
  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, value); }
  Value f32(double value) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(),
                                          APFloat(static_cast<float>(value)));
  }
  Value ruleConstant(int64_t value) {
    return arith::ConstantOp::create(b, b.getIntegerAttr(ruleType, value));
  }
  Value toRule(Value value) {
    return ruleType.isIndex() ? value
                              : Value(arith::IndexCastOp::create(b, ruleType,
                                                                 value));
  }
  Value toIndex(Value value) {
    return value.getType().isIndex()
               ? value
               : Value(arith::IndexCastOp::create(b, b.getIndexType(), value));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value minIndex(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::slt, x, y);
  }
  static bool isConstantI1(Value value, bool expected) {
    return value && (expected ? matchPattern(value, m_One())
                              : matchPattern(value, m_Zero()));
  }
  SmallVector<Value> ifElse(Value condition, TypeRange types,
                            function_ref<SmallVector<Value>()> thenBody,
                            function_ref<SmallVector<Value>()> elseBody);
  void ifThen(Value condition, function_ref<void()> body);

  //===--- Pending factors ------------------------------------------------===//
  Value materialize(const Scaled &value);
  /// The Value standing for `value` at factor `factor` (`value` has that
  /// factor unless it is a constant).
  Value rawAt(const Scaled &value, double factor);
  TileValue materialized(const TileValue &value);

  //===--- Element-wise evaluation ----------------------------------------===//
  Scaled evaluate(Attribute expression, const Site &site);
  Scaled evaluateMap(MapAttr map, const Site &site);
  Scaled read(AccessAttr access, const Site &site);
  bool isRowOnly(Attribute expression);
  /// The key index of an accumulator register, in the rule type.
  Value keyIndex(int64_t element, bool clamp);
  /// Whether the key of an accumulator register exists (i1).
  Value keyExists(int64_t element);
  ElementIndices elementAt(const Site &site);
  Value emitTest(MapAttr test, const Site &site);
  /// The mask test of `rule` at `site` against its row band (keys past Skv
  /// fail it), or null when the rule has none.
  Value testRowBand(Attribute rule, const Site &site);
  /// rowBands for the lane's rows.
  void computeRowBands();
  /// exp(x - m) and 0 when m = -inf, for raw x and m at factor `factor`.
  Value expDiff(Value x, Value m, double factor);

  //===--- Tile operations ------------------------------------------------===//
  /// An expression of shape `shape` at every register; `fullTile` as in
  /// Site.
  TileValue computeElements(Attribute expression, TileShape shape,
                            bool fullTile);
  /// computeElements, with mask tests applied only where the tile is not
  /// known full.
  TileValue computeMap(Attribute expression, TileShape shape);
  TileValue computeRowReduce(const TileOp &op);
  /// P V (+ `accumulator`). `startedAs`: the running tensor the result
  /// becomes, when the key loop overlaps products and may leave this one
  /// running (started without waiting) where its factors allow.
  TileValue computeValueProduct(const TileOp &product,
                                const TileValue *accumulator,
                                StringAttr startedAs = {});
  /// `value`'s registers, with `neutral` (at the value's factor) for keys
  /// past Skv when the tile is not known in bounds.
  SmallVector<Value> existing(const TileValue &value, double neutral,
                              std::optional<double> outside);
  /// The butterfly of the layout's lane masks over each row slot.
  SmallVector<Value> reduceAcrossLanes(ArrayRef<Value> slots,
                                       ReduceKind reduction);
  void assign(StringAttr tensor, TileValue value);

  //===--- Structure ------------------------------------------------------===//
  struct RunningState {
    SmallVector<TileValue> tensors; // in runningNames order
    SmallVector<Value> flatten() const;
    RunningState withRegisters(ValueRange registers) const;
  };
  /// The key tiles of a work item: listed from the mask's data, the visits
  /// of its query patch, or ranges.
  struct Visits {
    std::optional<ListedKeyTiles> listed;
    /// Key tiles found by reducing the mask's data (documents as ids): its
    /// range is `ranges`' only one; its full test replaces the mask's.
    std::optional<ScannedKeyTiles> scanned;
    /// Patch tiles: the work item's visits are entries [begin, end) of the
    /// visit table.
    Value patchVisitsBegin, patchVisitsEnd;
    SmallVector<KeyTileRange> ranges;
  };
  /// One visit of a key tile: the tile, whether it is skipped (null:
  /// never), and under patch tiles whether it is full and whole (null:
  /// decided by the mask's closed form and Skv). `regionFull`: the custom
  /// mask region keeps every element of the tile (null: no region, or one
  /// that is not analyzable, so every tile is partial).
  /// The work item's scanned key tiles (Visits::scanned), while its lane
  /// runs; null otherwise.
  const ScannedKeyTiles *scannedTiles = nullptr;
  struct VisitedTile {
    Value keyTile, skip, full, whole, regionFull;
    /// The mask keeps every element of the tile (null: ask its
    /// buildTileIsFull).
    Value maskFull;
  };
  /// The rows of patch `patch` of extents `shape` (patch tiles).
  TileRows patchRows(Value patch, ArrayRef<int64_t> shape);
  /// The rows of key tile `keyTile`.
  TileRows keyRows(Value keyTile);
  /// Creates the visit table of the patch tiling (patchOffsets,
  /// patchEntries).
  void createPatchTables();
  void emitWorkItem(const WorkItem &item);
  Visits visitRanges(const WorkItem &item);
  /// The mask's view of the work item and column tile `columnTile` (none:
  /// the work item alone), queries and keys in place whatever the
  /// orientation.
  TileIndices tileIndices(const WorkItem &item, Value columnTile);
  Value tileIsEmpty(const WorkItem &item, Value keyTile);
  /// In a transposed program: whether the column tile's queries leave the
  /// work item's key tile out of their (forward) visit ranges, so that they
  /// keep none of its keys. The masks' emptiness tests alone skip nothing
  /// for masks whose forward visits are closed-form ranges (causal, windows,
  /// ...), which would make a dK/dV work item compute every query tile.
  Value outsideForwardVisits(const WorkItem &item, const TileIndices &tile);
  /// The custom mask region's run-time class of the key tile (interval
  /// evaluation), or std::nullopt when there is no analyzable region.
  std::optional<RegionTileTests> regionTileTests(const WorkItem &item,
                                                 Value keyTile);
  /// `visited` with the region's class of its tile added: empty tiles are
  /// skipped, and `regionFull` is set.
  void addRegionTests(const WorkItem &item, VisitedTile &visited);
  void emitLane(const WorkItem &item, const Visits &visits);
  RunningState initialState();
  /// A visit range's count of visits (index) and each visit's tile.
  struct RangeVisits {
    Value count;
    std::function<VisitedTile(Value)> tileOf;
  };
  /// The visits of `range`, of `listed` when that is set, or of
  /// `patchVisits`' entries.
  RangeVisits rangeVisits(const WorkItem &item, const KeyTileRange *range,
                          const ListedKeyTiles *listed,
                          const Visits *patchVisits);
  /// Visits the tiles of `range`, or of `listed` when that is set.
  RunningState emitRange(const WorkItem &item, const KeyTileRange *range,
                         const ListedKeyTiles *listed,
                         const Visits *patchVisits, RunningState state,
                         function_ref<void()> afterPrologue);
  /// Issues the copies of `visit` of a range (whose tiles `tileOf` gives)
  /// into its stage, unless its tile is skipped, between the stage's
  /// acquisition and its filling.
  void copyVisit(const WorkItem &item,
                 const std::function<VisitedTile(Value)> &tileOf, Value visit);
  /// The producer's part of a work item (ScheduleTarget::hasProducer): every
  /// range's copies, in the order the lanes compute them.
  void emitProducer(const WorkItem &item, const Visits &visits);
  RunningState emitKeyTile(const WorkItem &item, const VisitedTile &visited,
                           Value stage, const RunningState &state);
  /// The loop over a range's visits when the target overlaps products
  /// (ScheduleTarget.h, "Overlapped key loops"); `prefetch` issues a
  /// visit's copies.
  RunningState emitOverlappedLoop(const WorkItem &item, Value count,
                                  function_ref<VisitedTile(Value)> tileOf,
                                  function_ref<void(Value)> prefetch,
                                  const RunningState &state);
  /// Whether the program's key loop can overlap products (one query-key
  /// product per tile); fills startedProducts.
  bool canOverlapProducts();
  /// Waits for the started value products of `state` (at most `pending`
  /// product groups left in flight) and returns it readable.
  RunningState awaitStartedProducts(const RunningState &state,
                                    int64_t pending);
  void emitEpilogue(const WorkItem &item, const RunningState &finals);
  void emitPoison(const WorkItem &item);
  void resetCaches();

  /// What emit and emitGradient share once the kernel context is bound.
  void emitWorkItems();
  /// The layout of an accumulator of `columns` columns.
  const FragmentLayout &layoutOf(int64_t columns);
  /// The layout of a per-output tensor.
  const FragmentLayout &outputLayoutOf(StringAttr tensor);
  ProductMemRef memRefOf(const ProductOperand &operand);
  /// Per lane of a gradient program: its per-row inputs and prologue.
  void emitLanePrologue();
  /// Per column tile of a gradient program: its per-column inputs.
  void loadColumnInputs();
  /// Stores `results` (tensor name, registers) to their memrefs.
  void storeResults(const WorkItem &item,
                    ArrayRef<std::pair<StringAttr, TileValue>> results);
  /// Stores per-score registers (a memref [B, Hq, Sq, Skv] and the f32
  /// registers of a score accumulator each) at the lane's rows and the
  /// column tile starting at `firstColumn`; `inBounds` (i1): every column
  /// of the tile is below the column count.
  void storeScoreTile(
      const WorkItem &item, Value firstColumn, Value inBounds,
      ArrayRef<std::pair<Value, SmallVector<Value>>> registersByMemRef);
  /// Writes `value` to every column of the lane's rows of each per-score
  /// result (TileProgram::scoreResults).
  void fillScoreResults(const WorkItem &item, double value);

  ImplicitLocOpBuilder &b;
  const TileProgram &program;
  ScheduleTarget &target;
  CascadeOp cascade;
  /// The custom mask region of the visit clause, if any.
  std::optional<EffectiveMaskTiling> regionTiling;

  KernelContext kernel;
  /// The query and key lengths (kernel.seqQ and seqKV count rows and
  /// columns, which a transposed program swaps) and head counts (kernel's
  /// count the work items' heads).
  Value querySeq, keySeq;
  int64_t queryHeads = 0, kvHeads = 0;
  /// Gradient programs: the memref of each tensor by name.
  const GradientOperands *gradientOperands = nullptr;
  /// Gradient programs: what each lane computes before the first tile.
  DenseMap<StringAttr, TileValue> laneValues;
  /// Gradient programs: the operands the products read at the rows and at
  /// the columns (rowProductOperands, columnProductOperands).
  SmallVector<ProductOperand> rowOperands, columnOperands;
  FragmentLayout scoreLayout, outputLayout;
  std::map<int64_t, FragmentLayout> layouts;
  Type ruleType;
  SmallVector<StringAttr> runningNames;
  /// Pending factors, keys past Skv, lane-partial sums (ScheduleAnalysis.h).
  ScheduleAnalysis analysis;
  /// Every mask rule the program applies (for the data-extent check).
  SmallVector<MaskAttrInterface> maskRules;
  /// The mask rules of the cascade's element-wise maps.
  SmallVector<MaskAttrInterface> testedMasks;
  DenseMap<Attribute, bool> rowOnly;

  // Per lane: the positions of the lane's slots (index, clamped to existing
  // rows), whether they exist, the positions in the rule type, b, h and the
  // sizes in the rule type.
  SmallVector<Value> rowOfSlot, rowExistsOfSlot, ruleRowOfSlot;
  /// Patch tiles: per query patch, the first of its entries (i32
  /// [patches + 1]), and the entries (i32: key patch * 4 + 2 if whole + 1 if
  /// full).
  Value patchOffsets, patchEntries;
  /// Per mask rule whose rows keep an interval: each slot's keys [lo, hi],
  /// clipped to [0, Skv - 1] (rule type), computed once per lane.
  DenseMap<Attribute, SmallVector<KeyBand>> rowBands;
  ElementIndices ruleBase;
  Value laneColumn;

  // Per key tile (or epilogue).
  const WorkItem *currentItem = nullptr;
  KeyTile currentTile;
  /// lastKeyRule: the last column (the last key; the last query in a
  /// transposed program).
  Value tileColumn, tileInBounds, tileFull, lastKeyRule;
  DenseMap<StringAttr, TileValue> values, previousValues, nextValues;
  // Caches of values computed in the current block; CacheScope restores
  // them when a branch ends, so nothing escapes the block defining it.
  struct Caches {
    DenseMap<std::pair<Attribute, int64_t>, Scaled> rows;
    DenseMap<std::pair<Value, uint64_t>, Value> shifts;
    DenseMap<Value, Value> inverses;
    /// Key indices by 2 * register + clamped.
    DenseMap<int64_t, Value> keys;
    /// Whether the key of a register exists, by register.
    DenseMap<int64_t, Value> keysExist;
    DenseMap<std::pair<StringAttr, uint64_t>, SmallVector<Value>> existing;
    /// A row band relative to the lane's first column of the tile, by
    /// (rule, slot).
    DenseMap<std::pair<Attribute, int64_t>, KeyBand> tileBands;
  } caches;
  struct CacheScope {
    CacheScope(ScheduleEmitter &emitter)
        : emitter(emitter), saved(emitter.caches) {}
    ~CacheScope() { emitter.caches = std::move(saved); }
    ScheduleEmitter &emitter;
    Caches saved;
  };
  /// Tensors by name while computing the epilogue (finals) or a tile.
  bool inEpilogue = false;

  // Overlapped key loops (ScheduleTarget::overlapsProducts).
  bool overlapped = false;
  /// Running tensors whose accumulating value product is left running
  /// across the end of a key tile: nothing else in the body reads them
  /// after it.
  llvm::DenseSet<StringAttr> startedProducts;
  /// The current tile's scores, started by the previous step.
  std::optional<SmallVector<Value>> startedScores;
  /// The previous tile's started value products are not waited for yet.
  bool productsPending = false;
};

} // namespace

//===----------------------------------------------------------------------===//
// Small builders
//===----------------------------------------------------------------------===//

SmallVector<Value>
ScheduleEmitter::ifElse(Value condition, TypeRange types,
                        function_ref<SmallVector<Value>()> thenBody,
                        function_ref<SmallVector<Value>()> elseBody) {
  auto branch = scf::IfOp::create(b, types, condition, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  for (auto [block, body] :
       {std::pair{branch.thenBlock(), thenBody},
        std::pair{branch.elseBlock(), elseBody}}) {
    if (block->mightHaveTerminator())
      block->getTerminator()->erase();
    b.setInsertionPointToEnd(block);
    CacheScope scope(*this);
    scf::YieldOp::create(b, body());
  }
  return llvm::to_vector_of<Value>(branch.getResults());
}

void ScheduleEmitter::ifThen(Value condition, function_ref<void()> body) {
  if (isConstantI1(condition, true)) {
    body();
    return;
  }
  if (isConstantI1(condition, false))
    return;
  auto branch = scf::IfOp::create(b, condition, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(branch.thenBlock()->getTerminator());
  CacheScope scope(*this);
  body();
}

void ScheduleEmitter::resetCaches() { caches = Caches(); }

//===----------------------------------------------------------------------===//
// Pending factors
//===----------------------------------------------------------------------===//
Value ScheduleEmitter::materialize(const Scaled &value) {
  if (value.isConstant())
    return f32(*value.constant);
  if (value.factor == 1.0 || !isa<FloatType>(value.value.getType()))
    return value.value;
  return arith::MulFOp::create(b, value.value, f32(value.factor));
}

Value ScheduleEmitter::rawAt(const Scaled &value, double factor) {
  if (value.isConstant())
    return f32(*value.constant / factor);
  assert(value.factor == factor && "mismatched pending factors");
  return value.value;
}

TileValue ScheduleEmitter::materialized(const TileValue &value) {
  if (value.factor == 1.0)
    return value;
  TileValue result;
  Value factor = f32(value.factor);
  for (Value reg : value.registers)
    result.registers.push_back(arith::MulFOp::create(b, reg, factor));
  return result;
}

//===----------------------------------------------------------------------===//
// Element-wise evaluation
//===----------------------------------------------------------------------===//

bool ScheduleEmitter::isRowOnly(Attribute expression) {
  if (isa<FloatAttr>(expression))
    return true;
  auto found = rowOnly.find(expression);
  if (found != rowOnly.end())
    return found->second;
  bool result;
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    result = program.tensor(access.getTensor()).shape == TileShape::Row;
  } else {
    auto map = cast<MapAttr>(expression);
    result = !isRuleKind(map.getKind()) &&
             llvm::all_of(map.getOperands(),
                          [&](Attribute operand) { return isRowOnly(operand); });
  }
  rowOnly[expression] = result;
  return result;
}

Scaled ScheduleEmitter::read(AccessAttr access, const Site &site) {
  StringAttr name = access.getTensor();
  const TileValue *value = nullptr;
  switch (runningReadOf(access, program)) {
  case RunningRead::Previous:
    value = &previousValues.find(name)->second;
    break;
  case RunningRead::Next:
    value = &nextValues.find(name)->second;
    break;
  case RunningRead::Final:
  case RunningRead::Current:
    value = &values.find(name)->second;
    break;
  }
  bool perRow = program.tensor(name).shape == TileShape::Row;
  return Scaled::of(value->registers[perRow ? site.slot : site.element],
                    value->factor);
}

Value ScheduleEmitter::keyIndex(int64_t element, bool clamp) {
  int64_t key = 2 * element + (clamp ? 1 : 0);
  auto found = caches.keys.find(key);
  if (found != caches.keys.end())
    return found->second;
  Value j;
  if (currentTile.keys.isPatch()) {
    // Keys outside a clipped patch read an existing key (never unclamped).
    j = toRule(currentTile.keys.position(
        b, add(laneColumn, index(scoreLayout.columnOffset[element]))));
  } else {
    j = arith::AddIOp::create(
        b, tileColumn, ruleConstant(scoreLayout.columnOffset[element]));
    if (clamp)
      j = arith::MinSIOp::create(b, j, lastKeyRule);
  }
  caches.keys[key] = j;
  return j;
}

Value ScheduleEmitter::keyExists(int64_t element) {
  auto found = caches.keysExist.find(element);
  if (found != caches.keysExist.end())
    return found->second;
  Value exists =
      currentTile.keys.isPatch()
          ? currentTile.keys.exists(
                b, add(laneColumn, index(scoreLayout.columnOffset[element])))
          : Value(arith::CmpIOp::create(b, arith::CmpIPredicate::sle,
                                        keyIndex(element, false),
                                        lastKeyRule));
  caches.keysExist[element] = exists;
  return exists;
}

ElementIndices ScheduleEmitter::elementAt(const Site &site) {
  ElementIndices at = ruleBase;
  at.i = ruleRowOfSlot[site.slot];
  // Keys past Skv exist only on tiles not known full; rules read clamped
  // indices there so that data operands are read in bounds.
  at.j = keyIndex(site.element, /*clamp=*/!site.fullTile);
  if (program.transposed)
    std::swap(at.i, at.j);
  return at;
}

Value ScheduleEmitter::emitTest(MapAttr test, const Site &site) {
  ElementIndices at = elementAt(site);
  if (test.getKind() == MapKind::Mask)
    return cast<MaskAttrInterface>(test.getRule()).buildKeep(b, b.getLoc(), at);
  return inlineSpecRegion(b, cascade, cascade.getMaskRegion(),
                          {toIndex(at.b), toIndex(at.h), toIndex(at.i),
                           toIndex(at.j)},
                          kernel.operands.data);
}

void ScheduleEmitter::computeRowBands() {
  rowBands.clear();
  // Bands are relative to a tile's first column: sequence order only.
  if (program.patches)
    return;
  for (MaskAttrInterface mask : testedMasks) {
    SmallVector<KeyBand> bands;
    for (Value row : ruleRowOfSlot) {
      ElementIndices at = ruleBase;
      at.i = at.j = row;
      std::optional<KeyBand> band = buildKeyBand(mask, b, b.getLoc(), at);
      if (!band)
        break;
      // Clipped to the keys, the bounds stay within 2^30 + a tile of the
      // tile's first column, so 32-bit differences do not wrap.
      bands.push_back(
          {arith::MaxSIOp::create(b, band->lo, ruleConstant(0)),
           arith::MaxSIOp::create(
               b, arith::MinSIOp::create(b, band->hi, lastKeyRule),
               ruleConstant(-1))});
    }
    if (bands.size() == ruleRowOfSlot.size())
      rowBands[mask] = std::move(bands);
  }
}

Value ScheduleEmitter::testRowBand(Attribute rule, const Site &site) {
  auto found = rowBands.find(rule);
  if (found == rowBands.end())
    return Value();
  // Per row and tile, the band relative to the lane's first column; per
  // element, two compares of the register's column offset against it.
  auto key = std::make_pair(rule, site.slot);
  auto cached = caches.tileBands.find(key);
  KeyBand relative;
  if (cached != caches.tileBands.end()) {
    relative = cached->second;
  } else {
    const KeyBand &band = found->second[site.slot];
    relative = {arith::SubIOp::create(b, band.lo, tileColumn),
                arith::SubIOp::create(b, band.hi, tileColumn)};
    caches.tileBands[key] = relative;
  }
  Value column = ruleConstant(scoreLayout.columnOffset[site.element]);
  Value aboveLo =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sle, relative.lo, column);
  Value belowHi =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sle, column, relative.hi);
  return arith::AndIOp::create(b, aboveLo, belowHi);
}

Value ScheduleEmitter::expDiff(Value x, Value m, double factor) {
  // exp(x - m) = 2^(x F - m F) with F = factor * log2(e). Where m = -inf the
  // result is 0: shifting by +inf instead gives 2^-inf for every finite x.
  double exponentFactor = factor * kLog2E;
  auto key = std::make_pair(m, llvm::bit_cast<uint64_t>(exponentFactor));
  Value negativeShift;
  auto found = caches.shifts.find(key);
  if (found != caches.shifts.end()) {
    negativeShift = found->second;
  } else {
    Value isMinusInfinity = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OEQ, m, f32(-kInfinity));
    Value shift =
        arith::SelectOp::create(b, isMinusInfinity, f32(kInfinity), m);
    negativeShift = arith::NegFOp::create(
        b, arith::MulFOp::create(b, shift, f32(exponentFactor)));
    caches.shifts[key] = negativeShift;
  }
  return target.exp2(
      b, target.multiplyAdd(b, x, f32(exponentFactor), negativeShift));
}

Scaled ScheduleEmitter::evaluate(Attribute expression, const Site &site) {
  if (auto constant = dyn_cast<FloatAttr>(expression))
    return Scaled::constantOf(constant.getValueAsDouble());
  if (auto access = dyn_cast<AccessAttr>(expression))
    return read(access, site);
  // Per-row subexpressions of a per-score or per-output map are evaluated
  // once per row slot.
  if (isRowOnly(expression)) {
    auto key = std::make_pair(expression, site.slot);
    auto found = caches.rows.find(key);
    if (found != caches.rows.end())
      return found->second;
    Site rowSite{TileShape::Row, site.slot, site.slot, site.fullTile};
    Scaled result = evaluateMap(cast<MapAttr>(expression), rowSite);
    caches.rows[key] = result;
    return result;
  }
  return evaluateMap(cast<MapAttr>(expression), site);
}

Scaled ScheduleEmitter::evaluateMap(MapAttr map, const Site &site) {
  MapKind kind = map.getKind();
  ArrayRef<Attribute> operands = map.getOperands();
  switch (kind) {
  case MapKind::Mask:
  case MapKind::MaskRegion: {
    if (site.fullTile)
      return Scaled::of(arith::ConstantIntOp::create(b, b.getI1Type(), 1));
    if (kind == MapKind::Mask)
      if (Value keep = testRowBand(map.getRule(), site))
        return Scaled::of(keep);
    // Keys past Skv fail every test (analyzeOutsideValues counts on it).
    Value exists = keyExists(site.element);
    return Scaled::of(
        arith::AndIOp::create(b, exists, emitTest(map, site)));
  }
  case MapKind::ScoreMod: {
    Value x = materialize(evaluate(operands[0], site));
    return Scaled::of(cast<ScoreModAttrInterface>(map.getRule())
                          .buildApply(b, b.getLoc(), x, elementAt(site)));
  }
  case MapKind::ScoreRegion: {
    Value x = materialize(evaluate(operands[0], site));
    ElementIndices at = elementAt(site);
    return Scaled::of(inlineSpecRegion(
        b, cascade, cascade.getScoreRegion(),
        {x, toIndex(at.b), toIndex(at.h), toIndex(at.i), toIndex(at.j)},
        kernel.operands.data));
  }
  case MapKind::Select: {
    Scaled test = evaluate(operands[0], site);
    if (isConstantI1(test.value, true))
      return evaluate(operands[1], site);
    if (isConstantI1(test.value, false))
      return evaluate(operands[2], site);
    break;
  }
  default:
    break;
  }

  SmallVector<Scaled> values;
  for (Attribute operand : operands)
    values.push_back(evaluate(operand, site));
  // All constant (a map of constants): fold in double.
  bool allConstant = llvm::all_of(values, [&](const Scaled &value) {
    return value.isConstant();
  }) && kind != MapKind::Select;
  SmallVector<double> factors;
  SmallVector<std::optional<double>> constants;
  for (const Scaled &value : values) {
    factors.push_back(value.factor);
    constants.push_back(value.constant);
  }
  if (kind == MapKind::Select) {
    factors[0] = 1.0;
    constants[0] = 1.0;
  }
  std::optional<double> factor =
      allConstant ? std::nullopt : resultFactor(kind, factors, constants);
  // Whether the operands keep their factors (else they are materialized).
  bool folded = factor.has_value();
  if (!factor) {
    // Materialize every operand: the same map at factor 1.
    for (auto [position, value] : llvm::enumerate(values)) {
      if (value.isConstant() || (kind == MapKind::Select && position == 0))
        continue;
      value = Scaled::of(materialize(value));
    }
    factor = 1.0;
  }
  // The factor each value operand is read at.
  double operandFactor = 1.0;
  for (auto [position, value] : llvm::enumerate(values))
    if (!value.isConstant() && !(kind == MapKind::Select && position == 0))
      operandFactor = value.factor;
  auto raw = [&](size_t position) {
    return rawAt(values[position], operandFactor);
  };
  auto constantOr = [&](auto fold) -> std::optional<Scaled> {
    if (!allConstant)
      return std::nullopt;
    return Scaled::constantOf(fold());
  };

  switch (kind) {
  case MapKind::Add:
  case MapKind::Mul:
  case MapKind::Max:
  case MapKind::Min: {
    if (allConstant) {
      double result = *values[0].constant;
      for (const Scaled &value : ArrayRef(values).drop_front()) {
        double c = *value.constant;
        result = kind == MapKind::Add   ? result + c
                 : kind == MapKind::Mul ? result * c
                 : kind == MapKind::Max ? std::fmax(result, c)
                                        : std::fmin(result, c);
      }
      return Scaled::constantOf(result);
    }
    Value result;
    for (auto [position, value] : llvm::enumerate(values)) {
      // A product's constants are in its factor.
      if (kind == MapKind::Mul && value.isConstant())
        continue;
      Value operand = kind == MapKind::Mul ? value.value : raw(position);
      if (!result) {
        result = operand;
        continue;
      }
      switch (kind) {
      case MapKind::Add:
        result = arith::AddFOp::create(b, result, operand);
        break;
      case MapKind::Mul:
        result = arith::MulFOp::create(b, result, operand);
        break;
      case MapKind::Max:
        result = arith::MaxNumFOp::create(b, result, operand);
        break;
      default:
        result = arith::MinNumFOp::create(b, result, operand);
        break;
      }
    }
    return Scaled::of(result, *factor);
  }
  case MapKind::Sub: {
    if (auto constant = constantOr(
            [&] { return *values[0].constant - *values[1].constant; }))
      return *constant;
    Value minuend = raw(0);
    Value subtrahend = raw(1);
    return Scaled::of(arith::SubFOp::create(b, minuend, subtrahend), *factor);
  }
  case MapKind::Neg:
    if (values[0].isConstant())
      return Scaled::constantOf(-*values[0].constant);
    return Scaled::of(values[0].value, *factor);
  case MapKind::Div: {
    if (auto constant = constantOr(
            [&] { return *values[0].constant / *values[1].constant; }))
      return *constant;
    // A constant divisor goes into the factor.
    if (folded && values[1].isConstant())
      return Scaled::of(values[0].value, *factor);
    Value dividend =
        values[0].isConstant() ? materialize(values[0]) : values[0].value;
    Value divisor =
        values[1].isConstant() ? materialize(values[1]) : values[1].value;
    return Scaled::of(arith::DivFOp::create(b, dividend, divisor), *factor);
  }
  case MapKind::DivOrZero: {
    if (allConstant) {
      double d = *values[1].constant;
      return Scaled::constantOf(d == 0.0 ? 0.0 : *values[0].constant / d);
    }
    Value x = values[0].isConstant() ? materialize(values[0]) : values[0].value;
    if (folded && values[1].isConstant())
      return Scaled::of(x, *factor);
    Value d = values[1].isConstant() ? materialize(values[1]) : values[1].value;
    // x * (1/d, or 0 where d = 0): one reciprocal per divisor.
    Value inverse;
    auto found = caches.inverses.find(d);
    if (found != caches.inverses.end()) {
      inverse = found->second;
    } else {
      Value zero = f32(0.0);
      Value isZero =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, d, zero);
      inverse = arith::SelectOp::create(
          b, isZero, zero, arith::DivFOp::create(b, f32(1.0), d));
      caches.inverses[d] = inverse;
    }
    return Scaled::of(arith::MulFOp::create(b, x, inverse), *factor);
  }
  case MapKind::Exp: {
    if (values[0].isConstant())
      return Scaled::constantOf(std::exp(*values[0].constant));
    double exponentFactor = values[0].factor * kLog2E;
    return Scaled::of(target.exp2(
        b, arith::MulFOp::create(b, values[0].value, f32(exponentFactor))));
  }
  case MapKind::ExpDiff: {
    if (allConstant) {
      double x = *values[0].constant, m = *values[1].constant;
      return Scaled::constantOf(std::isinf(m) && m < 0 ? 0.0 : std::exp(x - m));
    }
    Value x = raw(0);
    Value shift = raw(1);
    return Scaled::of(expDiff(x, shift, operandFactor));
  }
  case MapKind::Log:
    if (values[0].isConstant())
      return Scaled::constantOf(std::log(*values[0].constant));
    return Scaled::of(math::LogOp::create(b, materialize(values[0])));
  case MapKind::Tanh:
    if (values[0].isConstant())
      return Scaled::constantOf(std::tanh(*values[0].constant));
    return Scaled::of(math::TanhOp::create(b, materialize(values[0])));
  case MapKind::Select: {
    Value whenTrue = raw(1);
    Value whenFalse = raw(2);
    return Scaled::of(
        arith::SelectOp::create(b, values[0].value, whenTrue, whenFalse),
        *factor);
  }
  default:
    llvm_unreachable("rules are handled above");
  }
}

//===----------------------------------------------------------------------===//
// Tile operations
//===----------------------------------------------------------------------===//

TileValue ScheduleEmitter::computeElements(Attribute expression,
                                           TileShape shape, bool fullTile) {
  const FragmentLayout &layout =
      shape == TileShape::Output ? outputLayout : scoreLayout;
  size_t count =
      shape == TileShape::Row ? layout.numRowSlots() : layout.size();
  SmallVector<Scaled> elements;
  for (size_t element = 0; element < count; ++element) {
    Site site;
    site.shape = shape;
    site.element = element;
    site.slot = shape == TileShape::Row ? element : layout.rowSlot[element];
    site.fullTile = fullTile;
    elements.push_back(evaluate(expression, site));
  }
  // Every element is the same expression, so the factors agree unless an
  // element folded to a constant.
  std::optional<double> factor;
  bool agree = true;
  for (const Scaled &element : elements) {
    if (element.isConstant())
      continue;
    agree &= !factor || *factor == element.factor;
    factor = element.factor;
  }
  TileValue result;
  result.factor = agree && factor ? *factor : 1.0;
  for (const Scaled &element : elements)
    result.registers.push_back(
        agree ? rawAt(element, result.factor) : materialize(element));
  return result;
}

TileValue ScheduleEmitter::computeMap(Attribute expression, TileShape shape) {
  if (shape != TileShape::Score || !containsRules(expression) ||
      isConstantI1(tileFull, true))
    return computeElements(expression, shape, isConstantI1(tileFull, true));
  if (!tileFull || isConstantI1(tileFull, false))
    return computeElements(expression, shape, /*fullTile=*/false);
  // Mask tests and clamped indices only where the tile is partial.
  size_t count = scoreLayout.size();
  SmallVector<Type> types(count, b.getF32Type());
  double factors[2] = {1.0, 1.0};
  SmallVector<Value> results = ifElse(
      tileFull, types,
      [&] {
        TileValue full = computeElements(expression, shape, true);
        factors[0] = full.factor;
        return full.registers;
      },
      [&] {
        TileValue partial = computeElements(expression, shape, false);
        factors[1] = partial.factor;
        return partial.registers;
      });
  if (factors[0] == factors[1])
    return TileValue{results, factors[0]};
  // The branches settled on different factors: give both the plain value.
  auto ifOp = cast<scf::IfOp>(results.front().getDefiningOp());
  for (auto [block, factor] : {std::pair{ifOp.thenBlock(), factors[0]},
                               std::pair{ifOp.elseBlock(), factors[1]}}) {
    if (factor == 1.0)
      continue;
    OpBuilder::InsertionGuard guard(b);
    Operation *yield = block->getTerminator();
    b.setInsertionPoint(yield);
    Value scale = f32(factor);
    for (OpOperand &operand : yield->getOpOperands())
      operand.set(arith::MulFOp::create(b, operand.get(), scale));
  }
  return TileValue{results, 1.0};
}

SmallVector<Value> ScheduleEmitter::existing(const TileValue &value,
                                             double neutral,
                                             std::optional<double> outside) {
  if (isConstantI1(tileInBounds, true) || outside == neutral)
    return value.registers;
  auto compute = [&]() -> SmallVector<Value> {
    SmallVector<Value> selected;
    Value neutralValue = f32(neutral);
    for (auto [element, reg] : llvm::enumerate(value.registers)) {
      Value exists = keyExists(element);
      selected.push_back(
          arith::SelectOp::create(b, exists, reg, neutralValue));
    }
    return selected;
  };
  SmallVector<Type> types(value.registers.size(), b.getF32Type());
  return ifElse(
      tileInBounds, types, [&] { return SmallVector<Value>(value.registers); },
      compute);
}

SmallVector<Value>
ScheduleEmitter::reduceAcrossLanes(ArrayRef<Value> slots,
                                   ReduceKind reduction) {
  SmallVector<Value> reduced(slots);
  for (Value &value : reduced)
    for (int64_t mask : scoreLayout.rowLaneXorMasks) {
      Value other = target.shuffleXor(b, value, mask);
      value = reduction == ReduceKind::Max
                  ? Value(arith::MaxNumFOp::create(b, value, other))
                  : Value(arith::AddFOp::create(b, value, other));
    }
  return reduced;
}

TileValue ScheduleEmitter::computeRowReduce(const TileOp &op) {
  TileValue input;
  auto access = dyn_cast<AccessAttr>(op.expression);
  if (access && runningReadOf(access, program) == RunningRead::Current &&
      program.tensor(access.getTensor()).shape == TileShape::Score)
    input = values.find(access.getTensor())->second;
  else
    input = computeMap(op.expression, TileShape::Score);
  bool isMax = op.reduction == ReduceKind::Max;
  if (isMax && input.factor <= 0.0)
    input = materialized(input);
  // Keys past Skv do not exist: they hold the reduction's identity.
  double neutral = isMax ? -kInfinity : 0.0;
  SmallVector<Value> registers;
  std::optional<double> outside = analysis.outsideValueOf(op.expression);
  if (access) {
    auto key = std::make_pair(access.getTensor(), llvm::bit_cast<uint64_t>(neutral));
    auto found = caches.existing.find(key);
    if (found == caches.existing.end())
      found = caches.existing
                  .insert({key, existing(input, neutral, outside)})
                  .first;
    registers = found->second;
  } else {
    registers = existing(input, neutral, outside);
  }
  SmallVector<Value> slots(scoreLayout.numRowSlots());
  for (auto [element, reg] : llvm::enumerate(registers)) {
    Value &slot = slots[scoreLayout.rowSlot[element]];
    if (!slot)
      slot = reg;
    else if (isMax)
      slot = arith::MaxNumFOp::create(b, slot, reg);
    else
      slot = arith::AddFOp::create(b, slot, reg);
  }
  if (!analysis.lanePartial.contains(op.result))
    slots = reduceAcrossLanes(slots, op.reduction);
  return TileValue{slots, input.factor};
}

TileValue ScheduleEmitter::computeValueProduct(const TileOp &product,
                                               const TileValue *accumulator,
                                               StringAttr startedAs) {
  const TileValue &probabilities = values.find(product.probabilities)->second;
  auto key = std::make_pair(product.probabilities, llvm::bit_cast<uint64_t>(0.0));
  auto found = caches.existing.find(key);
  if (found == caches.existing.end()) {
    auto outside = analysis.outsideValues.find(product.probabilities);
    found = caches.existing
                .insert({key, existing(probabilities, 0.0,
                                       outside == analysis.outsideValues.end()
                                           ? std::nullopt
                                           : std::optional(outside->second))})
                .first;
  }
  SmallVector<Value> operand = found->second;
  double factor = probabilities.factor * product.scale;
  SmallVector<Value> start;
  if (accumulator && accumulator->factor == factor) {
    start = accumulator->registers;
  } else {
    start.assign(outputLayoutOf(product.result).size(), f32(0.0));
  }
  // Left running only where nothing reads its registers before the next
  // tile waits for it: no sum of factors here, no rescale in assign.
  if (startedAs && accumulator && accumulator->factor == factor &&
      analysis.runningFactor.lookup(startedAs) == factor)
    return TileValue{target.startValueProduct(b, kernel, *currentItem,
                                              currentTile, operand, start),
                     factor};
  TileValue result{
      program.gradient
          ? target.multiplyScoresByColumns(b, kernel, *currentItem,
                                           currentTile,
                                           memRefOf(product.operands[0]),
                                           operand, start)
          : target.multiplyValue(b, kernel, *currentItem, currentTile, operand,
                                 start),
      factor};
  if (!accumulator || accumulator->factor == factor)
    return result;
  // Factors differ: add the plain values.
  TileValue plainProduct = materialized(result);
  TileValue plainAccumulator = materialized(*accumulator);
  for (auto [sum, addend] :
       llvm::zip_equal(plainProduct.registers, plainAccumulator.registers))
    sum = arith::AddFOp::create(b, sum, addend);
  return plainProduct;
}

void ScheduleEmitter::assign(StringAttr tensor, TileValue value) {
  const TileTensor &info = program.tensor(tensor);
  if (!info.running || inEpilogue) {
    values[tensor] = std::move(value);
    return;
  }
  double factor = analysis.runningFactor.lookup(tensor);
  if (value.factor != factor) {
    Value rescale = f32(value.factor / factor);
    for (Value &reg : value.registers)
      reg = arith::MulFOp::create(b, reg, rescale);
    value.factor = factor;
  }
  nextValues[tensor] = std::move(value);
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

SmallVector<Value> ScheduleEmitter::RunningState::flatten() const {
  SmallVector<Value> registers;
  for (const TileValue &tensor : tensors)
    llvm::append_range(registers, tensor.registers);
  return registers;
}

ScheduleEmitter::RunningState
ScheduleEmitter::RunningState::withRegisters(ValueRange registers) const {
  RunningState state = *this;
  size_t position = 0;
  for (TileValue &tensor : state.tensors)
    for (Value &reg : tensor.registers)
      reg = registers[position++];
  return state;
}

TileIndices ScheduleEmitter::tileIndices(const WorkItem &item,
                                         Value columnTile) {
  TileIndices tile;
  tile.b = item.batch;
  tile.h = item.head;
  tile.rowBegin = item.rowBegin;
  tile.rowEnd = item.rowEnd;
  tile.blockKV = program.blockKV;
  tile.batch = kernel.batchSize;
  tile.queryHeads = index(queryHeads);
  tile.kvHeads = index(kvHeads);
  tile.seqQ = querySeq;
  tile.seqKV = keySeq;
  tile.data = kernel.operands.data;
  Value columnBegin, columnEnd;
  if (columnTile) {
    columnBegin = mul(columnTile, index(kernel.blockKV));
    columnEnd =
        minIndex(add(columnBegin, index(kernel.blockKV)), kernel.seqKV);
  }
  if (program.transposed) {
    // The work item's rows are keys; the column tile holds the queries.
    tile.rowBegin = columnBegin;
    tile.rowEnd = columnEnd;
    tile.colBegin = item.rowBegin;
    tile.colEnd = item.rowEnd;
  } else {
    tile.colBegin = columnBegin;
    tile.colEnd = columnEnd;
  }
  return tile;
}

TileRows ScheduleEmitter::patchRows(Value patch, ArrayRef<int64_t> shape) {
  const PatchTiling &tiling = *program.patches;
  SmallVector<int64_t> counts = tiling.patchCounts(shape);
  int rank = static_cast<int>(counts.size());
  TileRows rows;
  rows.patch = llvm::to_vector(shape);
  rows.gridStrides.assign(rank, 1);
  for (int dim = rank - 2; dim >= 0; --dim)
    rows.gridStrides[dim] = rows.gridStrides[dim + 1] * tiling.grid[dim + 1];
  rows.extents.assign(rank, Value());
  Value rest = patch;
  Value first = index(0);
  for (int dim = rank - 1; dim >= 0; --dim) {
    Value coordinate = rest;
    if (dim > 0) {
      coordinate = arith::RemUIOp::create(b, rest, index(counts[dim]));
      rest = arith::DivUIOp::create(b, rest, index(counts[dim]));
    }
    Value lower = mul(coordinate, index(shape[dim]));
    Value left = arith::SubIOp::create(b, index(tiling.grid[dim]), lower);
    rows.extents[dim] = minIndex(index(shape[dim]), left);
    first = add(first, mul(lower, index(rows.gridStrides[dim])));
  }
  rows.first = first;
  int64_t volume = 1;
  for (int64_t extent : shape)
    volume *= extent;
  rows.count = index(volume);
  return rows;
}

TileRows ScheduleEmitter::keyRows(Value keyTile) {
  if (program.patches) {
    TileRows rows = patchRows(keyTile, program.patches->keyPatch);
    rows.limit = kernel.seqKV;
    return rows;
  }
  TileRows rows;
  rows.first = mul(keyTile, index(kernel.blockKV));
  rows.limit = kernel.seqKV;
  Value left = arith::SubIOp::create(b, kernel.seqKV, rows.first);
  rows.count = minIndex(index(kernel.blockKV), left);
  return rows;
}

void ScheduleEmitter::createPatchTables() {
  const PatchTiling &tiling = *program.patches;
  SmallVector<int32_t> offsets{0}, entries;
  for (const SmallVector<PatchVisit> &row : tiling.visits) {
    for (const PatchVisit &visit : row)
      entries.push_back(static_cast<int32_t>(visit.keyPatch * 4 +
                                             (visit.whole ? 2 : 0) +
                                             (visit.full ? 1 : 0)));
    offsets.push_back(static_cast<int32_t>(entries.size()));
  }
  if (entries.empty())
    entries.push_back(0);
  // Constant globals next to the kernel, named after it.
  Operation *kernelOp = b.getInsertionBlock()->getParentOp();
  while (!isa<SymbolOpInterface>(kernelOp))
    kernelOp = kernelOp->getParentOp();
  Operation *symbolTable = SymbolTable::getNearestSymbolTable(
      kernelOp->getParentOp());
  StringRef kernelName = cast<SymbolOpInterface>(kernelOp).getName();
  auto table = [&](StringRef suffix, ArrayRef<int32_t> values) {
    std::string symbol = ("__attn_patches_" + kernelName + "_" + suffix).str();
    auto type = MemRefType::get({static_cast<int64_t>(values.size())},
                                b.getI32Type());
    OpBuilder atTable =
        OpBuilder::atBlockBegin(&symbolTable->getRegion(0).front());
    auto tensorType =
        RankedTensorType::get(type.getShape(), b.getI32Type());
    memref::GlobalOp::create(atTable, b.getLoc(), symbol,
                             atTable.getStringAttr("private"), type,
                             DenseElementsAttr::get(tensorType, values),
                             /*constant=*/true, /*alignment=*/nullptr);
    return memref::GetGlobalOp::create(b, type, symbol).getResult();
  };
  patchOffsets = table("offsets", offsets);
  patchEntries = table("entries", entries);
}

ScheduleEmitter::Visits ScheduleEmitter::visitRanges(const WorkItem &item) {
  Visits visits;
  if (program.patches) {
    Value next = add(item.queryTile, index(1));
    visits.patchVisitsBegin =
        toIndex(memref::LoadOp::create(b, patchOffsets, item.queryTile));
    visits.patchVisitsEnd =
        toIndex(memref::LoadOp::create(b, patchOffsets, next));
    return visits;
  }
  auto everyColumnTile = [&] {
    visits.ranges.push_back(
        {index(0),
         arith::CeilDivSIOp::create(b, kernel.seqKV, index(kernel.blockKV)),
         1});
    return visits;
  };
  if (!program.visitMask)
    return everyColumnTile();
  if (program.transposed) {
    // The query tiles visiting a key tile: where a band bounds each row's
    // keys, one range found by bisection; other masks walk every query tile.
    // The tiles walked are tested and skipped either way (tileIsEmpty).
    std::optional<KeyTileRange> range =
        buildQueryTileRange(program.visitMask, b, b.getLoc(),
                            tileIndices(item, Value()), kernel.blockKV);
    if (!range)
      return everyColumnTile();
    visits.ranges.push_back(*range);
    return visits;
  }
  TileIndices tile = tileIndices(item, Value());
  visits.listed =
      buildListedKeyTiles(program.visitMask, b, b.getLoc(), tile);
  if (visits.listed)
    return visits;
  // Scanning the data needs every lane of the work item; a gradient
  // program may ask for visits inside its lanes (head groups).
  if (!program.gradient) {
    RangeReduction reduce = [this](OpBuilder &builder, Location loc,
                                   Value begin, Value end, Type type,
                                   ArrayRef<ReductionKind> kinds,
                                   ReductionElements elements) {
      ImplicitLocOpBuilder at(loc, builder);
      return target.reduceOverRange(at, begin, end, type, kinds, elements);
    };
    visits.scanned = buildScannedKeyTiles(program.visitMask, b, b.getLoc(),
                                          tile, reduce,
                                          kernel.operands.keySummary);
    if (visits.scanned) {
      visits.ranges.push_back(visits.scanned->range);
      return visits;
    }
  }
  program.visitMask.buildKeyTileRanges(b, b.getLoc(), tile, visits.ranges);
  return visits;
}

std::optional<RegionTileTests>
ScheduleEmitter::regionTileTests(const WorkItem &item, Value keyTile) {
  if (!regionTiling)
    return std::nullopt;
  return regionTiling->buildRegionTileTests(b, b.getLoc(),
                                            tileIndices(item, keyTile));
}

void ScheduleEmitter::addRegionTests(const WorkItem &item,
                                     VisitedTile &visited) {
  std::optional<RegionTileTests> tests =
      regionTileTests(item, visited.keyTile);
  if (!tests)
    return;
  visited.skip = visited.skip
                     ? Value(arith::OrIOp::create(b, visited.skip, tests->empty))
                     : tests->empty;
  visited.regionFull = tests->full;
}

Value ScheduleEmitter::tileIsEmpty(const WorkItem &item, Value keyTile) {
  if (!program.visitMask)
    return Value();
  TileIndices tile = tileIndices(item, keyTile);
  Value empty = program.visitMask.buildTileIsEmpty(b, b.getLoc(), tile);
  if (isConstantI1(empty, false))
    empty = Value();
  if (!program.transposed)
    return empty;
  Value outside = outsideForwardVisits(item, tile);
  return empty ? Value(arith::OrIOp::create(b, empty, outside)) : outside;
}

Value ScheduleEmitter::outsideForwardVisits(const WorkItem &item,
                                            const TileIndices &tile) {
  SmallVector<KeyTileRange> ranges;
  program.visitMask.buildKeyTileRanges(b, b.getLoc(), tile, ranges);
  // The work item's rows are one key tile of tile.blockKV keys.
  Value keyTile =
      arith::DivUIOp::create(b, item.rowBegin, index(tile.blockKV));
  Value inside = arith::ConstantIntOp::create(b, b.getI1Type(), 0);
  for (const KeyTileRange &range : ranges) {
    Value notBefore = arith::CmpIOp::create(b, arith::CmpIPredicate::sge,
                                            keyTile, range.begin);
    Value before = arith::CmpIOp::create(b, arith::CmpIPredicate::slt,
                                         keyTile, range.end);
    Value within = arith::AndIOp::create(b, notBefore, before);
    if (range.step != 1) {
      Value offset = arith::SubIOp::create(b, keyTile, range.begin);
      Value phase = arith::RemSIOp::create(b, offset, index(range.step));
      Value onStep = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, phase,
                                           index(0));
      within = arith::AndIOp::create(b, within, onStep);
    }
    inside = arith::OrIOp::create(b, inside, within);
  }
  Value one = arith::ConstantIntOp::create(b, b.getI1Type(), 1);
  return arith::XOrIOp::create(b, inside, one);
}

ScheduleEmitter::RunningState ScheduleEmitter::initialState() {
  RunningState state;
  Value firstLane;
  for (StringAttr name : runningNames) {
    const TileTensor &tensor = program.tensor(name);
    double factor = analysis.runningFactor.lookup(name);
    size_t count = tensor.shape == TileShape::Row
                       ? scoreLayout.numRowSlots()
                       : outputLayoutOf(name).size();
    Value initial = f32(tensor.initial / factor);
    if (analysis.lanePartial.contains(name) && tensor.initial != 0.0) {
      // A lane-partial sum starts on the row's first lane only; the lanes
      // add up in the epilogue.
      if (!firstLane)
        firstLane = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                          laneColumn, index(0));
      initial = arith::SelectOp::create(b, firstLane, initial, f32(0.0));
    }
    state.tensors.push_back(
        TileValue{SmallVector<Value>(count, initial), factor});
  }
  return state;
}

ScheduleEmitter::RunningState
ScheduleEmitter::emitKeyTile(const WorkItem &item, const VisitedTile &visited,
                             Value stage, const RunningState &state) {
  Value keyTile = visited.keyTile;
  resetCaches();
  values = laneValues;
  nextValues.clear();
  previousValues.clear();
  for (auto [name, tensor] : llvm::zip_equal(runningNames, state.tensors))
    previousValues[name] = tensor;

  currentTile.stage = stage;
  currentTile.keys = keyRows(keyTile);
  currentTile.firstKey = currentTile.keys.first;
  tileColumn = toRule(add(currentTile.firstKey, laneColumn));
  if (program.gradient)
    loadColumnInputs();
  // Full tiles skip the element rule; a custom mask region that is not
  // analyzable makes every tile partial, and so does a tile that runs past
  // Skv (or a clipped patch).
  tileInBounds =
      visited.whole
          ? visited.whole
          : Value(arith::CmpIOp::create(
                b, arith::CmpIPredicate::sle,
                add(currentTile.firstKey, index(kernel.blockKV)),
                kernel.seqKV));
  bool hasTests = false;
  for (const TileOp &op : program.body)
    if (op.expression)
      walkMaps(op.expression, [&](MapAttr map) {
        hasTests |= map.getKind() == MapKind::Mask ||
                    map.getKind() == MapKind::MaskRegion;
      });
  tileFull = Value();
  if (!hasTests) {
    tileFull = tileInBounds;
  } else if (visited.full) {
    tileFull = visited.full;
  } else if ((program.visitMask || program.visitRegion) &&
             (!program.visitRegion || visited.regionFull)) {
    tileFull = tileInBounds;
    if (program.visitMask) {
      Value maskFull = visited.maskFull
                           ? visited.maskFull
                           : program.visitMask.buildTileIsFull(
                                 b, b.getLoc(), tileIndices(item, keyTile));
      if (!isConstantI1(maskFull, true))
        tileFull = arith::AndIOp::create(b, maskFull, tileFull);
    }
    if (visited.regionFull)
      tileFull = arith::AndIOp::create(b, visited.regionFull, tileFull);
  }

  // The previous tile's started value products are waited for just before
  // their results are first read (after the scores' element-wise work).
  auto awaitPrevious = [&] {
    if (!productsPending)
      return;
    productsPending = false;
    RunningState previous = state;
    for (auto [name, tensor] : llvm::zip_equal(runningNames, previous.tensors))
      tensor = previousValues.find(name)->second;
    previous = awaitStartedProducts(previous, /*pending=*/1);
    for (auto [name, tensor] : llvm::zip_equal(runningNames, previous.tensors))
      previousValues[name] = tensor;
  };
  productsPending = overlapped && !startedProducts.empty();
  for (const TileOp &op : program.body) {
    if (productsPending &&
        llvm::any_of(startedProducts, [&](StringAttr name) {
          return readsTensor(op.expression, name) ||
                 readsTensor(op.accumulator, name);
        }))
      awaitPrevious();
    switch (op.kind) {
    case TileOpKind::QueryKeyProduct:
    case TileOpKind::ScoreProduct: {
      TileValue scores{
          op.kind == TileOpKind::QueryKeyProduct
              ? (startedScores
                     ? *startedScores
                     : target.multiplyQueryKey(b, kernel, item, currentTile))
              : target.multiplyRowsByColumns(b, kernel, item, currentTile,
                                             memRefOf(op.operands[0]),
                                             memRefOf(op.operands[1])),
          op.scale};
      if (analysis.productOutside && op.result == analysis.outsideProduct)
        scores.registers =
            existing(scores, *analysis.productOutside / op.scale, std::nullopt);
      assign(op.result, scores);
      break;
    }
    case TileOpKind::ValueProduct:
      if (op.accumulates)
        assign(op.result, computeValueProduct(
                              op, &previousValues.find(op.result)->second));
      else if (!op.fusedInto)
        assign(op.result, computeValueProduct(op, nullptr));
      break;
    case TileOpKind::RowProduct:
      // Products of the rows run in the lane's prologue; a per-column one
      // (a row product folded into a transposed program) runs per tile.
      assert(op.shape == TileShape::Column &&
             "row products of the rows run in the lane's prologue");
      assign(op.result,
             TileValue{target.multiplyColumns(b, kernel, item, currentTile,
                                              memRefOf(op.operands[0]),
                                              memRefOf(op.operands[1])),
                       op.scale});
      break;
    case TileOpKind::RowReduce:
      assign(op.result, computeRowReduce(op));
      break;
    case TileOpKind::Map:
      if (op.fusedProduct) {
        TileValue accumulator = computeMap(op.accumulator, TileShape::Output);
        assign(op.result,
               computeValueProduct(program.body[*op.fusedProduct],
                                   &accumulator,
                                   startedProducts.contains(op.result)
                                       ? op.result
                                       : StringAttr()));
      } else {
        assign(op.result, computeMap(op.expression, op.shape));
      }
      break;
    }
  }
  // The step releases the previous tile's stage after this tile.
  awaitPrevious();
  if (!program.scoreResults.empty()) {
    SmallVector<std::pair<Value, SmallVector<Value>>> scoreTiles;
    for (StringAttr name : program.scoreResults)
      scoreTiles.push_back({gradientOperands->tensors.lookup(name),
                            materialized(values.find(name)->second).registers});
    storeScoreTile(item, currentTile.firstKey, tileInBounds, scoreTiles);
  }
  RunningState next = state;
  for (auto [name, tensor] : llvm::zip_equal(runningNames, next.tensors))
    tensor = nextValues.find(name)->second;
  return next;
}

ScheduleEmitter::RangeVisits
ScheduleEmitter::rangeVisits(const WorkItem &item, const KeyTileRange *range,
                             const ListedKeyTiles *listed,
                             const Visits *patchVisits) {
  // A listed range counts its visits; any other is clipped to
  // [0, ceil(Skv / blockKV)) and counts its tiles. `tileOf(visit)` is the
  // visit's key tile and whether it is skipped (null: never). Builder calls
  // are sequenced in named locals so that op order does not depend on the
  // C++ compiler's argument evaluation order.
  Value count;
  std::function<VisitedTile(Value)> tileOf;
  if (patchVisits) {
    count = arith::SubIOp::create(b, patchVisits->patchVisitsEnd,
                                  patchVisits->patchVisitsBegin);
    tileOf = [this, patchVisits](Value visit) {
      Value at = add(patchVisits->patchVisitsBegin, visit);
      Value entry = toIndex(memref::LoadOp::create(b, patchEntries, at));
      Value keyTile = arith::DivUIOp::create(b, entry, index(4));
      Value flags = arith::RemUIOp::create(b, entry, index(4));
      Value full = arith::CmpIOp::create(
          b, arith::CmpIPredicate::eq,
          arith::AndIOp::create(b, flags, index(1)), index(1));
      Value whole = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, flags,
                                          index(2));
      return VisitedTile{keyTile, Value(), full, whole, Value()};
    };
  } else if (listed) {
    Value zero = index(0);
    count = arith::MaxSIOp::create(b, listed->count, zero);
    tileOf = [this, &item, listed](Value visit) {
      ListedKeyTile at = listed->at(b, b.getLoc(), visit);
      // Invalid visits name tile 0, which is then never copied or computed.
      Value tileZero = index(0);
      Value keyTile = arith::SelectOp::create(b, at.valid, at.tile, tileZero);
      Value one = arith::ConstantIntOp::create(b, b.getI1Type(), 1);
      Value skip = arith::XOrIOp::create(b, at.valid, one);
      TileIndices indices = tileIndices(item, keyTile);
      Value empty = listed->isEmpty(b, b.getLoc(), indices);
      if (!isConstantI1(empty, false))
        skip = arith::OrIOp::create(b, skip, empty);
      VisitedTile visited{keyTile, skip, Value(), Value(), Value()};
      visited.maskFull = listed->isFull(b, b.getLoc(), indices);
      addRegionTests(item, visited);
      return visited;
    };
  } else {
    Value step = index(range->step);
    Value keyTiles =
        arith::CeilDivSIOp::create(b, kernel.seqKV, index(kernel.blockKV));
    Value zero = index(0);
    Value negatedBegin = arith::SubIOp::create(b, zero, range->begin);
    Value skipped = arith::MaxSIOp::create(b, negatedBegin, zero);
    Value skippedSteps = arith::CeilDivSIOp::create(b, skipped, step);
    Value begin = add(range->begin, mul(skippedSteps, step));
    Value end = minIndex(range->end, keyTiles);
    Value span = arith::SubIOp::create(b, end, begin);
    Value steps = arith::CeilDivSIOp::create(b, span, step);
    count = arith::MaxSIOp::create(b, steps, zero);
    tileOf = [this, &item, begin, step](Value visit) {
      Value offset = mul(visit, step);
      Value keyTile = add(begin, offset);
      Value empty = tileIsEmpty(item, keyTile);
      VisitedTile visited{keyTile, empty, Value(), Value(), Value()};
      if (scannedTiles)
        visited.maskFull =
            scannedTiles->isFull(b, b.getLoc(), tileIndices(item, keyTile));
      addRegionTests(item, visited);
      return visited;
    };
  }
  return RangeVisits{count, std::move(tileOf)};
}

void ScheduleEmitter::copyVisit(const WorkItem &item,
                                const std::function<VisitedTile(Value)> &tileOf,
                                Value visit) {
  target.acquireStage(b, visit);
  VisitedTile visited = tileOf(visit);
  Value empty = visited.skip;
  auto copy = [&] {
    KeyTile tile;
    tile.keys = keyRows(visited.keyTile);
    tile.firstKey = tile.keys.first;
    tile.stage = arith::RemUIOp::create(b, visit, index(target.stages()));
    for (const ProductOperand &operand : columnOperands)
      tile.columnOperands.push_back(memRefOf(operand));
    target.copyKeyValueTile(b, kernel, item, tile);
  };
  if (empty)
    ifThen(arith::XOrIOp::create(
               b, empty, arith::ConstantIntOp::create(b, b.getI1Type(), 1)),
           copy);
  else
    copy();
  target.stageFilled(b, visit);
}

void ScheduleEmitter::emitProducer(const WorkItem &item, const Visits &visits) {
  auto copyRange = [&](const KeyTileRange *range,
                       const ListedKeyTiles *listed) {
    RangeVisits rangeOf = rangeVisits(item, range, listed, nullptr);
    target.beginVisits(b);
    auto loop = scf::ForOp::create(b, index(0), rangeOf.count, index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      copyVisit(item, rangeOf.tileOf, loop.getInductionVar());
    }
    target.endVisits(b);
  };
  if (visits.listed)
    copyRange(nullptr, &*visits.listed);
  for (const KeyTileRange &range : visits.ranges)
    copyRange(&range, nullptr);
}

ScheduleEmitter::RunningState
ScheduleEmitter::emitRange(const WorkItem &item, const KeyTileRange *range,
                           const ListedKeyTiles *listed,
                           const Visits *patchVisits, RunningState state,
                           function_ref<void()> afterPrologue) {
  RangeVisits rangeOf = rangeVisits(item, range, listed, patchVisits);
  Value count = rangeOf.count;
  const std::function<VisitedTile(Value)> &tileOf = rangeOf.tileOf;
  int64_t stages = target.stages();
  int64_t ahead = target.copiesAhead();
  target.beginVisits(b);

  // Copies tile `visit` of the range into its stage, unless it is past the
  // range or empty, then closes a copy group (empty or not) so that every
  // step waits for the same number of groups. With a producer, the lanes
  // copy nothing.
  auto prefetch = [&](Value visit) {
    if (target.hasProducer())
      return;
    ifThen(lessThan(visit, count), [&] { copyVisit(item, tileOf, visit); });
    target.commitCopies(b);
  };
  for (int64_t visit = 0; visit < ahead; ++visit)
    prefetch(index(visit));
  if (afterPrologue)
    afterPrologue();
  if (overlapped) {
    RunningState finals =
        emitOverlappedLoop(item, count, tileOf, prefetch, state);
    target.endVisits(b);
    resetCaches();
    return finals;
  }

  Value first = index(0);
  Value one = index(1);
  SmallVector<Value> carried = state.flatten();
  auto loop = scf::ForOp::create(b, first, count, one, carried);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *body = loop.getBody();
    if (body->mightHaveTerminator())
      body->getTerminator()->erase();
    b.setInsertionPointToEnd(body);
    Value visit = loop.getInductionVar();
    RunningState carried = state.withRegisters(loop.getRegionIterArgs());
    prefetch(add(visit, index(ahead)));
    // A gradient program's transposed walk skips many tiles (every query
    // tile is visited): an empty visit copied nothing and reads nothing, so
    // it neither waits for its stage nor releases it (the next computed
    // visit's wait covers every older copy group).
    bool waitInTile = program.gradient;
    if (!waitInTile)
      target.waitStage(b, visit);
    VisitedTile visited = tileOf(visit);
    Value empty = visited.skip;
    Value stage = arith::RemUIOp::create(b, visit, index(stages));
    auto compute = [&] {
      if (waitInTile)
        target.waitStage(b, visit);
      SmallVector<Value> registers =
          emitKeyTile(item, visited, stage, carried).flatten();
      if (waitInTile)
        target.releaseStage(b, visit);
      return registers;
    };
    SmallVector<Value> next;
    if (empty) {
      SmallVector<Value> passThrough = carried.flatten();
      next = ifElse(
          empty, TypeRange(ValueRange(passThrough)),
          [&] { return passThrough; }, compute);
    } else {
      next = compute();
    }
    if (!waitInTile)
      target.releaseStage(b, visit);
    scf::YieldOp::create(b, next);
  }
  target.endVisits(b);
  resetCaches();
  return state.withRegisters(loop.getResults());
}

bool ScheduleEmitter::canOverlapProducts() {
  startedProducts.clear();
  if (program.gradient || !program.scoreResults.empty() ||
      llvm::count_if(program.body, [](const TileOp &op) {
        return op.kind == TileOpKind::QueryKeyProduct;
      }) != 1)
    return false;
  for (auto [position, op] : llvm::enumerate(program.body)) {
    if (!op.fusedProduct || !program.tensor(op.result).running)
      continue;
    bool readLater = llvm::any_of(
        ArrayRef(program.body).drop_front(position + 1), [&](const TileOp &later) {
          return readsTensor(later.expression, op.result) ||
                 readsTensor(later.accumulator, op.result);
        });
    if (!readLater)
      startedProducts.insert(op.result);
  }
  return true;
}

ScheduleEmitter::RunningState
ScheduleEmitter::awaitStartedProducts(const RunningState &state,
                                      int64_t pending) {
  SmallVector<Value> registers;
  for (auto [name, tensor] : llvm::zip_equal(runningNames, state.tensors))
    if (startedProducts.contains(name))
      llvm::append_range(registers, tensor.registers);
  registers = target.waitProducts(b, pending, registers);
  RunningState awaited = state;
  size_t position = 0;
  for (auto [name, tensor] : llvm::zip_equal(runningNames, awaited.tensors))
    if (startedProducts.contains(name))
      for (Value &reg : tensor.registers)
        reg = registers[position++];
  return awaited;
}

ScheduleEmitter::RunningState ScheduleEmitter::emitOverlappedLoop(
    const WorkItem &item, Value count, function_ref<VisitedTile(Value)> tileOf,
    function_ref<void(Value)> prefetch, const RunningState &state) {
  int64_t stages = target.stages();
  int64_t ahead = target.copiesAhead();
  SmallVector<Type> scoreTypes(scoreLayout.size(), b.getF32Type());
  auto undefinedScores = [&] {
    SmallVector<Value> undefined;
    for (Type type : scoreTypes)
      undefined.push_back(ub::PoisonOp::create(b, type));
    return undefined;
  };
  // Starts the scores of `visit` when it is in the range and its tile is
  // not skipped (undefined registers otherwise), then closes a product
  // group whether or not one started, so that every step counts the same
  // groups.
  auto startScores = [&](Value visit) {
    SmallVector<Value> scores = ifElse(
        lessThan(visit, count), scoreTypes,
        [&] {
          target.waitStage(b, visit);
          VisitedTile visited = tileOf(visit);
          auto start = [&] {
            KeyTile tile;
            tile.keys = keyRows(visited.keyTile);
            tile.firstKey = tile.keys.first;
            tile.stage = arith::RemUIOp::create(b, visit, index(stages));
            return target.startQueryKey(b, kernel, item, tile);
          };
          if (!visited.skip)
            return start();
          return ifElse(visited.skip, scoreTypes, undefinedScores, start);
        },
        undefinedScores);
    target.commitProducts(b);
    return scores;
  };
  SmallVector<Value> firstScores = startScores(index(0));
  firstScores = target.waitProducts(b, 0, firstScores);

  SmallVector<Value> carried = state.flatten();
  size_t stateSize = carried.size();
  llvm::append_range(carried, firstScores);
  Value first = index(0);
  Value one = index(1);
  auto loop = scf::ForOp::create(b, first, count, one, carried);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *body = loop.getBody();
    if (body->mightHaveTerminator())
      body->getTerminator()->erase();
    b.setInsertionPointToEnd(body);
    Value visit = loop.getInductionVar();
    ValueRange arguments = loop.getRegionIterArgs();
    RunningState current = state.withRegisters(arguments.take_front(stateSize));
    SmallVector<Value> scores = llvm::to_vector(arguments.drop_front(stateSize));
    Value nextVisit = add(visit, index(1));
    SmallVector<Value> nextScores = startScores(nextVisit);
    VisitedTile visited = tileOf(visit);
    Value stage = arith::RemUIOp::create(b, visit, index(stages));
    auto compute = [&] {
      startedScores = scores;
      SmallVector<Value> next =
          emitKeyTile(item, visited, stage, current).flatten();
      startedScores.reset();
      return next;
    };
    SmallVector<Value> next;
    if (visited.skip) {
      next = ifElse(
          visited.skip, TypeRange(ValueRange(current.flatten())),
          [&] { return awaitStartedProducts(current, 1).flatten(); }, compute);
    } else {
      next = compute();
    }
    // Visit n - 1's value products are done: its stage may be refilled.
    Value previousVisit = arith::SubIOp::create(b, visit, index(1));
    ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::sge, previousVisit,
                                 index(0)),
           [&] { target.releaseStage(b, previousVisit); });
    prefetch(add(visit, index(ahead)));
    target.commitProducts(b);
    nextScores = target.waitProducts(b, 1, nextScores);
    llvm::append_range(next, nextScores);
    scf::YieldOp::create(b, next);
  }
  RunningState finals = awaitStartedProducts(
      state.withRegisters(loop.getResults().take_front(stateSize)), 0);
  Value lastVisit = arith::SubIOp::create(b, count, index(1));
  ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::sge, lastVisit,
                               index(0)),
         [&] { target.releaseStage(b, lastVisit); });
  return finals;
}

void ScheduleEmitter::emitEpilogue(const WorkItem &item,
                                   const RunningState &finals) {
  resetCaches();
  values = laneValues;
  inEpilogue = true;
  for (auto [name, tensor] : llvm::zip_equal(runningNames, finals.tensors)) {
    TileValue final = tensor;
    if (analysis.lanePartial.contains(name))
      final.registers = reduceAcrossLanes(final.registers, ReduceKind::Sum);
    values[name] = final;
  }
  for (const TileOp &op : program.epilogue)
    assign(op.result, computeElements(op.expression, op.shape, false));
  inEpilogue = false;
  SmallVector<std::pair<StringAttr, TileValue>> results;
  if (program.gradient) {
    for (StringAttr name : program.results)
      results.push_back({name, materialized(values.find(name)->second)});
  } else {
    results.push_back(
        {program.output, materialized(values.find(program.output)->second)});
    if (program.lse)
      results.push_back(
          {program.lse, materialized(values.find(program.lse)->second)});
  }
  storeResults(item, results);
}

void ScheduleEmitter::storeResults(
    const WorkItem &item, ArrayRef<std::pair<StringAttr, TileValue>> results) {
  Value columnBase = laneColumn;
  auto memrefOf = [&](StringAttr name) {
    if (program.gradient)
      return gradientOperands->tensors.lookup(name);
    return name == program.output ? kernel.operands.output
                                  : kernel.operands.lse;
  };
  for (size_t slot = 0; slot < scoreLayout.numRowSlots(); ++slot) {
    Value row = rowOfSlot[slot];
    ifThen(rowExistsOfSlot[slot], [&] {
      for (const auto &[name, value] : results) {
        Value memref = memrefOf(name);
        if (program.tensor(name).shape == TileShape::Row) {
          // One lane of those sharing the row writes it.
          Value firstLane = arith::CmpIOp::create(
              b, arith::CmpIPredicate::eq, columnBase, index(0));
          ifThen(firstLane, [&] {
            Value element = value.registers[slot];
            Type stored = cast<MemRefType>(memref.getType()).getElementType();
            if (!stored.isF32())
              element = arith::TruncFOp::create(b, stored, element);
            memref::StoreOp::create(b, element, memref,
                                    ValueRange{item.batch, item.head, row});
          });
          continue;
        }
        const FragmentLayout &layout = outputLayoutOf(name);
        Type outputElement =
            cast<MemRefType>(memref.getType()).getElementType();
        // Runs of registers holding adjacent columns go out as one store.
        size_t count = layout.size();
        for (size_t first = 0; first < count;) {
          if (layout.rowSlot[first] != static_cast<int64_t>(slot)) {
            ++first;
            continue;
          }
          size_t last = first + 1;
          while (last < count && last - first < kMaxStoreElements &&
                 layout.rowSlot[last] == static_cast<int64_t>(slot) &&
                 layout.columnOffset[last] == layout.columnOffset[last - 1] + 1)
            ++last;
          int64_t width = last - first;
          Value vector = vector::FromElementsOp::create(
              b, VectorType::get({width}, b.getF32Type()),
              ArrayRef(value.registers).slice(first, width));
          if (!outputElement.isF32())
            vector = arith::TruncFOp::create(
                b, VectorType::get({width}, outputElement), vector);
          Value column = add(columnBase, index(layout.columnOffset[first]));
          vector::StoreOp::create(b, vector, memref,
                                  ValueRange{item.batch, item.head, row, column});
          first = last;
        }
      }
    });
  }
}

void ScheduleEmitter::storeScoreTile(
    const WorkItem &item, Value firstColumn, Value inBounds,
    ArrayRef<std::pair<Value, SmallVector<Value>>> registersByMemRef) {
  // One store per element: a row of [.., Skv] starts at any alignment, so
  // adjacent columns cannot go out as one vector store on every target.
  Value laneFirst = add(firstColumn, laneColumn);
  auto stores = [&](bool guarded) {
    for (size_t slot = 0; slot < scoreLayout.numRowSlots(); ++slot) {
      Value row = rowOfSlot[slot];
      ifThen(rowExistsOfSlot[slot], [&] {
        for (size_t element = 0; element < scoreLayout.size(); ++element) {
          if (scoreLayout.rowSlot[element] != static_cast<int64_t>(slot))
            continue;
          Value column =
              add(laneFirst, index(scoreLayout.columnOffset[element]));
          auto store = [&] {
            for (const auto &[memref, registers] : registersByMemRef) {
              Value value = registers[element];
              Type stored =
                  cast<MemRefType>(memref.getType()).getElementType();
              if (!stored.isF32())
                value = arith::TruncFOp::create(b, stored, value);
              memref::StoreOp::create(
                  b, value, memref,
                  ValueRange{item.batch, item.head, row, column});
            }
          };
          if (guarded)
            ifThen(lessThan(column, kernel.seqKV), store);
          else
            store();
        }
      });
    }
  };
  if (isConstantI1(inBounds, true)) {
    stores(false);
    return;
  }
  ifElse(
      inBounds, {},
      [&] {
        stores(false);
        return SmallVector<Value>();
      },
      [&] {
        stores(true);
        return SmallVector<Value>();
      });
}

void ScheduleEmitter::fillScoreResults(const WorkItem &item, double value) {
  if (program.scoreResults.empty())
    return;
  Value fill = f32(value);
  SmallVector<std::pair<Value, SmallVector<Value>>> registersByMemRef;
  for (StringAttr name : program.scoreResults)
    registersByMemRef.push_back({gradientOperands->tensors.lookup(name),
                                 SmallVector<Value>(scoreLayout.size(), fill)});
  Value blockColumns = index(kernel.blockKV);
  Value columnTiles = arith::CeilDivSIOp::create(b, kernel.seqKV, blockColumns);
  Value zero = index(0);
  Value one = index(1);
  auto loop = scf::ForOp::create(b, zero, columnTiles, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  CacheScope scope(*this);
  Value firstColumn = mul(loop.getInductionVar(), blockColumns);
  Value end = add(firstColumn, blockColumns);
  Value inBounds =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sle, end, kernel.seqKV);
  storeScoreTile(item, firstColumn, inBounds, registersByMemRef);
}

void ScheduleEmitter::emitPoison(const WorkItem &item) {
  target.forEachLane(b, kernel, item, [&] {
    laneColumn = target.laneColumn(b);
    Value laneRow = target.laneRow(b);
    rowOfSlot.clear();
    rowExistsOfSlot.clear();
    for (int64_t offset : scoreLayout.rowOffset) {
      Value row = add(laneRow, index(offset));
      rowOfSlot.push_back(item.rows.position(b, row));
      rowExistsOfSlot.push_back(item.rows.exists(b, row));
    }
    Value nan = f32(std::numeric_limits<double>::quiet_NaN());
    auto poisoned = [&](StringAttr name) {
      size_t count = program.tensor(name).shape == TileShape::Row
                         ? scoreLayout.numRowSlots()
                         : outputLayoutOf(name).size();
      return TileValue{SmallVector<Value>(count, nan), 1.0};
    };
    SmallVector<std::pair<StringAttr, TileValue>> results;
    if (program.gradient) {
      for (StringAttr name : program.results)
        results.push_back({name, poisoned(name)});
      fillScoreResults(item, std::numeric_limits<double>::quiet_NaN());
    } else {
      results.push_back({program.output, poisoned(program.output)});
      if (program.lse)
        results.push_back({program.lse, poisoned(program.lse)});
    }
    storeResults(item, results);
  });
}

void ScheduleEmitter::emitLanePrologue() {
  values.clear();
  resetCaches();
  // Per-row inputs at the lane's rows (rows that do not exist read an
  // existing one: they are computed on and never stored).
  for (const auto &[name, tensor] : program.tensors) {
    if (!tensor.input || tensor.shape != TileShape::Row)
      continue;
    Value memref = gradientOperands->tensors.lookup(name);
    TileValue loaded;
    for (Value row : rowOfSlot) {
      Value element = memref::LoadOp::create(
          b, memref, ValueRange{currentItem->batch, currentItem->head, row});
      if (!element.getType().isF32())
        element = arith::ExtFOp::create(b, b.getF32Type(), element);
      loaded.registers.push_back(element);
    }
    values[name] = loaded;
  }
  for (const TileOp &op : program.prologue) {
    if (op.kind == TileOpKind::RowProduct)
      values[op.result] =
          TileValue{target.multiplyRows(b, kernel, *currentItem,
                                        memRefOf(op.operands[0]),
                                        memRefOf(op.operands[1])),
                    op.scale};
    else
      values[op.result] = computeElements(op.expression, op.shape, false);
  }
  laneValues = values;
}

void ScheduleEmitter::loadColumnInputs() {
  // Per-column inputs at the tile's columns (clamped: columns past the end
  // fail every mask test or meet a product set to its neutral value).
  for (const auto &[name, tensor] : program.tensors) {
    if (!tensor.input || tensor.shape != TileShape::Column)
      continue;
    Value memref = gradientOperands->tensors.lookup(name);
    TileValue loaded;
    for (size_t element = 0; element < scoreLayout.size(); ++element) {
      Value column = toIndex(keyIndex(element, /*clamp=*/true));
      Value value = memref::LoadOp::create(
          b, memref, ValueRange{currentItem->batch, currentItem->head, column});
      if (!value.getType().isF32())
        value = arith::ExtFOp::create(b, b.getF32Type(), value);
      loaded.registers.push_back(value);
    }
    values[name] = loaded;
  }
}

void ScheduleEmitter::emitLane(const WorkItem &item, const Visits &visits) {
  laneColumn = target.laneColumn(b);
  Value laneRow = target.laneRow(b);
  rowOfSlot.clear();
  rowExistsOfSlot.clear();
  ruleRowOfSlot.clear();
  // Rows that do not exist (past Sq, outside a clipped patch) compute on an
  // existing row and are never stored; rules read existing rows so that
  // data operands are read in bounds.
  for (int64_t offset : scoreLayout.rowOffset) {
    Value row = add(laneRow, index(offset));
    Value position = item.rows.position(b, row);
    rowOfSlot.push_back(position);
    rowExistsOfSlot.push_back(item.rows.exists(b, row));
    ruleRowOfSlot.push_back(toRule(position));
  }

  if (program.transposed)
    rowBands.clear(); // Masks give key bands per query row, not the transpose.
  else
    computeRowBands();
  if (program.gradient) {
    // The operands read at the rows are copied once per work item, or once
    // per query head of its group when one of them is read at the query
    // head.
    auto copyRows = [&](const WorkItem &at) {
      if (program.body.empty())
        return;
      SmallVector<ProductMemRef> rows;
      for (const ProductOperand &operand : rowOperands)
        rows.push_back(memRefOf(operand));
      target.copyRowOperands(b, kernel, at, rows);
      target.commitCopies(b);
    };
    bool rowsPerMember =
        program.headGroup == 1 ||
        llvm::any_of(rowOperands,
                     [](const ProductOperand &row) { return !row.atKVHead; });
    if (!rowsPerMember)
      copyRows(item);
    auto columnTiles = [&](const WorkItem &at, const Visits &visits,
                           RunningState state) {
      if (rowsPerMember)
        copyRows(at);
      emitLanePrologue();
      if (program.body.empty())
        return state;
      if (visits.listed)
        state = emitRange(at, nullptr, &*visits.listed, nullptr, state,
                          nullptr);
      for (const KeyTileRange &range : visits.ranges)
        state = emitRange(at, &range, nullptr, nullptr, state, nullptr);
      return state;
    };
    // Column tiles the visits skip hold only masked scores, whose per-score
    // gradients are 0: with skipping, every column is written 0 first (the
    // same lane then overwrites the columns it computes, in program order).
    if (program.hasVisitClause || program.visitRegion)
      fillScoreResults(item, 0.0);
    RunningState state = initialState();
    if (program.headGroup == 1) {
      state = columnTiles(item, visits, state);
    } else {
      // The work item is a key/value head: its rows sum over the query
      // heads of its group, one after the other.
      Value firstMember = index(0);
      Value members = index(program.headGroup);
      Value step = index(1);
      auto loop = scf::ForOp::create(b, firstMember, members, step,
                                     state.flatten());
      {
        OpBuilder::InsertionGuard guard(b);
        Block *body = loop.getBody();
        if (body->mightHaveTerminator())
          body->getTerminator()->erase();
        b.setInsertionPointToEnd(body);
        resetCaches();
        WorkItem member = item;
        member.kvHead = item.head;
        member.head = add(mul(item.head, index(program.headGroup)),
                          loop.getInductionVar());
        currentItem = &member;
        ruleBase.h = toRule(member.head);
        RunningState next = columnTiles(
            member, visitRanges(member),
            state.withRegisters(loop.getRegionIterArgs()));
        scf::YieldOp::create(b, next.flatten());
      }
      resetCaches();
      currentItem = &item;
      ruleBase.h = toRule(item.head);
      state = state.withRegisters(loop.getResults());
    }
    emitEpilogue(item, state);
    return;
  }
  scannedTiles = visits.scanned ? &*visits.scanned : nullptr;
  target.copyQueryTile(b, kernel, item);
  target.commitCopies(b);
  auto prepare = [&] { target.prepareQueryOperand(b, kernel, item); };
  RunningState state = initialState();
  if (visits.patchVisitsBegin)
    state = emitRange(item, nullptr, nullptr, &visits, state, prepare);
  if (visits.listed)
    state = emitRange(item, nullptr, &*visits.listed, nullptr, state, prepare);
  for (auto [position, range] : llvm::enumerate(visits.ranges))
    state = emitRange(item, &range, nullptr, nullptr, state,
                      position == 0 ? function_ref<void()>(prepare) : nullptr);
  if (!visits.patchVisitsBegin && !visits.listed && visits.ranges.empty())
    prepare();
  scannedTiles = nullptr;
  emitEpilogue(item, state);
}

void ScheduleEmitter::emitWorkItem(const WorkItem &targetItem) {
  WorkItem item = targetItem;
  if (program.patches) {
    item.rows = patchRows(item.queryTile, program.patches->patch);
  } else {
    item.rows.first = item.rowBegin;
    item.rows.limit = kernel.seqQ;
    item.rows.count = arith::SubIOp::create(b, item.rowEnd, item.rowBegin);
  }
  currentItem = &item;
  ruleBase = ElementIndices();
  ruleBase.b = toRule(item.batch);
  ruleBase.h = toRule(item.head);
  ruleBase.batch = toRule(kernel.batchSize);
  ruleBase.queryHeads = ruleConstant(queryHeads);
  ruleBase.kvHeads = ruleConstant(kvHeads);
  ruleBase.seqQ = toRule(querySeq);
  ruleBase.seqKV = toRule(keySeq);
  ruleBase.data = kernel.operands.data;
  // The program's columns: queries in a transposed program.
  Value columns = program.transposed ? ruleBase.seqQ : ruleBase.seqKV;
  lastKeyRule = arith::SubIOp::create(b, columns, ruleConstant(1));

  auto attention = [&] {
    Visits visits = visitRanges(item);
    if (target.hasProducer()) {
      target.inProducer(b, [&] { emitProducer(item, visits); });
      // Values the producer's region computed do not reach the lanes'.
      resetCaches();
    }
    target.forEachLane(b, kernel, item, [&] { emitLane(item, visits); });
  };
  // Data operands invalid for this call (block-indexed ones too small,
  // decreasing document offsets): O and the LSE are NaN rather than reads
  // out of bounds or numbers of no mask. The runtime refuses such data
  // before the launch wherever it can read it (docs/runtime.md).
  Value fits;
  for (MaskAttrInterface mask : maskRules)
    if (Value fit = buildDataOperandsValid(b, b.getLoc(), mask,
                                           kernel.operands.data, querySeq,
                                           keySeq))
      fits = fits ? Value(arith::AndIOp::create(b, fits, fit)) : fit;
  if (!fits) {
    attention();
    return;
  }
  ifElse(
      fits, {},
      [&] {
        attention();
        return SmallVector<Value>();
      },
      [&] {
        emitPoison(item);
        return SmallVector<Value>();
      });
}

void ScheduleEmitter::emit(const KernelSpec &spec, ValueRange arguments) {
  kernel.operands = bindKernelOperands(spec, arguments);
  AttentionShape shape = cascade.getAttentionShape();
  kernel.queryHeads = queryHeads = shape.queryHeads;
  kernel.kvHeads = kvHeads = shape.kvHeads;
  kernel.headDimQK = shape.headDimQK;
  kernel.headDimV = shape.headDimV;
  kernel.blockQ = program.blockQ;
  kernel.blockKV = program.blockKV;
  kernel.elementType =
      cast<MemRefType>(kernel.operands.query.getType()).getElementType();
  kernel.batchSize = memref::DimOp::create(b, kernel.operands.query, 0);
  kernel.seqQ = memref::DimOp::create(b, kernel.operands.query, 2);
  kernel.seqKV = memref::DimOp::create(b, kernel.operands.key, 2);
  if (std::optional<int64_t> tiles = staticQueryTileCount(program))
    kernel.queryTiles = index(*tiles);
  else
    kernel.queryTiles =
        arith::CeilDivSIOp::create(b, kernel.seqQ, index(program.blockQ));
  if (program.patches)
    createPatchTables();
  querySeq = kernel.seqQ;
  keySeq = kernel.seqKV;
  emitWorkItems();
}

void ScheduleEmitter::emitGradient(const GradientOperands &operands) {
  // Gradient programs tile in sequence order whatever the forward's tiles
  // (a neighborhood's forward in patches is read through its O and LSE).
  assert(!program.patches && "gradient programs have no patch tiles");
  gradientOperands = &operands;
  rowOperands = rowProductOperands(program);
  columnOperands = columnProductOperands(program);
  kernel.operands.data = operands.data;
  queryHeads = operands.queryHeads;
  kvHeads = operands.kvHeads;
  // A program summing over the query heads of a group has a work item per
  // key/value head (emitLane walks the group's query heads).
  kernel.queryHeads = program.headGroup > 1 ? kvHeads : queryHeads;
  kernel.kvHeads = kvHeads;
  kernel.batchSize = operands.batchSize;
  kernel.elementType = b.getF32Type();
  querySeq = operands.seqQ;
  keySeq = operands.seqKV;
  // Rows and columns: the keys and queries of a transposed program.
  kernel.seqQ = program.transposed ? keySeq : querySeq;
  kernel.seqKV = program.transposed ? querySeq : keySeq;
  kernel.blockQ = program.transposed ? program.blockKV : program.blockQ;
  kernel.blockKV = program.transposed ? program.blockQ : program.blockKV;
  Value rowTileSize = index(kernel.blockQ);
  kernel.queryTiles = arith::CeilDivSIOp::create(b, kernel.seqQ, rowTileSize);
  emitWorkItems();
}

const FragmentLayout &ScheduleEmitter::layoutOf(int64_t columns) {
  auto found = layouts.find(columns);
  if (found == layouts.end()) {
    found = layouts.insert({columns, target.accumulatorLayout(columns)}).first;
    assert(found->second.rowOffset == scoreLayout.rowOffset &&
           "accumulators of one row tile must share their rows");
  }
  return found->second;
}

const FragmentLayout &ScheduleEmitter::outputLayoutOf(StringAttr tensor) {
  int64_t columns = program.tensor(tensor).columns;
  return columns ? layoutOf(columns) : outputLayout;
}

ProductMemRef ScheduleEmitter::memRefOf(const ProductOperand &operand) {
  return {gradientOperands->tensors.lookup(operand.tensor),
          operand.atKVHead ? currentItem->kvHead : currentItem->head,
          operand.depth};
}

void ScheduleEmitter::emitWorkItems() {
  scoreLayout = target.accumulatorLayout(kernel.blockKV);
  // A gradient program lays out each per-output tensor by its own columns
  // (outputLayoutOf).
  outputLayout = program.gradient ? scoreLayout
                                  : target.accumulatorLayout(kernel.headDimV);
  assert(scoreLayout.rowOffset == outputLayout.rowOffset &&
         "accumulators of one row tile must share their rows");
  ruleType = target.ruleIndexType(b);
  for (const auto &[name, tensor] : program.tensors)
    if (tensor.running)
      runningNames.push_back(name);
  llvm::SetVector<Attribute> masks;
  cascade.getBody().walk([&](EinsumOp einsum) {
    walkMaps(einsum.getMap(), [&](MapAttr map) {
      if (map.getKind() == MapKind::Mask)
        masks.insert(map.getRule());
    });
  });
  for (Attribute mask : masks)
    testedMasks.push_back(cast<MaskAttrInterface>(mask));
  if (program.visitMask)
    masks.insert(program.visitMask);
  for (Attribute mask : masks)
    maskRules.push_back(cast<MaskAttrInterface>(mask));
  analysis = analyzeSchedule(program, !scoreLayout.rowLaneXorMasks.empty());
  overlapped = target.overlapsProducts() && canOverlapProducts();

  target.forEachWorkItem(b, kernel,
                         [&](const WorkItem &item) { emitWorkItem(item); });
}

void mlir::attn::schedule::emitScheduledKernel(ImplicitLocOpBuilder &b,
                                               const KernelSpec &spec,
                                               const TileProgram &program,
                                               ScheduleTarget &target,
                                               ValueRange arguments) {
  ScheduleEmitter(b, program, target).emit(spec, arguments);
}

void mlir::attn::schedule::GradientOperands::setSizesFrom(
    ImplicitLocOpBuilder &b, Value query, Value key) {
  batchSize = memref::DimOp::create(b, query, 0);
  seqQ = memref::DimOp::create(b, query, 2);
  seqKV = memref::DimOp::create(b, key, 2);
  queryHeads = cast<MemRefType>(query.getType()).getDimSize(1);
  kvHeads = cast<MemRefType>(key.getType()).getDimSize(1);
}

void mlir::attn::schedule::emitGradientKernel(
    ImplicitLocOpBuilder &b, const TileProgram &program,
    ScheduleTarget &target, const GradientOperands &operands) {
  ScheduleEmitter(b, program, target).emitGradient(operands);
}

void mlir::attn::schedule::emitKeySummaryKernel(ImplicitLocOpBuilder &b,
                                                ScheduleTarget &target,
                                                Value ids, Value summary) {
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, value);
  };
  KernelContext kernel;
  kernel.batchSize = memref::DimOp::create(b, ids, 0);
  kernel.seqQ = memref::DimOp::create(b, ids, 1);
  kernel.seqKV = kernel.seqQ;
  kernel.queryHeads = kernel.kvHeads = 1;
  kernel.blockQ = kernel.blockKV = kKeySummaryChunk;
  kernel.queryTiles =
      arith::CeilDivSIOp::create(b, kernel.seqQ, index(kKeySummaryChunk));
  Type type = cast<MemRefType>(ids.getType()).getElementType();
  kernel.elementType = type;
  Value chunks = memref::DimOp::create(b, summary, 1);
  target.forEachWorkItem(b, kernel, [&](const WorkItem &item) {
    SmallVector<Value> bounds = target.reduceOverRange(
        b, item.rowBegin, item.rowEnd, type,
        {ReductionKind::Min, ReductionKind::Max},
        [&](OpBuilder &builder, Location loc, Value k) {
          Value id = memref::LoadOp::create(builder, loc, ids,
                                            ValueRange{item.batch, k});
          return SmallVector<Value>{id, id};
        });
    // Every lane stores the same values (GPUs: the whole work item).
    Value inside = arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                         item.queryTile, chunks);
    auto store = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    for (auto [slot, bound] : llvm::enumerate(bounds)) {
      Value position = index(static_cast<int64_t>(slot));
      memref::StoreOp::create(b, bound, summary,
                              ValueRange{item.batch, item.queryTile, position});
    }
  });
}
