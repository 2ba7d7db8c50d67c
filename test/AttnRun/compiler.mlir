// attn-run's bundle targets in the compiler build: the reference each check
// uses, --inputs files, and the refusals of --target cuda that need no GPU.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-opt %s --attn-compile="targets=host output=%t/b.atnb" -o /dev/null

// RUN: attn-run %t/b.atnb --target host --batch 2 --seq-q 19 --seq-kv 45 --check | FileCheck %s --check-prefix=REF
// REF: kernel window: B=2 Hq=2 Hkv=1 Sq=19 Skv=45 E=32 F=32
// REF-NEXT: reference: the float64 reference
// REF-NEXT: o_rel_err={{.*}}
// REF-NEXT: max_rel_err={{[0-9.e-]+}}
// REF-NEXT: PASS

// --inputs: the files' inputs and expected outputs.
// RUN: attn-run %s --target ref --batch 1 --seq-q 30 --seed 8 --dump %t/d > /dev/null
// RUN: attn-run %t/b.atnb --target host --inputs %t/d --check | FileCheck %s --check-prefix=FILES
// FILES: kernel window: B=1 Hq=2 Hkv=1 Sq=30 Skv=30 E=32 F=32
// FILES-NEXT: reference: expected outputs in {{.*}}d
// FILES: PASS

// Timing counts the density from the spec (154 of 40 * 40 pairs) unless
// --useful-density overrides it.
// RUN: attn-run %t/b.atnb --target host --batch 1 --seq-q 40 --runs 2 | FileCheck %s --check-prefix=TIME
// TIME: density=0.09625 useful_gflops={{[0-9.e+-]+}} tflops={{[0-9.e+-]+}} (density counted by the compiler)
// RUN: attn-run %t/b.atnb --target host --batch 1 --seq-q 40 --runs 2 --useful-density 0.25 | FileCheck %s --check-prefix=GIVEN
// GIVEN: density=0.25 useful_gflops={{.*}} (density --useful-density)

// RUN: not attn-run %t/b.atnb --target cuda --batch 1 --seq-q 8 --check 2>&1 | FileCheck %s --check-prefix=NOCUDA
// NOCUDA: error: kernel 'window' of {{.*}}b.atnb has no CUDA binary
// RUN: not attn-run %t/b.atnb --target cuda --batch 1 --seq-q 8 --runs 3 2>&1 | FileCheck %s --check-prefix=RUNS
// RUNS: error: --runs must be >= 20 for --target cuda
// RUN: not attn-run %t/b.atnb --target host --batch 1 --seq-q 8 --device 1 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: error: --device must be >= 0 and applies only to --target cuda and hip
// RUN: not attn-run %s --target ref --batch 1 --seq-q 8 --check 2>&1 | FileCheck %s --check-prefix=REFCHECK
// REFCHECK: error: --check, --runs, --useful-density and --device apply only to --target host, cuda and hip

func.func @window(%q: tensor<?x2x?x32xf16>, %k: tensor<?x1x?x32xf16>, %v: tensor<?x1x?x32xf16>) -> tensor<?x2x?x32xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 4>} : tensor<?x2x?x32xf16>, tensor<?x1x?x32xf16>, tensor<?x1x?x32xf16> -> tensor<?x2x?x32xf16>
  return %o : tensor<?x2x?x32xf16>
}
