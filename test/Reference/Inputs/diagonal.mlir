// Keeps only j == i: with Sq > Skv the queries past Skv keep no key.
func.func @diagonal(%q: tensor<?x4x?x8xbf16>, %k: tensor<?x2x?x8xbf16>, %v: tensor<?x2x?x8xbf16>) -> tensor<?x4x?x8xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 1>} : tensor<?x4x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16> -> tensor<?x4x?x8xbf16>
  return %o : tensor<?x4x?x8xbf16>
}
