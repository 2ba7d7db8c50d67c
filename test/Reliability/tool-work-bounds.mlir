// Issue 16: every tool bounds its work before it starts. The sparsity
// report hung or died of SIGFPE / out of memory on extreme options, and
// sparsify's counts had no bound.
// RUN: not attn-opt %s --attn-report-sparsity="seq-q=64 seq-kv=64 block-q=9223372036854775807" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: attn-report-sparsity: block-q must be in [1, 1073741824], got 9223372036854775807
// RUN: not attn-opt %s --attn-report-sparsity="seq-q=9223372036854775807 seq-kv=64" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SEQ
// SEQ: error: attn-report-sparsity: seq-q must be in [1, 1073741824], got 9223372036854775807
// RUN: not attn-opt %s --attn-report-sparsity="seq-q=1073741824 seq-kv=1073741824 block-q=1 block-kv=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PAIRS
// PAIRS: error: attn-report-sparsity: 1073741824 x 1073741824 tiles exceed the report's limit of 16777216 tile pairs
// 64 heads x 2^24 tile pairs: each head's map is allowed, all of them not.
// RUN: not attn-opt %s --attn-report-sparsity="seq-q=4096 seq-kv=4096 block-q=1 block-kv=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HEADS
// HEADS: error: attn-report-sparsity: 64 heads x 16777216 tile pairs exceed the report's limit of 268435456; pass heads=... or use larger block-q/block-kv
// RUN: not attn-opt %s --attn-decompose --attn-defer-division --attn-online-softmax --attn-tile --attn-sparsify="count=true seq-q=4611686018427387904" -o /dev/null 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: attn-sparsify: seq-q and seq-kv must be in [1, 1073741824], got seq-q=4611686018427387904 seq-kv=0
// RUN: not attn-opt %s --attn-decompose --attn-defer-division --attn-online-softmax="tile-size=1" --attn-tile="block-q=1" --attn-sparsify="count=true seq-q=1073741824 seq-kv=1073741824" -o /dev/null 2>&1 | FileCheck %s --check-prefix=COUNT-WORK
// COUNT-WORK: error: attn-sparsify: counting 64 heads x 1152921504606846976 tile pairs exceeds the limit of 268435456; count at shorter lengths

func.func @causal(%q: tensor<1x64x?x64xbf16>, %k: tensor<1x64x?x64xbf16>, %v: tensor<1x64x?x64xbf16>) -> tensor<1x64x?x64xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<1x64x?x64xbf16>, tensor<1x64x?x64xbf16>, tensor<1x64x?x64xbf16> -> tensor<1x64x?x64xbf16>
  return %o : tensor<1x64x?x64xbf16>
}
