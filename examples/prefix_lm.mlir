// Prefix-LM (PaliGemma-style): keep j <= i or j < prefix[b], prefix lengths [B] as an i32 operand; 8 query heads, 1 KV head, head dim 256, bf16.
func.func @prefix_lm(%q: tensor<?x8x?x256xbf16>, %k: tensor<?x1x?x256xbf16>, %v: tensor<?x1x?x256xbf16>, %prefix_lengths: tensor<?xi32>) -> tensor<?x8x?x256xbf16> {
  %o = attn.attention %q, %k, %v data(%prefix_lengths : tensor<?xi32>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x8x?x256xbf16>, tensor<?x1x?x256xbf16>, tensor<?x1x?x256xbf16> -> tensor<?x8x?x256xbf16>
  return %o : tensor<?x8x?x256xbf16>
}
