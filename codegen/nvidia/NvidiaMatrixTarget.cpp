//===- NvidiaMatrixTarget.cpp - mma.sync, ldmatrix, cp.async --------------===//
//
// Matrix products go through nvvm.mma.sync directly: MLIR 22's
// nvgpu.mma.sync cannot lower bf16 operands, while nvvm.mma.sync takes bf16
// pairs as i32 registers. Fragment loads and copies use nvgpu.ldmatrix and
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
  auto type = MemRefType::get(
      shape, elementType, MemRefLayoutAttrInterface(),
      cast<MemRefType>(sharedBase.getType()).getMemorySpace());
  return memref::ViewOp::create(b, type, sharedBase, index(byteOffset),
                                ValueRange{});
}

Value NvidiaMatrixTarget::swizzledColumn(Value row, Value chunk) {
  Value phase = arith::RemUIOp::create(b, row, index(kSwizzleRows));
  Value physical = arith::XOrIOp::create(b, chunk, phase);
  return arith::MulIOp::create(b, physical, index(kChunkElements));
}

void NvidiaMatrixTarget::copyChunkAsync(Value shared, ValueRange sharedIndices,
                                        Value source, ValueRange sourceIndices,
                                        Value valid) {
  Value sourceElements = arith::SelectOp::create(
      b, valid, index(kChunkElements), index(0));
  nvgpu::DeviceAsyncCopyOp::create(
      b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), shared,
      sharedIndices, source, sourceIndices,
      b.getIndexAttr(kChunkElements), sourceElements,
      /*bypassL1=*/b.getUnitAttr());
}

void NvidiaMatrixTarget::commitCopies() { NVVM::CpAsyncCommitGroupOp::create(b); }

void NvidiaMatrixTarget::waitCopies(int64_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(b, b.getI32IntegerAttr(pending));
}

void NvidiaMatrixTarget::barrier() { gpu::BarrierOp::create(b); }

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

// The row0 of every load is a multiple of 8, so a lane's row modulo the
// swizzle period is lane % 8.
Fragment NvidiaMatrixTarget::loadA(Value tile, ValueRange prefix, Value row0,
                                   int64_t kStep) {
  // Lanes 0-15 address rows 0-15 at chunk 2 kStep, lanes 16-31 the same rows
  // at chunk 2 kStep + 1: matrices (rows lo, k lo), (hi, lo), (lo, hi),
  // (hi, hi), the A register order.
  Value chunk = arith::AddIOp::create(b, laneDiv16, index(2 * kStep));
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod16));
  indices.push_back(
      arith::MulIOp::create(b, arith::XOrIOp::create(b, chunk, laneMod8),
                            index(kChunkElements)));
  return loadMatrices(b, elementType, tile, indices, /*transpose=*/false);
}

std::pair<Fragment, Fragment>
NvidiaMatrixTarget::loadBPairAlongK(Value tile, ValueRange prefix, Value row0,
                                    int64_t kStep) {
  // Lane groups of 8 address chunks 2 kStep .. 2 kStep + 3 of the same 8
  // rows: (k lo, k hi) of kStep, then of kStep + 1.
  Value chunk = arith::AddIOp::create(b, laneDiv8, index(2 * kStep));
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod8));
  indices.push_back(
      arith::MulIOp::create(b, arith::XOrIOp::create(b, chunk, laneMod8),
                            index(kChunkElements)));
  Fragment m = loadMatrices(b, elementType, tile, indices, false);
  return {{m[0], m[1]}, {m[2], m[3]}};
}

std::pair<Fragment, Fragment>
NvidiaMatrixTarget::loadBPairTransposed(Value tile, ValueRange prefix,
                                        Value row0, int64_t n) {
  // Lanes 0-15 address the 16 k rows at column chunk n, lanes 16-31 at
  // chunk n + 1; transposed, each 8 x 8 matrix gives a lane (k 2t..2t+1,
  // column g).
  Value chunk = arith::AddIOp::create(b, laneDiv16, index(n));
  SmallVector<Value> indices(prefix);
  indices.push_back(arith::AddIOp::create(b, row0, laneMod16));
  indices.push_back(
      arith::MulIOp::create(b, arith::XOrIOp::create(b, chunk, laneMod8),
                            index(kChunkElements)));
  Fragment m = loadMatrices(b, elementType, tile, indices, true);
  return {{m[0], m[1]}, {m[2], m[3]}};
}

Fragment NvidiaMatrixTarget::multiplyAccumulate(const Fragment &a,
                                                const Fragment &bFragment,
                                                const Fragment &c) {
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
  Fragment d;
  for (int64_t element = 0; element < 4; ++element)
    d.push_back(LLVM::ExtractValueOp::create(b, result, element));
  return d;
}

Fragment NvidiaMatrixTarget::zeroAccumulator() {
  Value zero = arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(0.0f));
  return {zero, zero, zero, zero};
}

Fragment NvidiaMatrixTarget::packA(const Fragment &left,
                                   const Fragment &right) {
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
