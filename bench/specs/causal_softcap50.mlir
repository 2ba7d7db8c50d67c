// Benchmark case "causal_softcap50": causal with tanh soft-capping at 50 (score -> 50 tanh(score / 50)).
// bf16, Hq = Hkv = 16, head dim 128; B and S dynamic (bench: B=2, S=16384).
func.func @causal_softcap50(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.softcap<50.0>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
