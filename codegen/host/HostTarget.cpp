//===- HostTarget.cpp - The schedule on a CPU -----------------------------===//
#include "HostTarget.h"

#include "attn/Schedule/TileProgram.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::host;
using namespace mlir::attn::schedule;

namespace {
/// f32 lanes of the vectors the products use (AVX2 width; narrower CPUs
/// split them).
constexpr int64_t kVectorWidth = 8;
/// Key columns whose dot products share one pass over the head dimension.
constexpr int64_t kColumnsPerPass = 4;
/// Vectors of output columns accumulated in one pass over the keys.
constexpr int64_t kVectorsPerPass = 8;
/// Keys per tile the P buffer on the stack may hold.
constexpr int64_t kMaxBlockKV = 4096;

Value index(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// A loop over [lower, upper) by `step` carrying `init`; `body` returns the
/// next values. Returns the final ones.
SmallVector<Value>
loop(ImplicitLocOpBuilder &b, Value lower, Value upper, int64_t step,
     ValueRange init,
     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto forOp = scf::ForOp::create(b, lower, upper, index(b, step), init);
  Block *block = forOp.getBody();
  if (block->mightHaveTerminator())
    block->getTerminator()->erase();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(block);
  scf::YieldOp::create(b, body(forOp.getInductionVar(),
                               forOp.getRegionIterArgs()));
  return llvm::to_vector_of<Value>(forOp.getResults());
}

/// `width` elements of `memref` at `indices`, extended to f32.
Value loadF32(ImplicitLocOpBuilder &b, Value memref, ValueRange indices,
              int64_t width) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  if (width == 1) {
    Value scalar = memref::LoadOp::create(b, memref, indices);
    return element.isF32() ? scalar
                           : Value(arith::ExtFOp::create(b, b.getF32Type(),
                                                         scalar));
  }
  Value loaded = vector::LoadOp::create(
      b, VectorType::get({width}, element), memref, indices);
  if (element.isF32())
    return loaded;
  return arith::ExtFOp::create(b, VectorType::get({width}, b.getF32Type()),
                               loaded);
}
} // namespace

LogicalResult HostScheduleTarget::checkProgram(const TileProgram &program,
                                               const KernelSpec &spec) {
  Type element = spec.arguments[0].type.getElementType();
  if (!element.isF16() && !element.isBF16() && !element.isF32())
    return program.cascade.emitError()
           << "the host target needs f16, bf16 or f32 inputs, got " << element;
  // The columns of a tile: keys, or queries in a transposed program.
  int64_t columns = program.transposed ? program.blockQ : program.blockKV;
  if (columns > kMaxBlockKV)
    return program.cascade.emitError()
           << "host " << (program.transposed ? "query" : "key") << " tiles of "
           << columns << (program.transposed ? " queries" : " keys")
           << " exceed the " << kMaxBlockKV
           << " the host kernel keeps on its stack; choose a smaller "
           << (program.transposed ? "block-q" : "block-kv");
  return success();
}

void HostScheduleTarget::forEachWorkItem(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    function_ref<void(const WorkItem &)> body) {
  probabilityBuffer = memref::AllocaOp::create(
      b, MemRefType::get({kernel.blockKV}, b.getF32Type()));
  Value zero = index(b, 0);
  Value queryTiles = kernel.queryTiles;
  Value groupSize = index(b, kernel.queryHeads / kernel.kvHeads);
  loop(b, zero, kernel.batchSize, 1, {}, [&](Value batch, ValueRange) {
    loop(b, zero, index(b, kernel.queryHeads), 1, {},
         [&](Value head, ValueRange) {
           Value kvHead = arith::DivUIOp::create(b, head, groupSize);
           loop(b, zero, queryTiles, 1, {}, [&](Value queryTile, ValueRange) {
             WorkItem item;
             item.batch = batch;
             item.head = head;
             item.kvHead = kvHead;
             item.queryTile = queryTile;
             item.rowBegin =
                 arith::MulIOp::create(b, queryTile, index(b, kernel.blockQ));
             item.rowEnd = arith::MinSIOp::create(
                 b, arith::AddIOp::create(b, item.rowBegin,
                                          index(b, kernel.blockQ)),
                 kernel.seqQ);
             body(item);
             return SmallVector<Value>();
           });
           return SmallVector<Value>();
         });
    return SmallVector<Value>();
  });
}

void HostScheduleTarget::forEachLane(ImplicitLocOpBuilder &b,
                                     const KernelContext &kernel,
                                     const WorkItem &item,
                                     function_ref<void()> body) {
  loop(b, index(b, 0), item.rows.count, 1, {}, [&](Value row, ValueRange) {
    lane = row;
    body();
    return SmallVector<Value>();
  });
}

