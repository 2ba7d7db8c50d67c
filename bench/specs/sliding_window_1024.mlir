// Benchmark case "sliding_window_1024": causal sliding window of 1024 (keep j <= i and i - j < 1024).
// bf16, Hq = Hkv = 16, head dim 128; B and S dynamic (bench: B=2, S=16384).
func.func @sliding_window_1024(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 1024>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
