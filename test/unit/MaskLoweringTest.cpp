//===- MaskLoweringTest.cpp - IR tile forms against the C++ closed forms --===//
//
// The kernels decide which key tiles to visit, and which of them are empty
// or full, with IR that MaskAttrInterface::buildKeyTileRanges,
// buildTileIsEmpty and buildTileIsFull emit (dialect/lib/MaskLowering.cpp).
// The sparsity report, attn-sparsify and the float64 interpreter use the
// C++ closed forms visitSet and classifyTile (dialect/lib/MaskTiling.cpp),
// which MaskTilingTest.cpp checks against the element rule. This test ties
// the two together: for every mask kind, and/or combinations and data masks
// with generated data, at random sizes, it builds the IR forms into a
// function, evaluates them with a small interpreter of the ops the builders
// emit (arith, memref.dim/load, scf.for/while/if), and checks, per batch
// row, head and query tile:
//
//  1. the IR ranges are disjoint and hold every key tile of the C++ visit
//     set (the kernel would otherwise skip a tile that keeps keys, or add
//     one twice);
//  2. IR "empty" implies C++ Empty and IR "full" implies C++ Full (the
//     kernel would otherwise drop kept keys or skip the element rule).
//
// Custom mask regions are classified by one interval evaluator written over
// two arithmetic domains (dialect/lib/MaskRegionTiling.cpp); the region
// tests check that its IR form (buildRegionTileTests) gives exactly the
// classes of classifyTile on random tiles, overflowing ones included.
//
// It also compares the element rule as IR (buildKeep, in index or i32
// arithmetic) with `keeps` on sampled elements, which checks the evaluator
// as much as the rule.
//
// The IR may be conservative: a tile in its ranges that C++ classifies
// Empty is visited as a partial tile (the element rule masks it out), and a
// tile C++ classifies Full may be treated as partial. Both only cost time;
// the test counts them per mask kind and prints the counts.
//
// Every case is seeded and its seed is printed on failure; ATTN_TEST_SEED
// changes the base seed.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/MaskLowering.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Dialect/MaskVisits.h"
#include "MaskTestSupport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::test;

namespace {

//===----------------------------------------------------------------------===//
// An evaluator of the integer IR the tile builders emit
//===----------------------------------------------------------------------===//

/// Interprets straight-line arith, memref.dim/load of `data`'s operands and
/// scf.for/while/if on int64 values. Integers keep their type's width
/// (sign-extended; i1 is 0 or 1); index is 64 bits. Any other op, a
/// division by zero, or a load out of bounds is an error.
class IrEvaluator {
public:
  explicit IrEvaluator(const TestData &data) : data(data) {}

  void bindMemref(Value memref, unsigned operand) { memrefs[memref] = operand; }

  /// Runs `block` with its leading arguments bound to `arguments` (the
  /// others must be memrefs bound by bindMemref) and returns the operands
  /// of its terminator.
  FailureOr<SmallVector<int64_t>> run(Block &block,
                                      ArrayRef<int64_t> arguments) {
    if (arguments.size() > block.getNumArguments())
      return fail(block.getParentOp(), "too many arguments");
    for (auto [argument, value] : llvm::zip(block.getArguments(), arguments))
      values[argument] = normalize(value, argument.getType());
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        SmallVector<int64_t> results;
        for (Value operand : op.getOperands())
          results.push_back(values.lookup(operand));
        return results;
      }
      if (failed(step(op)))
        return failure();
    }
    return fail(block.getParentOp(), "block without terminator");
  }

  const std::string &error() const { return message; }

