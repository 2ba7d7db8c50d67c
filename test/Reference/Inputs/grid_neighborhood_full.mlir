// A 4x5 neighborhood whose kernel is the whole grid: full attention.
func.func @grid_neighborhood_full(%q: tensor<?x4x20x8xf16>, %k: tensor<?x2x20x8xf16>, %v: tensor<?x2x20x8xf16>) -> tensor<?x4x20x8xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [4, 5], kernel = [4, 5]>} : tensor<?x4x20x8xf16>, tensor<?x2x20x8xf16>, tensor<?x2x20x8xf16> -> tensor<?x4x20x8xf16>
  return %o : tensor<?x4x20x8xf16>
}
