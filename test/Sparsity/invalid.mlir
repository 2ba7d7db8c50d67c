// Bad sizes, options and data are diagnosed, never crash.
// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-report-sparsity -o /dev/null

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="block-q=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: attn-report-sparsity: block-q must be in [1, 1073741824], got 0

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="seed=-5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: error: attn-report-sparsity: seed must be >= 0, got -5

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="seq-q=512 seq-kv=512" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SIZES
// SIZES-DAG: error: attn-report-sparsity: seq-q=512 contradicts the static query length 1024
// SIZES-DAG: error: 'attn.attention' op '#attn.neighborhood' grid volume 64 does not equal the query sequence length 512

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="seq-q=1000000000 seq-kv=1000000000" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: error: attn-report-sparsity: 7812500 x 7812500 tiles exceed the report's limit of 16777216 tile pairs; use larger block-q/block-kv

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="seq-q=-3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: attn-report-sparsity: seq-q must be in [1, 1073741824], got -3

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="heads=7" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HEADS
// HEADS: error: attn-report-sparsity: head 7 is out of range [0, 2)

// RUN: not attn-opt %s --split-input-file --attn-report-sparsity="svg=%t.missing/dir/map" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SVG
// SVG: error: attn-report-sparsity: cannot write '{{.*}}.missing/dir/map-static-op0.svg'

func.func @dynamic(%q: tensor<?x2x?x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>) -> tensor<?x2x?x64xf16> {
  // expected-error@+1 {{attn-report-sparsity: the query length is dynamic; pass seq-q=N}}
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x2x?x64xf16>
  return %o : tensor<?x2x?x64xf16>
}

// -----

func.func @static(%q: tensor<1x2x1024x64xf16>, %k: tensor<1x2x1024x64xf16>, %v: tensor<1x2x1024x64xf16>) -> tensor<1x2x1024x64xf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16> -> tensor<1x2x1024x64xf16>
  return %o : tensor<1x2x1024x64xf16>
}

// -----

func.func @offsets_decrease(%q: tensor<1x2x1024x64xf16>, %k: tensor<1x2x1024x64xf16>, %v: tensor<1x2x1024x64xf16>) -> tensor<1x2x1024x64xf16> {
  %starts = arith.constant dense<[0, 500, 400, 1024]> : tensor<4xi64>
  // expected-error@+1 {{attn-report-sparsity: '#attn.documents' offsets must be non-decreasing, but entry 2 (400) is below entry 1 (500)}}
  %o = attn.attention %q, %k, %v data(%starts : tensor<4xi64>) {mask = #attn.documents<operand = 0, layout = offsets>} : tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16> -> tensor<1x2x1024x64xf16>
  return %o : tensor<1x2x1024x64xf16>
}

// -----

func.func @grid(%q: tensor<1x1x?x64xf16>, %k: tensor<1x1x?x64xf16>, %v: tensor<1x1x?x64xf16>) -> tensor<1x1x?x64xf16> {
  // expected-error@+1 {{attn-report-sparsity: the query length is dynamic; pass seq-q=N}}
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3, 3]>} : tensor<1x1x?x64xf16>, tensor<1x1x?x64xf16>, tensor<1x1x?x64xf16> -> tensor<1x1x?x64xf16>
  return %o : tensor<1x1x?x64xf16>
}

// -----

func.func @empty_prefix(%q: tensor<?x1x8x64xf16>, %k: tensor<?x1x8x64xf16>, %v: tensor<?x1x8x64xf16>) -> tensor<?x1x8x64xf16> {
  %prefix = arith.constant dense<> : tensor<0xi64>
  // expected-error@+1 {{attn-report-sparsity: data operand #0 is an empty constant}}
  %o = attn.attention %q, %k, %v data(%prefix : tensor<0xi64>) {mask = #attn.prefix_lm<operand = 0>} : tensor<?x1x8x64xf16>, tensor<?x1x8x64xf16>, tensor<?x1x8x64xf16> -> tensor<?x1x8x64xf16>
  return %o : tensor<?x1x8x64xf16>
}
