//===- LowerNvidia.cpp - attn-lower-nvidia: gpu.modules to PTX ------------===//
//
// attn-compile's NVIDIA back end on its own, for gpu.modules that are already
// in the module: kernels written or edited by hand, and the tests of the
// lowering that do not depend on the kernel emitter (docs/nvidia.md).
//
//===----------------------------------------------------------------------===//
#include "attn/Nvidia/Passes.h"

#include "attn/Nvidia/NvidiaCompiler.h"
#include "attn/Target/TargetBackend.h"

#include "llvm/ADT/STLExtras.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERNVIDIA
#include "attn/Nvidia/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
class AttnLowerNvidiaPass
    : public mlir::attn::impl::AttnLowerNvidiaBase<AttnLowerNvidiaPass> {
public:
  using AttnLowerNvidiaBase::AttnLowerNvidiaBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    nvidia::registerNvidiaCompilerDependencies(registry);
  }

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }

private:
  LogicalResult checkOptions();
  LogicalResult run();
};
} // namespace

LogicalResult AttnLowerNvidiaPass::checkOptions() {
  Location loc = getOperation().getLoc();
  if (targets.empty())
    return emitError(loc) << "attn-lower-nvidia needs targets=<list> "
                          << "(supported: " << nvidia::supportedChipList()
                          << ")";
  for (const std::string &target : targets)
    if (!llvm::is_contained(nvidia::supportedChips(), target))
      return emitError(loc) << "attn-lower-nvidia: unknown target '" << target
                            << "' (supported: "
                            << nvidia::supportedChipList() << ")";
  if (emit != "nvvm" && emit != "ptx")
    return emitError(loc) << "attn-lower-nvidia: emit must be nvvm or ptx, "
                          << "got '" << emit.getValue() << "'";
  if (emit == "nvvm" && (!output.empty() || reportResources))
    return emitError(loc) << "attn-lower-nvidia: output= and "
                          << "report-resources need emit=ptx";
  return success();
}

LogicalResult AttnLowerNvidiaPass::run() {
  if (failed(checkOptions()))
    return failure();
  ModuleOp module = getOperation();
  if (module.getOps<gpu::GPUModuleOp>().empty())
    return emitError(module.getLoc()) << "attn-lower-nvidia: the module "
                                      << "holds no gpu.module";
  if (emit == "nvvm")
    return nvidia::lowerGpuModulesToNVVM(module);
  // emit=ptx leaves the module as it was.
  OwningOpRef<ModuleOp> lowered = module.clone();
  if (failed(nvidia::lowerGpuModulesToNVVM(*lowered)))
    return failure();

  std::optional<std::string> ptxas;
  if (reportResources) {
    FailureOr<std::optional<std::string>> found =
        nvidia::findPtxas(module.getLoc());
    if (failed(found))
      return failure();
    if (!*found)
      return emitError(module.getLoc())
             << "attn-lower-nvidia: report-resources needs ptxas "
             << "(set $ATTN_CUDA_PATH, install /usr/local/cuda or put ptxas "
             << "on PATH)";
    ptxas = **found;
  }
  std::string text;
  std::string report;
  llvm::raw_string_ostream reportStream(report);
  SmallVector<std::string> chips(targets.begin(), targets.end());
  for (auto gpuModule : lowered->getOps<gpu::GPUModuleOp>()) {
    FailureOr<SmallVector<nvidia::ChipBinary>> binaries =
        nvidia::compileGpuModule(gpuModule, chips,
                                 ptxas ? std::optional<StringRef>(*ptxas)
                                       : std::nullopt);
    if (failed(binaries))
      return failure();
    for (const nvidia::ChipBinary &binary : *binaries) {
      text += nvidia::ptxBanner(("gpu.module @" + gpuModule.getName()).str(),
                                binary.chip);
      text += binary.ptx;
      for (const nvidia::KernelResources &kernel : binary.resources)
        nvidia::printResources(reportStream, kernel.entry, binary.chip, kernel,
                               /*dynamicSharedBytes=*/0);
    }
  }
  if (failed(writeTextOutput(text, output, module.getLoc())))
    return failure();
  return writeTextOutput(report, "", module.getLoc());
}
