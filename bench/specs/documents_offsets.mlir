// Benchmark case "documents_offsets": the documents of bench/specs/documents.mlir given as
// offsets (document starts [N + 1], i32, shared by the batch), causal inside each: kernels
// bound each query tile's keys by binary search, with no per-call preparation (the baseline
// of bench/mask_prep.py). bf16, Hq = Hkv = 16, head dim 128; B and S dynamic.
func.func @documents_offsets(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>, %document_starts: tensor<?xi32>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v data(%document_starts : tensor<?xi32>) {mask = #attn.documents<operand = 0, layout = offsets, causal = true>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
