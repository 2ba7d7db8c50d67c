// SpargeAttn: predicted 0/1 block mask (query blocks 128, key blocks 64) as an i8 operand [B, Hq, ceil(Sq / 128), ceil(Skv / 64)], non-causal; 24 heads, head dim 64, f16.
func.func @sparge_block_mask(%q: tensor<?x24x?x64xf16>, %k: tensor<?x24x?x64xf16>, %v: tensor<?x24x?x64xf16>, %block_keep: tensor<?x24x?x?xi8>) -> tensor<?x24x?x64xf16> {
  %o = attn.attention %q, %k, %v data(%block_keep : tensor<?x24x?x?xi8>) {mask = #attn.block_mask<operand = 0, block_q = 128, block_kv = 64>} : tensor<?x24x?x64xf16>, tensor<?x24x?x64xf16>, tensor<?x24x?x64xf16> -> tensor<?x24x?x64xf16>
  return %o : tensor<?x24x?x64xf16>
}
