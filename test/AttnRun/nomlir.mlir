// The MLIR-free attn-run (attn-run-nomlir here; attn-run in an
// ATTN_BUILD_COMPILER=OFF build) on host bundles: inputs and expected
// outputs from --inputs, q/k/v regenerated from --seed exactly as --target
// ref makes them, timing, and every refusal.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-opt %s --attn-compile="targets=host output=%t/b.atnb" -o /dev/null

// Full --dump: inputs and outputs from files.
// RUN: attn-run %s --function lse --target ref --batch 2 --seq-q 37 --seq-kv 53 --seed 4 --dump %t/full > /dev/null
// RUN: attn-run-nomlir %t/b.atnb --function lse --target host --inputs %t/full --check | FileCheck %s --check-prefix=FULL
// FULL: kernel lse: B=2 Hq=4 Hkv=2 Sq=37 Skv=53 E=16 F=8
// FULL-NEXT: reference: expected outputs in {{.*}}{{full|outs}}
// FULL-NEXT: o_rel_err={{[0-9.e-]+}} lse_rel_err={{[0-9.e-]+}}
// FULL-NEXT: max_rel_err={{[0-9]\.[0-9]+e-0[6-9]}}
// FULL-NEXT: PASS

// Only o.npy and lse.npy: q, k, v regenerated from the same seed agree;
// another seed does not.
// RUN: mkdir -p %t/outs && cp %t/full/o.npy %t/full/lse.npy %t/outs/
// RUN: attn-run-nomlir %t/b.atnb --function lse --target host --inputs %t/outs --seed 4 --batch 2 --seq-q 37 --seq-kv 53 --check | FileCheck %s --check-prefix=FULL
// RUN: not attn-run-nomlir %t/b.atnb --function lse --target host --inputs %t/outs --seed 5 --batch 2 --seq-q 37 --seq-kv 53 --check | FileCheck %s --check-prefix=WRONG
// WRONG: max_rel_err={{[0-9.]+$}}
// WRONG-NEXT: FAIL

// Narrowed expected outputs (what verify-h200.sh carries) still pass a
// loose tolerance.
// RUN: cp -r %t/outs %t/narrow && %python %S/../../scripts/npy-narrow.py %t/narrow/o.npy f16
// RUN: attn-run-nomlir %t/b.atnb --function lse --target host --inputs %t/narrow --seed 4 --batch 2 --seq-q 37 --seq-kv 53 --check --tolerance 1e-3 | FileCheck %s --check-prefix=NARROW
// NARROW: PASS

// Data operands come from files; without them the MLIR-free build refuses.
// RUN: attn-run %s --function docs --target ref --batch 2 --seq-q 40 --seed 3 --dump %t/docs > /dev/null
// RUN: attn-run-nomlir %t/b.atnb --function docs --target host --inputs %t/docs --check | FileCheck %s --check-prefix=DOCS
// DOCS: kernel docs: B=2 Hq=2 Hkv=2 Sq=40 Skv=40 E=8 F=8
// DOCS: PASS
// RUN: not attn-run-nomlir %t/b.atnb --function docs --target host --batch 2 --seq-q 40 --check 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: error: kernel 'docs' reads data operand 'data0', whose valid values only the compiler knows: pass --inputs DIR
// A float data operand (a bias) takes any value: it is generated like q, k, v.
// RUN: attn-run-nomlir %t/b.atnb --function bias --target host --batch 2 --seq-q 40 --runs 1 | FileCheck %s --check-prefix=BIAS
// BIAS: kernel bias: B=2 Hq=2 Hkv=2 Sq=40 Skv=40 E=8 F=8
// BIAS-NEXT: runs=1 median_ms=

// Timing: median and useful TFLOP/s from --useful-density.
// RUN: attn-run-nomlir %t/b.atnb --function lse --target host --batch 2 --seq-q 64 --runs 3 --useful-density 0.5 | FileCheck %s --check-prefix=TIME
// TIME: kernel lse: B=2 Hq=4 Hkv=2 Sq=64 Skv=64 E=16 F=8
// TIME-NEXT: runs=3 median_ms={{[0-9.e+-]+}}
// TIME-NEXT: density=0.5 useful_gflops={{[0-9.e+-]+}} tflops={{[0-9.e+-]+}} (density --useful-density)
// RUN: attn-run-nomlir %t/b.atnb --function lse --target host --batch 1 --seq-q 8 --runs 1 | FileCheck %s --check-prefix=DENSE
// DENSE: density=unknown (pass --useful-density) dense_equivalent_tflops=

