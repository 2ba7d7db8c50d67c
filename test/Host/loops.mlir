// The host kernels at the loop level (emit=host-loops): the schedule
// emitter through the host target, one lane per query row. Each query tile
// visits only the key tiles its mask's closed form allows, computed from the
// tile index in O(1); the element rule runs only where a tile is not full.
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-q=16 block-kv=8" --canonicalize --cse | FileCheck %s

// No mask: every key tile; only a ragged last tile (keys past Skv) differs,
// where the scores are set to -inf once.
// CHECK-LABEL: func.func @__attn_host_dense(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<?x2x?x8xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<?x2x?x8xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-DAG: %[[SKV:.*]] = memref.dim %[[K]], %c2
// CHECK: %[[TILES:.*]] = arith.ceildivsi %[[SKV]], %c8 : index
// CHECK: scf.for %[[LANE:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(
// CHECK: %[[IN:.*]] = arith.cmpi sle, %{{.*}}, %[[SKV]] : index
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK-NEXT: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: vector.reduction <add>
// CHECK: scf.if %[[IN]] -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// CHECK-NOT: arith.cmpi slt
// CHECK: math.exp2
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK-NEXT: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
func.func @dense(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// A sliding window of 40 keys: query rows [r0, r0 + rows) visit key tiles
// from (r0 - 39) / 8 to min(r0 + rows - 1, Skv - 1) / 8; a tile is full when
// its keys lie in the window of its last row and behind its first row.
// CHECK-LABEL: func.func @__attn_host_window(
// CHECK: %[[R0:.*]] = arith.muli %{{.*}}, %c16 : index
// CHECK: %[[LO:.*]] = arith.addi %[[R0]], %c-39 : index
// CHECK: %[[FIRST:.*]] = arith.maxsi %[[LO]], %c0 : index
// CHECK: %[[BEGIN:.*]] = arith.divsi %[[FIRST]], %c8 : index
// CHECK: arith.divsi %{{.*}}, %c8 : index
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// Per query row, before the key-tile loop: the keys [i - 39, i] it keeps,
// clipped to [0, Skv - 1].
// CHECK: %[[ROWLO:.*]] = arith.maxsi %{{.*}}, %c0 : index
// CHECK: %[[ROWHI:.*]] = arith.maxsi %{{.*}}, %c-1 : index
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(
// CHECK: %[[LASTLO:.*]] = arith.addi %{{.*}}, %c-40 : index
// CHECK-NEXT: %[[INSIDE:.*]] = arith.cmpi sle, %[[LASTLO]], %{{.*}} : index
// CHECK: %[[BEHIND:.*]] = arith.cmpi sge, %[[R0]], %{{.*}} : index
// CHECK: %[[MASKFULL:.*]] = arith.andi %[[INSIDE]], %[[BEHIND]] : i1
// CHECK: %[[FULL:.*]] = arith.andi %[[MASKFULL]], %{{.*}} : i1
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK-NEXT: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : vector<8xf32>
// The mask test runs only in the branch of tiles that are not full: the
// row's bounds relative to the tile's first key, once, then two compares
// per element against the element's column offset (the last one, 7).
// CHECK: scf.if %[[FULL]] -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK-NOT: %c40
// CHECK: %[[RELLO:.*]] = arith.subi %[[ROWLO]], %[[COLUMN:.*]] : index
// CHECK: %[[RELHI:.*]] = arith.subi %[[ROWHI]], %[[COLUMN]] : index
// CHECK-NOT: %c40
// CHECK-DAG: arith.cmpi sge, %[[RELHI]], %c7 : index
// CHECK-DAG: arith.cmpi sle, %[[RELLO]], %c7 : index
// CHECK: arith.select
// CHECK: }
// CHECK: arith.maxnumf
// CHECK: math.exp2
func.func @window(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 40>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// S2-Attention: the local band, then the strided blocks of the head below
// it. A block of 16 keys spans two key tiles of 8, so the strided tiles are
// two progressions of step stride * 2 = 6: three key loops, the running
// tensors carried from one to the next.
// CHECK-LABEL: func.func @__attn_host_s2(
// CHECK: %[[BAND:.*]]:10 = scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(
// CHECK: %[[FIRST:.*]]:10 = scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %[[BAND]]#0
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %[[FIRST]]#0
func.func @s2(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 16, local = 2, stride = 3>} : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// Block masks decide per tile from the data whether it is empty (skipped)
// or full; the block operand's size is checked before anything is read.
// CHECK-LABEL: func.func @__attn_host_blocks(
// CHECK-SAME: %[[BLOCKS:[a-z0-9]+]]: memref<?x2x?x?xi8, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-SAME: %[[O:[a-z0-9]+]]: memref<?x2x?x8xf32, strided<[?, ?, ?, 1], offset: ?>>)
// CHECK: %[[NAN:.*]] = arith.constant dense<0x7FC00000> : vector<8xf32>
// CHECK: %[[NEED:.*]] = arith.ceildivsi %{{.*}}, %c32 : index
// CHECK: %[[HAVE:.*]] = memref.dim %[[BLOCKS]], %c2
// CHECK: %[[FITS:.*]] = arith.cmpi sge, %[[HAVE]], %[[NEED]] : index
// CHECK: scf.if
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK: %[[ANY:[0-9]+]] = scf.for %{{.*}} iter_args(%{{.*}} = %false) -> (i1)
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[ANY]], %false : i1
// CHECK: scf.if %[[EMPTY]] -> (
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// Too small a block operand: NaN outputs instead of out-of-bounds reads.
// CHECK: vector.store %[[NAN]], %[[O]]
func.func @blocks(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %blocks: tensor<?x2x?x?xi8>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%blocks : tensor<?x2x?x?xi8>) {mask = #attn.block_mask<operand = 0, block_q = 32, block_kv = 16>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// Block lists visit the listed blocks only: visit v of a query tile (rows
// of one 16-row query block here) is slot v of its list, key tile = the
// listed block (blocks and tiles are both 8 keys), skipped where the entry
// is padding or past the sequence or an earlier slot listed the same tile.
// No loop over all key tiles, no emptiness test.
// CHECK-LABEL: func.func @__attn_host_listed(
// CHECK-SAME: %[[LIST:[a-z0-9]+]]: memref<?x2x?x3xi32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK: %[[QB:.*]] = arith.divsi %[[R0:.*]], %c16 : index
// CHECK: %[[VISITS:.*]] = arith.muli %{{.*}}, %c3 : index
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK: %[[COUNT:.*]] = arith.maxsi %[[VISITS]], %c0 : index
// CHECK: scf.for %[[VISIT:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(
// CHECK: %[[BLOCK:.*]] = memref.load %[[LIST]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: %[[EARLIER:.*]] = scf.for %{{.*}} = %c0 to %[[VISIT]] step %c1 iter_args(%{{.*}} = %false) -> (i1) {
// CHECK: memref.load %[[LIST]]
// CHECK: }
// CHECK: %[[FRESH:.*]] = arith.cmpi eq, %[[EARLIER]], %false : i1
// CHECK: %[[VALID:.*]] = arith.andi %{{.*}}, %[[FRESH]] : i1
// CHECK: scf.if %[[VALID]] -> (
func.func @listed(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %list: tensor<?x2x?x3xi32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%list : tensor<?x2x?x3xi32>) {mask = #attn.block_list<operand = 0, block_q = 16, block_kv = 8>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
