// Causal sliding window W (keep j <= i and i - j < W), S = 2048, square
// tiles B = 128, T = 16. Query tile t (rows tB..tB+B-1) keeps keys
// [tB - W + 1, tB + B - 1], i.e. key tiles max(0, t - W/B)..t when B | W:
//   visited = sum_{t<T} (min(t, W/B) + 1).
// W = 512 (W/B = 4): 1 + 2 + 3 + 4 + 12 * 5 = 70 of 256. Partial: the T
// diagonal tiles plus, for t >= W/B, the oldest tile t - W/B (its first key
// is W - B + 1.. away from the last row yet exactly W from the first row),
// 16 + 12 = 28; full 42. Kept = sum_i min(i + 1, W)
// = 512 * 513 / 2 + 1536 * 512 = 917760, density 917760 / 2048^2 = 0.218811,
// tile-density 917760 / (70 * 128^2) = 0.800223.
// RUN: attn-opt %s --attn-report-sparsity="heads=0" -o /dev/null | FileCheck %s
// CHECK: sparsity @window op#0: mask #attn.window<left = 512> Sq 2048 Skv 2048 tile 128x128 grid 16x16 batch-row 0
// CHECK-NEXT: sparsity @window op#0 head 0: visited 70/256 partial 28 full 42 kept 917760 density 0.218811 tile-density 0.800223

// W = 300 (not a multiple of B), S = 1024, T = 8: the first key of tile t is
// 128t - 299, in key tile t - 3 for t >= 3, so t >= 3 visits 4 tiles and
// t < 3 visits t + 1: 1 + 2 + 3 + 5 * 4 = 26 of 64. Tile t - 1 is full
// (needs 128t - 128 >= 128t + 127 - 299), tiles t - 2, t - 3 and t are
// partial: full = 7 (t = 1..7), partial 19. Kept = 300 * 301 / 2 + 724 * 300
// = 262350.
// RUN: attn-opt %s --attn-report-sparsity="heads=0" -o /dev/null | FileCheck %s --check-prefix=W300
// W300: sparsity @window_300 op#0 head 0: visited 26/64 partial 19 full 7 kept 262350 density 0.250196

// Bidirectional window (left 2, right 128), keys [i - 1, i + 128]: with
// B = 128 query tile t visits key tiles t - 1 (t >= 1), t and t + 1
// (t <= 6): 3 * 8 - 2 = 22, none full (every tile misses some key of some
// row); kept = sum_i (min(i, 1) + 1 + min(128, 1023 - i)).
// RUN: attn-opt %s --attn-report-sparsity="heads=0" -o /dev/null | FileCheck %s --check-prefix=BIDI
// BIDI: sparsity @bidirectional op#0 head 0: visited 22/64 partial 22 full 0 kept 124863

func.func @window(%q: tensor<1x2x2048x64xf16>, %k: tensor<1x1x2048x64xf16>, %v: tensor<1x1x2048x64xf16>) -> tensor<1x2x2048x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 512>} : tensor<1x2x2048x64xf16>, tensor<1x1x2048x64xf16>, tensor<1x1x2048x64xf16> -> tensor<1x2x2048x64xf16>
  return %o : tensor<1x2x2048x64xf16>
}

func.func @window_300(%q: tensor<1x2x1024x64xf16>, %k: tensor<1x2x1024x64xf16>, %v: tensor<1x2x1024x64xf16>) -> tensor<1x2x1024x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 300>} : tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16> -> tensor<1x2x1024x64xf16>
  return %o : tensor<1x2x1024x64xf16>
}

func.func @bidirectional(%q: tensor<1x1x1024x64xf16>, %k: tensor<1x1x1024x64xf16>, %v: tensor<1x1x1024x64xf16>) -> tensor<1x1x1024x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 2, right = 128>} : tensor<1x1x1024x64xf16>, tensor<1x1x1024x64xf16>, tensor<1x1x1024x64xf16> -> tensor<1x1x1024x64xf16>
  return %o : tensor<1x1x1024x64xf16>
}
