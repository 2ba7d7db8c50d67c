// A 2-D neighborhood with a causal dimension on a grid no patch divides (for
// test/Amd/emulated-patches.mlir).
func.func @neighborhood_2d_ragged(%q: tensor<?x2x1110x32xf16>, %k: tensor<?x1x1110x32xf16>, %v: tensor<?x1x1110x32xf16>) -> tensor<?x2x1110x32xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [30, 37], kernel = [7, 9], causal = [false, true]>} : tensor<?x2x1110x32xf16>, tensor<?x1x1110x32xf16>, tensor<?x1x1110x32xf16> -> tensor<?x2x1110x32xf16>
  return %o : tensor<?x2x1110x32xf16>
}