FragmentLayout HostScheduleTarget::accumulatorLayout(int64_t columns) const {
  FragmentLayout layout;
  layout.rowOffset = {0};
  for (int64_t column = 0; column < columns; ++column) {
    layout.rowSlot.push_back(0);
    layout.columnOffset.push_back(column);
  }
  return layout;
}

Value HostScheduleTarget::laneColumn(ImplicitLocOpBuilder &b) {
  return index(b, 0);
}

Value HostScheduleTarget::multiplyAdd(ImplicitLocOpBuilder &b, Value x,
                                      Value y, Value z) {
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(),
                                                arith::FastMathFlags::contract);
  Value product = arith::MulFOp::create(b, x, y, contract);
  return arith::AddFOp::create(b, product, z, contract);
}

Value HostScheduleTarget::shuffleXor(ImplicitLocOpBuilder &, Value, int64_t) {
  llvm_unreachable("a host lane holds whole rows: nothing to shuffle");
}

SmallVector<Value>
HostScheduleTarget::multiplyQueryKey(ImplicitLocOpBuilder &b,
                                     const KernelContext &kernel,
                                     const WorkItem &item,
                                     const KeyTile &tile) {
  return multiplyRowsByColumns(
      b, kernel, item, tile,
      {kernel.operands.query, item.head, kernel.headDimQK},
      {kernel.operands.key, item.kvHead, kernel.headDimQK});
}

SmallVector<Value> HostScheduleTarget::multiplyRowsByColumns(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const KeyTile &tile, const ProductMemRef &rows,
    const ProductMemRef &columns) {
  Value row = item.rows.position(b, lane);
  int64_t depth = rows.depth;
  int64_t vectorDepth = depth / kVectorWidth * kVectorWidth;
  auto vectorType = VectorType::get({kVectorWidth}, b.getF32Type());
  SmallVector<Value> scores;
  for (int64_t first = 0; first < kernel.blockKV; first += kColumnsPerPass) {
    int64_t count = std::min(kColumnsPerPass, kernel.blockKV - first);
    // Keys that do not exist read an existing key; the emitter drops their
    // scores.
    SmallVector<Value> keyRows;
    for (int64_t column = first; column < first + count; ++column)
      keyRows.push_back(tile.keys.position(b, index(b, column)));
    Value zero = arith::ConstantOp::create(
        b, vectorType, DenseElementsAttr::get(vectorType, 0.0f));
    Value depthBegin = index(b, 0);
    Value depthEnd = index(b, vectorDepth);
    SmallVector<Value> sums = loop(
        b, depthBegin, depthEnd, kVectorWidth,
        SmallVector<Value>(count, zero), [&](Value e, ValueRange acc) {
          Value q = loadF32(b, rows.memref, {item.batch, rows.head, row, e},
                            kVectorWidth);
          SmallVector<Value> next;
          for (int64_t u = 0; u < count; ++u) {
            Value k = loadF32(b, columns.memref,
                              {item.batch, columns.head, keyRows[u], e},
                              kVectorWidth);
            next.push_back(multiplyAdd(b, q, k, acc[u]));
          }
          return next;
        });
    for (int64_t u = 0; u < count; ++u) {
      Value sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                              sums[u]);
      for (int64_t e = vectorDepth; e < depth; ++e) {
        Value at = index(b, e);
        Value q = loadF32(b, rows.memref, {item.batch, rows.head, row, at}, 1);
        Value k = loadF32(b, columns.memref,
                          {item.batch, columns.head, keyRows[u], at}, 1);
        sum = multiplyAdd(b, q, k, sum);
      }
      scores.push_back(sum);
    }
  }
  return scores;
}

SmallVector<Value> HostScheduleTarget::multiplyValue(
    ImplicitLocOpBuilder &b, const KernelContext &kernel,
    const WorkItem &item, const KeyTile &tile, ArrayRef<Value> probabilities,
    ArrayRef<Value> accumulator) {
  return multiplyScoresByColumns(
      b, kernel, item, tile,
      {kernel.operands.value, item.kvHead, kernel.headDimV}, probabilities,
      accumulator);
}

