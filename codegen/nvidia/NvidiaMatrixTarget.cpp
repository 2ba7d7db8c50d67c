//===- NvidiaMatrixTarget.cpp - mma.sync, ldmatrix, cp.async --------------===//
//
// Matrix products go through nvvm.mma.sync directly: MLIR 22's
// nvgpu.mma.sync cannot lower bf16 operands, while nvvm.mma.sync takes bf16
// pairs and TF32 words as i32 registers. f32 tiles are read with plain
// shared-memory loads (ldmatrix moves 16-bit elements). Fragment loads and copies use nvgpu.ldmatrix and
// nvgpu.device_async_copy on shared-memory memrefs; copy groups are
// committed with nvvm.cp.async.commit.group so that an iteration can close an
// empty group (no copy issued) and keep the wait counts uniform.
//
//===----------------------------------------------------------------------===//
#include "NvidiaMatrixTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn::nvidia;

NvidiaMatrixTarget::NvidiaMatrixTarget(ImplicitLocOpBuilder &b,
                                       Type elementType)
    : b(b), elementType(elementType) {}

Value NvidiaMatrixTarget::index(int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

void NvidiaMatrixTarget::emitThreadIds() {
  thread = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  lane = arith::RemUIOp::create(b, thread, index(kWarpSize));
  warp = arith::DivUIOp::create(b, thread, index(kWarpSize));
  laneRow = arith::DivUIOp::create(b, lane, index(4));
  laneColumnPair = arith::RemUIOp::create(b, lane, index(4));
  laneEvenColumn = arith::MulIOp::create(b, laneColumnPair, index(2));
  laneMod8 = arith::RemUIOp::create(b, lane, index(8));
  laneMod16 = arith::RemUIOp::create(b, lane, index(16));
  laneDiv8 = arith::DivUIOp::create(b, lane, index(8));
  laneDiv16 = arith::DivUIOp::create(b, lane, index(16));
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  sharedBase = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
}

Value NvidiaMatrixTarget::blockId(int dimension) {
  static constexpr gpu::Dimension kDimensions[] = {
      gpu::Dimension::x, gpu::Dimension::y, gpu::Dimension::z};
  return gpu::BlockIdOp::create(b, kDimensions[dimension]);
}

Value NvidiaMatrixTarget::sharedView(int64_t byteOffset,
                                     ArrayRef<int64_t> shape) {
  return sharedView(index(byteOffset), shape);
}

Value NvidiaMatrixTarget::sharedBaseAddress() {
  return memref::ExtractAlignedPointerAsIndexOp::create(b, sharedBase);
}

Value NvidiaMatrixTarget::sharedView(Value byteOffset,
                                     ArrayRef<int64_t> shape) {
  auto type = MemRefType::get(
      shape, elementType, MemRefLayoutAttrInterface(),
      cast<MemRefType>(sharedBase.getType()).getMemorySpace());
  return memref::ViewOp::create(b, type, sharedBase, byteOffset, ValueRange{});
}

Value NvidiaMatrixTarget::sharedView(int64_t byteOffset,
                                     ArrayRef<int64_t> shape, Type type) {
  auto viewType =
      MemRefType::get(shape, type, MemRefLayoutAttrInterface(),
                      cast<MemRefType>(sharedBase.getType()).getMemorySpace());
  Value offset = index(byteOffset);
  return memref::ViewOp::create(b, viewType, sharedBase, offset, ValueRange{});
}

Value NvidiaMatrixTarget::swizzledColumn(Value row, Value chunk) {
  Value phase = arith::RemUIOp::create(b, row, index(kSwizzleRows));
  Value physical = arith::XOrIOp::create(b, chunk, phase);
  return arith::MulIOp::create(b, physical, index(chunkElements()));
}

void NvidiaMatrixTarget::copyChunkAsync(Value shared, ValueRange sharedIndices,
                                        Value source, ValueRange sourceIndices,
                                        Value valid) {
  Value fullChunk = index(chunkElements());
  Value nothing = index(0);
  Value sourceElements =
      arith::SelectOp::create(b, valid, fullChunk, nothing);
  nvgpu::DeviceAsyncCopyOp::create(
      b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), shared,
      sharedIndices, source, sourceIndices,
      b.getIndexAttr(chunkElements()), sourceElements,
      /*bypassL1=*/b.getUnitAttr());
}

void NvidiaMatrixTarget::commitCopies() { NVVM::CpAsyncCommitGroupOp::create(b); }

