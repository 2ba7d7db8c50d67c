// A 4x5 neighborhood with a 3x3 kernel.
func.func @grid_neighborhood_3x3(%q: tensor<?x4x20x8xf16>, %k: tensor<?x2x20x8xf16>, %v: tensor<?x2x20x8xf16>) -> tensor<?x4x20x8xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4, 5], kernel = [3, 3]>} : tensor<?x4x20x8xf16>, tensor<?x2x20x8xf16>, tensor<?x2x20x8xf16> -> tensor<?x4x20x8xf16>
  return %o : tensor<?x4x20x8xf16>
}
