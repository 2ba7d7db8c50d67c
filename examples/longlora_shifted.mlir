// LongLoRA S2-Attn (shifted groups) for 8192-token training: group G = 8192 / 4 = 2048, second half of the heads shifted by G/2; Llama 2 7B: 32 heads, head dim 128, bf16.
func.func @longlora_shifted(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x32x?x128xbf16>, %v: tensor<?x32x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.shifted_groups<group = 2048>} : tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16>, tensor<?x32x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