SmallVector<Value> HostScheduleTarget::multiplyScoresByColumns(
    ImplicitLocOpBuilder &b, const KernelContext &kernel, const WorkItem &item,
    const KeyTile &tile, const ProductMemRef &columns,
    ArrayRef<Value> probabilities, ArrayRef<Value> accumulator) {
  for (auto [column, p] : llvm::enumerate(probabilities))
    memref::StoreOp::create(b, p, probabilityBuffer,
                            ValueRange{index(b, column)});
  int64_t width = columns.depth;
  int64_t vectors = width / kVectorWidth;
  auto vectorType = VectorType::get({kVectorWidth}, b.getF32Type());
  SmallVector<Value> result(accumulator);
  auto keyRowAt = [&](Value column) { return tile.keys.position(b, column); };
  for (int64_t first = 0; first < vectors; first += kVectorsPerPass) {
    int64_t count = std::min(kVectorsPerPass, vectors - first);
    SmallVector<Value> init;
    for (int64_t u = 0; u < count; ++u)
      init.push_back(vector::FromElementsOp::create(
          b, vectorType,
          ArrayRef<Value>(accumulator).slice((first + u) * kVectorWidth,
                                      kVectorWidth)));
    Value firstColumn = index(b, 0);
    Value tileColumns = index(b, kernel.blockKV);
    SmallVector<Value> sums = loop(
        b, firstColumn, tileColumns, 1, init,
        [&](Value column, ValueRange acc) {
          Value p = vector::BroadcastOp::create(
              b, vectorType,
              memref::LoadOp::create(b, probabilityBuffer, column));
          Value keyRow = keyRowAt(column);
          SmallVector<Value> next;
          for (int64_t u = 0; u < count; ++u) {
            Value v = loadF32(
                b, columns.memref,
                {item.batch, columns.head, keyRow,
                 index(b, (first + u) * kVectorWidth)},
                kVectorWidth);
            next.push_back(multiplyAdd(b, p, v, acc[u]));
          }
          return next;
        });
    for (int64_t u = 0; u < count; ++u)
      for (int64_t lanePosition = 0; lanePosition < kVectorWidth;
           ++lanePosition)
        result[(first + u) * kVectorWidth + lanePosition] =
            vector::ExtractOp::create(b, sums[u],
                                      ArrayRef<int64_t>{lanePosition});
  }
  // Columns past the last whole vector.
  if (vectors * kVectorWidth < width) {
    SmallVector<Value> tail(
        ArrayRef<Value>(accumulator).drop_front(vectors * kVectorWidth));
    Value firstColumn = index(b, 0);
    Value tileColumns = index(b, kernel.blockKV);
    SmallVector<Value> sums = loop(
        b, firstColumn, tileColumns, 1, tail,
        [&](Value column, ValueRange acc) {
          Value p = memref::LoadOp::create(b, probabilityBuffer, column);
          Value keyRow = keyRowAt(column);
          SmallVector<Value> next;
          for (auto [offset, sum] : llvm::enumerate(acc)) {
            Value v = loadF32(b, columns.memref,
                              {item.batch, columns.head, keyRow,
                               index(b, vectors * kVectorWidth + offset)},
                              1);
            next.push_back(multiplyAdd(b, p, v, sum));
          }
          return next;
        });
    for (auto [offset, sum] : llvm::enumerate(sums))
      result[vectors * kVectorWidth + offset] = sum;
  }
  return result;
}

SmallVector<Value> HostScheduleTarget::multiplyRows(
    ImplicitLocOpBuilder &b, const KernelContext &, const WorkItem &item,
    const ProductMemRef &first, const ProductMemRef &second) {
  Value row = item.rows.position(b, lane);
  int64_t depth = first.depth;
  int64_t vectorDepth = depth / kVectorWidth * kVectorWidth;
  auto vectorType = VectorType::get({kVectorWidth}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, vectorType, DenseElementsAttr::get(vectorType, 0.0f));
  Value depthBegin = index(b, 0);
  Value depthEnd = index(b, vectorDepth);
  Value vectorSum =
      loop(b, depthBegin, depthEnd, kVectorWidth, {zero},
           [&](Value d, ValueRange acc) -> SmallVector<Value> {
             Value x = loadF32(b, first.memref,
                               {item.batch, first.head, row, d}, kVectorWidth);
             Value y = loadF32(b, second.memref,
                               {item.batch, second.head, row, d},
                               kVectorWidth);
             return {multiplyAdd(b, x, y, acc[0])};
           })
          .front();
  Value sum =
      vector::ReductionOp::create(b, vector::CombiningKind::ADD, vectorSum);
  for (int64_t d = vectorDepth; d < depth; ++d) {
    Value at = index(b, d);
    Value x = loadF32(b, first.memref, {item.batch, first.head, row, at}, 1);
    Value y = loadF32(b, second.memref, {item.batch, second.head, row, at}, 1);
    sum = multiplyAdd(b, x, y, sum);
  }
  return {sum};
}
