#ifndef ATTN_COMPILER_PASSES_TD
#define ATTN_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnCompile : Pass<"attn-compile", "::mlir::ModuleOp"> {
  let summary = "Compile attention specs for targets and write a bundle";
  let description = [{
    Compiles every function holding an attn.attention or an attention-shaped
    attn.cascade (the spec contract of docs/architecture.md: @f(q, k, v,
    data...) returning O, and the LSE if any) into one bundle kernel named
    after the function, with binaries for each target. For each target the
    spec goes through the cascade pipeline (attn-decompose,
    attn-defer-division, attn-online-softmax, attn-tile, attn-sparsify, each
    step skipped when the cascade is already past it) with the target's
    tiles, and the tiled cascade is lowered by the schedule emitter
    (codegen/schedule) through the target. Targets come from the build's
    target list: `host` (a shared object for the CPU, docs/host.md),
    `sm_80`, `sm_90` (PTX and cubins, docs/nvidia.md) and `gfx90a`,
    `gfx942`, `gfx1100` (HSACO; `<chip>-emulated` makes a host binary that
    runs the chip's kernel lane by lane, docs/amd.md).
    With `output`, the bundle (kernels, argument signatures, binaries and
    the spec's text) is written there; the IR is left unchanged. `emit=`
    stops at a target's inspection stage instead: `host-loops`,
    `host-llvm` (the module is replaced by the host kernels), `gpu`,
    `nvvm`, `amdgpu`, `rocdl` (by the gpu.modules), `ptx`, `rocdl-isa`
    (prints the PTX or AMDGPU assembly, to `output` if given). Each target reads its own options; an option no requested
    target reads is an error.
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Targets to compile for (host, sm_80, sm_90, gfx90a, gfx942, "
               "gfx1100, gfx90a-emulated, gfx942-emulated, gfx1100-emulated, "
               "as the build's ATTN_TARGETS enables them)">,
    Option<"output", "output", "std::string", /*default=*/"",
           "Bundle file to write (nothing is written when empty); with "
           "emit=ptx or emit=rocdl-isa, the assembly file">,
    Option<"emit", "emit", "std::string", /*default=*/"\"bundle\"",
           "bundle (default), or a target's stage: host-loops, host-llvm, "
           "gpu, nvvm, ptx, amdgpu, rocdl, rocdl-isa">,
    Option<"grad", "grad", "bool", /*default=*/"false",
           "Also compile each spec's backward (attn-differentiate) into a "
           "kernel <name>_grad taking q, k, v, data..., o, lse, do and "
           "writing dq, dk, dv (docs/backward.md; host target only)">,
    Option<"maskPrep", "mask-prep", "std::string", /*default=*/"\"scan\"",
           "Documents given as ids: scan (each query tile's work item reduces "
           "the ids itself; the default) or kernel (a preparation kernel "
           "<name>_prep summarizes the ids per 64 keys once per call, "
           "O(B S), and the kernel reads the summary, input "
           "data<N>_summary; docs/sparsity.md)">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "host: query rows per tile">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"64",
           "host: keys per tile">,
    Option<"hostCpu", "host-cpu", "std::string", /*default=*/"\"portable\"",
           "host: CPU of the binary: portable (the x86-64 baseline, runs on "
           "any x86-64; the default), native (this machine) or an LLVM CPU "
           "name (x86-64-v3)">,
    Option<"optLevel", "opt-level", "unsigned", /*default=*/"3",
           "host: LLVM optimization level (0 to 3)">,
    Option<"gpuBlockQ", "gpu-block-q", "int64_t", /*default=*/"0",
           "NVIDIA, AMD: query rows per thread block / workgroup (0: the "
           "kernel's default)">,
    Option<"gpuBlockKV", "gpu-block-kv", "int64_t", /*default=*/"0",
           "NVIDIA, AMD: keys per key tile (0: the kernel's default)">,
    Option<"gpuWarps", "gpu-warps", "int64_t", /*default=*/"0",
           "NVIDIA: warps per thread block (0: the kernel's default)">,
    Option<"gpuStages", "gpu-stages", "int64_t", /*default=*/"0",
           "NVIDIA, AMD: K/V shared-memory (LDS) stages (0: the kernel's "
           "default)">,
    Option<"gpuMinBlocks", "gpu-min-blocks", "int64_t", /*default=*/"0",
           "NVIDIA, AMD: thread blocks (workgroups) that should fit on one "
           "multiprocessor (CU) (caps registers per thread; 0: the kernel's "
           "default)">,
    Option<"sm90aSync", "sm90a-sync", "std::string", /*default=*/"\"auto\"",
           "NVIDIA sm_90a: how K/V stages complete: mbarrier (per-stage full "
           "and empty mbarriers), barrier (cp.async groups and CTA barriers) "
           "or auto (the default: mbarrier with TMA loads, with an overlap "
           "and for blocks of several warpgroups, barrier otherwise)">,
    Option<"hostOverlap", "host-overlap", "std::string", /*default=*/"\"none\"",
           "Host: none, or softmax: the key loop in the order of targets "
           "that overlap products with the softmax (sm90a-overlap=softmax), "
           "to check that order on the CPU (the host's products are "
           "synchronous)">,
    Option<"sm90aOverlap", "sm90a-overlap", "std::string", /*default=*/"\"none\"",
           "NVIDIA sm_90a: what the products overlap: none (each product "
           "waits for itself; the default), softmax (the next key tile's "
           "Q K^T and the previous tile's P V run during the softmax; needs "
           "mbarriers, which sm90a-sync=auto then takes) or warpgroups (the "
           "two warpgroups of a block take turns on the tensor cores, one's "
           "softmax under the other's product; 128-row tiles on 8 warps, "
           "mbarriers)">,
    Option<"sm90aCopy", "sm90a-copy", "std::string", /*default=*/"\"auto\"",
           "NVIDIA sm_90a: how K/V tiles reach shared memory: tma (one thread "
           "issues bulk tensor copies through tensor maps the runtime encodes "
           "per launch; needs mbarriers, which sm90a-sync=auto then takes, "
           "and key tiles of contiguous rows: no neighborhood masks), "
           "cp.async (16-byte copies by every thread) or auto (the default: "
           "tma where it applies, cp.async for neighborhoods, with "
           "sm90a-sync=barrier and with sm90a-overlap=softmax)">,
    Option<"sm90aProducer", "sm90a-producer", "std::string", /*default=*/"\"none\"",
           "NVIDIA sm_90a: none (the computing warps issue the K/V loads; the "
           "default), warp (one more warp per block issues every TMA load "
           "as soon as its stage is released; needs TMA loads) or "
           "warpgroup (one more warpgroup, whose registers go to the two "
           "computing warpgroups: setmaxnreg)">,
    Option<"reportResources", "report-resources", "bool", /*default=*/"false",
           "NVIDIA, AMD: print registers, shared memory (LDS) and spills per "
           "kernel and chip (NVIDIA needs ptxas)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // ATTN_COMPILER_PASSES_TD
