// The AMD target has no key summary preparation kernels yet: mask-prep=kernel
// is refused for it where a spec would read a summary (documents as ids),
// naming the target.
// RUN: not attn-opt %s --attn-compile="targets=host,gfx942 mask-prep=kernel" 2>&1 | FileCheck %s
// CHECK: error: attn-compile: mask-prep=kernel: the AMD target has no preparation kernels yet (use mask-prep=scan)
func.func @ids(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x64xbf16> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}
