// A hand-written kernel that uses each construct the NVIDIA kernels lower:
// dynamic shared memory, 16-byte async copies (one zero-filling), ldmatrix,
// an f16 m16n8k16 mma.sync, a warp shuffle, math functions (tanh, exp2, log)
// and strided memref arguments. One warp computes a 16x8 tile of Q K^T and
// stores a transformed copy of it.
module attributes {gpu.container_module} {
  gpu.module @scores {
    gpu.func @tile_scores(%q: memref<?x64xf16, strided<[?, 1], offset: ?>>,
                          %k: memref<?x64xf16, strided<[?, 1], offset: ?>>,
                          %o: memref<16x8xf32, strided<[?, 1], offset: ?>>) kernel
        attributes {gpu.known_block_size = array<i32: 32, 1, 1>} {
      %c0 = arith.constant 0 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %c2048 = arith.constant 2048 : index
      %lane = gpu.lane_id
      %smem = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
      %qs = memref.view %smem[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x64xf16, #gpu.address_space<workgroup>>
      %ks = memref.view %smem[%c2048][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<8x64xf16, #gpu.address_space<workgroup>>
      %row = arith.divui %lane, %c2 : index
      %chunk = arith.remui %lane, %c2 : index
      %col = arith.muli %chunk, %c8 : index
      %qcopy = nvgpu.device_async_copy %q[%row, %col], %qs[%row, %col], 8 : memref<?x64xf16, strided<[?, 1], offset: ?>> to memref<16x64xf16, #gpu.address_space<workgroup>>
      // Rows past the key length read zeros.
      %krow = arith.remui %row, %c8 : index
      %klen = memref.dim %k, %c0 : memref<?x64xf16, strided<[?, 1], offset: ?>>
      %inside = arith.cmpi ult, %krow, %klen : index
      %kelems = arith.select %inside, %c8, %c0 : index
      %kcopy = nvgpu.device_async_copy %k[%krow, %col], %ks[%krow, %col], 8, %kelems : memref<?x64xf16, strided<[?, 1], offset: ?>> to memref<8x64xf16, #gpu.address_space<workgroup>>
      %group = nvgpu.device_async_create_group %qcopy, %kcopy
      nvgpu.device_async_wait %group {numGroups = 0 : i32}
      gpu.barrier
      %arow = arith.remui %lane, %c16 : index
      %a = nvgpu.ldmatrix %qs[%arow, %c0] {numTiles = 4 : i32, transpose = false} : memref<16x64xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %brow = arith.remui %lane, %c8 : index
      %b = nvgpu.ldmatrix %ks[%brow, %c0] {numTiles = 2 : i32, transpose = false} : memref<8x64xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
      %zero = arith.constant dense<0.0> : vector<2x2xf32>
      %acc = nvgpu.mma.sync (%a, %b, %zero) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %s = vector.extract %acc[0, 0] : f32 from vector<2x2xf32>
      %capped = math.tanh %s : f32
      %one = arith.constant 1 : i32
      %width = arith.constant 32 : i32
      %other, %valid = gpu.shuffle xor %capped, %one, %width : f32
      %larger = arith.maximumf %other, %capped : f32
      %p = math.exp2 %larger : f32
      %l = math.log %p : f32
      %r = arith.divui %lane, %c4 : index
      %c = arith.remui %lane, %c4 : index
      memref.store %l, %o[%r, %c] : memref<16x8xf32, strided<[?, 1], offset: ?>>
      gpu.return
    }
  }
}
