//===- NvidiaKernel.cpp - attn.attention to an NVIDIA gpu.func ------------===//
//
// The tiled, block-sparse 1-pass cascade (FlashAttention-2) as one gpu.func.
// A thread block owns a query tile of one (batch, query head); each warp owns
// 16 of its rows. Per block:
//
//   Q tile -> shared memory (async copies) -> A fragments in registers
//   for each key-tile range of the mask, for each visited, non-empty tile:
//     K, V tiles staged in shared memory, `stages` deep: the copies of tile
//       n + stages - 1 are in flight while tile n is computed
//     S = Q K^T on the matrix unit (fp32 accumulation)
//     x = S (or the score mods of scale * S); on partial tiles only, the
//       element rule (and columns past Skv) set x to -inf
//     online softmax in registers, base 2: p = exp2(c x - c m) with the
//       scale folded into c; the row max/sum across the lanes of a row
//     acc = correction * acc + P V (P converted in registers to A fragments)
//   O = acc / rowsum (0 for rows that kept nothing), LSE = ln2 c m + log sum
//
// Target specifics (fragments, matrix instruction, copies, shuffles) are in
// NvidiaMatrixTarget; nothing here names an nvgpu or nvvm op.
//
//===----------------------------------------------------------------------===//
#include "attn/Nvidia/NvidiaKernel.h"

#include "NvidiaMatrixTarget.h"
#include "attn/Dialect/MaskLowering.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;
using host::KernelSpec;

namespace {
constexpr double kLog2E = 1.4426950408889634;
constexpr double kLn2 = 0.6931471805599453;
/// Dynamic shared memory one block may use on every supported target
/// (sm_80 allows 163 KiB, sm_90 227 KiB).
constexpr int64_t kMaxSharedBytes = 163 * 1024;
/// Head dimensions whose rows are a whole number of swizzle periods of
/// 16-byte chunks (8 chunks = 128 bytes: 64 16-bit or 32 f32 elements).
constexpr int64_t kHeadDims[] = {32, 64, 128, 256};
constexpr int64_t kSwizzlePeriodBytes = 128;
/// Up to this head dimension Q's fragments stay in registers for the whole
/// block; above it they are re-read from shared memory per key tile.
constexpr int64_t kMaxRegisterQueryDim = 128;

using T = NvidiaMatrixTarget;

/// Where Q and the K/V stages live in dynamic shared memory: apart, so that
/// the first K/V tiles load while Q does.
struct SharedLayout {
  bool queryInRegisters = false;
  int64_t keyOffset = 0, valueOffset = 0, bytes = 0;
};

SharedLayout sharedLayout(const AttentionShape &shape, const GpuTiling &tiling,
                          Type elementType) {
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  int64_t queryTileBytes = tiling.blockQ * shape.headDimQK * elementBytes;
  int64_t keyStageBytes =
      tiling.stages * tiling.blockKV * shape.headDimQK * elementBytes;
  int64_t valueStageBytes =
      tiling.stages * tiling.blockKV * shape.headDimV * elementBytes;
  SharedLayout layout;
  // f32 A fragments take twice the registers of packed 16-bit ones.
  layout.queryInRegisters =
      shape.headDimQK <= kMaxRegisterQueryDim && !elementType.isF32();
  layout.keyOffset = queryTileBytes;
  layout.valueOffset = layout.keyOffset + keyStageBytes;
  layout.bytes = layout.valueOffset + valueStageBytes;
  return layout;
}

/// The running values of the online softmax a warp carries across key tiles:
/// acc (F / 8 C fragments), then the max and sum of the lane's two rows.
struct RunningState {
  SmallVector<Fragment> accumulators;
  Value max[2], sum[2];

  SmallVector<Value> flatten() const {
    SmallVector<Value> values;
    for (const Fragment &fragment : accumulators)
      llvm::append_range(values, fragment);
    values.append({max[0], max[1], sum[0], sum[1]});
    return values;
  }
  static RunningState unflatten(ValueRange values, int64_t fragments) {
    RunningState state;
    for (int64_t n = 0; n < fragments; ++n)
      state.accumulators.push_back(
          Fragment(values.slice(4 * n, 4).begin(),
                   values.slice(4 * n, 4).end()));
    int64_t rest = 4 * fragments;
    state.max[0] = values[rest];
    state.max[1] = values[rest + 1];
    state.sum[0] = values[rest + 2];
    state.sum[1] = values[rest + 3];
    return state;
  }
};

class FlashKernelEmitter : host::KernelOperands {
public:
  FlashKernelEmitter(AttentionOp op, const GpuTiling &tiling,
                     gpu::GPUFuncOp kernel, Type elementType)
      : op(op), tiling(tiling), kernel(kernel),
        b(kernel.getLoc(), kernel.getContext()), target(b, elementType),
        elementType(elementType) {}

