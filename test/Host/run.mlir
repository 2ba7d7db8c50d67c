// attn-run --target host: timing output, and diagnostics for bad requests.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null

// Without --check the kernel is timed; the useful work counts only kept
// elements: causal at Sq = Skv = 64 keeps 64 * 65 / 2 of 64 * 64.
// RUN: attn-run %t.atnb --target host --batch 2 --seq-q 64 --runs 3 | FileCheck %s --check-prefix=TIME
// TIME: kernel causal: B=2 Hq=2 Hkv=2 Sq=64 Skv=64 E=8 F=8
// TIME-NEXT: runs=3 median_ms={{[0-9.e+-]+}}
// TIME-NEXT: density=0.507812 useful_gflops={{[0-9.e+-]+}} tflops={{[0-9.e+-]+}} (density counted by the compiler)

// RUN: not attn-run %t.missing --target host --batch 1 --seq-q 4 --check 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot read bundle {{.*}}missing: cannot open bundle file
// RUN: not attn-run %s --target host --batch 1 --seq-q 4 --check 2>&1 | FileCheck %s --check-prefix=NOT-BUNDLE
// NOT-BUNDLE: not an attn bundle{{.*}}(--target host, cuda and hip run a bundle: compile the spec with attn-opt --attn-compile="targets=host output=...")
// RUN: not attn-run %t.atnb --target host --function nope --batch 1 --seq-q 4 --check 2>&1 | FileCheck %s --check-prefix=KERNEL
// KERNEL: error: bundle {{.*}} has no kernel 'nope' (it has: causal)
// RUN: not attn-run %t.atnb --target host --batch 1 --seq-q 4 --check --runs 2 2>&1 | FileCheck %s --check-prefix=RUNS
// RUNS: error: --runs and --useful-density apply only without --check
// RUN: not attn-run %t.atnb --target host --batch 1 --seq-q 4 --dump %t.dump 2>&1 | FileCheck %s --check-prefix=DUMP
// DUMP: error: --dump and --equivalent apply to --target ref
// RUN: not attn-run %t.atnb --target host --seq-q 4 --check 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: {{.*}}batch

func.func @causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
