// RUN: attn-opt --attn-decompose %s | FileCheck %s
// RUN: attn-opt --attn-decompose --attn-count-passes %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=PASSES
// RUN: attn-opt --attn-decompose %s | attn-opt | FileCheck %s

// Without a mask or score mod, the scores feed the maximum directly; the
// scale defaults to 1/sqrt(E).
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[V:.*]]: tensor<?x2x?x16xf32>)
// CHECK-NOT: attn.attention
// CHECK: %[[O:.*]] = attn.cascade "plain" ins(@Q[b, h, p, e] = %[[Q]] : tensor<?x4x?x8xf32>, @K[b, g, m, e] = %[[K]] : tensor<?x2x?x8xf32>, @V[b, g, m, f] = %[[V]] : tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
// CHECK-NEXT: attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.35355339059327373) reduce(sum: e)
// CHECK-NEXT: attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)
// CHECK-NEXT: attn.einsum @SN[b, h, p, m] = exp_diff(@QK[b, h, p, m], @GM[b, h, p])
// CHECK-NEXT: attn.einsum @SD[b, h, p] = @SN[b, h, p, m] reduce(sum: m)
// CHECK-NEXT: attn.einsum @A[b, h, p, m] = div_or_zero(@SN[b, h, p, m], @SD[b, h, p])
// CHECK-NEXT: attn.einsum @AV[b, h, p, f] = mul(@A[b, h, p, m], @V[b, g(h), m, f]) reduce(sum: m)
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p, f]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[O]]
// PASSES: remark: cascade plain: 1 passes over rank e
// PASSES: remark: cascade plain: 3 passes over rank m
func.func @plain(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// Score mods apply in order, then the mask selects -inf; the attribute
// survives as is, data operands stay in order, and the LSE is GM + log(SD).
// CHECK-LABEL: func.func @rules
// CHECK: %[[R:.*]]:2 = attn.cascade "rules" ins({{.*}}) data(%{{.*}} : tensor<?x?xi32>) -> tensor<?x4x?x8xbf16>, tensor<?x4x?xf32> {
// CHECK-NEXT: attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125) reduce(sum: e)
// CHECK-NEXT: attn.einsum @S[b, h, p, m] = select(mask<#attn.and<[#attn.documents<operand = 0>, #attn.window<left = 16>]>>[b, h, p, m], score_mod<#attn.alibi>[b, h, p, m](score_mod<#attn.softcap<5.000000e+01>>[b, h, p, m](@QK[b, h, p, m])), -inf)
// CHECK-NEXT: attn.einsum @GM[b, h, p] = @S[b, h, p, m] reduce(max: m)
// CHECK-NEXT: attn.einsum @SN[b, h, p, m] = exp_diff(@S[b, h, p, m], @GM[b, h, p])
// CHECK: attn.einsum @LSE[b, h, p] = add(@GM[b, h, p], log(@SD[b, h, p]))
// CHECK-NEXT: attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
// CHECK: return %[[R]]#0, %[[R]]#1
// PASSES: remark: cascade rules: 3 passes over rank m
func.func @rules(%q: tensor<?x4x?x8xbf16>, %k: tensor<?x2x?x8xbf16>, %v: tensor<?x2x?x8xbf16>, %doc: tensor<?x?xi32>) -> (tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%doc : tensor<?x?xi32>) {mask = #attn.and<[#attn.documents<operand = 0>, #attn.window<left = 16>]>, score_mod = [#attn.softcap<50.0>, #attn.alibi], scale = 0.125 : f32} : tensor<?x4x?x8xbf16>, tensor<?x2x?x8xbf16>, tensor<?x2x?x8xbf16> -> tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x8xbf16>, tensor<?x4x?xf32>
}

// Custom regions move into the cascade; the score region applies after the
// score mods and the mask region is AND-ed with the mask attribute.
// CHECK-LABEL: func.func @regions
// CHECK: attn.einsum @S[b, h, p, m] = select(mask<#attn.causal>[b, h, p, m], select(mask_region[b, h, p, m], score_region[b, h, p, m](score_mod<#attn.softcap<2.000000e+01>>[b, h, p, m](@QK[b, h, p, m])), -inf), -inf)
// CHECK: } mask {
// CHECK-NEXT: ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I:.*]]: index, %[[J:.*]]: index):
// CHECK: arith.remui
// CHECK: attn.yield %{{.*}} : i1
// CHECK-NEXT: } score {
// CHECK: arith.mulf
// CHECK: attn.yield %{{.*}} : f32
// CHECK-NEXT: }
// CHECK-NOT: attn.attention
func.func @regions(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = #attn.softcap<20.0>} : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %r = arith.remui %j, %c3 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 0.5 : f32
    %t = arith.mulf %s, %c : f32
    attn.yield %t : f32
  }
  return %o : tensor<?x4x?x8xf32>
}

// Several attention ops in one function get distinct cascade names.
// CHECK-LABEL: func.func @two_ops
// CHECK: attn.cascade "two_ops" ins
// CHECK: attn.cascade "two_ops_1" ins
func.func @two_ops(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  %o2 = attn.attention %o, %k, %v {mask = #attn.causal} : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o2 : tensor<?x4x?x8xf32>
}