  void emit();

private:
  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, value); }
  Value f32(double value) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(),
                                          APFloat(static_cast<float>(value)));
  }
  Value negativeInfinity() {
    return f32(-std::numeric_limits<float>::infinity());
  }
  Value minIndex(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  /// An index as the i32 of the element rules, and back.
  Value narrow(Value x) {
    return arith::IndexCastOp::create(b, b.getI32Type(), x);
  }
  Value narrowConstant(int64_t value) {
    return arith::ConstantIntOp::create(b, b.getI32Type(), value);
  }
  Value widen(Value x) {
    return arith::IndexCastOp::create(b, b.getIndexType(), x);
  }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::slt, x, y);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  static bool isConstant(Value value, bool expected) {
    return value && (expected ? matchPattern(value, m_One())
                              : matchPattern(value, m_Zero()));
  }

  /// scf.if with results; each builder returns the branch's values.
  SmallVector<Value> ifElse(Value condition, TypeRange types,
                            function_ref<SmallVector<Value>()> thenBody,
                            function_ref<SmallVector<Value>()> elseBody);
  void ifThen(Value condition, function_ref<void()> body);

  /// Copies rows [firstRow, firstRow + rows) of `source[batch, head]` into
  /// the staged tile `shared` (prefixed by `prefix`), zero rows at and past
  /// `limit`.
  void copyTileAsync(Value shared, ValueRange prefix, Value source,
                     Value headIndex, Value firstRow, int64_t rows,
                     int64_t columns, Value limit);
  TileIndices tileAt(Value keyTile);
  /// The key tile's empty test; null when the mask has none.
  Value tileIsEmpty(Value keyTile);
  /// The key tiles of `range`; `afterPrologue`, when given, runs once the
  /// copies of the first tiles are issued.
  RunningState emitRange(const KeyTileRange &range, RunningState state,
                         function_ref<void()> afterPrologue = nullptr);
  RunningState emitKeyTile(Value keyTile, Value stage, RunningState state);
  /// x for every element of the warp's S fragments: S or the score mods of
  /// scale * S, then, where `full` is not true, the element rule.
  SmallVector<Value> emitElementRules(ArrayRef<Value> scores, Value colBegin,
                                      Value full);
  Value emitKeep(const ElementIndices &at);
  void emitEpilogue(const RunningState &state);
  void emitPoisonedOutputs();
  /// The fragment row `half` (0: g, 1: g + 8) of this lane, as a query index.
  Value queryRow(int64_t half) {
    return add(warpRowBegin, index(8 * half));
  }

  AttentionOp op;
  const GpuTiling &tiling;
  gpu::GPUFuncOp kernel;
  ImplicitLocOpBuilder b;
  NvidiaMatrixTarget target;
  Type elementType;

  Value batchSize, queryHeads, kvHeads, seqQ, seqKV;
  Value batchIndex, head, kvHead, rowBegin, rowEnd;
  /// b, h and the sizes in i32 for the element rules (i, j set per element).
  ElementIndices narrowIndices;
  /// rowBegin + 16 warp + g: the first query row of this lane.
  Value warpRowBegin, warpRowOffset;
  int64_t headDimQK = 0, headDimV = 0;
  Value queryShared, keyShared, valueShared;
  Fragment queryFragments[kMaxRegisterQueryDim / T::kTileK];
  bool queryInRegisters = false;
  /// Score mods run on scale * S; without them x = S and the scale is
  /// folded into the exponent factor.
  bool modsPath = false;
  double scale = 1.0, exponentFactor = kLog2E;
};
} // namespace

SmallVector<Value>
FlashKernelEmitter::ifElse(Value condition, TypeRange types,
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
    scf::YieldOp::create(b, body());
  }
  return llvm::to_vector_of<Value>(branch.getResults());
}

