// Every bad invocation prints a diagnostic and exits non-zero.

// RUN: not attn-run %S/Inputs/does_not_exist.mlir --target ref 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot open input file '{{.*}}does_not_exist.mlir'

// RUN: not attn-run %S/Inputs/parse_error.mlir --target ref --batch 1 --seq-q 4 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: parse_error.mlir:{{[0-9]+}}:{{[0-9]+}}: error:

// RUN: not attn-run %S/Inputs/no_attention.mlir --target ref 2>&1 | FileCheck %s --check-prefix=NOATTENTION
// NOATTENTION: error: no function in the module contains an attn.attention or attn.cascade op
// RUN: not attn-run %examples/causal.mlir --target ref --function nope 2>&1 | FileCheck %s --check-prefix=NOFUNCTION
// NOFUNCTION: error: no function named @nope in the module
// RUN: not attn-run %S/Inputs/swapped_arguments.mlir --target ref 2>&1 | FileCheck %s --check-prefix=SWAPPED
// SWAPPED: error: the query of attn.attention must be argument #0 of @swapped

// RUN: not attn-run %examples/causal.mlir 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: --target{{.*}}must be specified
// RUN: not attn-run %examples/causal.mlir --target gpu 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: Cannot find option named 'gpu'

// RUN: not attn-run %examples/causal.mlir --target ref --seq-q 4 2>&1 | FileCheck %s --check-prefix=NOBATCH
// NOBATCH: error: the batch size is dynamic in the spec; pass --batch
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 2>&1 | FileCheck %s --check-prefix=NOSEQ
// NOSEQ: error: the query sequence length is dynamic in the spec; pass --seq-q
// RUN: not attn-run %S/Inputs/grid_full.mlir --target ref --batch 1 --seq-q 21 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC: error: --seq-q=21 conflicts with the static query sequence length 20 of the spec (omit --seq-q or pass 20)
// RUN: not attn-run %examples/causal.mlir --target ref --batch 0 --seq-q 4 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: --batch must be >= 1, got 0
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 4 --seq-kv -2 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: --seq-kv must be >= 1, got -2
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q abc 2>&1 | FileCheck %s --check-prefix=NOTANUMBER
// NOTANUMBER: 'abc' value invalid
// RUN: not attn-run %examples/causal.mlir --target ref --batch 4096 --seq-q 4096 2>&1 | FileCheck %s --check-prefix=LARGE
// LARGE: error: B * Hq * Sq * Skv = 4096 * 16 * 4096 * 4096 exceeds the reference interpreter's limit of 268435456 scores; choose smaller sizes
// RUN: not attn-run %examples/causal.mlir --target ref --batch 9223372036854775807 --seq-q 9223372036854775807 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OVERFLOW: error: B * Hq * Sq * Skv = {{.*}} exceeds the reference interpreter's limit

// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 4 --tolerance 1e-3 2>&1 | FileCheck %s --check-prefix=TOLERANCE
// TOLERANCE: error: --tolerance applies only with --equivalent
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 4 --equivalent %examples/causal.mlir --tolerance -1 2>&1 | FileCheck %s --check-prefix=NEGTOLERANCE
// NEGTOLERANCE: error: --tolerance must be finite and >= 0, got -1
// RUN: not attn-run %examples/causal.mlir --target ref --batch 1 --seq-q 4 --equivalent %S/Inputs/parse_error.mlir 2>&1 | FileCheck %s --check-prefix=PARSE

// Data that cannot be generated, and scores without a softmax.
// RUN: not attn-run %S/Inputs/conflicting_data.mlir --target ref 2>&1 | FileCheck %s --check-prefix=CONFLICT
// CONFLICT: error: data operand #0 is read by both #attn.documents<operand = 0, layout = offsets> and #attn.prefix_lm<operand = 0>; no generated value is valid for both (pass --inputs instead)
// RUN: not attn-run %S/Inputs/region_dynamic_data.mlir --target ref 2>&1 | FileCheck %s --check-prefix=REGIONDATA
// REGIONDATA: error: data operand #0 ('tensor<?xi32>') is read only by a custom region, so attn-run cannot choose its dynamic sizes; give it a static shape or pass --inputs
// RUN: attn-run %S/Inputs/region_static_data.mlir --target ref | FileCheck %s --check-prefix=REGIONSTATIC
// REGIONSTATIC: inputs: q[1, 2, 4, 8] k[1, 2, 6, 8] v[1, 2, 6, 8] data0[6]
// REGIONSTATIC: nan_count=0
// RUN: not attn-run %S/Inputs/infinite_score.mlir --target ref 2>&1 | FileCheck %s --check-prefix=INFINITE
// INFINITE: error: reference: the modified score at (b, h, i, j) = (0, 0, 0, 0) is +inf
