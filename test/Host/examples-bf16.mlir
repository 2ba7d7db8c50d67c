// CI: every example spec, with its float tensors in bf16, compiled for the
// host and checked against the float64 reference at ragged sizes.
// RUN: bash %S/check-examples.sh bf16 attn-opt attn-run %examples %t | FileCheck %s
// CHECK: bf16: {{[1-9][0-9]*}} checks, 0 failures
