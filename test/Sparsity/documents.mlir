// Packed documents, causal inside each document. With 128 x 128 tiles,
// query tile t keeps keys [start(doc(128t)), 128t + 127], so it visits key
// tiles floor(start(doc(128t)) / 128)..t:
//   visited = sum_t (t - floor(start(doc(128t)) / 128) + 1).

// Constant offsets [0, 300, 700, 1024] (documents of 300, 400, 324
// tokens), S = 1024: the starts of doc(128t) for t = 0..7 are
// 0, 0, 0, 300, 300, 300, 700, 700, giving 1 + 2 + 3 + 2 + 3 + 4 + 2 + 3 = 20
// tiles. Full tiles lie inside one document below the diagonal: (1, 0),
// (4, 3), (7, 6); the other 17 are partial. Kept = 300 * 301 / 2
// + 400 * 401 / 2 + 324 * 325 / 2 = 178000.
// RUN: attn-opt %s --attn-report-sparsity="heads=0" -o /dev/null | FileCheck %s
// CHECK: sparsity @offsets op#0: mask #attn.documents<operand = 0, layout = offsets> Sq 1024 Skv 1024
// CHECK-NEXT: sparsity @offsets op#0 head 0: visited 20/64 partial 17 full 3 kept 178000 density 0.169754

// Generated ids (the example's [B, S] operand) from seed 7: the report
// prints the document lengths it drew, 25, 381, 42, 168, 156, 103, 102, 47,
// i.e. starts 0, 25, 406, 448, 616, 772, 875, 977. doc(128t) starts at
// 0, 25, 25, 25, 448, 616, 616, 875 (key tiles 0, 0, 0, 0, 3, 4, 4, 6):
// visited 1 + 2 + 3 + 4 + 2 + 2 + 3 + 2 = 19. The only tile inside one
// document below the diagonal is (2, 1) (document 1 spans 25..405): 1 full,
// 18 partial. Kept = sum L (L + 1) / 2 = 112178.
// RUN: attn-opt %examples/documents.mlir --attn-report-sparsity="seq-q=1024 seq-kv=1024 heads=0 seed=7" -o /dev/null | FileCheck %s --check-prefix=SEEDED
// SEEDED: sparsity @documents op#0: generated data operand #0: document lengths [25, 381, 42, 168, 156, 103, 102, 47] in every batch row
// SEEDED-NEXT: sparsity @documents op#0 head 0: visited 19/64 partial 18 full 1 kept 112178 density 0.106981

// Without constants or a seed nothing is classified.
// RUN: attn-opt %examples/documents.mlir --attn-report-sparsity="seq-q=1024 seq-kv=1024" -o /dev/null | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: sparsity @documents op#0: data-dependent: mask #attn.documents<operand = 0> reads data operands that are not constants; pass seed=N to classify generated ones
// UNKNOWN-NOT: head

func.func @offsets(%q: tensor<1x2x1024x64xbf16>, %k: tensor<1x2x1024x64xbf16>, %v: tensor<1x2x1024x64xbf16>) -> tensor<1x2x1024x64xbf16> {
  %starts = arith.constant dense<[0, 300, 700, 1024]> : tensor<4xi64>
  %o = attn.attention %q, %k, %v data(%starts : tensor<4xi64>) {mask = #attn.documents<operand = 0, layout = offsets>} : tensor<1x2x1024x64xbf16>, tensor<1x2x1024x64xbf16>, tensor<1x2x1024x64xbf16> -> tensor<1x2x1024x64xbf16>
  return %o : tensor<1x2x1024x64xbf16>
}
