// A bf16 kernel whose per-work-item checks of document offsets branch while
// a bf16 vector is live: on x86-64 without AVX512-BF16, LLVM widens that
// vector to f32 and narrows it back through __truncsfbf2, which the host
// object defines itself (the runtime's loader has no compiler-rt). Found by
// the differential hunt (case 100013).
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: attn-run %t.atnb --target host --check --batch 2 --seq-q 58 --seq-kv 88 --seed 13 | FileCheck %s
// CHECK: PASS

func.func @case(%q: tensor<?x2x?x24xbf16>, %k: tensor<?x2x?x24xbf16>, %v: tensor<?x2x?x40xbf16>, %data0: tensor<?xi64>) -> (tensor<?x2x?x40xbf16>) {
  %o = attn.attention %q, %k, %v data(%data0 : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x2x?x24xbf16>, tensor<?x2x?x24xbf16>, tensor<?x2x?x40xbf16> -> tensor<?x2x?x40xbf16> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %dd = arith.subi %i, %j : index
    %di = arith.index_cast %dd : index to i64
    %df = arith.sitofp %di : i64 to f32
    %cw = arith.constant 0.01 : f32
    %pen = arith.mulf %df, %cw : f32
    %t = arith.subf %s, %pen : f32
    attn.yield %t : f32
  }
  return %o : tensor<?x2x?x40xbf16>
}