void FlashKernelEmitter::ifThen(Value condition, function_ref<void()> body) {
  auto branch = scf::IfOp::create(b, condition, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(branch.thenBlock()->getTerminator());
  body();
}

void FlashKernelEmitter::copyTileAsync(Value shared, ValueRange prefix,
                                       Value source, Value headIndex,
                                       Value firstRow, int64_t rows,
                                       int64_t columns, Value limit) {
  // Thread k copies chunk k % chunksPerRow of rows k / chunksPerRow,
  // + rowStep, ...; buildNvidiaKernel checked that this covers the tile.
  int64_t chunksPerRow = columns / target.chunkElements();
  int64_t rowStep = tiling.warps * T::kWarpSize / chunksPerRow;
  Value chunk = arith::RemUIOp::create(b, target.threadId(),
                                       index(chunksPerRow));
  Value firstOwnRow =
      arith::DivUIOp::create(b, target.threadId(), index(chunksPerRow));
  Value lastRow = arith::SubIOp::create(b, limit, index(1));
  Value sourceColumn = mul(chunk, index(target.chunkElements()));
  for (int64_t step = 0; step < rows / rowStep; ++step) {
    Value row = add(firstOwnRow, index(step * rowStep));
    Value sourceRow = add(firstRow, row);
    Value valid = lessThan(sourceRow, limit);
    SmallVector<Value> sharedIndices(prefix);
    sharedIndices.append({row, target.swizzledColumn(row, chunk)});
    target.copyChunkAsync(
        shared, sharedIndices, source,
        {batchIndex, headIndex, minIndex(sourceRow, lastRow), sourceColumn},
        valid);
  }
}

TileIndices FlashKernelEmitter::tileAt(Value keyTile) {
  TileIndices tile;
  tile.b = batchIndex;
  tile.h = head;
  tile.rowBegin = rowBegin;
  tile.rowEnd = rowEnd;
  tile.blockKV = tiling.blockKV;
  tile.batch = batchSize;
  tile.queryHeads = queryHeads;
  tile.kvHeads = kvHeads;
  tile.seqQ = seqQ;
  tile.seqKV = seqKV;
  tile.data = data;
  if (keyTile) {
    tile.colBegin = mul(keyTile, index(tiling.blockKV));
    tile.colEnd = minIndex(add(tile.colBegin, index(tiling.blockKV)), seqKV);
  }
  return tile;
}

Value FlashKernelEmitter::tileIsEmpty(Value keyTile) {
  MaskAttrInterface mask = op.getMaskRule();
  if (!mask)
    return Value();
  Value empty = mask.buildTileIsEmpty(b, b.getLoc(), tileAt(keyTile));
  return isConstant(empty, false) ? Value() : empty;
}

Value FlashKernelEmitter::emitKeep(const ElementIndices &at) {
  Value keep;
  if (MaskAttrInterface mask = op.getMaskRule())
    keep = mask.buildKeep(b, b.getLoc(), at);
  if (!op.getMaskRegion().empty()) {
    Value regionKeep = host::inlineSpecRegion(
        b, op, op.getMaskRegion(),
        {widen(at.b), widen(at.h), widen(at.i), widen(at.j)}, data);
    keep = keep ? Value(arith::AndIOp::create(b, keep, regionKeep))
                : regionKeep;
  }
  return keep;
}

SmallVector<Value>
FlashKernelEmitter::emitElementRules(ArrayRef<Value> scores, Value colBegin,
                                     Value full) {
  // Rows past Sq read zeros and are never stored; columns past Skv exist
  // only on partial tiles. Rules read clamped coordinates so that data
  // operands are read in bounds. They compute in i32 (the runtime keeps
  // every size below 2^30), which halves their instructions on GPUs.
  Value lastRow = arith::SubIOp::create(b, seqQ, index(1));
  Value rows[2] = {narrow(minIndex(queryRow(0), lastRow)),
                   narrow(minIndex(queryRow(1), lastRow))};
  Value lastColumn = narrow(arith::SubIOp::create(b, seqKV, index(1)));
  Value laneColumn =
      narrow(add(colBegin, mul(target.fragmentColumnPair(), index(2))));
  auto rules = [&](bool applyMask) -> SmallVector<Value> {
    if (!modsPath && !applyMask)
      return SmallVector<Value>(scores);
    Value scaleValue = f32(scale);
    SmallVector<Value> result;
    for (auto [position, score] : llvm::enumerate(scores)) {
      int64_t n = position / 4, element = position % 4;
      Value j = arith::AddIOp::create(
          b, laneColumn, narrowConstant(T::kTileN * n + element % 2));
      ElementIndices at = narrowIndices;
      at.i = rows[element / 2];
      at.j = applyMask ? Value(arith::MinSIOp::create(b, j, lastColumn)) : j;
      Value x = score;
      if (modsPath) {
        x = arith::MulFOp::create(b, x, scaleValue);
        for (ScoreModAttrInterface mod : op.getScoreMods())
          x = mod.buildApply(b, b.getLoc(), x, at);
        if (!op.getScoreRegion().empty())
          x = host::inlineSpecRegion(
              b, op, op.getScoreRegion(),
              {x, widen(at.b), widen(at.h), widen(at.i), widen(at.j)}, data);
      }
      if (applyMask) {
        Value keep = lessThan(j, narrowIndices.seqKV);
        if (Value rule = emitKeep(at))
          keep = arith::AndIOp::create(b, keep, rule);
        x = arith::SelectOp::create(b, keep, x, negativeInfinity());
      }
      result.push_back(x);
    }
    return result;
  };
  if (!full || isConstant(full, false))
    return rules(/*applyMask=*/true);
  if (isConstant(full, true))
    return rules(/*applyMask=*/false);
  SmallVector<Type> types(scores.size(), b.getF32Type());
  return ifElse(
      full, types, [&] { return rules(false); },
      [&] { return rules(true); });
}

RunningState FlashKernelEmitter::emitKeyTile(Value keyTile, Value stage,
                                             RunningState state) {
  Value colBegin = mul(keyTile, index(tiling.blockKV));
  int64_t scoreFragments = tiling.blockKV / T::kTileN;
  int64_t valueFragments = headDimV / T::kTileN;

  // S = Q K^T: per k step pair, one ldmatrix.x4 per 8 keys.
  SmallVector<Fragment> scores(scoreFragments, target.zeroAccumulator());
  for (int64_t kStep = 0; kStep < headDimQK / T::kTileK; kStep += 2) {
    Fragment queryA[2];
    for (int64_t half = 0; half < 2; ++half)
      queryA[half] = queryInRegisters
                         ? queryFragments[kStep + half]
                         : target.loadA(queryShared, {}, warpRowOffset,
                                        kStep + half);
    for (int64_t n = 0; n < scoreFragments; ++n) {
      auto [keyB0, keyB1] = target.loadBPairAlongK(
          keyShared, {stage}, index(T::kTileN * n), kStep);
      scores[n] = target.multiplyAccumulate(queryA[0], keyB0, scores[n]);
      scores[n] = target.multiplyAccumulate(queryA[1], keyB1, scores[n]);
    }
  }

  // Full tiles skip the element rule; a custom mask region makes every
  // tile partial, and so does a tile that runs past Skv.
  Value inBounds = arith::CmpIOp::create(
      b, arith::CmpIPredicate::sle, add(colBegin, index(tiling.blockKV)),
      seqKV);
  Value full;
  if (op.getMaskRegion().empty()) {
    full = inBounds;
    if (MaskAttrInterface mask = op.getMaskRule()) {
      TileIndices tile = tileAt(keyTile);
      Value maskFull = mask.buildTileIsFull(b, b.getLoc(), tile);
      if (!isConstant(maskFull, true))
        full = arith::AndIOp::create(b, maskFull, inBounds);
    }
  }
  SmallVector<Value> flatScores;
  for (const Fragment &fragment : scores)
    llvm::append_range(flatScores, fragment);
  SmallVector<Value> x = emitElementRules(flatScores, colBegin, full);

  // Online softmax in base 2 on the lane's two rows.
  Value factor = f32(exponentFactor);
  Value zero = f32(0.0);
  SmallVector<Value> probabilities(x.size());
  for (int64_t half = 0; half < 2; ++half) {
    Value tileMax = negativeInfinity();
    for (int64_t n = 0; n < scoreFragments; ++n)
      for (int64_t element = 2 * half; element < 2 * half + 2; ++element)
        tileMax = arith::MaxNumFOp::create(b, tileMax, x[4 * n + element]);
    tileMax = target.reduceAcrossRow(tileMax, [&](Value l, Value r) -> Value {
      return arith::MaxNumFOp::create(b, l, r);
    });
    Value newMax = arith::MaxNumFOp::create(b, state.max[half], tileMax);
    // While a row has kept nothing its max is -inf; subtracting 0 instead
    // keeps exp2 away from -inf - -inf.
    Value nothingKept = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ,
                                              newMax, negativeInfinity());
    Value shift = arith::SelectOp::create(b, nothingKept, zero, newMax);
    Value negativeShift = arith::NegFOp::create(
        b, arith::MulFOp::create(b, shift, factor));
    Value correction = math::Exp2Op::create(
        b, math::FmaOp::create(b, state.max[half], factor, negativeShift));
    Value rowSum = arith::MulFOp::create(b, state.sum[half], correction);
    for (int64_t n = 0; n < scoreFragments; ++n)
      for (int64_t element = 2 * half; element < 2 * half + 2; ++element) {
        Value p = math::Exp2Op::create(
            b, math::FmaOp::create(b, x[4 * n + element], factor,
                                   negativeShift));
        probabilities[4 * n + element] = p;
        rowSum = arith::AddFOp::create(b, rowSum, p);
      }
    for (int64_t n = 0; n < valueFragments; ++n)
      for (int64_t element = 2 * half; element < 2 * half + 2; ++element)
        state.accumulators[n][element] = arith::MulFOp::create(
            b, state.accumulators[n][element], correction);
    state.max[half] = newMax;
    state.sum[half] = rowSum;
  }

  // acc += P V: P's C fragments of keys 16 kk .. 16 kk + 15 are the A
  // fragment of k step kk.
  for (int64_t kStep = 0; kStep < tiling.blockKV / T::kTileK; ++kStep) {
    auto fragmentAt = [&](int64_t n) {
      return Fragment(probabilities.begin() + 4 * n,
                      probabilities.begin() + 4 * n + 4);
    };
    Fragment probabilityA =
        target.packA(fragmentAt(2 * kStep), fragmentAt(2 * kStep + 1));
    for (int64_t n = 0; n < valueFragments; n += 2) {
      auto [valueB0, valueB1] = target.loadBPairTransposed(
          valueShared, {stage}, index(T::kTileK * kStep), n);
      state.accumulators[n] = target.multiplyAccumulate(
          probabilityA, valueB0, state.accumulators[n]);
      state.accumulators[n + 1] = target.multiplyAccumulate(
          probabilityA, valueB1, state.accumulators[n + 1]);
    }
  }
  return state;
}

