// Packed documents, bidirectional inside each document (encoder packing); cumulative document starts [N + 1] as an i64 operand shared by the batch; 12 heads, head dim 64, f16.
func.func @documents_offsets(%q: tensor<?x12x?x64xf16>, %k: tensor<?x12x?x64xf16>, %v: tensor<?x12x?x64xf16>, %document_starts: tensor<?xi64>) -> tensor<?x12x?x64xf16> {
  %o = attn.attention %q, %k, %v data(%document_starts : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16>, tensor<?x12x?x64xf16> -> tensor<?x12x?x64xf16>
  return %o : tensor<?x12x?x64xf16>
}