void NvidiaMatrixTarget::waitCopies(int64_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(b, b.getI32IntegerAttr(pending));
}

void NvidiaMatrixTarget::barrier() {
  if (barrierId == 0) {
    gpu::BarrierOp::create(b);
    return;
  }
  NVVM::BarrierOp::create(
      b, TypeRange{}, arith::ConstantIntOp::create(b, b.getI32Type(), barrierId),
      arith::ConstantIntOp::create(b, b.getI32Type(), barrierThreads),
      /*reductionOp=*/{}, /*reductionPredicate=*/Value());
}

/// The four 8 x 8 matrices of one ldmatrix.x4, as packed pairs.
static Fragment loadMatrices(ImplicitLocOpBuilder &b, Type elementType,
                             Value tile, SmallVector<Value> indices,
                             bool transpose) {
  auto result = VectorType::get({4, 2}, elementType);
  Value loaded = nvgpu::LdMatrixOp::create(b, result, tile, indices, transpose,
                                           /*numTiles=*/4);
  Fragment registers;
  for (int64_t matrix = 0; matrix < 4; ++matrix)
    registers.push_back(
        vector::ExtractOp::create(b, loaded, ArrayRef<int64_t>{matrix}));
  return registers;
}

// Every ldmatrix reads rows row0 + lane % 8 (+ 8) with row0 a multiple of
// 8, so a lane's row modulo the swizzle period is lane % 8. When the lane's
// chunk within its swizzle period does not wrap (laneChunk + first % 8 < 8),
// (laneChunk + first) ^ (lane % 8) = ((laneChunk + first % 8) ^ (lane % 8)) +
// (first - first % 8): the XOR then depends on first % 8 only, and the rest
// is a constant that folds into the address, so that the k steps of one
// tile share a few lane addresses instead of keeping one each.
Value NvidiaMatrixTarget::swizzledLaneChunk(Value laneChunk, int64_t laneMax,
                                            int64_t first) {
  int64_t within = first % kSwizzleRows;
  int64_t periods = first - within;
  if (within + laneMax >= kSwizzleRows) {
    periods = 0;
    within = first;
  }
  Value chunk = arith::AddIOp::create(b, laneChunk, index(within));
  Value swizzled = arith::XOrIOp::create(b, chunk, laneMod8);
  Value shifted = arith::AddIOp::create(b, swizzled, index(periods));
  return arith::MulIOp::create(b, shifted, index(chunkElements()));
}


Value NvidiaMatrixTarget::swizzledElement(Value row, Value column) {
  Value chunkSize = index(chunkElements());
  Value chunk = arith::DivUIOp::create(b, column, chunkSize);
  Value within = arith::RemUIOp::create(b, column, chunkSize);
  return arith::AddIOp::create(b, swizzledColumn(row, chunk), within);
}

std::pair<Value, Value> NvidiaMatrixTarget::loadF32Pair(Value tile,
                                                        ValueRange prefix,
                                                        Value row,
                                                        Value column) {
  SmallVector<Value> indices(prefix);
  indices.append({row, swizzledElement(row, column)});
  // An even column inside a 16-byte chunk: the pair is 8-byte aligned.
  Value pair = vector::LoadOp::create(b, VectorType::get({2}, elementType),
                                      tile, indices, /*nontemporal=*/false,
                                      llvm::MaybeAlign(8));
  return {vector::ExtractOp::create(b, pair, ArrayRef<int64_t>{0}),
          vector::ExtractOp::create(b, pair, ArrayRef<int64_t>{1})};
}

Value NvidiaMatrixTarget::loadF32(Value tile, ValueRange prefix, Value row,
                                  Value column) {
  SmallVector<Value> indices(prefix);
  indices.append({row, swizzledElement(row, column)});
  return memref::LoadOp::create(b, tile, indices);
}

Fragment NvidiaMatrixTarget::loadA(Value tile, ValueRange prefix, Value row0,
                                   int64_t kStep) {
  if (splitF32()) {
    Fragment a;
    Value rows[2] = {arith::AddIOp::create(b, row0, laneRow),
                     arith::AddIOp::create(b, row0, laneRow)};
    rows[1] = arith::AddIOp::create(b, rows[1], index(8));
    for (int64_t half = 0; half < 2; ++half) {
      Value column = arith::AddIOp::create(
          b, laneEvenColumn,
          index(kTileK * kStep + 8 * half));
      auto [top0, top1] = loadF32Pair(tile, prefix, rows[0], column);
      auto [bottom0, bottom1] = loadF32Pair(tile, prefix, rows[1], column);
      a.append({top0, bottom0, top1, bottom1});
    }
    return a;
  }
  // Lanes 0-15 address rows 0-15 at chunk 2 kStep, lanes 16-31 the same rows
  // at chunk 2 kStep + 1: matrices (rows lo, k lo), (hi, lo), (lo, hi),
  // (hi, hi), the A register order.
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod16));
  indices.push_back(swizzledLaneChunk(laneDiv16, 1, 2 * kStep));
  return loadMatrices(b, elementType, tile, indices, /*transpose=*/false);
}