private:
  static unsigned widthOf(Type type) {
    return type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
  }
  /// `value` as an element of `type`: the low bits, sign-extended (i1:
  /// 0 or 1).
  static int64_t normalize(int64_t value, Type type) {
    unsigned width = widthOf(type);
    if (width == 1)
      return value & 1;
    return width >= 64 ? value : llvm::SignExtend64(value, width);
  }
  static uint64_t asUnsigned(int64_t value, Type type) {
    unsigned width = widthOf(type);
    uint64_t bits = static_cast<uint64_t>(value);
    return width >= 64 ? bits : bits & ((uint64_t{1} << width) - 1);
  }

  LogicalResult fail(Operation *op, const Twine &what) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << what;
    if (op)
      os << " at " << *op;
    message = text;
    return failure();
  }

  int64_t get(Value value) { return values.lookup(value); }
  void set(Value result, int64_t value) {
    values[result] = normalize(value, result.getType());
  }

  /// Runs a nested region's single block.
  FailureOr<SmallVector<int64_t>> runRegion(Region &region,
                                            ArrayRef<int64_t> arguments) {
    if (!region.hasOneBlock()) {
      (void)fail(region.getParentOp(), "region without exactly one block");
      return failure();
    }
    return run(region.front(), arguments);
  }

  LogicalResult binary(Operation &op,
                       function_ref<FailureOr<int64_t>(int64_t, int64_t)> fn) {
    FailureOr<int64_t> result =
        fn(get(op.getOperand(0)), get(op.getOperand(1)));
    if (failed(result))
      return failure();
    set(op.getResult(0), *result);
    return success();
  }

  static int64_t wrap(uint64_t value) { return static_cast<int64_t>(value); }

  LogicalResult step(Operation &op) {
    using Pred = arith::CmpIPredicate;
    auto divisor = [&](int64_t x, int64_t y) -> LogicalResult {
      if (y == 0)
        return fail(&op, "division by zero");
      if (y == -1 && x == std::numeric_limits<int64_t>::min())
        return fail(&op, "division overflows");
      return success();
    };
    return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
        .Case<arith::ConstantOp>([&](arith::ConstantOp constant) {
          auto attr = dyn_cast<IntegerAttr>(constant.getValue());
          if (!attr)
            return fail(&op, "non-integer constant");
          set(constant.getResult(), attr.getValue().getSExtValue());
          return success();
        })
        .Case<arith::AddIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return wrap(uint64_t(x) + uint64_t(y));
          });
        })
        .Case<arith::SubIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return wrap(uint64_t(x) - uint64_t(y));
          });
        })
        .Case<arith::MulIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return wrap(uint64_t(x) * uint64_t(y));
          });
        })
        .Case<arith::DivSIOp>([&](auto) {
          return binary(op, [&](int64_t x, int64_t y) -> FailureOr<int64_t> {
            if (failed(divisor(x, y)))
              return failure();
            return x / y; // truncates towards zero, as divsi
          });
        })
        .Case<arith::RemSIOp>([&](auto) {
          return binary(op, [&](int64_t x, int64_t y) -> FailureOr<int64_t> {
            if (failed(divisor(x, y)))
              return failure();
            return x % y; // the sign of the dividend, as remsi
          });
        })
        .Case<arith::DivUIOp, arith::RemUIOp>([&](auto) -> LogicalResult {
          Type type = op.getResult(0).getType();
          uint64_t x = asUnsigned(get(op.getOperand(0)), type);
          uint64_t y = asUnsigned(get(op.getOperand(1)), type);
          if (y == 0)
            return fail(&op, "division by zero");
          set(op.getResult(0), wrap(isa<arith::DivUIOp>(op) ? x / y : x % y));
          return success();
        })
        .Case<arith::CeilDivSIOp>([&](auto) {
          return binary(op, [&](int64_t x, int64_t y) -> FailureOr<int64_t> {
            if (failed(divisor(x, y)))
              return failure();
            int64_t quotient = x / y;
            bool roundUp = x % y != 0 && ((x < 0) == (y < 0));
            return quotient + (roundUp ? 1 : 0);
          });
        })
        .Case<arith::FloorDivSIOp>([&](auto) {
          return binary(op, [&](int64_t x, int64_t y) -> FailureOr<int64_t> {
            if (failed(divisor(x, y)))
              return failure();
            int64_t quotient = x / y;
            bool roundDown = x % y != 0 && ((x < 0) != (y < 0));
            return quotient - (roundDown ? 1 : 0);
          });
        })
        .Case<arith::MinSIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return std::min(x, y);
          });
        })
        .Case<arith::MaxSIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return std::max(x, y);
          });
        })
        .Case<arith::AndIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return x & y;
          });
        })
        .Case<arith::OrIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return x | y;
          });
        })
        .Case<arith::XOrIOp>([&](auto) {
          return binary(op, [](int64_t x, int64_t y) -> FailureOr<int64_t> {
            return x ^ y;
          });
        })
        .Case<arith::CmpIOp>([&](arith::CmpIOp cmp) {
          Type type = cmp.getLhs().getType();
          int64_t x = get(cmp.getLhs()), y = get(cmp.getRhs());
          uint64_t ux = asUnsigned(x, type), uy = asUnsigned(y, type);
          bool result = false;
          switch (cmp.getPredicate()) {
          case Pred::eq:
            result = x == y;
            break;
          case Pred::ne:
            result = x != y;
            break;
          case Pred::slt:
            result = x < y;
            break;
          case Pred::sle:
            result = x <= y;
            break;
          case Pred::sgt:
            result = x > y;
            break;
          case Pred::sge:
            result = x >= y;
            break;
          case Pred::ult:
            result = ux < uy;
            break;
          case Pred::ule:
            result = ux <= uy;
            break;
          case Pred::ugt:
            result = ux > uy;
            break;
          case Pred::uge:
            result = ux >= uy;
            break;
          }
          set(cmp.getResult(), result);
          return success();
        })
        .Case<arith::SelectOp>([&](arith::SelectOp select) {
          if (!select.getCondition().getType().isInteger(1))
            return fail(&op, "vector select");
          set(select.getResult(), get(select.getCondition())
                                      ? get(select.getTrueValue())
                                      : get(select.getFalseValue()));
          return success();
        })
        .Case<arith::IndexCastOp, arith::ExtSIOp, arith::TruncIOp>([&](auto) {
          set(op.getResult(0), get(op.getOperand(0)));
          return success();
        })
        .Case<arith::IndexCastUIOp, arith::ExtUIOp>([&](auto) {
          set(op.getResult(0), wrap(asUnsigned(get(op.getOperand(0)),
                                               op.getOperand(0).getType())));
          return success();
        })
        .Case<memref::DimOp>([&](memref::DimOp dim) {
          auto it = memrefs.find(dim.getSource());
          if (it == memrefs.end())
            return fail(&op, "dim of an unknown memref");
          const TestData::Tensor &tensor = data.tensors[it->second];
          int64_t index = get(dim.getIndex());
          if (index < 0 || index >= static_cast<int64_t>(tensor.shape.size()))
            return fail(&op, "dim index out of range");
          set(dim.getResult(), tensor.shape[index]);
          return success();
        })
        .Case<memref::LoadOp>([&](memref::LoadOp load) {
          auto it = memrefs.find(load.getMemRef());
          if (it == memrefs.end())
            return fail(&op, "load from an unknown memref");
          const TestData::Tensor &tensor = data.tensors[it->second];
          int64_t flat = 0;
          for (auto [dim, index] : llvm::enumerate(load.getIndices())) {
            int64_t at = get(index);
            if (at < 0 || at >= tensor.shape[dim])
              return fail(&op, "load out of bounds: index " + Twine(at) +
                                   " of dimension " + Twine(dim) +
                                   " with extent " + Twine(tensor.shape[dim]));
            flat = flat * tensor.shape[dim] + at;
          }
          set(load.getResult(), tensor.values[flat]);
          return success();
        })
        .Case<scf::ForOp>([&](scf::ForOp loop) -> LogicalResult {
          int64_t lower = get(loop.getLowerBound());
          int64_t upper = get(loop.getUpperBound());
          int64_t stride = get(loop.getStep());
          if (stride <= 0)
            return fail(&op, "scf.for with a non-positive step");
          SmallVector<int64_t> carried;
          for (Value init : loop.getInitArgs())
            carried.push_back(get(init));
          for (int64_t iv = lower; iv < upper; iv += stride) {
            SmallVector<int64_t> arguments = {iv};
            llvm::append_range(arguments, carried);
            FailureOr<SmallVector<int64_t>> yielded =
                runRegion(loop.getRegion(), arguments);
            if (failed(yielded))
              return failure();
            carried = *yielded;
          }
          for (auto [result, value] :
               llvm::zip_equal(loop.getResults(), carried))
            set(result, value);
          return success();
        })
        .Case<scf::WhileOp>([&](scf::WhileOp loop) -> LogicalResult {
          SmallVector<int64_t> carried;
          for (Value init : loop.getInits())
            carried.push_back(get(init));
          for (int iteration = 0;; ++iteration) {
            if (iteration > (1 << 20))
              return fail(&op, "scf.while does not terminate");
            FailureOr<SmallVector<int64_t>> condition =
                runRegion(loop.getBefore(), carried);
            if (failed(condition))
              return failure();
            SmallVector<int64_t> passed(condition->begin() + 1,
                                        condition->end());
            if (!condition->front()) {
              for (auto [result, value] :
                   llvm::zip_equal(loop.getResults(), passed))
                set(result, value);
              return success();
            }
            FailureOr<SmallVector<int64_t>> yielded =
                runRegion(loop.getAfter(), passed);
            if (failed(yielded))
              return failure();
            carried = *yielded;
          }
        })
        .Case<scf::IfOp>([&](scf::IfOp branch) -> LogicalResult {
          Region &taken = get(branch.getCondition()) ? branch.getThenRegion()
                                                     : branch.getElseRegion();
          if (taken.empty())
            return success();
          FailureOr<SmallVector<int64_t>> yielded = runRegion(taken, {});
          if (failed(yielded))
            return failure();
          for (auto [result, value] :
               llvm::zip_equal(branch.getResults(), *yielded))
            set(result, value);
          return success();
        })
        .Default([&](Operation *other) {
          return fail(other, "op not supported by the test's evaluator");
        });
  }

  const TestData &data;
  llvm::DenseMap<Value, int64_t> values;
  llvm::DenseMap<Value, unsigned> memrefs;
  std::string message;
};

//===----------------------------------------------------------------------===//
// The IR forms of one mask as two functions
//===----------------------------------------------------------------------===//

/// Scalar arguments of both functions, in order.
enum ScalarArg : unsigned {
  ArgB,
  ArgH,
  ArgRowBegin,
  ArgRowEnd,
  ArgBatch,
  ArgQueryHeads,
  ArgKVHeads,
  ArgSeqQ,
  ArgSeqKV,
  ArgColBegin, // @classes only
  ArgColEnd,   // @classes only
};

/// @ranges(b, h, rowBegin, rowEnd, sizes..., visit, data...) returns the
/// begin and end of each key-tile range, or for a mask with listed key tiles
/// (buildListedKeyTiles) their count and visit `visit`'s tile and validity;
/// @classes(..., colBegin, colEnd, data...) returns (isEmpty, isFull, the
/// listed tiles' isEmpty and isFull). Built the way the kernels call the builders: the
/// ranges without key columns, the classes per key tile.
/// @keep(b, h, i, j, sizes..., data...) is the element rule (buildKeep) in
/// `elementType` (index, or i32 as in GPU kernels), then the row's hull
/// (buildKeyHull) and band (buildKeyBand) where the mask has them; comparing
/// it with `keeps` also checks the evaluator.
/// @queryRange(..., colBegin, colEnd, data...), for masks with a hull, is
/// the range of query tiles (buildQueryTileRange) of a key tile, the dK/dV
/// phase's visits.
struct TileForms {
  OwningOpRef<ModuleOp> module;
  func::FuncOp ranges, classes, keep, queryRange;
  SmallVector<int64_t> steps;
  bool listed = false;
  /// Whether @queryRange returns a range.
  bool transposed = false;
  /// Where @keep's results hold the hull and the band (0: absent).
  unsigned hullAt = 0, bandAt = 0;
};

