// The AMD target has no backward kernels yet (docs/backward.md): grad=true
// is refused for it, naming the target.
// RUN: not attn-opt %s --attn-compile="targets=host,gfx942 grad=true" 2>&1 | FileCheck %s
// CHECK: error: attn-compile: grad=true: the AMD target has no backward kernels yet (docs/backward.md)
func.func @causal(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> (tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
}