std::pair<Fragment, Fragment>
NvidiaMatrixTarget::loadBPairAlongK(Value tile, ValueRange prefix, Value row0,
                                    int64_t kStep) {
  if (splitF32()) {
    Value row = arith::AddIOp::create(b, row0, laneRow);
    Fragment steps[2];
    for (int64_t step = 0; step < 2; ++step)
      for (int64_t half = 0; half < 2; ++half) {
        Value column = arith::AddIOp::create(
            b, laneEvenColumn,
            index(kTileK * (kStep + step) + 8 * half));
        auto [first, second] = loadF32Pair(tile, prefix, row, column);
        steps[step].append({first, second});
      }
    return {steps[0], steps[1]};
  }
  // Lane groups of 8 address chunks 2 kStep .. 2 kStep + 3 of the same 8
  // rows: (k lo, k hi) of kStep, then of kStep + 1.
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod8));
  indices.push_back(swizzledLaneChunk(laneDiv8, 3, 2 * kStep));
  Fragment m = loadMatrices(b, elementType, tile, indices, false);
  return {{m[0], m[1]}, {m[2], m[3]}};
}

std::pair<Fragment, Fragment>
NvidiaMatrixTarget::loadBPairTransposed(Value tile, ValueRange prefix,
                                        Value row0, int64_t n) {
  if (splitF32()) {
    Fragment blocks[2];
    for (int64_t block = 0; block < 2; ++block) {
      Value column =
          arith::AddIOp::create(b, laneRow, index(kTileN * (n + block)));
      for (int64_t half = 0; half < 2; ++half) {
        Value laneRow0 = arith::AddIOp::create(b, row0, laneEvenColumn);
        Value row = arith::AddIOp::create(b, laneRow0, index(8 * half));
        blocks[block].push_back(loadF32(tile, prefix, row, column));
        blocks[block].push_back(loadF32(
            tile, prefix, arith::AddIOp::create(b, row, index(1)), column));
      }
    }
    return {blocks[0], blocks[1]};
  }
  // Lanes 0-15 address the 16 k rows at column chunk n, lanes 16-31 at
  // chunk n + 1; transposed, each 8 x 8 matrix gives a lane (k 2t..2t+1,
  // column g).
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod16));
  indices.push_back(swizzledLaneChunk(laneDiv16, 1, n));
  Fragment m = loadMatrices(b, elementType, tile, indices, true);
  return {{m[0], m[1]}, {m[2], m[3]}};
}

/// The four f32 values of an mma.sync result.
static Fragment unpackResult(ImplicitLocOpBuilder &b, Value result) {
  Fragment d;
  for (int64_t element = 0; element < 4; ++element)
    d.push_back(LLVM::ExtractValueOp::create(b, result, element));
  return d;
}

Fragment NvidiaMatrixTarget::multiplyAccumulate3xTF32(ArrayRef<Value> a,
                                                      ArrayRef<Value> bHalf,
                                                      const Fragment &c) {
  // TF32 keeps the sign, the exponent and the top 10 mantissa bits of an
  // f32 word; small = x - big is exact in f32.
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  Value keptBits = arith::ConstantIntOp::create(
      b, i32, static_cast<int32_t>(0xFFFFE000u));
  auto truncate = [&](Value x) -> Value {
    return arith::AndIOp::create(b, arith::BitcastOp::create(b, i32, x),
                                 keptBits);
  };
  auto split = [&](ArrayRef<Value> values, SmallVector<Value> &big,
                   SmallVector<Value> &small) {
    for (Value x : values) {
      Value bigBits = truncate(x);
      big.push_back(bigBits);
      small.push_back(truncate(arith::SubFOp::create(
          b, x, arith::BitcastOp::create(b, f32, bigBits))));
    }
  };
  SmallVector<Value> aBig, aSmall, bBig, bSmall;
  split(a, aBig, aSmall);
  split(bHalf, bBig, bSmall);
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  auto mma = [&](ArrayRef<Value> aOperands, ArrayRef<Value> bOperands,
                 const Fragment &accumulator) {
    return unpackResult(
        b, NVVM::MmaOp::create(
               b, resultType, aOperands, bOperands, accumulator,
               {kTileM, kTileN, kTileK / 2}, std::nullopt, std::nullopt,
               std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::tf32,
                                             NVVM::MMATypes::tf32},
               std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                              NVVM::MMALayout::col}));
  };
  // The small cross terms first, so that they are not lost against the
  // accumulated big products.
  Fragment d = mma(aSmall, bBig, c);
  d = mma(aBig, bSmall, d);
  return mma(aBig, bBig, d);
}