TileForms buildTileForms(MLIRContext &context, MaskAttrInterface mask,
                         int64_t blockQ, int64_t blockKV, const TestData &data,
                         Type elementType) {
  TileForms forms;
  Location loc = UnknownLoc::get(&context);
  OpBuilder builder(&context);
  forms.module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(forms.module->getBody());
  Type index = builder.getIndexType();
  SmallVector<Type> memrefTypes;
  for (const TestData::Tensor &tensor : data.tensors)
    memrefTypes.push_back(MemRefType::get(
        SmallVector<int64_t>(tensor.shape.size(), ShapedType::kDynamic),
        builder.getIntegerType(tensor.bits)));

  auto makeFunction =
      [&](StringRef name, unsigned scalars,
          function_ref<SmallVector<Value>(TileIndices &, Block *)> body) {
        SmallVector<Type> arguments(scalars, index);
        llvm::append_range(arguments, memrefTypes);
        auto function = func::FuncOp::create(
            builder, loc, name, builder.getFunctionType(arguments, {}));
        Block *entry = function.addEntryBlock();
        OpBuilder::InsertionGuard guard(builder);
        builder.setInsertionPointToStart(entry);
        auto arg = [&](unsigned position) {
          return entry->getArgument(position);
        };
        TileIndices tile;
        tile.b = arg(ArgB);
        tile.h = arg(ArgH);
        tile.rowBegin = arg(ArgRowBegin);
        tile.rowEnd = arg(ArgRowEnd);
        tile.blockKV = blockKV;
        tile.batch = arg(ArgBatch);
        tile.queryHeads = arg(ArgQueryHeads);
        tile.kvHeads = arg(ArgKVHeads);
        tile.seqQ = arg(ArgSeqQ);
        tile.seqKV = arg(ArgSeqKV);
        if (scalars > ArgColEnd) {
          tile.colBegin = arg(ArgColBegin);
          tile.colEnd = arg(ArgColEnd);
        }
        for (unsigned operand = 0; operand < memrefTypes.size(); ++operand)
          tile.data.push_back(arg(scalars + operand));
        SmallVector<Value> results = body(tile, entry);
        func::ReturnOp::create(builder, loc, results);
        function.setFunctionType(
            builder.getFunctionType(arguments, ValueRange(results).getTypes()));
        return function;
      };

  forms.ranges = makeFunction(
      "ranges", ArgColBegin + 1, [&](TileIndices &tile, Block *entry) {
        if (std::optional<ListedKeyTiles> listed =
                buildListedKeyTiles(mask, builder, loc, tile)) {
          forms.listed = true;
          ListedKeyTile at =
              listed->at(builder, loc, entry->getArgument(ArgColBegin));
          return SmallVector<Value>{listed->count, at.tile, at.valid};
        }
        SmallVector<KeyTileRange> ranges;
        mask.buildKeyTileRanges(builder, loc, tile, ranges);
        SmallVector<Value> bounds;
        for (const KeyTileRange &range : ranges) {
          bounds.push_back(range.begin);
          bounds.push_back(range.end);
          forms.steps.push_back(range.step);
        }
        return bounds;
      });
  forms.classes =
      makeFunction("classes", ArgColEnd + 1, [&](TileIndices &tile, Block *) {
        Value empty = mask.buildTileIsEmpty(builder, loc, tile);
        Value full = mask.buildTileIsFull(builder, loc, tile);
        std::optional<ListedKeyTiles> listed =
            buildListedKeyTiles(mask, builder, loc, tile);
        Value listedEmpty = listed ? listed->isEmpty(builder, loc, tile) : empty;
        Value listedFull = listed ? listed->isFull(builder, loc, tile) : full;
        return SmallVector<Value>{empty, full, listedEmpty, listedFull};
      });
  forms.queryRange = makeFunction(
      "queryRange", ArgColEnd + 1, [&](TileIndices &tile, Block *) {
        std::optional<KeyTileRange> range =
            buildQueryTileRange(mask, builder, loc, tile, blockQ);
        forms.transposed = range.has_value();
        return range ? SmallVector<Value>{range->begin, range->end}
                     : SmallVector<Value>{};
      });

  SmallVector<Type> keepArguments(9, elementType);
  llvm::append_range(keepArguments, memrefTypes);
  forms.keep = func::FuncOp::create(builder, loc, "keep",
                                    builder.getFunctionType(keepArguments, {}));
  Block *entry = forms.keep.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  ElementIndices at;
  at.b = entry->getArgument(0);
  at.h = entry->getArgument(1);
  at.i = entry->getArgument(2);
  at.j = entry->getArgument(3);
  at.batch = entry->getArgument(4);
  at.queryHeads = entry->getArgument(5);
  at.kvHeads = entry->getArgument(6);
  at.seqQ = entry->getArgument(7);
  at.seqKV = entry->getArgument(8);
  for (unsigned operand = 0; operand < memrefTypes.size(); ++operand)
    at.data.push_back(entry->getArgument(9 + operand));
  Value keep = mask.buildKeep(builder, loc, at);
  SmallVector<Value> results = {keep};
  // A hull (buildKeyHull) must hold every key the rule keeps, a row band
  // (buildKeyBand) exactly those.
  if (std::optional<KeyBand> hull = buildKeyHull(mask, builder, loc, at)) {
    forms.hullAt = results.size();
    results.push_back(hull->lo);
    results.push_back(hull->hi);
  }
  if (std::optional<KeyBand> band = buildKeyBand(mask, builder, loc, at)) {
    forms.bandAt = results.size();
    results.push_back(band->lo);
    results.push_back(band->hi);
  }
  func::ReturnOp::create(builder, loc, results);
  forms.keep.setFunctionType(
      builder.getFunctionType(keepArguments, ValueRange(results).getTypes()));
  return forms;
}

//===----------------------------------------------------------------------===//
// The comparison
//===----------------------------------------------------------------------===//

/// How conservative the IR is for one mask kind, summed over its cases.
struct Conservatism {
  int64_t cases = 0;
  /// (b, h, query tile, key tile) pairs checked.
  int64_t tiles = 0;
  /// Tiles C++ visits (not Empty) / the kernel visits (in the IR ranges
  /// and not IR-empty).
  int64_t cppVisited = 0, irVisited = 0;
  /// Tiles the kernel visits (as partial) although C++ says Empty.
  int64_t extraVisited = 0;
  /// Tiles C++ says Full / the IR says full.
  int64_t cppFull = 0, irFull = 0;
  /// Tiles the kernel visits as partial although C++ says Full.
  int64_t partialButFull = 0;
  /// Elements checked against the row band.
  int64_t bandElements = 0;
  /// (b, h, key tile, query tile) pairs of the dK/dV phase: query tiles
  /// keeping a key of the key tile (C++) / in the IR's query-tile range.
  int64_t transposedNeeded = 0, transposedWalked = 0;
};

/// The name a mask is counted under: its mnemonic, with the layout for
/// documents.
std::string kindOf(MaskAttrInterface mask) {
  if (auto docs = dyn_cast<DocumentsAttr>(mask))
    return docs.getLayout() == DocumentLayout::Ids ? "documents(ids)"
                                                   : "documents(offsets)";
  auto name = [](Attribute attr) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << attr;
    // "#attn.window<left = 3, right = 0>" -> "window"
    size_t begin = text.find('.') + 1;
    size_t end = text.find('<', begin);
    return text.substr(begin, end == std::string::npos ? end : end - begin);
  };
  return name(mask);
}