// Refusals, each with a precise message and exit 1.
// RUN: not attn-run-nomlir %t/b.atnb --function lse --target host --batch 2 --seq-q 9 --check 2>&1 | FileCheck %s --check-prefix=NOREF
// NOREF: error: nothing to check kernel 'lse' against: this attn-run is built without the compiler, so it has no float64 reference; pass --inputs DIR holding o.npy and lse.npy
// RUN: not attn-run-nomlir %t/b.atnb --target ref 2>&1 | FileCheck %s --check-prefix=REF
// REF: error: --target ref needs the compiler
// RUN: not attn-run-nomlir %t/b.atnb --target cuda --batch 1 --seq-q 8 --check 2>&1 | FileCheck %s --check-prefix=NOCUDA
// NOCUDA: error: kernel 'lse' of {{.*}}b.atnb has no CUDA binary; compile it with --attn-compile="targets=host,sm_80,sm_90 output=..."
// RUN: not attn-run-nomlir %t/b.atnb --target cuda --batch 1 --seq-q 8 --runs 5 2>&1 | FileCheck %s --check-prefix=FEWRUNS
// FEWRUNS: error: --target cuda times the median of at least 20 runs, got --runs 5
// RUN: not attn-run-nomlir %t/b.atnb --target host --seq-q 8 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: kernel 'lse' leaves this size dynamic (B): pass --batch
// RUN: not attn-run-nomlir %t/b.atnb --target host --inputs %t/full --seq-q 36 --check 2>&1 | FileCheck %s --check-prefix=CONTRA
// CONTRA: error: --seq-q 36 contradicts Sq = 37 from the --inputs files
// RUN: not attn-run-nomlir %t/b.atnb --function docs --target host --inputs %t/outs --batch 2 --seq-q 40 --check 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}outs/data0.npy: cannot read: No such file or directory
// RUN: not attn-run-nomlir %t/b.atnb --function docs --target host --inputs %t/full --check 2>&1 | FileCheck %s --check-prefix=UNFIT
// UNFIT: error: {{.*}}full/q.npy: shape [2, 4, 37, 16] does not fit argument 'q' [B, 2, Sq, 8]: dimension 1 is 4 but must be 2
// RUN: mkdir -p %t/shape && cp %t/docs/o.npy %t/shape/o.npy
// RUN: not attn-run-nomlir %t/b.atnb --function lse --target host --inputs %t/shape --batch 2 --seq-q 37 --seq-kv 53 --check 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: {{.*}}o.npy: shape [2, 2, 40, 8] differs from the kernel's output shape [2, 4, 37, 8]
// RUN: not attn-run-nomlir %t/b.atnb --target host --batch 1 --seq-q 8 --useful-density 2 2>&1 | FileCheck %s --check-prefix=DENSITY
// DENSITY: error: --useful-density must be in (0, 1], got 2
// RUN: not attn-run-nomlir %t/b.atnb --target host --batch x 2>&1 | FileCheck %s --check-prefix=INTEGER
// INTEGER: error: --batch expects an integer, got 'x'
// RUN: not attn-run-nomlir %t/b.atnb --target host --bogus 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: unknown option '--bogus'
// RUN: not attn-run-nomlir %t/missing.atnb --target host --batch 1 --seq-q 8 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot read bundle {{.*}}missing.atnb: cannot open bundle file

func.func @lse(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x4x?x8xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xf32>, tensor<?x4x?xf32>
}

func.func @docs(%q: tensor<?x2x?x8xbf16>, %k: tensor<?x2x?x8xbf16>, %v: tensor<?x2x?x8xbf16>, %ids: tensor<?x?xi32>) -> tensor<?x2x?x8xbf16> {
  %o = attn.attention %q, %k, %v data(%ids : tensor<?x?xi32>) {mask = #attn.documents<operand = 0, layout = ids, causal = true>} : tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16> -> tensor<?x2x?x8xbf16>
  return %o : tensor<?x2x?x8xbf16>
}

func.func @bias(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %bias: tensor<1x2x40x40xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v data(%bias : tensor<1x2x40x40xf32>) {score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
