// Benchmark case "documents": packed documents, causal inside each (document ids [B, S], i32).
// bf16, Hq = Hkv = 16, head dim 128; B and S dynamic (bench: B=2, S=16384, 8 documents of
// 2048 tokens per sequence, ids = position / 2048).
func.func @documents(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %document_ids: tensor<?x?xi32>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v data(%document_ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