/// Compares the IR forms of `mask` with visitSet/classifyTile at `ctx`
/// (whose data, if the mask reads any, is `data`) for every batch row, head
/// and query tile. Returns false after the first mismatch.
/// `elements` random (i, j) per (b, h), or every element when that is
/// fewer, are compared between buildKeep and keeps.
bool checkLowering(MLIRContext &context, MaskAttrInterface mask,
                   const TilingContext &ctx, const TestData &data,
                   Type elementType, std::mt19937_64 &rng, int64_t elements,
                   Conservatism &stats) {
  TileForms forms = buildTileForms(context, mask, ctx.blockQ, ctx.blockKV,
                                   data, elementType);
  if (failed(verify(*forms.module))) {
    ADD_FAILURE() << "the builders emit invalid IR:\n" << *forms.module;
    return false;
  }
  IrEvaluator evaluator(data);
  for (func::FuncOp function :
       {forms.ranges, forms.classes, forms.keep, forms.queryRange}) {
    unsigned scalars = function.getNumArguments() - data.tensors.size();
    for (unsigned operand = 0; operand < data.tensors.size(); ++operand)
      evaluator.bindMemref(function.getArgument(scalars + operand), operand);
  }
  ++stats.cases;

  // The element rule.
  bool every = ctx.seqQ * ctx.seqKV <= elements;
  for (int64_t b = 0; b < ctx.batch; ++b)
    for (int64_t h = 0; h < ctx.queryHeads; ++h)
      for (int64_t n = 0; n < (every ? ctx.seqQ * ctx.seqKV : elements); ++n) {
        int64_t i = every ? n / ctx.seqKV : int64_t(rng() % ctx.seqQ);
        int64_t j = every ? n % ctx.seqKV : int64_t(rng() % ctx.seqKV);
        FailureOr<SmallVector<int64_t>> keep = evaluator.run(
            forms.keep.front(), {b, h, i, j, ctx.batch, ctx.queryHeads,
                                 ctx.kvHeads, ctx.seqQ, ctx.seqKV});
        std::string where = "element (b, h, i, j) = (" + std::to_string(b) +
                            ", " + std::to_string(h) + ", " +
                            std::to_string(i) + ", " + std::to_string(j) + ")";
        if (failed(keep)) {
          ADD_FAILURE() << where << ": " << evaluator.error();
          return false;
        }
        bool expected = mask.keeps(ctx.point(b, h, i, j));
        if (bool((*keep)[0]) != expected) {
          ADD_FAILURE() << where << ": buildKeep says " << (*keep)[0]
                        << ", keeps says " << expected;
          return false;
        }
        auto inside = [&](unsigned at) {
          return (*keep)[at] <= j && j <= (*keep)[at + 1];
        };
        if (forms.hullAt && expected && !inside(forms.hullAt)) {
          ADD_FAILURE() << where << ": buildKeyHull says ["
                        << (*keep)[forms.hullAt] << ", "
                        << (*keep)[forms.hullAt + 1] << "], keeps says 1";
          return false;
        }
        if (forms.bandAt && inside(forms.bandAt) != expected) {
          ADD_FAILURE() << where << ": buildKeyBand says ["
                        << (*keep)[forms.bandAt] << ", "
                        << (*keep)[forms.bandAt + 1] << "], keeps says "
                        << expected;
          return false;
        }
        stats.bandElements += forms.bandAt != 0;
      }

  // The hull's bounds, clipped to the keys, never decrease as the row grows
  // (the bisections of buildQueryTileRange rely on it; past the keys a
  // bound may jump, as documents' past their last offset do).
  if (forms.hullAt)
    for (int64_t b = 0; b < ctx.batch; ++b)
      for (int64_t h = 0; h < ctx.queryHeads; ++h) {
        int64_t lo = std::numeric_limits<int64_t>::min(), hi = lo;
        for (int64_t i = 0; i < ctx.seqQ; ++i) {
          FailureOr<SmallVector<int64_t>> row = evaluator.run(
              forms.keep.front(), {b, h, i, 0, ctx.batch, ctx.queryHeads,
                                   ctx.kvHeads, ctx.seqQ, ctx.seqKV});
          if (failed(row)) {
            ADD_FAILURE() << "row " << i << ": " << evaluator.error();
            return false;
          }
          int64_t rowLo = std::clamp<int64_t>((*row)[forms.hullAt], 0,
                                              ctx.seqKV);
          int64_t rowHi = std::clamp<int64_t>((*row)[forms.hullAt + 1], -1,
                                              ctx.seqKV - 1);
          if (rowLo < lo || rowHi < hi) {
            ADD_FAILURE() << "b " << b << " h " << h << ": the hull of row "
                          << i << " is [" << rowLo << ", " << rowHi
                          << "] (clipped to the keys), below row " << i - 1
                          << "'s [" << lo << ", " << hi << "]";
            return false;
          }
          lo = rowLo;
          hi = rowHi;
        }
      }

  int64_t keyTiles = ctx.numKeyTiles();
  for (int64_t b = 0; b < ctx.batch; ++b)
    for (int64_t h = 0; h < ctx.queryHeads; ++h) {
      // The query tiles [begin, end) the dK/dV phase walks per key tile.
      SmallVector<std::pair<int64_t, int64_t>> queryRanges;
      for (int64_t kt = 0; forms.transposed && kt < keyTiles; ++kt) {
        TileRange keys = ctx.tile(0, kt);
        FailureOr<SmallVector<int64_t>> range = evaluator.run(
            forms.queryRange.front(),
            {b, h, 0, 0, ctx.batch, ctx.queryHeads, ctx.kvHeads, ctx.seqQ,
             ctx.seqKV, keys.kBegin, keys.kEnd});
        if (failed(range)) {
          ADD_FAILURE() << "b " << b << " h " << h << " key tile " << kt
                        << ": " << evaluator.error();
          return false;
        }
        queryRanges.push_back({(*range)[0], (*range)[1]});
      }
      for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt) {
        int64_t rowBegin = qt * ctx.blockQ;
        int64_t rowEnd = std::min(ctx.seqQ, rowBegin + ctx.blockQ);
        SmallVector<int64_t> scalars = {b,           h,         rowBegin,
                                        rowEnd,      ctx.batch, ctx.queryHeads,
                                        ctx.kvHeads, ctx.seqQ,  ctx.seqKV};
        std::string where =
            "b " + std::to_string(b) + " h " + std::to_string(h) +
            " query tile " + std::to_string(qt) + " (rows [" +
            std::to_string(rowBegin) + ", " + std::to_string(rowEnd) + "))";
        auto rangesAt = [&](int64_t visit) {
          SmallVector<int64_t> arguments = scalars;
          arguments.push_back(visit);
          return evaluator.run(forms.ranges.front(), arguments);
        };
        FailureOr<SmallVector<int64_t>> bounds = rangesAt(0);
        if (failed(bounds)) {
          ADD_FAILURE() << where << ": " << evaluator.error();
          return false;
        }
        // The kernels' clipping: ranges may start before tile 0 (keeping
        // their progression) or run past the last tile. Listed tiles come
        // one visit at a time.
        SmallVector<int> listed(keyTiles, 0);
        std::string rangeText;
        if (forms.listed) {
          int64_t count = (*bounds)[0];
          rangeText = " " + std::to_string(count) + " listed visits";
          for (int64_t visit = 0; visit < count; ++visit) {
            FailureOr<SmallVector<int64_t>> at = rangesAt(visit);
            if (failed(at)) {
              ADD_FAILURE() << where << " visit " << visit << ": "
                            << evaluator.error();
              return false;
            }
            if (!(*at)[2])
              continue;
            int64_t kt = (*at)[1];
            if (kt < 0 || kt >= keyTiles) {
              ADD_FAILURE() << where << ": visit " << visit
                            << " names key tile " << kt << " of " << keyTiles;
              return false;
            }
            ++listed[kt];
          }
        }
        for (auto [index, step] : llvm::enumerate(forms.steps)) {
          int64_t begin = (*bounds)[2 * index], end = (*bounds)[2 * index + 1];
          rangeText += " [" + std::to_string(begin) + ", " +
                       std::to_string(end) + ") step " + std::to_string(step);
          if (begin < 0)
            begin += llvm::divideCeil(-begin, step) * step;
          for (int64_t kt = begin; kt < std::min(end, keyTiles); kt += step)
            ++listed[kt];
        }
        llvm::DenseMap<int64_t, TileClass> visited;
        mask.visitSet(ctx, b, h, qt)
            .forEachTile([&](int64_t kt, TileClass tileClass) {
              visited[kt] = tileClass;
            });
        for (int64_t kt = 0; kt < keyTiles; ++kt) {
          TileRange tile = ctx.tile(qt, kt);
          SmallVector<int64_t> arguments = scalars;
          arguments.push_back(tile.kBegin);
          arguments.push_back(tile.kEnd);
          FailureOr<SmallVector<int64_t>> classes =
              evaluator.run(forms.classes.front(), arguments);
          if (failed(classes)) {
            ADD_FAILURE() << where << " key tile " << kt << ": "
                          << evaluator.error();
            return false;
          }
          // Listed tiles are tested with the listed form's emptiness test.
          // Listed tiles are full by the listed form's test, which holds
          // only for tiles the list names.
          bool irEmpty = (*classes)[forms.listed ? 2 : 0],
               maskFull = (*classes)[1],
               irFull = forms.listed ? listed[kt] > 0 && (*classes)[3]
                                     : maskFull;
          auto it = visited.find(kt);
          TileClass visitClass =
              it == visited.end() ? TileClass::Empty : it->second;
          TileClass cppClass = mask.classifyTile(ctx, b, h, tile);
          auto explain = [&]() {
            return where + " key tile " + std::to_string(kt) + " (keys [" +
                   std::to_string(tile.kBegin) + ", " +
                   std::to_string(tile.kEnd) + ")): IR ranges" + rangeText +
                   ", IR empty " + std::to_string(irEmpty) + " full " +
                   std::to_string(irFull) + "; C++ visit set says " +
                   stringifyTileClass(visitClass).str() +
                   ", classifyTile says " + stringifyTileClass(cppClass).str() +
                   ", the elements say " +
                   stringifyTileClass(
                       bruteForce(mask, ctx, b, h, tile).tileClass)
                       .str();
          };
          bool ok = true;
          if (listed[kt] > 1 && !irEmpty) {
            ADD_FAILURE() << "the IR ranges list the tile " << listed[kt]
                          << " times: " << explain();
            ok = false;
          }
          if (visitClass != TileClass::Empty && listed[kt] == 0) {
            ADD_FAILURE() << "the IR ranges miss a tile C++ visits: "
                          << explain();
            ok = false;
          }
          if ((irEmpty || (*classes)[0]) && cppClass != TileClass::Empty) {
            ADD_FAILURE() << "IR says empty, C++ does not: " << explain();
            ok = false;
          }
          if ((irFull || maskFull) && cppClass != TileClass::Full) {
            ADD_FAILURE() << "IR says full, C++ does not: " << explain();
            ok = false;
          }
          if (forms.transposed) {
            auto [begin, end] = queryRanges[kt];
            bool walked = begin <= qt && qt < end;
            if (cppClass != TileClass::Empty && !walked) {
              ADD_FAILURE() << "the query-tile range [" << begin << ", " << end
                            << ") of the key tile misses a query tile that "
                               "keeps one of its keys: "
                            << explain();
              ok = false;
            }
            stats.transposedNeeded += cppClass != TileClass::Empty;
            stats.transposedWalked += walked;
          }
          if (!ok)
            return false;
          bool kernelVisits = listed[kt] > 0 && !irEmpty;
          ++stats.tiles;
          stats.cppVisited += cppClass != TileClass::Empty;
          stats.irVisited += kernelVisits;
          stats.extraVisited += kernelVisits && cppClass == TileClass::Empty;
          stats.cppFull += cppClass == TileClass::Full;
          stats.irFull += kernelVisits && irFull;
          stats.partialButFull +=
              kernelVisits && !irFull && cppClass == TileClass::Full;
        }
      }
    }
  return true;
}

