// RUN: attn-opt --attn-online-softmax=tile-size=16 --attn-tile=block-q=32 --attn-sparsify %examples/fusemax/two_pass.mlir | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=4 --attn-sparsify %s | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=4 --attn-sparsify --attn-sparsify %s | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=8 --attn-tile=block-q=4 --attn-sparsify --attn-count-passes %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES

// Skipping is decided by what a tile of dropped keys does to the running
// tensors, not by the select's constant: sigmoid attention drops keys with
// weight 0, which adds nothing to its running numerator.
// RUN: attn-opt --attn-tile=block-q=32 --attn-sparsify %examples/cascades/sigmoid.mlir | FileCheck %s --check-prefix=SIGMOID
// SIGMOID: attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RNV[b, h, p1, p0, f, m1] = 0.0)

// The iteration over the key tiles visits, per (batch, head, query tile),
// only the tiles the causal mask keeps something in; the select stays for
// the partial ones.
// CAUSAL-LABEL: func.func @attention
// CAUSAL: attn.partition p = p1 * 32 + p0
// CAUSAL-NEXT: attn.partition m = m1 * 16 + m0
// CAUSAL-NEXT: attn.iterate m1 stop(m1 = M1) visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(@RM[b, h, p1, p0, m1] = -inf, @RD[b, h, p1, p0, m1] = 0.0, @RNV[b, h, p1, p0, f, m1] = 0.0) {
// CAUSAL-NEXT: attn.einsum @BQK[b, h, p1, p0, m1, m0] = mul(@Q[b, h, p1 * P0 + p0, e], @K[b, g(h), m1 * M0 + m0, e], 0.125) reduce(sum: e)
// CAUSAL-NEXT: attn.einsum @BS[b, h, p1, p0, m1, m0] = select(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0], @BQK[b, h, p1, p0, m1, m0], -inf)

// A mask attribute and a mask region: both tests go into the clause (a key
// tile is visited unless one of them keeps nothing in it).
// CHECK-LABEL: func.func @window_and_region
// CHECK: attn.iterate m1 stop(m1 = M1) visit(mask<#attn.window<left = 6>>[b, h, p1 * P0 + p0, m1 * M0 + m0], mask_region[b, h, p1 * P0 + p0, m1 * M0 + m0]) running(
func.func @window_and_region(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 6>} : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c3 = arith.constant 3 : index
    %lo = arith.muli %h, %c3 : index
    %keep = arith.cmpi uge, %j, %lo : index
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x4xf32>
}

// Without a mask every tile is full: the iteration keeps visiting all.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: visit
// CHECK: attn.cascade_yield
func.func @dense(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// Skipping tiles does not change the pass count.
// PASSES: remark: cascade window_and_region: 1 passes over rank m
// PASSES: remark: cascade window_and_region: 1 passes over rank m1

// The visit clause is executed, not decorative: naming a narrower mask than
// the one the scores are selected by skips tiles the spec keeps keys in, and
// the reference evaluator then disagrees with the spec.
// RUN: attn-opt --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=4 --attn-tile=block-q=4 --attn-sparsify %s -o %t.mlir
// RUN: attn-run --target ref %s --equivalent %t.mlir --function causal --batch 1 --seq-q 24 --seq-kv 24 --seed 5 --tolerance 1e-12 | FileCheck %s --check-prefix=RIGHT
// RUN: sed -e 's/visit(mask<#attn.causal>/visit(mask<#attn.window<left = 3>>/' %t.mlir > %t.wrong.mlir
// RUN: not attn-run --target ref %s --equivalent %t.wrong.mlir --function causal --batch 1 --seq-q 24 --seq-kv 24 --seed 5 --tolerance 1e-12 | FileCheck %s --check-prefix=WRONG
// RIGHT: PASS
// WRONG: FAIL
func.func @causal(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}
