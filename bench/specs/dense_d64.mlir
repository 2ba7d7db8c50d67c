// Benchmark case "dense_d64": no mask, head dimension 64.
// bf16, Hq = Hkv = 32, head dim 64; B and S dynamic (bench: B=2, S=16384).
func.func @dense_d64(%q: tensor<?x32x?x64xbf16>, %k: tensor<?x32x?x64xbf16>, %v: tensor<?x32x?x64xbf16>) -> tensor<?x32x?x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x32x?x64xbf16>, tensor<?x32x?x64xbf16>, tensor<?x32x?x64xbf16> -> tensor<?x32x?x64xbf16>
  return %o : tensor<?x32x?x64xbf16>
}