class MaskLoweringTest : public MaskTestBase {
protected:
  MaskLoweringTest() {
    context
        .loadDialect<arith::ArithDialect, func::FuncDialect, math::MathDialect,
                     memref::MemRefDialect, scf::SCFDialect>();
    if (const char *text = std::getenv("ATTN_TEST_SEED"))
      baseSeed = std::strtoull(text, nullptr, 10);
  }

  /// Seeds the random stream of case `iteration` and returns the seed.
  uint64_t seedCase(uint64_t test, int iteration) {
    uint64_t seed = baseSeed + test * 1000003u + iteration;
    rng.seed(seed);
    return seed;
  }

  /// Integer widths for the data operands (the values must fit).
  void randomWidths(TestData &data) {
    for (TestData::Tensor &tensor : data.tensors) {
      bool fitsI8 = llvm::all_of(tensor.values, [](int64_t value) {
        return value >= -128 && value <= 127;
      });
      int64_t choice = uniform(fitsI8 ? 0 : 1, 2);
      tensor.bits = choice == 0 ? 8 : choice == 1 ? 32 : 64;
    }
  }

  /// Limits the work of one case: few enough (b, h, query tile, key tile)
  /// pairs for the evaluator.
  void limitTiles(TilingContext &ctx, int64_t maxPairs = 6000) {
    while (ctx.batch * ctx.queryHeads * ctx.numQueryTiles() *
               ctx.numKeyTiles() >
           maxPairs) {
      if (ctx.blockQ <= ctx.blockKV)
        ctx.blockQ *= 2;
      else
        ctx.blockKV *= 2;
    }
  }

  /// ScannedDocumentIds and SummarizedDocumentIds (below).
  void checkScannedDocumentIds(bool summarized);

  /// Runs one case and adds it to the statistics of its kind.
  void check(MaskAttrInterface mask, TilingContext ctx, const TestData &data,
             uint64_t seed) {
    ctx.data = &data;
    Type elementType = coin() ? Type(IndexType::get(&context))
                              : Type(IntegerType::get(&context, 32));
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "seed " << seed << " (ATTN_TEST_SEED=" << baseSeed
       << "): " << describe(mask, ctx) << " B " << ctx.batch
       << " element indices " << elementType;
    SCOPED_TRACE(text);
    ASSERT_TRUE(checkLowering(context, mask, ctx, data, elementType, rng,
                              /*elements=*/256, stats[kindOf(mask)]));
  }

  /// Prints how conservative the IR was, per mask kind.
  void TearDown() override {
    llvm::outs() << "IR tile forms vs C++ closed forms (base seed " << baseSeed
                 << "). Per kind: tiles visited by C++ / by the IR; extra = "
                    "visited by the IR, empty for C++; full for C++ / for "
                    "the IR; full-as-partial = visited by the IR as partial, "
                    "full for C++; band = elements checked against the row "
                    "band; transposed = query tiles keeping a key of a key "
                    "tile / walked by its query-tile range\n";
    for (const auto &[kind, s] : stats)
      llvm::outs() << "  " << kind << ": cases " << s.cases << " tiles "
                   << s.tiles << " visited " << s.cppVisited << " / "
                   << s.irVisited << " extra " << s.extraVisited << " full "
                   << s.cppFull << " / " << s.irFull << " full-as-partial "
                   << s.partialButFull << " band " << s.bandElements
                   << " transposed " << s.transposedNeeded << " / "
                   << s.transposedWalked << "\n";
    llvm::outs().flush();
  }

  uint64_t baseSeed = 20261201;
  std::map<std::string, Conservatism> stats;
};