RunningState FlashKernelEmitter::emitRange(const KeyTileRange &range,
                                           RunningState state,
                                           function_ref<void()> afterPrologue) {
  // Clip the range to [0, ceil(Skv / blockKV)) and count its tiles.
  Value step = index(range.step);
  Value keyTiles = arith::CeilDivSIOp::create(b, seqKV, index(tiling.blockKV));
  Value skipped = arith::MaxSIOp::create(
      b, arith::SubIOp::create(b, index(0), range.begin), index(0));
  Value begin = add(range.begin,
                    mul(arith::CeilDivSIOp::create(b, skipped, step), step));
  Value end = minIndex(range.end, keyTiles);
  Value count = arith::MaxSIOp::create(
      b,
      arith::CeilDivSIOp::create(b, arith::SubIOp::create(b, end, begin), step),
      index(0));
  auto keyTileAt = [&](Value visit) { return add(begin, mul(visit, step)); };
  int64_t stages = tiling.stages;

  // Copies tile `visit` of the range into its stage, unless it is past the
  // range or empty, then closes a copy group (empty or not) so that every
  // iteration waits for the same number of groups.
  auto prefetch = [&](Value visit) {
    Value keyTile = keyTileAt(visit);
    Value wanted = lessThan(visit, count);
    ifThen(wanted, [&] {
      auto copy = [&] {
        Value stage = arith::RemUIOp::create(b, visit, index(stages));
        Value firstKey = mul(keyTile, index(tiling.blockKV));
        copyTileAsync(keyShared, {stage}, key, kvHead, firstKey,
                      tiling.blockKV, headDimQK, seqKV);
        copyTileAsync(valueShared, {stage}, value, kvHead, firstKey,
                      tiling.blockKV, headDimV, seqKV);
      };
      if (Value empty = tileIsEmpty(keyTile))
        ifThen(arith::XOrIOp::create(
                   b, empty, arith::ConstantIntOp::create(b, b.getI1Type(), 1)),
               copy);
      else
        copy();
    });
    target.commitCopies();
  };
  for (int64_t visit = 0; visit + 1 < stages; ++visit)
    prefetch(index(visit));
  if (afterPrologue)
    afterPrologue();

  int64_t fragments = state.accumulators.size();
  auto loop = scf::ForOp::create(b, index(0), count, index(1),
                                 state.flatten());
  {
    OpBuilder::InsertionGuard guard(b);
    Block *body = loop.getBody();
    if (body->mightHaveTerminator())
      body->getTerminator()->erase();
    b.setInsertionPointToEnd(body);
    Value visit = loop.getInductionVar();
    RunningState carried =
        RunningState::unflatten(loop.getRegionIterArgs(), fragments);
    prefetch(add(visit, index(stages - 1)));
    target.waitCopies(stages - 1);
    target.barrier();
    Value keyTile = keyTileAt(visit);
    Value stage = arith::RemUIOp::create(b, visit, index(stages));
    SmallVector<Value> next;
    if (Value empty = tileIsEmpty(keyTile)) {
      SmallVector<Value> passThrough = carried.flatten();
      next = ifElse(
          empty, TypeRange(ValueRange(passThrough)),
          [&] { return passThrough; },
          [&] { return emitKeyTile(keyTile, stage, carried).flatten(); });
    } else {
      next = emitKeyTile(keyTile, stage, carried).flatten();
    }
    // The next iteration's copies overwrite the stage just read.
    target.barrier();
    scf::YieldOp::create(b, next);
  }
  return RunningState::unflatten(loop.getResults(), fragments);
}

