// XFAIL: *
// Waits for the generic kernel emitter (issue 10): kernels validate their
// data operands on the device before use, in O(n), and report an error.
// Until then only attn-run with the compiler (its float64 reference checks,
// test/Reliability/attn-run-inputs.mlir) refuses such data; the runtime
// alone (the MLIR-free attn-run below, the C API, PyTorch) launches the
// kernel on it: a block mask with zero rows for Sq = 40 reads outside its
// buffer, and decreasing offsets give silently wrong numbers (issue 16).
//
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: rm -rf %t.mask && mkdir -p %t.mask
// RUN: python3 %S/Inputs/write-npy.py %t.mask/data0.npy --i4 --shape 1,2,0,0
// RUN: not attn-run-nomlir %t.atnb --target host --function block_mask --inputs %t.mask --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=MASK
// MASK: error: {{.*}}data0{{.*}}dimension 2
// RUN: rm -rf %t.offsets && mkdir -p %t.offsets
// RUN: python3 %S/Inputs/write-npy.py %t.offsets/data0.npy 100 50 0
// RUN: not attn-run-nomlir %t.atnb --target host --function offsets --inputs %t.offsets --batch 1 --seq-q 40 --runs 1 2>&1 | FileCheck %s --check-prefix=OFFSETS
// OFFSETS: error: {{.*}}offsets{{.*}}decrease

func.func @block_mask(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %m: tensor<?x2x?x?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%m : tensor<?x2x?x?xi32>) {mask = #attn.block_mask<operand = 0, block_q = 16, block_kv = 16>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

func.func @offsets(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %s: tensor<?xi64>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%s : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
