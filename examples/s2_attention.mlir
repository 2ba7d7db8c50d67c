// S2-Attention with DKernel's defaults: block 64, local 16 blocks, stride 8, offset 0, no dense heads; 32 query / 8 KV heads, head dim 128, bf16.
func.func @s2_attention(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 64, local = 16, stride = 8>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
