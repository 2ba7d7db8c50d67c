// Cascades written by hand go through the same lowering as attn.attention:
// the cascade pipeline (skipping the steps they are already past), the tile
// program, the schedule emitter. The forms the attn.attention vocabulary
// cannot say (examples/cascades: sigmoid attention, softmax with one added
// to the denominator) and FuseMax's own cascades (examples/fusemax) are
// checked against the float64 interpreter at ragged sizes.
// RUN: bash %S/check-examples.sh f32 attn-opt attn-run %examples/cascades %t.f32 | FileCheck %s --check-prefix=F32
// RUN: bash %S/check-examples.sh bf16 attn-opt attn-run %examples/cascades %t.bf16 | FileCheck %s --check-prefix=BF16
// F32: f32: 4 checks, 0 failures
// BF16: bf16: 4 checks, 0 failures

// FuseMax's 1-pass cascade (already an iteration: online softmax is
// skipped, its key tile of 32 re-chosen by attn-tile) and its 3-pass
// cascade (deferred division and online softmax run), with tiles that do
// not divide the lengths.
// RUN: attn-opt %examples/fusemax/one_pass.mlir --attn-compile="targets=host block-q=24 block-kv=40 output=%t.one.atnb" -o /dev/null
// RUN: attn-run %t.one.atnb --target host --batch 2 --seq-q 77 --seq-kv 131 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-opt %examples/fusemax/three_pass.mlir --attn-compile="targets=host output=%t.three.atnb" -o /dev/null
// RUN: attn-run %t.three.atnb --target host --batch 1 --seq-q 130 --seq-kv 67 --check | FileCheck %s --check-prefix=PASS
// PASS: PASS

// One lowering: a spec and the cascade attn-decompose makes of it give the
// same kernel.
// RUN: attn-opt %examples/gemma2_local.mlir --attn-compile="targets=host emit=host-loops" -o %t.spec.mlir
// RUN: attn-opt %examples/gemma2_local.mlir --attn-decompose | attn-opt --attn-compile="targets=host emit=host-loops" -o %t.cascade.mlir
// RUN: diff %t.spec.mlir %t.cascade.mlir

// A tiled cascade written by hand keeps its tiles (the host takes any).
// RUN: attn-opt %examples/causal.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=24 --attn-tile=block-q=40 -o %t.tiled.mlir
// RUN: attn-opt %t.tiled.mlir --attn-compile="targets=host output=%t.tiled.atnb" -o /dev/null
// RUN: attn-run %t.tiled.atnb --target host --batch 1 --seq-q 61 --seq-kv 93 --check | FileCheck %s --check-prefix=PASS
// RUN: attn-opt %t.tiled.mlir --attn-compile="targets=host emit=host-loops" --canonicalize | FileCheck %s --check-prefix=TILES
// TILES-DAG: memref.alloca() : memref<24xf32>
// TILES-DAG: arith.ceildivsi %{{.*}}, %c40 : index

// A mask region whose yield is an element it reads from a data operand: the
// read becomes a load, and the yield follows it. Random keep bits are as good
// a test of that as any, hence --allow-arbitrary-region-data.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.region.atnb" -o /dev/null
// RUN: attn-run %t.region.atnb --target host --batch 1 --seq-q 19 --seq-kv 19 --check --allow-arbitrary-region-data | FileCheck %s --check-prefix=PASS
func.func @region_yields_extract(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %keep: tensor<2x19x19xi1>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%keep : tensor<2x19x19xi1>) : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %kept = tensor.extract %keep[%h, %i, %j] : tensor<2x19x19xi1>
    attn.yield %kept : i1
  }
  return %o : tensor<?x2x?x8xf32>
}
