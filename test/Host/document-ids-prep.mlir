// Documents as ids with attn-compile mask-prep=kernel: a preparation kernel
// <name>_prep summarizes the ids per 64 keys ([min, max] per chunk, once per
// call) and the attention kernel reads the summary instead of scanning the
// ids (docs/sparsity.md, "Preparing the documents' key summary"). attn-run
// runs the preparation before each launch; checked against the float64
// interpreter on sorted, reused, interleaved and single ids, causal and
// bidirectional, at ragged sizes (several chunks, a partial last one) and
// two tilings, one whose key tiles do not divide the chunk.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16 mask-prep=kernel" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=24 mask-prep=kernel" -o /dev/null
// RUN: attn-bundle-info %t.0.atnb | FileCheck %s --check-prefix=SIGNATURE
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops mask-prep=kernel" | FileCheck %s --check-prefix=LOOPS
// RUN: rm -rf %t.sorted %t.reused %t.interleaved %t.single
// RUN: mkdir -p %t.sorted %t.reused %t.interleaved %t.single
// RUN: python3 %S/Inputs/document-ids.py %t.sorted/data0.npy 2 300 sorted
// RUN: python3 %S/Inputs/document-ids.py %t.reused/data0.npy 2 300 reused
// RUN: python3 %S/Inputs/document-ids.py %t.interleaved/data0.npy 2 300 interleaved
// RUN: python3 %S/Inputs/document-ids.py %t.single/data0.npy 2 83 single
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 300 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.1.atnb --target host --function causal --batch 2 --seq-q 300 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 300 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.1.atnb --target host --function causal --batch 2 --seq-q 300 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.single --check
// RUN: attn-run %t.0.atnb --target host --function bidirectional --batch 2 --seq-q 300 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 300 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.0.atnb --target host --function bidirectional --batch 2 --seq-q 300 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.single --check
// The preparation timed alone, and refused where there is none.
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 300 --inputs %t.sorted --runs 2 --time-preparation | FileCheck %s --check-prefix=TIMED
// RUN: not attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 300 --inputs %t.sorted --check --time-preparation 2>&1 | FileCheck %s --check-prefix=CHECKED
// RUN: attn-opt %s --attn-compile="targets=host output=%t.scan.atnb" -o /dev/null
// RUN: not attn-run %t.scan.atnb --target host --function causal --batch 2 --seq-q 300 --inputs %t.sorted --time-preparation 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not attn-opt %s --attn-compile="targets=host mask-prep=once" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPTION
// Gradients: the forward runs its preparation, the backward scans the ids.
// RUN: attn-opt %s --attn-compile="targets=host grad=true output=%t.grad.atnb block-q=16 block-kv=16 mask-prep=kernel" -o /dev/null
// RUN: attn-run %t.grad.atnb --target host --check --gradients --function causal --batch 2 --seq-q 83 --seed 5 | FileCheck %s --check-prefix=GRADIENTS
// RUN: attn-run %t.grad.atnb --target host --check --gradients --function bidirectional --batch 1 --seq-q 150 --seed 6 | FileCheck %s --check-prefix=GRADIENTS

// SIGNATURE:      kernel causal
// SIGNATURE:        3: data0 input tensor i32 [B, Sq]
// SIGNATURE-NEXT:   4: data0_summary input tensor i32 [B, key_chunks, 2] dim1>=ceil_div(Sq, 64)
// SIGNATURE-NEXT:   5: o output tensor f32
// SIGNATURE:      kernel causal_prep
// SIGNATURE-NEXT:   arguments (2):
// SIGNATURE-NEXT:     0: data0 input tensor i32 [B, Sq]
// SIGNATURE-NEXT:     1: data0_summary output tensor i32 [B, key_chunks, 2] dim1>=ceil_div(Sq, 64)
// SIGNATURE:      kernel bidirectional_prep

// The attention kernel reads chunk bounds, not ids, past its rows; the
// preparation stores each chunk's minimum and maximum.
// LOOPS-LABEL: func.func @__attn_host_causal(
// LOOPS-SAME:    %{{.*}}: memref<?x?xi32, {{.*}}>, %[[SUMMARY:.*]]: memref<?x?x2xi32, {{.*}}>, %{{.*}}: memref<?x2x?x16xf32
// LOOPS:         memref.load %[[SUMMARY]]
// LOOPS-LABEL: func.func @__attn_host_causal_prep(
// LOOPS:         arith.minsi
// LOOPS:         arith.maxsi
// LOOPS:         memref.store
// LOOPS:         memref.store

// TIMED: runs=2 median_ms=
// CHECKED: --time-preparation times a bundle's preparation kernel
// NONE: --time-preparation: kernel 'causal' reads no key summary
// OPTION: mask-prep must be scan or kernel, got 'once'

// GRADIENTS: o: rel_err=
// GRADIENTS: dq: rel_err=
// GRADIENTS: dk: rel_err=
// GRADIENTS: dv: rel_err=
// GRADIENTS: backward runs bit-identical: yes
// GRADIENTS: PASS

func.func @causal(%q: tensor<?x2x?x24xf32>, %k: tensor<?x1x?x24xf32>, %v: tensor<?x1x?x16xf32>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x24xf32>, tensor<?x1x?x24xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @bidirectional(%q: tensor<?x2x?x24xf32>, %k: tensor<?x1x?x24xf32>, %v: tensor<?x1x?x16xf32>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = false>} : tensor<?x2x?x24xf32>, tensor<?x1x?x24xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