void FlashKernelEmitter::emitEpilogue(const RunningState &state) {
  Value zero = f32(0.0);
  Value column = mul(target.fragmentColumnPair(), index(2));
  for (int64_t half = 0; half < 2; ++half) {
    Value sum = target.reduceAcrossRow(state.sum[half], [&](Value l, Value r) {
      return Value(arith::AddFOp::create(b, l, r));
    });
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, sum, zero);
    Value inverse = arith::SelectOp::create(
        b, empty, zero, arith::DivFOp::create(b, f32(1.0), sum));
    Value row = queryRow(half);
    ifThen(lessThan(row, seqQ), [&] {
      for (auto [n, fragment] : llvm::enumerate(state.accumulators))
        target.storePair(
            arith::MulFOp::create(b, fragment[2 * half], inverse),
            arith::MulFOp::create(b, fragment[2 * half + 1], inverse), output,
            {batchIndex, head, row, add(column, index(T::kTileN * n))});
      if (!lse)
        return;
      // max is in units of x; c max is base 2.
      Value naturalMax = arith::MulFOp::create(
          b, state.max[half], f32(exponentFactor * kLn2));
      Value logSum =
          arith::AddFOp::create(b, naturalMax, math::LogOp::create(b, sum));
      Value lseValue =
          arith::SelectOp::create(b, empty, negativeInfinity(), logSum);
      ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                   target.fragmentColumnPair(), index(0)),
             [&] {
               memref::StoreOp::create(b, lseValue, lse,
                                       {batchIndex, head, row});
             });
    });
  }
}

