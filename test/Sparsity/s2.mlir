// S2-Attention with DKernel's defaults (block 64, local 16 blocks, stride 8;
// they print as #attn.s2<>)
// at S = 4096, Hq = Hkv = 4 (sigma = max(1, 8 / 4) = 2), 128 x 128 tiles:
// T = 32 query tiles; each tile holds 2 blocks.
//
// KV head g keeps the blocks c with (c + 2g) mod 8 == 0, i.e. c = r_g mod 8
// with r = 0, 6, 4, 2: as r is even, key tile kt holds a strided block iff
// kt = r_g / 2 mod 4 (c_g = 0, 3, 2, 1). Query tile t (row blocks 2t, 2t+1)
// reaches back to block 2t - 15 with its local band: key tiles
// max(0, t - 8)..t, i.e. min(t, 8) + 1 tiles, sum = 45 + 23 * 9 = 252.
// Left of the band, tiles kt < t - 8 with kt = c_g mod 4:
//   sum_{m=1}^{23} #{kt < m : kt = c mod 4} = 78, 60, 66, 72 for g = 0..3.
// visited = 252 + that = 330, 312, 318, 324.
// Partial: the 32 diagonal tiles, the 24 oldest band tiles t - 8 (block
// 2t - 16 is outside every row's band) and every strided tile (one of its
// two blocks is strided): 56 + 78 = 134, 116, 122, 128; full = 196 each.
// RUN: attn-opt %s --attn-report-sparsity="svg=%t" -o /dev/null | FileCheck %s
// CHECK: sparsity @s2 op#0: mask #attn.s2<> Sq 4096 Skv 4096 tile 128x128 grid 32x32 batch-row 0
// CHECK-NEXT: sparsity @s2 op#0 head 0: visited 330/1024 partial 134 full 196
// CHECK-NEXT: sparsity @s2 op#0 head 1: visited 312/1024 partial 116 full 196
// CHECK-NEXT: sparsity @s2 op#0 head 2: visited 318/1024 partial 122 full 196
// CHECK-NEXT: sparsity @s2 op#0 head 3: visited 324/1024 partial 128 full 196
// CHECK-NEXT: sparsity @s2 op#0: wrote {{.*}}-s2-op0.svg

// The block map: one rect per run of equal cells in a row. Runs per row from
// the pattern above: rows t < 8 are [full run] partial [skipped]; rows
// t >= 8 alternate partial strided tiles with skipped gaps, then the band
// (partial oldest tile, full run, partial diagonal) and a skipped tail.
// Over the 4 heads: 124 full, 477 partial and 446 skipped runs.
// RUN: FileCheck %s --check-prefix=SVG < %t-s2-op0.svg
// SVG: <svg xmlns="http://www.w3.org/2000/svg"
// SVG: <title>attn sparsity @s2 op#0: #attn.s2&lt;&gt;, Sq 4096 Skv 4096, tiles 128x128</title>
// SVG: <g id="legend">
// SVG-DAG: full: no element mask
// SVG-DAG: partial: element mask applied
// SVG-DAG: skipped: never visited
// SVG: head 0: visited 330/1024
// SVG: head 3: visited 324/1024
// SVG: </svg>
// RUN: grep -c 'class="full"' %t-s2-op0.svg | FileCheck %s --check-prefix=FULL
// FULL: {{^}}124{{$}}
// RUN: grep -c 'class="partial"' %t-s2-op0.svg | FileCheck %s --check-prefix=PARTIAL
// PARTIAL: {{^}}477{{$}}
// RUN: grep -c 'class="skipped"' %t-s2-op0.svg | FileCheck %s --check-prefix=SKIPPED
// SKIPPED: {{^}}446{{$}}

func.func @s2(%q: tensor<1x4x4096x64xbf16>, %k: tensor<1x4x4096x64xbf16>, %v: tensor<1x4x4096x64xbf16>) -> tensor<1x4x4096x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 64, local = 16, stride = 8>} : tensor<1x4x4096x64xbf16>, tensor<1x4x4096x64xbf16>, tensor<1x4x4096x64xbf16> -> tensor<1x4x4096x64xbf16>
  return %o : tensor<1x4x4096x64xbf16>
}
