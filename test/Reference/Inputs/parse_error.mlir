func.func @broken(%q: tensor<?x4x?x8xf32>) {
  %o = attn.attention %q, %q, %q {mask = #attn.causal
}
