// Truncated, unbalanced and binary inputs are rejected with a diagnostic and a
// non-zero exit. Plain `not` succeeds only when attn-opt exits with an error
// code; a crash (a signal) makes it fail, so every line below also asserts
// "no crash".
// RUN: split-file %s %t
// RUN: not attn-opt %t/attribute_eof.mlir 2>&1 | FileCheck %s --check-prefix=ATTRIBUTE-EOF
// RUN: not attn-opt %t/combinator_eof.mlir 2>&1 | FileCheck %s --check-prefix=COMBINATOR-EOF
// RUN: not attn-opt %t/list_eof.mlir 2>&1 | FileCheck %s --check-prefix=LIST-EOF
// RUN: not attn-opt %t/float_eof.mlir 2>&1 | FileCheck %s --check-prefix=FLOAT-EOF
// RUN: not attn-opt %t/operands_eof.mlir 2>&1 | FileCheck %s --check-prefix=OPERANDS-EOF
// RUN: not attn-opt %t/types_eof.mlir 2>&1 | FileCheck %s --check-prefix=TYPES-EOF
// RUN: not attn-opt %t/region_eof.mlir 2>&1 | FileCheck %s --check-prefix=REGION-EOF
// RUN: not attn-opt %t/op_without_function.mlir 2>&1 | FileCheck %s --check-prefix=TOP-LEVEL
// RUN: not attn-opt %t/stray_closing.mlir 2>&1 | FileCheck %s --check-prefix=STRAY
// RUN: not attn-opt %t/attribute_only.mlir 2>&1 | FileCheck %s --check-prefix=ATTRIBUTE-ONLY
// RUN: printf '\000\377\376\375attn.attention\n' > %t/binary.mlir
// RUN: not attn-opt %t/binary.mlir 2>&1 | FileCheck %s --check-prefix=BINARY
// MLIR bytecode magic followed by garbage goes to the bytecode reader.
// RUN: printf 'ML\357R\377\377\377\377\000\001' > %t/bad_bytecode.mlirbc
// RUN: not attn-opt %t/bad_bytecode.mlirbc 2>&1 | FileCheck %s --check-prefix=BAD-BYTECODE
// RUN: printf 'ML\357R' > %t/magic_only.mlirbc
// RUN: not attn-opt %t/magic_only.mlirbc 2>&1 | FileCheck %s --check-prefix=MAGIC-ONLY

// ATTRIBUTE-EOF: attribute_eof.mlir:2:{{[0-9]+}}: error: unbalanced '<' character in pretty dialect name
// COMBINATOR-EOF: combinator_eof.mlir:2:{{[0-9]+}}: error: unbalanced '[' character in pretty dialect name
// LIST-EOF: list_eof.mlir:2:{{[0-9]+}}: error:
// FLOAT-EOF: float_eof.mlir:2:{{[0-9]+}}: error:
// OPERANDS-EOF: operands_eof.mlir:{{[0-9]+}}:{{[0-9]+}}: error: expected SSA operand
// TYPES-EOF: types_eof.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
// REGION-EOF: region_eof.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
// TOP-LEVEL: op_without_function.mlir:1:{{[0-9]+}}: error:
// STRAY: stray_closing.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
// ATTRIBUTE-ONLY: attribute_only.mlir:1:1: error:
// BINARY: binary.mlir:1:{{[0-9]+}}: error: unexpected character
// BAD-BYTECODE: bad_bytecode.mlirbc:0:0: error: bytecode version {{[0-9]+}} is newer than the current version
// MAGIC-ONLY: magic_only.mlirbc:0:0: error:

//--- attribute_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left =
//--- combinator_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.and<[#attn.causal,
//--- list_eof.mlir
func.func @f(%q: tensor<1x2x64x4xf32>, %k: tensor<1x2x64x4xf32>, %v: tensor<1x2x64x4xf32>) -> tensor<1x2x64x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.neighborhood<grid = [8, 8], kernel = [3,
//--- float_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v {score_mod = [#attn.softcap<5.
//--- operands_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k,
//--- types_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8
//--- region_eof.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi ule, %j, %i : index
//--- op_without_function.mlir
%o = attn.attention
//--- stray_closing.mlir
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal]>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}
//--- attribute_only.mlir
#attn.neighborhood<grid = [8, 8
