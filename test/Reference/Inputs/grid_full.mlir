// Unmasked attention over 20 tokens.
func.func @grid_full(%q: tensor<?x4x20x8xf16>, %k: tensor<?x2x20x8xf16>, %v: tensor<?x2x20x8xf16>) -> tensor<?x4x20x8xf16> {
  %o = attn.attention %q, %k, %v : tensor<?x4x20x8xf16>, tensor<?x2x20x8xf16>, tensor<?x2x20x8xf16> -> tensor<?x4x20x8xf16>
  return %o : tensor<?x4x20x8xf16>
}
