// Causal masks: with square tiles of B and T = S / B query tiles, query tile t
// visits key tiles 0..t, so T(T+1)/2 tiles are visited, the T diagonal ones
// partial and T(T-1)/2 full; the mask keeps S(S+1)/2 elements.

// S = 1024, B = 128: T = 8, visited 36 of 64, partial 8, full 28,
// kept 524800, density 524800 / 1024^2 = 0.500488,
// tile-density 524800 / (36 * 128^2) = 0.889757.
// RUN: attn-opt %s --attn-report-sparsity -o /dev/null | FileCheck %s
// RUN: attn-opt %s --attn-report-sparsity -o /dev/null | FileCheck %s --check-prefix=RAGGED
// CHECK: sparsity @causal op#0: mask #attn.causal Sq 1024 Skv 1024 tile 128x128 grid 8x8 batch-row 0
// CHECK-NEXT: sparsity @causal op#0 head 0: visited 36/64 partial 8 full 28 kept 524800 density 0.500488 tile-density 0.889757
// CHECK-NEXT: sparsity @causal op#0 head 1: visited 36/64 partial 8 full 28 kept 524800 density 0.500488 tile-density 0.889757

// BQ = 128, BK = 64: query tile t reaches key 128t + 127, key tiles
// 0..2t+1, so sum_{t<8} (2t + 2) = 72 visited of 128; both key tiles under
// the diagonal block are partial (16), 56 full.
// RUN: attn-opt %s --attn-report-sparsity="block-kv=64 heads=0" -o /dev/null | FileCheck %s --check-prefix=RECT
// RECT: tile 128x64 grid 8x16
// RECT-NOT: head 1
// RECT: sparsity @causal op#0 head 0: visited 72/128 partial 16 full 56 kept 524800
// RECT-NOT: head 1

// Ragged: S = 1000 gives 8 tiles, the last 104 long; still 36 visited, the
// 8 diagonal ones partial; kept 1000 * 1001 / 2 = 500500.
// RAGGED: sparsity @ragged op#0 head 0: visited 36/64 partial 8 full 28 kept 500500 density 0.500500

func.func @causal(%q: tensor<1x2x1024x64xbf16>, %k: tensor<1x2x1024x64xbf16>, %v: tensor<1x2x1024x64xbf16>) -> tensor<1x2x1024x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<1x2x1024x64xbf16>, tensor<1x2x1024x64xbf16>, tensor<1x2x1024x64xbf16> -> tensor<1x2x1024x64xbf16>
  return %o : tensor<1x2x1024x64xbf16>
}

func.func @ragged(%q: tensor<1x1x1000x64xbf16>, %k: tensor<1x1x1000x64xbf16>, %v: tensor<1x1x1000x64xbf16>) -> tensor<1x1x1000x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<1x1x1000x64xbf16>, tensor<1x1x1000x64xbf16>, tensor<1x1x1000x64xbf16> -> tensor<1x1x1000x64xbf16>
  return %o : tensor<1x1x1000x64xbf16>
}
