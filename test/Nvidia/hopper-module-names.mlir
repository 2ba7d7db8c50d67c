// The sm_90a kernel of @f lives in gpu.module @f_sm_90a; a spec function of
// that name is an error rather than a silently shared module.
// RUN: not attn-opt %s --attn-compile="targets=sm_90,sm_90a emit=gpu" 2>&1 | FileCheck %s

// CHECK: error: attn-compile: two kernels would share the gpu.module @f_sm_90a (the sm_90a kernel of a spec function @<f> is @<f>_sm_90a); rename a spec function
func.func @f(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

func.func @f_sm_90a(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
