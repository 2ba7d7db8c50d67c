#ifndef ATTN_NVIDIA_PASSES_TD
#define ATTN_NVIDIA_PASSES_TD

include "mlir/Pass/PassBase.td"

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
    Option<"reportResources", "report-resources", "bool", /*default=*/"false",
           "Print ptxas' registers, shared memory and spills per kernel">,
  ];
}

#endif // ATTN_NVIDIA_PASSES_TD