TEST_F(MaskLoweringTest, ClosedFormMasks) {
  for (int iteration = 0; iteration < 500; ++iteration) {
    uint64_t seed = seedCase(1, iteration);
    TilingContext ctx = randomContext(64);
    ctx.batch = uniform(1, 3);
    MaskAttrInterface mask = randomClosedFormMask(ctx);
    // S2 with blocks a multiple of the key tile takes the strided ranges.
    if (auto s2 = dyn_cast<S2Attr>(mask); s2 && coin()) {
      SmallVector<int64_t> divisors;
      for (int64_t d = 1; d <= s2.getBlock(); ++d)
        if (s2.getBlock() % d == 0)
          divisors.push_back(d);
      ctx.blockKV = divisors[uniform(0, divisors.size() - 1)];
    }
    limitTiles(ctx);
    check(mask, ctx, TestData(), seed);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(MaskLoweringTest, DataMasks) {
  for (int iteration = 0; iteration < 500; ++iteration) {
    uint64_t seed = seedCase(2, iteration);
    TilingContext ctx = randomContext(64);
    ctx.batch = uniform(1, 3);
    TestData data;
    MaskAttrInterface mask = randomDataMask(ctx, data);
    if (auto docs = dyn_cast<DocumentsAttr>(mask);
        docs && docs.getLayout() == DocumentLayout::Ids)
      ctx.seqKV = ctx.seqQ;
    randomWidths(data);
    limitTiles(ctx);
    check(mask, ctx, data, seed);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(MaskLoweringTest, Neighborhoods) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    uint64_t seed = seedCase(3, iteration);
    NeighborhoodAttr mask = randomNeighborhood();
    TilingContext ctx = randomContext();
    int64_t volume = 1;
    for (int64_t extent : mask.getGrid())
      volume *= extent;
    ctx.seqQ = ctx.seqKV = volume;
    limitTiles(ctx);
    check(mask, ctx, TestData(), seed);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(MaskLoweringTest, Combinators) {
  for (int iteration = 0; iteration < 400; ++iteration) {
    uint64_t seed = seedCase(4, iteration);
    TilingContext ctx = randomContext(64);
    // Ids layouts pair query i with key i: equal lengths.
    ctx.seqKV = ctx.seqQ;
    TestData data;
    auto operand = [&]() {
      return uniform(0, 3) == 0 ? randomDataMask(ctx, data)
                                : randomClosedFormMask(ctx);
    };
    auto combine = [&](SmallVector<MaskAttrInterface> operands) {
      return coin() ? MaskAttrInterface(AndAttr::get(&context, operands))
                    : MaskAttrInterface(OrAttr::get(&context, operands));
    };
    SmallVector<MaskAttrInterface> operands;
    for (int64_t n = uniform(2, 3); n > 0; --n)
      operands.push_back(uniform(0, 4) == 0 ? combine({operand(), operand()})
                                            : operand());
    MaskAttrInterface mask = combine(operands);
    randomWidths(data);
    limitTiles(ctx);
    check(mask, ctx, data, seed);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(MaskLoweringTest, LongSequences) {
  // Sizes and parameters of the examples' order of magnitude, few cases.
  for (int iteration = 0; iteration < 40; ++iteration) {
    uint64_t seed = seedCase(5, iteration);
    TilingContext ctx;
    ctx.batch = 1;
    ctx.kvHeads = uniform(1, 2);
    ctx.queryHeads = ctx.kvHeads * uniform(1, 2);
    ctx.seqQ = uniform(1, 2500);
    ctx.seqKV = coin() ? ctx.seqQ : uniform(1, 2500);
    int64_t sizes[] = {16, 32, 64, 128};
    ctx.blockQ = sizes[uniform(1, 3)];
    ctx.blockKV = sizes[uniform(0, 3)];
    MaskAttrInterface mask;
    switch (uniform(0, 6)) {
    case 0:
      mask = CausalAttr::get(&context);
      break;
    case 1:
      mask = WindowAttr::get(&context, uniform(1, 1500), uniform(0, 300));
      break;
    case 2:
      mask = AndAttr::get(
          &context,
          {CausalAttr::get(&context),
           OrAttr::get(&context,
                       {SinksAttr::get(&context, uniform(1, 130)),
                        WindowAttr::get(&context, uniform(1, 1100), 0)})});
      break;
    case 3:
      mask = S2Attr::get(&context, sizes[uniform(0, 3)], uniform(0, 16),
                         uniform(1, 8), uniform(0, 8), uniform(0, ctx.kvHeads),
                         coin());
      break;
    case 4:
      mask = ShiftedGroupsAttr::get(&context, 2 * uniform(1, 600));
      break;
    case 5:
      mask = StarAnchorAttr::get(&context, uniform(1, 1200));
      break;
    default:
      mask = NeighborhoodAttr::get(&context, {48, 48}, {13, 13}, {}, {}, {});
      ctx.seqQ = ctx.seqKV = 48 * 48;
      break;
    }
    limitTiles(ctx, 20000);
    check(mask, ctx, TestData(), seed);
    if (HasFatalFailure())
      return;
  }
}

//===----------------------------------------------------------------------===//
// Scanned key tiles: documents as ids, reduced by the work item
//===----------------------------------------------------------------------===//

// Kernels visit a documents-as-ids query tile's key tiles from a reduction
// of the ids (buildScannedKeyTiles). For any ids the range must hold every
// tile classifyTile keeps, and its full tiles must be Full; for sorted
// contiguous ids (documents as runs) the visits and full tiles must be
// exactly classifyTile's. An `and` of a window with documents must stay
// sound. The reduction runs as one loop here (reduceRangeInLoop), as on
// the host.
void MaskLoweringTest::checkScannedDocumentIds(bool summarized) {
  int64_t visitedByKernel[2] = {0, 0}, visitedExactly[2] = {0, 0};
  int64_t fullByKernel[2] = {0, 0}, fullExactly[2] = {0, 0};
  for (int iteration = 0; iteration < (summarized ? 400 : 300); ++iteration) {
    uint64_t seed = seedCase(summarized ? 11 : 7, iteration);
    TilingContext ctx = randomContext(summarized ? 400 : 64);
    ctx.seqKV = ctx.seqQ;
    ctx.queryHeads = ctx.kvHeads = 1;
    // The summary's chunks: key tiles of whole chunks (exact for sorted
    // ids) or of any size (sound).
    if (summarized) {
      ctx.blockQ = uniform(1, 80);
      int64_t choice = uniform(0, 2);
      ctx.blockKV = choice == 0   ? kKeySummaryChunk
                    : choice == 1 ? 2 * kKeySummaryChunk
                                  : uniform(1, 100);
    }
    limitTiles(ctx);
    bool sorted = coin();
    // Far from zero at times, so that 64-bit ids and their signs count.
    int64_t base = uniform(0, 3) == 0 ? -(int64_t{1} << 40) : 0;
    TestData data;
    TestData::Tensor ids{{ctx.batch, ctx.seqQ}, {}};
    for (int64_t b = 0; b < ctx.batch; ++b) {
      int64_t id = base;
      for (int64_t x = 0; x < ctx.seqQ; ++x) {
        // Documents of a few tokens, or (summarized: tiles of whole
        // chunks) of a few hundred.
        id = sorted ? id + (uniform(0, summarized ? 150 : 6) == 0)
                    : base + uniform(0, 3);
        ids.values.push_back(id);
      }
    }
    data.add(ids);
    if (base == 0)
      randomWidths(data);
    // What the preparation kernel writes: [min, max] of each chunk's ids.
    int64_t chunks = (ctx.seqKV + kKeySummaryChunk - 1) / kKeySummaryChunk;
    TestData::Tensor summary{{ctx.batch, chunks, 2}, {}};
    for (int64_t b = 0; b < ctx.batch; ++b)
      for (int64_t c = 0; c < chunks; ++c) {
        auto first = data.tensors[0].values.begin() + b * ctx.seqKV +
                     c * kKeySummaryChunk;
        auto last = data.tensors[0].values.begin() + b * ctx.seqKV +
                    std::min(ctx.seqKV, (c + 1) * kKeySummaryChunk);
        summary.values.push_back(*std::min_element(first, last));
        summary.values.push_back(*std::max_element(first, last));
      }
    if (summarized) {
      data.add(summary);
      data.tensors[1].bits = data.tensors[0].bits;
    }
    MaskAttrInterface mask =
        DocumentsAttr::get(&context, 0, DocumentLayout::Ids, coin());
    // An `and` with documents scans them and clips to its other operands.
    bool plain = uniform(0, 2) != 0;
    if (!plain)
      mask = AndAttr::get(&context,
                          {WindowAttr::get(&context, uniform(1, 40),
                                           uniform(0, 20)),
                           mask});
    ctx.data = &data;
    SCOPED_TRACE(std::string(summarized ? "summarized, " : "") + "seed " +
                 std::to_string(seed) + ": " + describe(mask, ctx) +
                 (sorted ? " sorted" : " unsorted") + " ids of " +
                 std::to_string(data.tensors[0].bits) + " bits");

    // @scanned(scalars..., colBegin, colEnd, ids) -> (begin, end, full).
    Location loc = UnknownLoc::get(&context);
    OpBuilder builder(&context);
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
    Type index = builder.getIndexType();
    SmallVector<Type> arguments(ArgColEnd + 1, index);
    arguments.push_back(MemRefType::get({ShapedType::kDynamic,
                                         ShapedType::kDynamic},
                                        builder.getIntegerType(
                                            data.tensors[0].bits)));
    if (summarized)
      arguments.push_back(MemRefType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic, 2},
          builder.getIntegerType(data.tensors[0].bits)));
    auto function = func::FuncOp::create(
        builder, loc, "scanned", builder.getFunctionType(arguments, {}));
    Block *entry = function.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    TileIndices tile;
    tile.b = entry->getArgument(ArgB);
    tile.h = entry->getArgument(ArgH);
    tile.rowBegin = entry->getArgument(ArgRowBegin);
    tile.rowEnd = entry->getArgument(ArgRowEnd);
    tile.blockKV = ctx.blockKV;
    tile.batch = entry->getArgument(ArgBatch);
    tile.queryHeads = entry->getArgument(ArgQueryHeads);
    tile.kvHeads = entry->getArgument(ArgKVHeads);
    tile.seqQ = entry->getArgument(ArgSeqQ);
    tile.seqKV = entry->getArgument(ArgSeqKV);
    tile.data.push_back(entry->getArgument(ArgColEnd + 1));
    Value keySummary =
        summarized ? entry->getArgument(ArgColEnd + 2) : Value();
    std::optional<ScannedKeyTiles> scanned = buildScannedKeyTiles(
        mask, builder, loc, tile, reduceRangeInLoop, keySummary);
    ASSERT_TRUE(scanned.has_value());
    TileIndices keyTile = tile;
    keyTile.colBegin = entry->getArgument(ArgColBegin);
    keyTile.colEnd = entry->getArgument(ArgColEnd);
    Value full = scanned->isFull(builder, loc, keyTile);
    SmallVector<Value> results = {scanned->range.begin, scanned->range.end,
                                  full};
    func::ReturnOp::create(builder, loc, results);
    function.setFunctionType(
        builder.getFunctionType(arguments, ValueRange(results).getTypes()));
    ASSERT_TRUE(succeeded(verify(*module))) << *module;
    ASSERT_EQ(scanned->range.step, 1);

    IrEvaluator evaluator(data);
    evaluator.bindMemref(entry->getArgument(ArgColEnd + 1), 0);
    if (summarized)
      evaluator.bindMemref(entry->getArgument(ArgColEnd + 2), 1);
    // Sorted ids: exact where key tiles hold whole chunks of the summary.
    bool exactTiles = !summarized || ctx.blockKV % kKeySummaryChunk == 0;
    for (int64_t b = 0; b < ctx.batch; ++b)
      for (int64_t qt = 0; qt < ctx.numQueryTiles(); ++qt)
        for (int64_t kt = 0; kt < ctx.numKeyTiles(); ++kt) {
          TileRange range = ctx.tile(qt, kt);
          FailureOr<SmallVector<int64_t>> answer = evaluator.run(
              *entry, {b, 0, range.qBegin, range.qEnd, ctx.batch, 1, 1,
                       ctx.seqQ, ctx.seqKV, range.kBegin, range.kEnd});
          ASSERT_TRUE(succeeded(answer)) << evaluator.error();
          bool visits = (*answer)[0] <= kt && kt < (*answer)[1];
          bool irFull = visits && (*answer)[2];
          TileClass exact = mask.classifyTile(ctx, b, 0, range);
          std::string where =
              "b " + std::to_string(b) + " query tile " + std::to_string(qt) +
              " key tile " + std::to_string(kt) + ": range [" +
              std::to_string((*answer)[0]) + ", " +
              std::to_string((*answer)[1]) + ") full " +
              std::to_string((*answer)[2]) + ", classifyTile " +
              stringifyTileClass(exact).str();
          ASSERT_TRUE(visits || exact == TileClass::Empty)
              << "a kept tile is not visited: " << where;
          ASSERT_TRUE(!irFull || exact == TileClass::Full)
              << "a tile called full is not: " << where;
          if (!plain)
            continue;
          if (sorted && exactTiles) {
            ASSERT_EQ(visits, exact != TileClass::Empty)
                << "sorted ids visit an empty tile: " << where;
            ASSERT_EQ(irFull, exact == TileClass::Full)
                << "sorted ids miss a full tile: " << where;
          }
          visitedByKernel[sorted] += visits;
          visitedExactly[sorted] += exact != TileClass::Empty;
          fullByKernel[sorted] += irFull;
          fullExactly[sorted] += exact == TileClass::Full;
        }
  }
  for (int sorted : {0, 1})
    llvm::outs() << (summarized ? "summarized" : "scanned")
                 << " documents (ids), " << (sorted ? "sorted" : "unsorted")
                 << ": tiles visited by the kernel " << visitedByKernel[sorted]
                 << " / kept " << visitedExactly[sorted] << ", full "
                 << fullByKernel[sorted] << " / " << fullExactly[sorted]
                 << "\n";
  EXPECT_GT(fullExactly[1], 0);
}

TEST_F(MaskLoweringTest, ScannedDocumentIds) { checkScannedDocumentIds(false); }

// The same with the key summary of mask-prep=kernel (kKeySummaryChunk keys
// per entry, as the preparation kernel writes it): sound for any ids and
// tiles, exact for sorted ids where key tiles hold whole chunks.
TEST_F(MaskLoweringTest, SummarizedDocumentIds) {
  checkScannedDocumentIds(true);
}

//===----------------------------------------------------------------------===//
// Custom mask regions: the IR interval evaluation against classifyTile
//===----------------------------------------------------------------------===//

class RegionTileTestsTest : public MaskLoweringTest {
protected:
  /// Parses a function around one attention op whose mask region is `body`
  /// (block arguments %b, %h, %i, %j; must yield %keep).
  AttentionOp parse(StringRef body) {
    std::string text =
        ("func.func @f(%q: tensor<1x2x40x8xf32>, %k: tensor<1x2x37x8xf32>, "
         "%v: tensor<1x2x37x8xf32>) -> tensor<1x2x40x8xf32> {\n"
         "  %o = attn.attention %q, %k, %v : tensor<1x2x40x8xf32>, "
         "tensor<1x2x37x8xf32>, tensor<1x2x37x8xf32> -> tensor<1x2x40x8xf32> "
         "mask {\n"
         "  ^bb0(%b: index, %h: index, %i: index, %j: index):\n" +
         body +
         "    attn.yield %keep : i1\n  }\n"
         "  return %o : tensor<1x2x40x8xf32>\n}\n")
            .str();
    module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << text;
    AttentionOp op;
    if (module)
      module->walk([&](AttentionOp found) { op = found; });
    return op;
  }

  /// A function (b, h, rowBegin, rowEnd, colBegin, colEnd) -> (empty, full)
  /// of the region's IR tile tests.
  func::FuncOp buildTests(const EffectiveMaskTiling &tiling) {
    OpBuilder builder(&context);
    builder.setInsertionPointToEnd(module->getBody());
    Location loc = builder.getUnknownLoc();
    Type index = builder.getIndexType();
    Type i1 = builder.getI1Type();
    auto type = builder.getFunctionType(SmallVector<Type>(6, index), {i1, i1});
    auto function = func::FuncOp::create(builder, loc, "tests", type);
    Block *entry = function.addEntryBlock();
    builder.setInsertionPointToEnd(entry);
    TileIndices tile;
    tile.b = entry->getArgument(0);
    tile.h = entry->getArgument(1);
    tile.rowBegin = entry->getArgument(2);
    tile.rowEnd = entry->getArgument(3);
    tile.colBegin = entry->getArgument(4);
    tile.colEnd = entry->getArgument(5);
    std::optional<RegionTileTests> tests =
        tiling.buildRegionTileTests(builder, loc, tile);
    EXPECT_TRUE(tests.has_value());
    if (!tests)
      return {};
    func::ReturnOp::create(builder, loc, ValueRange{tests->empty, tests->full});
    EXPECT_TRUE(succeeded(verify(function)));
    return function;
  }

  /// Classifies random tiles both ways. Tiles sit near the origin, near
  /// 2^31 and near 2^62, so that the region's arithmetic overflows on some.
  void checkRegion(StringRef name, StringRef body) {
    SCOPED_TRACE(name.str());
    AttentionOp op = parse(body);
    ASSERT_TRUE(op);
    EffectiveMaskTiling tiling(op);
    ASSERT_TRUE(tiling.regionIsAnalyzable());
    func::FuncOp function = buildTests(tiling);
    ASSERT_TRUE(function);
    TilingContext ctx;
    int64_t counts[3] = {0, 0, 0};
    const int64_t bases[] = {0, 0, int64_t(1) << 31, int64_t(1) << 62};
    for (int iteration = 0; iteration < 3000; ++iteration) {
      uint64_t seed = seedCase(100, iteration);
      int64_t base = bases[uniform(0, 3)];
      TileRange tile;
      tile.qBegin = base + uniform(0, 400);
      tile.qEnd = tile.qBegin + uniform(1, 70);
      tile.kBegin = base + uniform(0, 400);
      tile.kEnd = tile.kBegin + uniform(1, 70);
      int64_t b = uniform(0, 3), h = uniform(0, 7);
      TileClass expected = tiling.classifyTile(ctx, b, h, tile);
      TestData noData;
      IrEvaluator evaluator(noData);
      FailureOr<SmallVector<int64_t>> result = evaluator.run(
          function.getBody().front(),
          {b, h, tile.qBegin, tile.qEnd, tile.kBegin, tile.kEnd});
      ASSERT_TRUE(succeeded(result))
          << "seed " << seed << ": " << evaluator.error();
      bool empty = (*result)[0], full = (*result)[1];
      ASSERT_EQ(empty, expected == TileClass::Empty)
          << "seed " << seed << " b " << b << " h " << h << " rows ["
          << tile.qBegin << ", " << tile.qEnd << ") columns [" << tile.kBegin
          << ", " << tile.kEnd << ")";
      ASSERT_EQ(full, expected == TileClass::Full)
          << "seed " << seed << " b " << b << " h " << h << " rows ["
          << tile.qBegin << ", " << tile.qEnd << ") columns [" << tile.kBegin
          << ", " << tile.kEnd << ")";
      ++counts[static_cast<int>(expected)];
    }
    llvm::outs() << "region " << name << ": empty " << counts[0] << " partial "
                 << counts[1] << " full " << counts[2] << "\n";
  }

  OwningOpRef<ModuleOp> module;
};

TEST_F(RegionTileTestsTest, FlexAttentionMaskMods) {
  checkRegion("s2 blocks", R"(
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %causal = arith.cmpi sge, %i, %j : index
    %qb = arith.divsi %i, %c8 : index
    %kb = arith.divsi %j, %c8 : index
    %distance = arith.subi %qb, %kb : index
    %local = arith.cmpi slt, %distance, %c2 : index
    %shifted = arith.addi %kb, %h : index
    %shifted1 = arith.addi %shifted, %c1 : index
    %phase = arith.remsi %shifted1, %c4 : index
    %strided = arith.cmpi eq, %phase, %c0 : index
    %either = arith.ori %local, %strided : i1
    %keep = arith.andi %causal, %either : i1
)");
  checkRegion("natten 2-d", R"(
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %c10 = arith.constant 10 : index
    %qi = arith.divsi %i, %c10 : index
    %qj = arith.remsi %i, %c10 : index
    %ki = arith.divsi %j, %c10 : index
    %kj = arith.remsi %j, %c10 : index
    %ci0 = arith.maxsi %qi, %c1 : index
    %ci = arith.minsi %ci0, %c8 : index
    %cj0 = arith.maxsi %qj, %c1 : index
    %cj = arith.minsi %cj0, %c8 : index
    %di = arith.subi %ki, %ci : index
    %ndi = arith.subi %c0, %di : index
    %adi = arith.maxsi %di, %ndi : index
    %dj = arith.subi %kj, %cj : index
    %ndj = arith.subi %c0, %dj : index
    %adj = arith.maxsi %dj, %ndj : index
    %rows = arith.cmpi sle, %adi, %c1 : index
    %cols = arith.cmpi sle, %adj, %c1 : index
    %keep = arith.andi %rows, %cols : i1
)");
  checkRegion("equal documents", R"(
    %c24 = arith.constant 24 : index
    %qd = arith.divsi %i, %c24 : index
    %kd = arith.divsi %j, %c24 : index
    %same = arith.cmpi eq, %qd, %kd : index
    %causal = arith.cmpi sge, %i, %j : index
    %keep = arith.andi %same, %causal : i1
)");
}

TEST_F(RegionTileTestsTest, WrappingCastsAndOverflow) {
  // The dilated causal example: remui of a wrapped difference.
  checkRegion("dilated causal", R"(
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %past = arith.cmpi ule, %j, %i : index
    %distance = arith.subi %i, %j : index
    %parity = arith.remui %distance, %c2 : index
    %even = arith.cmpi eq, %parity, %c0 : index
    %keep = arith.andi %past, %even : i1
)");
  // Products and sums that overflow i64 near 2^62, and i32 arithmetic that
  // wraps near 2^31.
  checkRegion("overflow", R"(
    %big = arith.constant 3 : index
    %limit = arith.constant 4611686018427387904 : index
    %scaled = arith.muli %i, %big : index
    %shifted = arith.addi %scaled, %limit : index
    %low = arith.cmpi slt, %shifted, %j : index
    %i32 = arith.index_cast %i : index to i32
    %j32 = arith.index_cast %j : index to i32
    %c7 = arith.constant 7 : i32
    %sum = arith.addi %i32, %c7 : i32
    %near = arith.cmpi sge, %sum, %j32 : i32
    %keep = arith.ori %low, %near : i1
)");
  // Unsigned division, min/max, extensions of i1 and truncations, xor and
  // select (the ops the op verifier accepts in regions).
  checkRegion("casts", R"(
    %c3 = arith.constant 3 : index
    %c5 = arith.constant 5 : index
    %c100 = arith.constant 100 : index
    %d = arith.subi %i, %j : index
    %quotient = arith.divui %d, %c3 : index
    %small = arith.cmpi ult, %quotient, %c5 : index
    %up = arith.remui %i, %c5 : index
    %lo = arith.minsi %up, %c100 : index
    %hi = arith.maxsi %lo, %h : index
    %bounded = arith.cmpi ule, %hi, %c100 : index
    %wide = arith.extsi %small : i1 to i8
    %zwide = arith.extui %bounded : i1 to i8
    %sum = arith.addi %wide, %zwide : i8
    %c0i8 = arith.constant 0 : i8
    %nonneg = arith.cmpi sge, %sum, %c0i8 : i8
    %i8 = arith.index_cast %i : index to i8
    %t = arith.trunci %i8 : i8 to i1
    %odd = arith.xori %t, %nonneg : i1
    %jc = arith.index_castui %j : index to i64
    %c64 = arith.constant 64 : i64
    %early = arith.cmpi slt, %jc, %c64 : i64
    %keep = arith.select %early, %odd, %small : i1
)");
}

} // namespace