void FlashKernelEmitter::emitPoisonedOutputs() {
  Value nan = f32(std::numeric_limits<float>::quiet_NaN());
  RunningState poisoned;
  poisoned.accumulators.assign(headDimV / T::kTileN, {nan, nan, nan, nan});
  // sum = 1 and max = NaN give O = NaN and LSE = NaN.
  poisoned.max[0] = poisoned.max[1] = nan;
  poisoned.sum[0] = poisoned.sum[1] = f32(1.0);
  emitEpilogue(poisoned);
}

void FlashKernelEmitter::emit() {
  Block &entry = kernel.getBody().front();
  b.setInsertionPointToStart(&entry);
  static_cast<host::KernelOperands &>(*this) =
      host::bindKernelOperands(op, entry.getArguments());

  AttentionShape shape = op.getShape();
  headDimQK = shape.headDimQK;
  headDimV = shape.headDimV;
  SharedLayout layout = sharedLayout(shape, tiling, elementType);
  queryInRegisters = layout.queryInRegisters;
  scale = op.getEffectiveScale();
  // Folding the scale into the exponent needs max(scale S) = scale max(S).
  modsPath = !op.getScoreMods().empty() || !op.getScoreRegion().empty() ||
             scale <= 0.0;
  exponentFactor = modsPath ? kLog2E : scale * kLog2E;

  target.emitThreadIds();
  batchSize = memref::DimOp::create(b, query, 0);
  queryHeads = index(shape.queryHeads);
  kvHeads = index(shape.kvHeads);
  seqQ = memref::DimOp::create(b, query, 2);
  seqKV = memref::DimOp::create(b, key, 2);
  Value queryTile = target.blockId(0);
  head = target.blockId(1);
  batchIndex = target.blockId(2);
  kvHead = arith::DivUIOp::create(b, head,
                                  index(shape.queryHeads / shape.kvHeads));
  rowBegin = mul(queryTile, index(tiling.blockQ));
  rowEnd = minIndex(add(rowBegin, index(tiling.blockQ)), seqQ);
  narrowIndices.b = narrow(batchIndex);
  narrowIndices.h = narrow(head);
  narrowIndices.batch = narrow(batchSize);
  narrowIndices.queryHeads = narrowConstant(shape.queryHeads);
  narrowIndices.kvHeads = narrowConstant(shape.kvHeads);
  narrowIndices.seqQ = narrow(seqQ);
  narrowIndices.seqKV = narrow(seqKV);
  narrowIndices.data = data;
  warpRowOffset = mul(target.warpId(), index(T::kTileM));
  warpRowBegin = add(add(rowBegin, warpRowOffset), target.fragmentRow());

  queryShared = target.sharedView(0, {tiling.blockQ, headDimQK});
  keyShared = target.sharedView(layout.keyOffset,
                                {tiling.stages, tiling.blockKV, headDimQK});
  valueShared = target.sharedView(layout.valueOffset,
                                  {tiling.stages, tiling.blockKV, headDimV});

  auto attention = [&]() -> SmallVector<Value> {
    copyTileAsync(queryShared, {}, query, head, rowBegin, tiling.blockQ,
                  headDimQK, seqQ);
    target.commitCopies();
    // Q's copies are the oldest group: they complete while the first K/V
    // tiles are in flight, and the key-tile loop's first wait covers them.
    auto loadQueryFragments = [&] {
      target.waitCopies(tiling.stages - 1);
      target.barrier();
      for (int64_t kStep = 0; kStep < headDimQK / T::kTileK; ++kStep)
        queryFragments[kStep] =
            target.loadA(queryShared, {}, warpRowOffset, kStep);
    };

    RunningState state;
    state.accumulators.assign(headDimV / T::kTileN, target.zeroAccumulator());
    state.max[0] = state.max[1] = negativeInfinity();
    state.sum[0] = state.sum[1] = f32(0.0);
    SmallVector<KeyTileRange> ranges;
    if (MaskAttrInterface mask = op.getMaskRule())
      mask.buildKeyTileRanges(b, b.getLoc(), tileAt(Value()), ranges);
    else
      ranges.push_back(
          {index(0),
           arith::CeilDivSIOp::create(b, seqKV, index(tiling.blockKV)), 1});
    for (auto [position, range] : llvm::enumerate(ranges))
      state = emitRange(range, state,
                        position == 0 && queryInRegisters
                            ? function_ref<void()>(loadQueryFragments)
                            : nullptr);
    emitEpilogue(state);
    return {};
  };
  if (Value fits =
          host::buildDataExtentsFit(b, b.getLoc(), op, data, seqQ, seqKV))
    ifElse(fits, {}, attention, [&]() -> SmallVector<Value> {
      emitPoisonedOutputs();
      return {};
    });
  else
    attention();
  gpu::ReturnOp::create(b);
}

