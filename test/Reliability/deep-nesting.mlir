// Issue 16: #attn.and nested 5000 deep crashed attn-opt (stack), and a
// 2000-long chain of single-operand #attn.and took 80 s and 100 MB of
// stderr. Both now stop at depth 33: the error, then one "failed to parse"
// per enclosing level (33 in all, however deep the input).
// RUN: python3 %S/Inputs/nest.py and 5000 2 lines > %t.deep.mlir
// RUN: not attn-opt %t.deep.mlir 2> %t.deep.err
// RUN: FileCheck %s --input-file %t.deep.err
// RUN: python3 %S/Inputs/nest.py or 2000 1 > %t.chain.mlir
// RUN: not attn-opt %t.chain.mlir 2> %t.chain.err
// RUN: FileCheck %s --input-file %t.chain.err
// 34 diagnostics, each quoting the line with a caret line under it: about
// 70 times the input, not 2000 levels of it.
// RUN: python3 %S/Inputs/size-ratio.py %t.chain.err %t.chain.mlir 75
// RUN: python3 %S/Inputs/size-ratio.py %t.deep.err %t.deep.mlir 75
// CHECK: nested more than 32 levels deep
