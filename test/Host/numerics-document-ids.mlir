// Documents as ids on the host kernels, which visit each query tile's key
// range and full tiles as a reduction of the ids finds them
// (docs/sparsity.md, "Documents as ids in kernels"): sorted runs, ids
// reused out of order (a document in several pieces), ids interleaving
// every few tokens (negative ones included) and one id for all, causal and
// bidirectional, at ragged sizes and two tilings, against the float64
// interpreter.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.0.atnb block-q=16 block-kv=16" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host output=%t.1.atnb block-q=5 block-kv=24" -o /dev/null
// RUN: rm -rf %t.sorted %t.reused %t.interleaved %t.single
// RUN: mkdir -p %t.sorted %t.reused %t.interleaved %t.single
// RUN: python3 %S/Inputs/document-ids.py %t.sorted/data0.npy 2 83 sorted
// RUN: python3 %S/Inputs/document-ids.py %t.reused/data0.npy 2 83 reused
// RUN: python3 %S/Inputs/document-ids.py %t.interleaved/data0.npy 2 83 interleaved
// RUN: python3 %S/Inputs/document-ids.py %t.single/data0.npy 2 83 single
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.1.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.1.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.1.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.0.atnb --target host --function causal --batch 2 --seq-q 83 --seed 3 --inputs %t.single --check
// RUN: attn-run %t.0.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.sorted --check
// RUN: attn-run %t.0.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.reused --check
// RUN: attn-run %t.0.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.interleaved --check
// RUN: attn-run %t.1.atnb --target host --function bidirectional --batch 2 --seq-q 83 --seed 3 --inputs %t.single --check

func.func @causal(%q: tensor<?x2x?x24xf32>, %k: tensor<?x1x?x24xf32>, %v: tensor<?x1x?x16xf32>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x24xf32>, tensor<?x1x?x24xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @bidirectional(%q: tensor<?x2x?x24xf32>, %k: tensor<?x1x?x24xf32>, %v: tensor<?x1x?x16xf32>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = false>} : tensor<?x2x?x24xf32>, tensor<?x1x?x24xf32>, tensor<?x1x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
