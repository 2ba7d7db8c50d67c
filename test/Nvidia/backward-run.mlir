// attn-run --target cuda --gradients (both attn-runs): what it refuses
// before it opens a device. The GPU runs themselves are in
// scripts/verify-backward-gpu.sh.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-opt %s --attn-compile="targets=host,sm_90 grad=true output=%t/grad.atnb" -o /dev/null
// RUN: attn-opt %s --attn-compile="targets=host,sm_90 output=%t/forward.atnb" -o /dev/null

// A bundle compiled without grad=true has no backward kernel.
// RUN: not attn-run %t/forward.atnb --target cuda --gradients --check 2>&1 | FileCheck %s --check-prefix=NOGRAD
// RUN: not attn-run-nomlir %t/forward.atnb --target cuda --gradients --check 2>&1 | FileCheck %s --check-prefix=NOGRAD
// NOGRAD: error: kernel 'causal' of {{.*}}forward.atnb has no backward kernel 'causal_grad'; compile it with --attn-compile="targets=host,sm_90 grad=true output=..."

// The backward kernel is run through its forward, not by itself.
// RUN: not attn-run-nomlir %t/grad.atnb --function causal_grad --target cuda --gradients --check 2>&1 | FileCheck %s --check-prefix=DIRECT
// DIRECT: error: kernel 'causal_grad' of {{.*}}grad.atnb has no backward kernel 'causal_grad_grad'

// The MLIR-free attn-run runs backward kernels on CUDA only.
// RUN: not attn-run-nomlir %t/grad.atnb --target host --gradients --check 2>&1 | FileCheck %s --check-prefix=HOST
// HOST: error: --gradients applies only to --target cuda in this attn-run
// RUN: not attn-run %t/grad.atnb --target hip --gradients --check 2>&1 | FileCheck %s --check-prefix=HIP
// HIP: error: --gradients applies to --target ref (without --equivalent and --dump), to --target host --check and to --target cuda

func.func @causal(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> (tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x64xbf16>, tensor<?x2x?xf32>
}
