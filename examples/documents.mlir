// Packed documents (jagged sequences), causal inside each document; document ids [B, S] as an i32 operand; 32 query / 8 KV heads, head dim 128, bf16.
func.func @documents(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %document_ids: tensor<?x?xi32>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v data(%document_ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
