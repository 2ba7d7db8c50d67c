//===- NvidiaMatrixTarget.h - The GPU kernel's target seam ------*- C++ -*-===//
//
// The instructions of the mma.sync GPU family: warp width, the matrix
// instruction and its fragment layouts, shared-memory staging (async copies,
// swizzle, fragment loads), barriers and lane shuffles. NvidiaScheduleTarget
// answers the schedule emitter (codegen/schedule) through this class; the
// loops, the cascade's maps, masks and epilogue are the emitter's, so another
// GPU family (wave64, MFMA, LDS) brings its own ScheduleTarget
// (docs/architecture.md).
//
// A k step is 16 deep. For f16/bf16 inputs fragments are those of
// mma.sync.m16n8k16 with fp32 accumulation. With lane = 4 g + t:
//   A (16 x 16, row-major): registers (row g, k 2t..2t+1), (row g+8, k 2t..),
//     (row g, k 2t+8..), (row g+8, k 2t+8..), each two packed 16-bit values;
//   B (16 x 8, k-major):    registers (k 2t..2t+1, col g), (k 2t+8.., col g);
//   C (16 x 8, f32):        elements (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1).
// For f32 inputs a k step is two mma.sync.m16n8k8 steps on TF32 operands,
// each product taken three times (3xTF32: big.big + big.small + small.big
// with x = big + small, about 22 significant bits, where one TF32 product
// keeps 11). Their fragments hold single f32 values; the k order inside each
// 8-deep half is permuted so that logical k t and t + 4 are the adjacent
// columns 2t and 2t + 1, the order in which the C fragment holds a row. Then
//   A (16 x 16): per half h, (g, 8h+2t), (g+8, 8h+2t), (g, 8h+2t+1),
//     (g+8, 8h+2t+1): P's C fragments are A fragments without a shuffle;
//   B (16 x 8):  per half h, (k 8h+2t, col g), (k 8h+2t+1, col g).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_NVIDIA_NVIDIAMATRIXTARGET_H
#define ATTN_NVIDIA_NVIDIAMATRIXTARGET_H

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn::nvidia {

/// Registers of one fragment. f16/bf16: A 4 packed pairs, B 2 packed pairs;
/// f32: A 8 values, B 4 values; C always 4 f32.
using Fragment = llvm::SmallVector<Value, 4>;

class NvidiaMatrixTarget {
public:
  static constexpr int64_t kWarpSize = 32;
  /// The fragments' tile: M x N x K (one k step).
  static constexpr int64_t kTileM = 16, kTileN = 8, kTileK = 16;
  /// Bytes of one asynchronous copy (and one ldmatrix row).
  static constexpr int64_t kChunkBytes = 16;
  /// Rows after which the shared-memory swizzle pattern repeats.
  static constexpr int64_t kSwizzleRows = 8;

  /// Elements of `elementType` in one 16-byte chunk.
  static int64_t chunkElementsOf(Type elementType) {
    return kChunkBytes * 8 / elementType.getIntOrFloatBitWidth();
  }

  /// `elementType` is the input type: f16, bf16 or f32.
  NvidiaMatrixTarget(ImplicitLocOpBuilder &b, Type elementType);

  int64_t chunkElements() const { return chunkElementsOf(elementType); }

  /// Lane-invariant setup at the kernel's entry: thread, lane and warp ids.
  void emitThreadIds();
  Value threadId() const { return thread; }
  Value warpId() const { return warp; }
  /// Row (g) and column pair (t) of this lane inside fragments.
  Value fragmentRow() const { return laneRow; }
  Value fragmentColumnPair() const { return laneColumnPair; }
  /// The block's id along x, y, z.
  Value blockId(int dimension);

  /// A `shape` view of dynamic shared memory starting `byteOffset` bytes in.
  Value sharedView(int64_t byteOffset, ArrayRef<int64_t> shape);
  Value sharedView(Value byteOffset, ArrayRef<int64_t> shape);
  /// The same with elements of `type` (f32 scratch rows).
  Value sharedView(int64_t byteOffset, ArrayRef<int64_t> shape, Type type);
  /// The shared-memory address of the first byte of dynamic shared memory
  /// (index), as matrix descriptors and alignment need it.
  Value sharedBaseAddress();

  /// The physical column of 16-byte chunk `chunk` in row `row` of a staged
  /// tile: chunks are XOR-swizzled by the row so that the 8 rows an ldmatrix
  /// reads fall into different banks.
  Value swizzledColumn(Value row, Value chunk);

  /// Copies the 16 bytes at `source[sourceIndices]` to
  /// `shared[sharedIndices]` asynchronously, or zeros when `valid` is false.
  void copyChunkAsync(Value shared, ValueRange sharedIndices, Value source,
                      ValueRange sourceIndices, Value valid);
  /// Closes the group of copies issued since the previous one (possibly
  /// empty) and waits until at most `pending` groups are in flight.
  void commitCopies();
  void waitCopies(int64_t pending);
  /// A barrier of the block's threads, or of the `threads` threads that
  /// meet on named barrier `id` once restrictBarriers(id, threads) ran (a
  /// block whose producer warp runs code of its own).
  void barrier();
  void restrictBarriers(int64_t id, int64_t threads) {
    barrierId = id;
    barrierThreads = threads;
  }

  /// ldmatrix on a staged tile whose last two dimensions are (rows, columns),
  /// `prefix` indexing the leading ones (the stage):
  /// A fragment of rows [row0, row0 + 16), k chunks [2 kstep, 2 kstep + 2).
  Fragment loadA(Value tile, ValueRange prefix, Value row0, int64_t kStep);
  /// B fragments of the k steps kStep and kStep + 1 for the 8 columns that
  /// are rows [row0, row0 + 8) of a row-major (column, k) tile such as K.
  std::pair<Fragment, Fragment> loadBPairAlongK(Value tile, ValueRange prefix,
                                                Value row0, int64_t kStep);
  /// B fragments of column blocks n and n + 1 (8 columns each) for the k
  /// step whose 16 k are rows [row0, row0 + 16) of a row-major (k, column)
  /// tile such as V.
  std::pair<Fragment, Fragment>
  loadBPairTransposed(Value tile, ValueRange prefix, Value row0, int64_t n);

  /// C + A B.
  Fragment multiplyAccumulate(const Fragment &a, const Fragment &bFragment,
                              const Fragment &c);
  Fragment zeroAccumulator();
  /// The A fragment of a 16 x 16 block whose halves (columns 0-7 and 8-15)
  /// are the C fragments `left` and `right`, rounded to the input type.
  Fragment packA(const Fragment &left, const Fragment &right);

  /// `value` combined with the values of the lanes that share its fragment
  /// row (the 4 lanes of a quad), by `combine`.
  Value reduceAcrossRow(Value value,
                        function_ref<Value(Value, Value)> combine);

  /// Stores two adjacent f32 values rounded to `memref`'s element type.
  void storePair(Value first, Value second, Value memref, ValueRange indices);

private:
  Value index(int64_t value);
  /// The physical first column of chunk `laneChunk + first` (laneChunk a
  /// per-lane value of at most `laneMax`) in the row this lane addresses in
  /// an ldmatrix (row0 + lane % 8, row0 a multiple of 8).
  Value swizzledLaneChunk(Value laneChunk, int64_t laneMax, int64_t first);
  /// The physical column of element column `column` in row `row` of a
  /// staged tile (swizzledColumn plus the offset inside the chunk).
  Value swizzledElement(Value row, Value column);
  /// Two adjacent f32 elements of a staged tile (row, column), column even.
  std::pair<Value, Value> loadF32Pair(Value tile, ValueRange prefix, Value row,
                                      Value column);
  Value loadF32(Value tile, ValueRange prefix, Value row, Value column);
  /// C + A B on one 8-deep half in TF32, three products (see the header).
  Fragment multiplyAccumulate3xTF32(ArrayRef<Value> a, ArrayRef<Value> bHalf,
                                    const Fragment &c);
  bool splitF32() const { return elementType.isF32(); }

  ImplicitLocOpBuilder &b;
  Type elementType;
  /// barrier()'s named barrier and its threads (0: the block's barrier).
  int64_t barrierId = 0, barrierThreads = 0;
  Value thread, warp, lane, laneRow, laneColumnPair;
  /// 2 t: the first column of the lane's pairs (f32 fragments).
  Value laneEvenColumn;
  /// Per-lane parts of ldmatrix addresses: lane % 8, lane % 16, lane / 8,
  /// lane / 16.
  Value laneMod8, laneMod16, laneDiv8, laneDiv16;
  Value sharedBase;
};

/// Replaces every f32 math.tanh under `root` with the tanh.approx.f32
/// instruction (one special-function op; relative error about 2^-11, below
/// the rounding of 16-bit inputs and of P, but not of f32 ones).
void useApproximateTanh(Operation *root);

} // namespace mlir::attn::nvidia

#endif // ATTN_NVIDIA_NVIDIAMATRIXTARGET_H
