// Benchmark case "s2": S2-Attention (DKernel) with blocks of 64, 16 local blocks, stride 8, offset 0 (docs/systems.md): j <= i and (blk(i) - blk(j) < 16 or (blk(j) + h) mod 8 == 0), since sigma = max(1, floor(8 / 16)) = 1.
// bf16, Hq = Hkv = 16, head dim 128; B and S dynamic (bench: B=2, S=16384).
func.func @s2(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.s2<block = 64, local = 16, stride = 8>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