/// Score mods divide by constants (softcap's x / cap); an IEEE division is
/// a long instruction sequence on NVIDIA GPUs, a multiplication by the
/// rounded reciprocal differs from it by at most an ulp.
static void multiplyByReciprocals(gpu::GPUFuncOp kernel) {
  SmallVector<arith::DivFOp> divisions;
  kernel.walk([&](arith::DivFOp division) { divisions.push_back(division); });
  for (arith::DivFOp division : divisions) {
    FloatAttr divisor;
    if (!division.getType().isF32() ||
        !matchPattern(division.getRhs(), m_Constant(&divisor)) ||
        divisor.getValueAsDouble() == 0.0)
      continue;
    OpBuilder builder(division);
    Value reciprocal = arith::ConstantFloatOp::create(
        builder, division.getLoc(), builder.getF32Type(),
        APFloat(static_cast<float>(1.0 / divisor.getValueAsDouble())));
    division.replaceAllUsesWith(
        arith::MulFOp::create(builder, division.getLoc(), division.getLhs(),
                              reciprocal)
            .getResult());
    division.erase();
  }
}

GpuTiling mlir::attn::nvidia::chooseTiling(const KernelSpec &spec) {
  AttentionOp op = spec.attention;
  AttentionShape shape = op.getShape();
  GpuTiling tiling;
  int64_t headDim = std::max(shape.headDimQK, shape.headDimV);
  // f32 tiles take twice the shared memory: 32 keys (16 at head dimension
  // 256) keep two stages within sm_80's limit.
  bool f32 = cast<RankedTensorType>(op.getQuery().getType())
                 .getElementType()
                 .isF32();
  if (f32) {
    tiling.blockKV = headDim > 128 ? 16 : 32;
    return tiling;
  }
  // 128 f32 accumulators per lane at head dimension 256 leave room for
  // 32-key score tiles only.
  if (headDim > 128) {
    tiling.blockKV = 32;
    return tiling;
  }
  // Measured on an H200 (bf16, D = 128, S = 16384): 128 x 128 tiles on 8
  // warps beat 64 x 64 on 4 for dense (306 vs 300 TFLOP/s) and causal (291
  // vs 288) masks without score mods, but lose on sparser masks (window
  // 1024: 189 vs 224; S2 with 64-key blocks: 40 vs 242), whose partial tiles
  // grow with the tile, and with softcap (255 vs 264 with tanh.approx;
  // docs/results/h200-sweep.md).
  MaskAttrInterface mask = op.getMaskRule();
  bool denseOrCausal = op.getMaskRegion().empty() &&
                       op.getScoreMods().empty() &&
                       op.getScoreRegion().empty() &&
                       (!mask || isa<CausalAttr>(mask));
  if (shape.headDimQK == 128 && shape.headDimV == 128 && denseOrCausal) {
    tiling.warps = 8;
    tiling.blockQ = 128;
    tiling.blockKV = 128;
  }
  return tiling;
}

