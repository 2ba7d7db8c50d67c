// A neighborhood whose forward kernel runs in N-dimensional patch tiles
// (its grid is the sequence) has a backward kernel in sequence-order tiles:
// it reads the forward's O and LSE, whatever their tiles. GQA (2 query
// heads on 1), a ragged grid.
// RUN: attn-opt %s --attn-compile="targets=host grad=true block-q=8 block-kv=8 output=%t.atnb" -o /dev/null
// RUN: attn-run %t.atnb --target host --check --gradients --function nat_2d --batch 1 | FileCheck %s
// CHECK: o: rel_err=
// CHECK-NEXT: dq: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dk: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dv: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: backward runs bit-identical: yes
// CHECK: PASS

// The forward kernel reads the patch visit table; the backward has none.
// RUN: attn-opt %s --attn-compile="targets=host grad=true block-q=8 block-kv=8 emit=host-loops" | FileCheck %s --check-prefix=LOOPS
// LOOPS-LABEL: func.func @__attn_host_nat_2d(
// LOOPS: memref.get_global @__attn_patches___attn_host_nat_2d_offsets
// LOOPS-LABEL: func.func @__attn_host_nat_2d_grad(
// LOOPS-NOT: memref.get_global
// LOOPS: return

func.func @nat_2d(%q: tensor<?x2x253x16xf32>, %k: tensor<?x1x253x16xf32>, %v: tensor<?x1x253x16xf32>) -> (tensor<?x2x253x16xf32>, tensor<?x2x253xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [11, 23], kernel = [3, 3]>} : tensor<?x2x253x16xf32>, tensor<?x1x253x16xf32>, tensor<?x1x253x16xf32> -> tensor<?x2x253x16xf32>, tensor<?x2x253xf32>
  return %o, %lse : tensor<?x2x253x16xf32>, tensor<?x2x253xf32>
}
