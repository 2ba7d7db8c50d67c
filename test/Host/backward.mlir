// Backward kernels (attn-compile grad=true, docs/backward.md) on the host:
// the forward kernel writes O and the LSE, the backward kernel <name>_grad
// reads them with a random dO and writes dQ, dK and dV (outputs poisoned
// first, two runs compared bit for bit), against the float64 interpreter's
// evaluation of the backward cascades. Tiles of 4 queries and 8 keys at
// ragged sizes: several tiles, a partial last one in both directions.
// RUN: attn-opt %s --attn-compile="targets=host grad=true block-q=4 block-kv=8 output=%t.atnb" -o /dev/null
// RUN: attn-run %t.atnb --target host --check --gradients --function dense --batch 2 --seq-q 19 --seq-kv 23 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function causal --batch 2 --seq-q 21 --seq-kv 21 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function window --batch 1 --seq-q 30 --seq-kv 27 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function softcap --batch 2 --seq-q 13 --seq-kv 17 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function gqa --batch 2 --seq-q 19 --seq-kv 22 | FileCheck %s
// RUN: attn-run %t.atnb --target host --check --gradients --function causal_bf16 --batch 1 --seq-q 37 --seq-kv 37 | FileCheck %s --check-prefix=BF16
// CHECK: o: rel_err=
// CHECK-NEXT: dq: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dk: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: dv: rel_err={{[0-9.]+e-0[6-9]$}}
// CHECK-NEXT: backward runs bit-identical: yes
// CHECK: PASS
// BF16: dq: rel_err={{0\.00[0-9]+$}}
// BF16-NEXT: dk: rel_err={{0\.00[0-9]+$}}
// BF16-NEXT: dv: rel_err={{0\.00[0-9]+$}}
// BF16: backward runs bit-identical: yes
// BF16: (tolerance 0.01)
// BF16-NEXT: PASS

// A spec returning O alone gets its LSE: with grad=true the forward kernel
// writes it (the bundle's spec says so), and the backward reads it.
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// INFO-LABEL: kernel no_lse{{$}}
// INFO: lse output tensor f32 [B, 2, Sq]
// INFO-LABEL: kernel no_lse_grad
// INFO: lse input tensor f32 [B, 2, Sq]
// RUN: attn-run %t.atnb --target host --check --gradients --function no_lse --batch 1 --seq-q 11 --seq-kv 14 | FileCheck %s

// The check can fail: no f32 kernel is that close.
// RUN: not attn-run %t.atnb --target host --check --gradients --function causal --batch 1 --seq-q 9 --tolerance 1e-12 | FileCheck %s --check-prefix=FAIL
// FAIL: FAIL

// GQA (6 query heads on 2): dK and dV sum each group's query heads inside
// the key tile's work item, with no per-query-head buffer.
// RUN: attn-opt %s --attn-compile="targets=host grad=true emit=host-loops" | FileCheck %s --check-prefix=GQA
// GQA-LABEL: func.func @__attn_host_gqa_grad(
// GQA-NOT: memref.alloc({{.*}}) : memref<?x6x?x{{[0-9]+}}xf32>
// GQA: return

// A hand-written cascade with element-wise weights (sigmoid attention)
// differentiates and compiles the same way.
// RUN: attn-opt %examples/cascades/sigmoid.mlir --attn-compile="targets=host grad=true block-q=16 block-kv=8 output=%t.sigmoid.atnb" -o /dev/null
// RUN: attn-run %t.sigmoid.atnb --target host --check --gradients --batch 1 --seq-q 21 --seq-kv 19 | FileCheck %s --check-prefix=SIGMOID
// SIGMOID: backward runs bit-identical: yes
// SIGMOID: PASS

// The backward kernel runs its phases in order in one function: D =
// rowsum(dO O) into a buffer it allocates, dK and dV per key tile over the
// query tiles, dQ per query tile over the key tiles; plain stores, no
// atomics.
// RUN: attn-opt %s --attn-compile="targets=host grad=true emit=host-loops" | FileCheck %s --check-prefix=LOOPS
// LOOPS-LABEL: func.func @__attn_host_causal_grad(
// LOOPS: memref.alloc({{.*}}) : memref<?x2x?xf32>
// LOOPS-NOT: atomic
// LOOPS: memref.dealloc
// LOOPS-NEXT: return

func.func @dense(%q: tensor<?x2x?x24xf32>, %k: tensor<?x2x?x24xf32>, %v: tensor<?x2x?x20xf32>) -> (tensor<?x2x?x20xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {scale = 0.2 : f32} : tensor<?x2x?x24xf32>, tensor<?x2x?x24xf32>, tensor<?x2x?x20xf32> -> tensor<?x2x?x20xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x20xf32>, tensor<?x2x?xf32>
}

func.func @causal(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @window(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 5, right = 2>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @softcap(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal, score_mod = [#attn.softcap<2.0>]} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
}

func.func @causal_bf16(%q: tensor<?x2x?x32xbf16>, %k: tensor<?x2x?x32xbf16>, %v: tensor<?x2x?x32xbf16>) -> (tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x32xbf16>, tensor<?x2x?xf32>
}

func.func @gqa(%q: tensor<?x6x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x6x?x8xf32>, tensor<?x6x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.window<left = 6>, score_mod = [#attn.alibi]} : tensor<?x6x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32> -> tensor<?x6x?x8xf32>, tensor<?x6x?xf32>
  return %o, %lse : tensor<?x6x?x8xf32>, tensor<?x6x?xf32>
}

func.func @no_lse(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
