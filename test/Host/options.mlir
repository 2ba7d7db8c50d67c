// Bad attn-compile options and environments are diagnosed, never ignored.
// RUN: not attn-opt %s --attn-compile 2>&1 | FileCheck %s --check-prefix=NO-TARGET
// NO-TARGET: error: attn-compile needs targets=<list> (supported: host, sm_80, sm_90, sm_90a, gfx90a, gfx942, gfx1100, gfx90a-emulated, gfx942-emulated, gfx1100-emulated)
// RUN: not attn-opt %s --attn-compile="targets=host,sm_75" 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: attn-compile: unknown target 'sm_75' (supported: host, sm_80, sm_90, sm_90a, gfx90a, gfx942, gfx1100, gfx90a-emulated, gfx942-emulated, gfx1100-emulated)
// RUN: not attn-opt %s --attn-compile="targets=host emit=sass" 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: error: attn-compile: emit must be bundle, host-loops, host-llvm, gpu, nvvm, ptx, amdgpu, rocdl, rocdl-isa, got 'sass'
// RUN: not attn-opt %s --attn-compile="targets=host emit=host-loops output=%t.atnb" 2>&1 | FileCheck %s --check-prefix=EMIT-OUTPUT
// EMIT-OUTPUT: error: attn-compile: output= writes a bundle, which emit=host-loops does not produce
// RUN: not attn-opt %s --attn-compile="targets=host opt-level=4" 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: error: attn-compile: opt-level must be 0 to 3, got 4
// RUN: not attn-opt %s --attn-compile="targets=host block-kv=-3" 2>&1 | FileCheck %s --check-prefix=TILE-KV
// RUN: not attn-opt %s --attn-compile="targets=host block-q=0" 2>&1 | FileCheck %s --check-prefix=TILE-Q
// TILE-KV: error: attn-compile: block-kv must be >= 1, got -3
// TILE-Q: error: attn-compile: block-q must be >= 1, got 0
// A lane keeps a key tile's probabilities on the stack, so its size is bounded.
// RUN: not attn-opt %s --attn-compile="targets=host block-kv=5000" 2>&1 | FileCheck %s --check-prefix=STACK
// STACK: error: host key tiles of 5000 keys exceed the 4096 the host kernel keeps on its stack; choose a smaller block-kv
// RUN: not attn-opt %s --attn-compile="targets=host host-cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: error: unknown host CPU 'pentium9' (use 'portable', 'native' or an LLVM CPU name such as 'x86-64-v3')
// A 32-bit CPU is refused with a message, not LLVM's fatal error (issue 16).
// RUN: not attn-opt %s --attn-compile="targets=host host-cpu=i386" 2>&1 | FileCheck %s --check-prefix=CPU32
// CPU32: error: host CPU 'i386' cannot run 64-bit code, which the host target ('x86_64-{{.*}}') needs; use 'portable' or a 64-bit CPU such as 'x86-64-v3'
// CPU32-NOT: LLVM ERROR
// RUN: not attn-opt %s --attn-compile="targets=host output=%t.missing/dir/x.atnb" 2>&1 | FileCheck %s --check-prefix=WRITE
// WRITE: error: attn-compile: cannot write bundle file '{{.*}}x.atnb'
// RUN: env ATTN_LD_LLD=%t.no-such-linker not attn-opt %s --attn-compile="targets=host" 2>&1 | FileCheck %s --check-prefix=LINKER
// LINKER: error: the host target links with ld.lld, which was not found (looked for $ATTN_LD_LLD = {{.*}}no-such-linker); install lld-22 or set ATTN_LD_LLD
// RUN: echo 'func.func @f() { return }' | not attn-opt --attn-compile="targets=host" 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: no function in the module contains an attn.attention or attn.cascade op

func.func @causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