FailureOr<GpuLaunchShape>
mlir::attn::nvidia::buildNvidiaKernel(const KernelSpec &spec,
                                      const GpuTiling &tiling,
                                      StringRef kernelName,
                                      gpu::GPUModuleOp into) {
  AttentionOp op = spec.attention;
  // The op's verifier has checked that Q, K and V share the element type.
  Type elementType =
      cast<RankedTensorType>(op.getQuery().getType()).getElementType();
  if (!elementType.isF16() && !elementType.isBF16() && !elementType.isF32())
    return op.emitError() << "the NVIDIA target needs f16, bf16 or f32 "
                          << "inputs, got " << elementType;
  AttentionShape shape = op.getShape();
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  auto supported = [&](int64_t dim) {
    return llvm::is_contained(kHeadDims, dim) &&
           dim * elementBytes % kSwizzlePeriodBytes == 0;
  };
  for (auto [name, dim] : {std::pair{"E", shape.headDimQK},
                           std::pair{"F", shape.headDimV}})
    if (!supported(dim)) {
      InFlightDiagnostic diagnostic = op.emitError();
      diagnostic << "head dimension " << name << " = " << dim
                 << " is not supported by the NVIDIA target for "
                 << elementType << " inputs (supported:";
      for (int64_t candidate : kHeadDims)
        if (supported(candidate))
          diagnostic << " " << candidate;
      return diagnostic << ")";
    }

  int64_t threads = tiling.warps * T::kWarpSize;
  if (tiling.warps < 1 || tiling.blockQ != T::kTileM * tiling.warps)
    return op.emitError() << "NVIDIA tiles give each warp 16 query rows: "
                          << "block-q must be 16 * warps, got block-q = "
                          << tiling.blockQ << " and warps = " << tiling.warps;
  if (tiling.blockKV < T::kTileK || tiling.blockKV % T::kTileK != 0)
    return op.emitError() << "NVIDIA block-kv must be a positive multiple of "
                          << T::kTileK << ", got " << tiling.blockKV;
  if (tiling.stages < 2)
    return op.emitError() << "NVIDIA kernels stage K/V tiles at least "
                          << "twice (stages >= 2), got " << tiling.stages;
  // Each thread copies whole 16-byte chunks, the same number per tile: a
  // block covers threads / (chunks per row) rows at a time (chunks per row
  // are 8, 16 or 32, and threads a multiple of 32).
  for (auto [rows, columns, what] :
       {std::tuple{tiling.blockQ, shape.headDimQK, "query"},
        std::tuple{tiling.blockKV, shape.headDimQK, "key"},
        std::tuple{tiling.blockKV, shape.headDimV, "value"}}) {
    int64_t rowStep =
        threads / (columns / T::chunkElementsOf(elementType));
    if (rows % rowStep != 0)
      return op.emitError()
             << "NVIDIA " << what << " tiles of " << rows << " rows cannot "
             << "be split evenly into 16-byte copies over " << threads
             << " threads; they need a multiple of " << rowStep << " rows";
  }
  int64_t sharedBytes = sharedLayout(shape, tiling, elementType).bytes;
  if (sharedBytes > kMaxSharedBytes)
    return op.emitError() << "NVIDIA tiles need " << sharedBytes
                          << " bytes of shared memory, more than the "
                          << kMaxSharedBytes << " one block may use on "
                          << "sm_80; choose smaller block-kv or fewer stages";

  SmallVector<Type> argumentTypes;
  for (const host::KernelArgument &argument : spec.arguments)
    argumentTypes.push_back(host::kernelArgumentMemRefType(argument));
  Block &moduleBody = into.getBodyRegion().front();
  OpBuilder builder = moduleBody.mightHaveTerminator()
                          ? OpBuilder::atBlockTerminator(&moduleBody)
                          : OpBuilder::atBlockEnd(&moduleBody);
  auto kernel = gpu::GPUFuncOp::create(
      builder, op.getLoc(), kernelName,
      builder.getFunctionType(argumentTypes, /*results=*/{}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());
  // The occupancy hint makes ptxas cap the registers per thread for that
  // many blocks of the known size. (Without the hint the block size is left
  // out: on H200 it made ptxas spill more in the 8-warp kernels.)
  if (tiling.minBlocksPerMultiprocessor > 0) {
    kernel.setKnownBlockSizeAttr(builder.getDenseI32ArrayAttr(
        {static_cast<int32_t>(threads), 1, 1}));
    kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    builder.getI32IntegerAttr(static_cast<int32_t>(
                        tiling.minBlocksPerMultiprocessor)));
  }
  FlashKernelEmitter(op, tiling, kernel, elementType).emit();
  multiplyByReciprocals(kernel);
  if (!elementType.isF32())
    useApproximateTanh(kernel);

  GpuLaunchShape launch;
  launch.blockQ = tiling.blockQ;
  launch.threadsPerBlock = threads;
  launch.sharedMemoryBytes = sharedBytes;
  return launch;
}