Fragment NvidiaMatrixTarget::multiplyAccumulate(const Fragment &a,
                                                const Fragment &bFragment,
                                                const Fragment &c) {
  if (splitF32()) {
    ArrayRef<Value> aValues(a), bValues(bFragment);
    Fragment d = multiplyAccumulate3xTF32(aValues.take_front(4),
                                          bValues.take_front(2), c);
    return multiplyAccumulate3xTF32(aValues.drop_front(4),
                                    bValues.drop_front(2), d);
  }
  bool bf16 = elementType.isBF16();
  // bf16 pairs travel as i32 registers; f16 pairs as vector<2xf16>.
  auto operand = [&](Value pair) -> Value {
    if (!bf16)
      return pair;
    Value word = vector::BitCastOp::create(
        b, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0});
  };
  SmallVector<Value> aOperands, bOperands;
  for (Value pair : a)
    aOperands.push_back(operand(pair));
  for (Value pair : bFragment)
    bOperands.push_back(operand(pair));
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes ptxType = bf16 ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  Value result = NVVM::MmaOp::create(
      b, resultType, aOperands, bOperands, c, {kTileM, kTileN, kTileK},
      std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  return unpackResult(b, result);
}

Fragment NvidiaMatrixTarget::zeroAccumulator() {
  Value zero = arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(0.0f));
  return {zero, zero, zero, zero};
}

Fragment NvidiaMatrixTarget::packA(const Fragment &left,
                                   const Fragment &right) {
  // f32: the C elements (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1) are the
  // A elements of logical k t, t + 4 in rows g, g + 8 (see the header).
  if (splitF32())
    return {left[0], left[2], left[1], left[3],
            right[0], right[2], right[1], right[3]};
  auto pack = [&](Value first, Value second) -> Value {
    Value pair = vector::FromElementsOp::create(
        b, VectorType::get({2}, b.getF32Type()), ValueRange{first, second});
    return arith::TruncFOp::create(b, VectorType::get({2}, elementType), pair);
  };
  return {pack(left[0], left[1]), pack(left[2], left[3]),
          pack(right[0], right[1]), pack(right[2], right[3])};
}

Value NvidiaMatrixTarget::reduceAcrossRow(
    Value value, function_ref<Value(Value, Value)> combine) {
  for (int32_t offset : {1, 2}) {
    Value other = gpu::ShuffleOp::create(b, value, offset, kWarpSize,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = combine(value, other);
  }
  return value;
}

void NvidiaMatrixTarget::storePair(Value first, Value second, Value memref,
                                   ValueRange indices) {
  Type stored = cast<MemRefType>(memref.getType()).getElementType();
  Value pair = vector::FromElementsOp::create(
      b, VectorType::get({2}, b.getF32Type()), ValueRange{first, second});
  if (!stored.isF32())
    pair = arith::TruncFOp::create(b, VectorType::get({2}, stored), pair);
  vector::StoreOp::create(b, pair, memref, indices);
}

void mlir::attn::nvidia::useApproximateTanh(Operation *root) {
  SmallVector<math::TanhOp> tanhs;
  root->walk([&](math::TanhOp op) {
    if (op.getType().isF32())
      tanhs.push_back(op);
  });
  for (math::TanhOp op : tanhs) {
    OpBuilder builder(op);
    auto approximation = LLVM::InlineAsmOp::create(
        builder, op.getLoc(), op.getType(), ValueRange{op.getOperand()},
        "tanh.approx.f32 $0, $1;", "=f,f", /*has_side_effects=*/false,
        /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
        /*asm_dialect=*/LLVM::AsmDialectAttr(), /*operand_attrs=*/ArrayAttr());
    op.replaceAllUsesWith(approximation.getResult(0));
    op.erase();
  }
}
