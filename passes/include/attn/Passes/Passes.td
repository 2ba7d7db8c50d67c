#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnCompile : Pass<"attn-compile", "::mlir::ModuleOp"> {
  let summary = "Compile attention specs for targets and write a bundle";
  let description = [{
    Compiles every function holding an attn.attention op (the spec contract
    of docs/host.md: @f(q, k, v, data...) returning the op's output, and
    its LSE if any) into one bundle kernel named after the function, with a
    binary per target. `targets=host` lowers the tiled 1-pass cascade to CPU
    code, emits an object in-process and links a shared object with ld.lld.
    With `output`, the bundle (kernels, argument signatures, binaries and
    the spec's text) is written there; the IR is left unchanged.
    `emit=host-loops` or `emit=host-llvm` instead replaces the module by the
    host kernels at that stage, for inspection and tests.
    `targets=sm_80,sm_90` build one gpu.func per spec (codegen/nvidia),
    lower it to NVVM, serialize PTX through gpu-module-to-binary and
    assemble cubins with ptxas when one is found (docs/nvidia.md).
    `emit=gpu` or `emit=nvvm` replace the module by the gpu.modules before
    or after lowering; `emit=ptx` prints the PTX (to `output` if given) and
    leaves the module unchanged. `report-resources` prints ptxas' registers,
    shared memory and spills per kernel and chip.
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Targets to compile for (supported: host, sm_80, sm_90)">,
    Option<"output", "output", "std::string", /*default=*/"",
           "Bundle file to write (nothing is written when empty); with "
           "emit=ptx, the PTX file">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "Query tile rows of the host schedule">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"64",
           "Key tile columns of the host schedule (a multiple of 8)">,
    Option<"hostCpu", "host-cpu", "std::string", /*default=*/"\"portable\"",
           "CPU of the host binary: portable (x86-64 baseline, runs on any "
           "x86-64), native (this machine) or an LLVM CPU name (x86-64-v3)">,
    Option<"optLevel", "opt-level", "unsigned", /*default=*/"3",
           "LLVM optimization level of the host binary (0 to 3)">,
    Option<"emit", "emit", "std::string", /*default=*/"\"bundle\"",
           "bundle (default), host-loops, host-llvm, gpu, nvvm or ptx">,
    Option<"gpuBlockQ", "gpu-block-q", "int64_t", /*default=*/"0",
           "Query rows per GPU thread block (0: the kernel's default)">,
    Option<"gpuBlockKV", "gpu-block-kv", "int64_t", /*default=*/"0",
           "Key columns per GPU key tile (0: the kernel's default)">,
    Option<"gpuWarps", "gpu-warps", "int64_t", /*default=*/"0",
           "Warps per GPU thread block (0: the kernel's default)">,
    Option<"gpuStages", "gpu-stages", "int64_t", /*default=*/"0",
           "K/V shared-memory stages of the GPU kernel (0: the kernel's "
           "default)">,
    Option<"gpuMinBlocks", "gpu-min-blocks", "int64_t", /*default=*/"0",
           "GPU thread blocks that should fit on one multiprocessor (caps "
           "registers per thread; 0: the kernel's default)">,
    Option<"reportResources", "report-resources", "bool", /*default=*/"false",
           "Print registers, shared memory and spills per GPU kernel and "
           "chip (needs ptxas)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect", "::mlir::func::FuncDialect",
    "::mlir::index::IndexDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::ub::UBDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnLowerNvidia : Pass<"attn-lower-nvidia", "::mlir::ModuleOp"> {
  let summary = "Lower the module's gpu.modules to NVVM, PTX and cubin";
  let description = [{
    Runs attn-compile's NVIDIA back end on gpu.modules that are already in
    the module (hand-written or edited kernels, e.g. the output of
    `attn-compile="emit=gpu"`): `emit=nvvm` replaces them by their NVVM
    form; `emit=ptx` prints the PTX of each module and chip (to `output` if
    given) and leaves the module unchanged. `report-resources` assembles
    each module with ptxas and prints `kernel <entry> <chip>: registers=R
    shared=B spill_stores=S spill_loads=L` (static shared memory only).
  }];
  let options = [
    ListOption<"targets", "targets", "std::string",
               "Chips to compile for (supported: sm_80, sm_90)">,
    Option<"emit", "emit", "std::string", /*default=*/"\"ptx\"",
           "nvvm or ptx (default)">,
    Option<"output", "output", "std::string", /*default=*/"",
           "File for the PTX (default: standard output)">,
    Option<"gpuMinBlocks", "gpu-min-blocks", "int64_t", /*default=*/"0",
           "GPU thread blocks that should fit on one multiprocessor (caps "
           "registers per thread; 0: the kernel's default)">,
    Option<"reportResources", "report-resources", "bool", /*default=*/"false",
           "Print ptxas' registers, shared memory and spills per kernel">,
  ];
}

def AttnReportSparsity : Pass<"attn-report-sparsity", "::mlir::ModuleOp"> {
  let summary = "Print the tile sparsity of attention ops and draw block maps";
  let description = [{
    For every attn.attention op, at the given sizes, classifies each (query
    tile, key tile) pair as full, partial or skipped through the mask
    algebra and prints one line per head:
    `sparsity @f op#0 head 3: visited 120/256 partial 16 full 104 kept K
    density D tile-density T` (density = kept / (Sq * Skv), tile-density =
    kept / elements of the visited tiles). Grid masks (neighborhoods) get a
    line for row-major tiles and one for patch tiles. `svg=P` writes the
    block map to P-<function>-op<N>.svg. Data operands are read from
    constants, else generated from `seed`; without either the op is
    reported as data-dependent. See docs/sparsity.md.
  }];
  let options = [
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"0",
           "Query length (required when dynamic; must match a static one)">,
    Option<"seqKV", "seq-kv", "int64_t", /*default=*/"0",
           "Key length (required when dynamic; must match a static one)">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"128",
           "Query tile size BQ">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"128",
           "Key tile size BK">,
    Option<"svgPrefix", "svg", "std::string", /*default=*/"",
           "Write the block map of each op to <svg>-<function>-op<N>.svg">,
    ListOption<"heads", "heads", "int64_t",
               "Query heads to report (default: all)">,
    Option<"seed", "seed", "int64_t", /*default=*/"-1",
           "Seed for generated data operands (default: do not generate)">,
  ];
}

//===----------------------------------------------------------------------===//
// Einsum cascades (docs/cascades.md)
//===----------------------------------------------------------------------===//

def AttnDecompose : Pass<"attn-decompose"> {
  let summary = "Rewrite attn.attention as FuseMax's 3-pass Einsum cascade";
  let description = [{
    Each attn.attention op becomes an attn.cascade (named after its
    function) computing QK, the masked and modified scores S, their maximum
    GM, the numerators SN, their sum SD, the probabilities A and the output
    AV (and LSE). The mask attribute becomes a select with -inf that keeps
    the attribute, score mods become score_mod map actions in order, and
    custom regions move into the cascade.
  }];
}

def AttnCountPasses : Pass<"attn-count-passes"> {
  let summary = "Report FuseMax's pass count of every cascade, per rank";
  let description = [{
    For each attn.cascade and each rank that some Einsum reduces or iterates
    over, emits the remark `cascade <name>: <N> passes over rank <rank>`.
    N is one more than the longest chain of read-read dependencies: an
    Einsum that reads a fiber of a tensor over the rank after (transitively)
    depending on a reduction that had to read that fiber in full.
  }];
}

def AttnDeferDivision : Pass<"attn-defer-division"> {
  let summary = "Move a softmax division after the contraction (3 to 2 passes)";
  let description = [{
    Rewrites `A = div(SN, SD); AV = sum_m A * V` (SD not over m) into
    `SNV = sum_m SN * V; AV = div(SNV, SD)`, FuseMax's deferred division.
  }];
}

def AttnOnlineSoftmax : Pass<"attn-online-softmax"> {
  let summary = "Build the 1-pass cascade with a running max, sum and numerator";
  let description = [{
    Rewrites the deferred-division cascade into FuseMax's 1-pass cascade:
    the key rank m is partitioned into tiles of `tile-size` keys
    (m = m1 * M0 + m0) and m1 becomes an iterative rank whose running
    maximum RM, denominator RD and numerator RNV are rescaled by PRM at each
    step. A tile size that does not divide M leaves a shorter last tile.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"64",
           "Keys per tile (M0), >= 1">,
  ];
}

def AttnTile : Pass<"attn-tile"> {
  let summary = "Partition the query rank of a 1-pass cascade into tiles";
  let description = [{
    On a 1-pass cascade (attn-online-softmax), adds
    `attn.partition p = p1 * P0 + p0` with P0 = `block-q` and stores every
    tensor over p as a tensor over (p1, p0); the query input and the mask
    and score rules read position p1 * P0 + p0 and the results yield
    (p1, p0) as their p dimension. The iteration over the key tiles and its
    running tensors stay, so the cascade still makes one pass over the keys.
    `block-kv` > 0 re-chooses the key tile M0. See docs/cascades.md.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "Queries per tile (P0), >= 1">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"0",
           "Keys per tile (M0), >= 1; 0 keeps the tile of attn-online-softmax">,
  ];
}

def AttnSparsify : Pass<"attn-sparsify"> {
  let summary = "Visit only the key tiles a tiled cascade's mask keeps";
  let description = [{
    On a tiled 1-pass cascade whose scores are masked by
    `select(mask<...>[b, h, p1 * P0 + p0, m1 * M0 + m0], x, -inf)` (and/or
    `mask_region`), adds a visit clause naming those mask tests to the
    iteration over the key tiles: for each (batch, head, query tile) it
    steps only through the key tiles the mask's closed-form visit set
    (MaskAttrInterface::visitSet) holds, and skips the tests on the tiles
    it classifies full. Masks that read data get their visit lists from the
    operand when the cascade runs. With `count` it also emits, per query
    head (batch row 0), the remark
    `cascade <name> head <h>: visited V/T partial P full F` at the static
    lengths or `seq-q`/`seq-kv` (data operands read from constants). See
    docs/sparsity.md.
  }];
  let options = [
    Option<"count", "count", "bool", /*default=*/"false",
           "Emit the visited, partial and full tile counts per query head">,
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"0",
           "Query length to count at (required when dynamic)">,
    Option<"seqKV", "seq-kv", "int64_t", /*default=*/"0",
           "Key length to count at (required when dynamic)">,
  ];
}

#endif // ATTN_PASSES_TD
