// The tiles attn-sparsify's visit clause steps through, counted at 128 x 128
// tiles, equal the analytic counts (derived in test/Sparsity/*.mlir, whose
// report lines give the same numbers):
// - causal, S = 1024 (and a ragged 1000): query tile t visits key tiles
//   0..t, the diagonal one partial: 8 * 9 / 2 = 36 visited, 8 partial.
// - window<left = 512>, S = 2048: tile t visits t - 4..t (fewer for t < 4);
//   t - 4 and t are partial: 1 + 2 + 3 + 4 + 12 * 5 = 70 visited, 2 * 14 = 28
//   partial.
// - S2 (block 128 = tile, local 16, stride 8) per head: 330, 312, 318, 324.
// - documents with constant offsets [0, 300, 700, 1024]: 20 visited, 3 full.
// RUN: attn-opt %S/../Sparsity/causal.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=128 --attn-tile=block-q=128 --attn-sparsify=count=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=CAUSAL
// RUN: attn-opt %S/../Sparsity/window.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=128 --attn-tile=block-q=128 --attn-sparsify=count=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=WINDOW
// RUN: attn-opt %S/../Sparsity/s2.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=128 --attn-tile=block-q=128 --attn-sparsify=count=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=S2
// RUN: attn-opt %S/../Sparsity/documents.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=128 --attn-tile=block-q=128 --attn-sparsify=count=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=DOCS
// RUN: attn-opt %S/../Sparsity/causal.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=64 --attn-tile=block-q=128 --attn-sparsify=count=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=RECT
// RUN: attn-opt %S/../Sparsity/causal.mlir --attn-report-sparsity="block-kv=64" -o /dev/null | FileCheck %s --check-prefix=RECT-REPORT
// RUN: attn-opt %examples/documents.mlir --attn-decompose --attn-defer-division --attn-online-softmax=tile-size=128 --attn-tile=block-q=128 --attn-sparsify="count=true seq-q=1024 seq-kv=1024" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DATA

// CAUSAL: remark: cascade causal head 0: visited 36/64 partial 8 full 28
// CAUSAL: remark: cascade causal head 1: visited 36/64 partial 8 full 28
// CAUSAL: remark: cascade ragged head 0: visited 36/64 partial 8 full 28

// WINDOW: remark: cascade window head 0: visited 70/256 partial 28 full 42
// WINDOW: remark: cascade window_300 head 0: visited 26/64 partial 19 full 7
// WINDOW: remark: cascade bidirectional head 0: visited 22/64 partial 22 full 0

// S2: remark: cascade s2 head 0: visited 330/1024 partial 134 full 196
// S2: remark: cascade s2 head 1: visited 312/1024 partial 116 full 196
// S2: remark: cascade s2 head 2: visited 318/1024 partial 122 full 196
// S2: remark: cascade s2 head 3: visited 324/1024 partial 128 full 196

// DOCS: remark: cascade offsets head 0: visited 20/64 partial 17 full 3

// 128 x 64 tiles: query tile t visits key tiles 0..2t + 1, the last two
// partial: sum (2t + 2) = 72 visited, 16 partial; the report agrees.
// RECT: remark: cascade causal head 0: visited 72/128 partial 16 full 56
// RECT-REPORT: sparsity @causal op#0 head 0: visited 72/128 partial 16 full 56

// Document ids that are not constants: the visit lists come from the operand
// at run time, so nothing is counted here.
// DATA: remark: cascade documents: data-dependent visit lists (data operands that are not constants); they are computed from the operands at run time
// DATA-NOT: head
