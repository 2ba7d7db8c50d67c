// Star Attention phase 1 (context encoding): causal local block of 4096 tokens plus the anchor block 0; 32 query / 8 KV heads, head dim 128, bf16.
func.func @star_attention(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.star_anchor<block = 4096>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
