// MoBA after routing: causal AND the top-3 routed key blocks of 512 tokens per 512-token query block, as an i32 operand [B, Hq, ceil(Sq / 512), 3]; 32 query / 8 KV heads, head dim 128, bf16.
func.func @moba_block_list(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>, %routed_blocks: tensor<?x32x?x3xi32>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v data(%routed_blocks : tensor<?x32x?x3xi32>) {mask = #attn.and<[#attn.causal, #attn.block_list<operand = 0, block_q = 512, block_kv = 512>]>} : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
