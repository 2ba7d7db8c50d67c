// The report scales: closed forms per tile, never per element. S2 with
// DKernel's defaults at S = 16384, 32 query / 8 KV heads (sigma = 1),
// 128 x 128 tiles (T = 128), every head reported, must finish well within
// the timeout (a per-element count would take minutes).
//
// Head 0 (KV head 0, strided blocks c = 0 mod 8, i.e. key tiles kt = 0 mod 4):
// band tiles sum_t (min(t, 8) + 1) = 45 + 119 * 9 = 1116, strided tiles
// sum_{m=1}^{119} ceil(m / 4) = 1830: visited 2946; partial = 128 diagonal
// + 120 oldest band tiles + 1830 strided = 2078; full 868.
// RUN: timeout 20 attn-opt %examples/s2_attention.mlir --attn-report-sparsity="seq-q=16384 seq-kv=16384" -o /dev/null | FileCheck %s
// CHECK: sparsity @s2_attention op#0: mask #attn.s2<> Sq 16384 Skv 16384 tile 128x128 grid 128x128 batch-row 0
// CHECK-NEXT: sparsity @s2_attention op#0 head 0: visited 2946/16384 partial 2078 full 868
// CHECK: sparsity @s2_attention op#0 head 31: visited
