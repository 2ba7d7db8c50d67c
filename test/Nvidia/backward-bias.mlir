// Gradients of learned biases in the NVIDIA backward kernels (grad=true,
// docs/backward.md): the dQ phase stores dS * dS/dbias of each visited tile
// into ddata<N> [B, Hq, Sq, Skv] one element at a time (a row of Skv
// elements starts at any alignment), after writing 0 to its rows' columns
// when the mask skips tiles; plain stores, nothing atomic.
// RUN: attn-opt %s --attn-compile="targets=sm_80,sm_90 grad=true emit=ptx output=%t.ptx" -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=NOATOMIC < %t.ptx
// PTX-LABEL: // attn: kernel causal_bias_grad, entry attn_causal_bias_grad for sm_80
// PTX: .entry attn_causal_bias_grad(
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: st.global.b16
// PTX-LABEL: // attn: kernel causal_bias_grad, entry attn_causal_bias_grad for sm_90
// PTX-LABEL: // attn: kernel window_bias_f16_grad, entry attn_window_bias_f16_grad for sm_80
// PTX: st.global.b32
// NOATOMIC-NOT: {{[[:space:]](atom|red)\.}}

// The bundle: ddata0 is an output at the per-score shape (the bias operand
// broadcasts over the batch; its gradient does not).
// RUN: attn-opt %s --attn-compile="targets=host,sm_90 grad=true output=%t.atnb" -o /dev/null
// RUN: attn-bundle-info %t.atnb | FileCheck %s --check-prefix=INFO
// INFO-LABEL: kernel causal_bias_grad
// INFO: 3: data0 input tensor bf16 [1, 2, Sq, Skv]
// INFO: 10: ddata0 output tensor bf16 [B, 2, Sq, Skv]
// INFO-LABEL: kernel window_bias_f16_grad
// INFO: ddata0 output tensor f32 [B, 4, Sq, Skv]

// With ptxas, they assemble.
// RUN: %if ptxas %{ attn-opt %s --attn-compile="targets=sm_80,sm_90 grad=true report-resources" -o /dev/null | FileCheck %s --check-prefix=CUBIN %}
// CUBIN: kernel causal_bias_grad sm_80: registers=
// CUBIN: kernel causal_bias_grad sm_90: registers=
// CUBIN: kernel window_bias_f16_grad sm_80: registers=
// CUBIN: kernel window_bias_f16_grad sm_90: registers=

func.func @causal_bias(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>, %bias: tensor<1x2x?x?xbf16>) -> (tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<1x2x?x?xbf16>) {mask = #attn.causal, score_mod = #attn.bias<operand = 0>} : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
}

// An f32 bias of f16 inputs, GQA, head dimension 128, soft-capped.
func.func @window_bias_f16(%q: tensor<?x4x?x128xf16>, %k: tensor<?x2x?x128xf16>, %v: tensor<?x2x?x128xf16>, %bias: tensor<?x4x?x?xf32>) -> (tensor<?x4x?x128xf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%bias : tensor<?x4x?x?xf32>) {mask = #attn.window<left = 100, right = 0>, score_mod = [#attn.bias<operand = 0>, #attn.softcap<30.0>]} : tensor<?x4x?x128xf16>, tensor<?x2x?x128xf16>, tensor<?x2x?x128xf16> -> tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
}
