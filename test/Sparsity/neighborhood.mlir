// 2-D neighborhood attention, 64 x 64 grid (S = 4096), kernel 15 x 15,
// 64 x 64 tiles: row-major tiles against 8 x 8 patch tiles.
//
// Per dimension, query x keeps keys [c - 7, c + 7] with c = clamp(x, 7, 56);
// every query keeps 15 * 15 = 225 keys: kept = 4096 * 225 = 921600,
// density 921600 / 4096^2 = 0.054932.
//
// Row-major: a tile is one grid row; query row t reaches the 15 key rows
// c - 7..c + 7, each a key tile of which a query uses 15 of 64 columns:
// visited 64 * 15 = 960, all partial; tile-density 921600 / (960 * 4096)
// = 0.234375.
// Patches 8 x 8 (64 x 64 divides, and 8 x 8 has the smallest halo):
// per dimension query patch a reaches patches
// a = 0: 0..1, a = 1..6: a-1..a+1, a = 7: 6..7, 2 + 6 * 3 + 2 = 22 pairs,
// full exactly when the key patch is the query patch (|c(x) - y| <= 7 for
// all x, y of one patch). Tiles are products: visited 22 * 22 = 484,
// full 8 * 8 = 64, partial 420; tile-density 921600 / (484 * 4096)
// = 0.464876.
// RUN: attn-opt %s --attn-report-sparsity="block-q=64 block-kv=64 heads=0 svg=%t" -o /dev/null | FileCheck %s
// The kernels' patch tiles (choosePatchTiling) are these 8 x 8 patches;
// sequence order there is the row-major count.
// CHECK: sparsity @natten op#0: mask #attn.neighborhood<grid = [64, 64], kernel = [15, 15]> Sq 4096 Skv 4096 tile 64x64 grid 64x64 batch-row 0
// CHECK-NEXT: sparsity @natten op#0: kernel tiles: patch 8x8 visited 484/4096 partial 420 full 64 kept 921600 tile-density 0.464876 (sequence order visits 960)
// CHECK-NEXT: sparsity @natten op#0 head 0 row-major: visited 960/4096 partial 960 full 0 kept 921600 density 0.054932 tile-density 0.234375
// CHECK-NEXT: sparsity @natten op#0 head 0 patch 8x8: visited 484/4096 partial 420 full 64 kept 921600 density 0.054932 tile-density 0.464876
// CHECK-NEXT: sparsity @natten op#0: wrote {{.*}}-natten-op0.svg

// Rect runs. Row-major: rows t < 8 and t >= 56 have one partial run and one
// skipped run, the others a skipped run on each side: 64 partial, 112
// skipped. Patch order: query patch (a, c) visits one run of key patches per
// reached patch row, the own patch row split around the full tile:
// 64 full, 8 * (22 - 8) + 8 * (7 + 7) = 224 partial, and skipped gaps
// between the runs (112) plus before (60) and after (60) them: 232.
// RUN: FileCheck %s --check-prefix=SVG < %t-natten-op0.svg
// SVG: <svg
// SVG: <g id="legend">
// SVG: head 0 row-major: visited 960/4096
// SVG: head 0 patch 8x8: visited 484/4096
// RUN: grep -c 'class="full"' %t-natten-op0.svg | FileCheck %s --check-prefix=FULL
// FULL: {{^}}64{{$}}
// RUN: grep -c 'class="partial"' %t-natten-op0.svg | FileCheck %s --check-prefix=PARTIAL
// PARTIAL: {{^}}288{{$}}
// RUN: grep -c 'class="skipped"' %t-natten-op0.svg | FileCheck %s --check-prefix=SKIPPED
// SKIPPED: {{^}}344{{$}}

func.func @natten(%q: tensor<1x2x4096x64xf16>, %k: tensor<1x2x4096x64xf16>, %v: tensor<1x2x4096x64xf16>) -> tensor<1x2x4096x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [64, 64], kernel = [15, 15]>} : tensor<1x2x4096x64xf16>, tensor<1x2x4096x64xf16>, tensor<1x2x4096x64xf16> -> tensor<1x2x4096x64xf16>
  return %o : tensor<1x2x4096x64xf16>
}

// Swin-style blocked windows (7 x 7, stride 7) on a 56 x 56 grid: no patch
// of 128 tokens aligns with the windows well enough to beat rows, so only
// row-major tiles are reported. The kernels' patches may hold fewer tokens
// than a tile: 7 x 14 (98 tokens, two windows) visits only itself, each of
// the 8 * 4 patches one partial tile: 32 instead of row-major's 121.
// With 64-token tiles, 7 x 7 patches are the windows: 64 tiles, all of
// whose 49 x 49 pairs are kept, yet partial, because columns 49..63 of
// each tile hold no key.
// RUN: attn-opt %examples/swin_blocked.mlir --attn-report-sparsity="heads=0" -o /dev/null | FileCheck %s --check-prefix=SWIN
// SWIN: sparsity @swin_blocked op#0: no patch of 128 tokens visits fewer tiles than row-major order
// SWIN-NEXT: sparsity @swin_blocked op#0: kernel tiles: patch 7x14 visited 32/1024 partial 32 full 0 kept 153664 tile-density 0.293091 (sequence order visits 121)
// SWIN-NEXT: sparsity @swin_blocked op#0 head 0 row-major: visited
// SWIN-NOT: patch
// RUN: attn-opt %examples/swin_blocked.mlir --attn-report-sparsity="heads=0 block-q=64 block-kv=64" -o /dev/null | FileCheck %s --check-prefix=SWIN64
// SWIN64: sparsity @swin_blocked op#0: kernel tiles: patch 7x7 visited 64/4096 partial 64 full 0 kept 153664 tile-density 0.586182 (sequence order visits 385)
