// S2-Attention, narrow local band: block 64, local 4 blocks, stride 8, the last 2 KV heads dense; 32 query / 8 KV heads, head dim 128, bf16.
func.func @s2_attention_local4(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 64, local = 4, stride = 8, dense_heads = 2>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
