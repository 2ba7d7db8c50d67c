// CI: every example spec, with its float tensors in f32, compiled for the
// host and checked against the float64 reference at ragged sizes.
// RUN: bash %S/check-examples.sh f32 attn-opt attn-run %examples %t | FileCheck %s
// CHECK: f32: {{[1-9][0-9]*}} checks, 0 failures
