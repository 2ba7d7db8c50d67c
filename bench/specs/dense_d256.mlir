// Benchmark case "dense_d256": no mask, head dimension 256.
// bf16, Hq = Hkv = 8, head dim 256; B and S dynamic (bench: B=2, S=16384).
func.func @dense_d256(%q: tensor<?x8x?x256xbf16>, %k: tensor<?x8x?x256xbf16>, %v: tensor<?x8x?x256xbf16>) -> tensor<?x8x?x256xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16>, tensor<?x8x?x256xbf16> -> tensor<?x8x?x256xbf16>
  return %o : tensor<?x8x?x256xbf16>
}
