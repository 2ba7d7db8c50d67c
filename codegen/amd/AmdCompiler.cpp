//===- AmdCompiler.cpp - gpu.modules to AMDGPU ISA and HSACO --------------===//
#include "attn/Amd/AmdCompiler.h"
#include "attn/Gpu/GpuLowering.h"

#include "mlir/Conversion/AMDGPUToROCDL/AMDGPUToROCDL.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/ROCDL/Target.h"
#include "mlir/Target/LLVM/ROCDL/Utils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/ROCDL/ROCDLToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <cstdlib>
#include <limits>

using namespace mlir;
using namespace mlir::attn::amd;

StringRef mlir::attn::amd::codeObjectAbi() { return "500"; }

void mlir::attn::amd::registerAmdCompilerDependencies(
    DialectRegistry &registry) {
  gpu_lowering::registerCommonDependencies(registry);
  registry.insert<amdgpu::AMDGPUDialect, ROCDL::ROCDLDialect>();
  registerConvertMathToLLVMInterface(registry);
  ROCDL::registerROCDLTargetInterfaceExternalModels(registry);
  registerROCDLDialectTranslation(registry);
}

//===----------------------------------------------------------------------===//
// Lowering to ROCDL
//===----------------------------------------------------------------------===//

/// The device library (__ocml_) functions convert-gpu-to-rocdl lowers the
/// remaining math to (it forbids the LLVM intrinsics while it runs), with
/// the intrinsics the AMDGPU back end selects instructions for (exp2 f32 is
/// v_exp_f32). Nothing may call the library itself: Debian's ROCm 5.2
/// packages do not build it for gfx942 or gfx1100.
static const llvm::StringMap<StringRef> &ocmlIntrinsics() {
  static const llvm::StringMap<StringRef> intrinsics = [] {
    llvm::StringMap<StringRef> map;
    for (auto [name, intrinsic] :
         {std::pair{"exp2", "llvm.intr.exp2"}, {"exp", "llvm.intr.exp"},
          {"log2", "llvm.intr.log2"}, {"log", "llvm.intr.log"},
          {"fabs", "llvm.intr.fabs"}, {"sqrt", "llvm.intr.sqrt"},
          {"floor", "llvm.intr.floor"}, {"ceil", "llvm.intr.ceil"},
          {"trunc", "llvm.intr.trunc"}, {"round", "llvm.intr.round"},
          {"rint", "llvm.intr.roundeven"}, {"fma", "llvm.intr.fma"},
          {"copysign", "llvm.intr.copysign"}, {"fmin", "llvm.intr.minnum"},
          {"fmax", "llvm.intr.maxnum"}})
      for (StringRef suffix : {"_f16", "_f32", "_f64"})
        map[("__ocml_" + StringRef(name) + suffix).str()] = intrinsic;
    return map;
  }();
  return intrinsics;
}

LogicalResult mlir::attn::amd::lowerGpuModulesToROCDL(ModuleOp module,
                                                      const AmdChip &chip) {
  MLIRContext *context = module.getContext();
  // Occupancy requests move from the gpu.func to the lowered function.
  llvm::StringMap<int64_t> wavesPerEu;
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
    if (failed(gpu_lowering::expandMath(gpuModule)))
      return gpuModule.emitError() << "math expansion did not converge";
    gpuModule.walk([&](gpu::GPUFuncOp function) {
      if (auto waves = function->getAttrOfType<IntegerAttr>("attn.waves_per_eu"))
        wavesPerEu[function.getName()] = waves.getInt();
    });
  }

  PassManager pm(context);
  OpPassManager &gpu = pm.nest<gpu::GPUModuleOp>();
  // CSE first: the schedule emitter writes constants where it uses them.
  gpu.addPass(createCSEPass());
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  ConvertAMDGPUToROCDLPassOptions amdgpuOptions;
  amdgpuOptions.chipset = chip.name.str();
  gpu.addPass(createConvertAMDGPUToROCDLPass(amdgpuOptions));
  gpu.addPass(createConvertVectorToSCFPass());
  gpu.addPass(createSCFToControlFlowPass());
  gpu.addPass(memref::createExpandStridedMetadataPass());
  gpu.addPass(createLowerAffinePass());
  ConvertGpuOpsToROCDLOpsOptions options;
  options.chipset = chip.name.str();
  options.indexBitwidth = 64;
  options.useBarePtrCallConv = false;
  options.runtime = gpu::amd::Runtime::HIP;
  gpu.addPass(createConvertGpuOpsToROCDLOps(options));
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  gpu.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(module)))
    return emitError(module.getLoc())
           << "lowering the AMD kernels to ROCDL for " << chip.name
           << " failed";
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
    gpu_lowering::replaceLibraryCallsWithIntrinsics(gpuModule,
                                                    ocmlIntrinsics());
    if (failed(gpu_lowering::checkLowered(
            gpuModule, context->getLoadedDialect<ROCDL::ROCDLDialect>(), "AMD",
            "ROCDL", "attn links no device library")))
      return failure();
    gpuModule.walk([&](LLVM::LLVMFuncOp function) {
      auto found = wavesPerEu.find(function.getName());
      if (found != wavesPerEu.end())
        function->setAttr(
            ROCDL::ROCDLDialect::WavesPerEuAttrHelper(context).getName(),
            IntegerAttr::get(IntegerType::get(context, 32), found->second));
    });
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Serialization
//===----------------------------------------------------------------------===//

FailureOr<std::string> mlir::attn::amd::findRocmToolkit(Location loc) {
  auto hasLinker = [](StringRef root) {
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "llvm", "bin", "ld.lld");
    return llvm::sys::fs::can_execute(path);
  };
  if (const char *root = std::getenv("ATTN_ROCM_PATH"); root && *root) {
    if (!hasLinker(root))
      return emitError(loc) << "$ATTN_ROCM_PATH is '" << root
                            << "', but it has no executable llvm/bin/ld.lld";
    return std::string(root);
  }
#ifdef ATTN_ROCM_TOOLKIT_DIR
  if (hasLinker(ATTN_ROCM_TOOLKIT_DIR))
    return std::string(ATTN_ROCM_TOOLKIT_DIR);
#endif
  return emitError(loc)
         << "HSACO code objects are linked by ld.lld from <toolkit>/llvm/bin, "
         << "and there is none: set $ATTN_ROCM_PATH to a folder with "
         << "llvm/bin/ld.lld (a ROCm installation, or one linking Debian's "
         << "ld.lld-22)";
}

/// The kernels of an HSACO's amdhsa.kernels metadata (MLIR names the keys
/// without their leading dot).
static std::vector<KernelResources> readResources(MLIRContext *context,
                                                  ArrayRef<char> elf) {
  std::vector<KernelResources> kernels;
  Builder builder(context);
  std::optional<DenseMap<StringAttr, NamedAttrList>> metadata =
      ROCDL::getAMDHSAKernelsELFMetadata(builder, elf);
  if (!metadata)
    return kernels;
  for (auto &[name, attributes] : *metadata) {
    KernelResources kernel;
    kernel.entry = name.str();
    // A count the chip does not have (AGPRs on RDNA) reads as 2^32 - 1.
    auto read = [&](StringRef key, int64_t &into) {
      if (auto value = dyn_cast_or_null<IntegerAttr>(attributes.get(key)))
        if (value.getInt() != std::numeric_limits<uint32_t>::max())
          into = value.getInt();
    };
    read("vgpr_count", kernel.vgprs);
    read("agpr_count", kernel.agprs);
    read("sgpr_count", kernel.sgprs);
    read("group_segment_fixed_size", kernel.ldsBytes);
    read("private_segment_fixed_size", kernel.scratchBytes);
    read("vgpr_spill_count", kernel.vgprSpills);
    read("sgpr_spill_count", kernel.sgprSpills);
    read("wavefront_size", kernel.wavefrontSize);
    kernels.push_back(kernel);
  }
  llvm::sort(kernels, [](const KernelResources &a, const KernelResources &b) {
    return a.entry < b.entry;
  });
  return kernels;
}

FailureOr<AmdBinary> mlir::attn::amd::compileGpuModule(gpu::GPUModuleOp module,
                                                       const AmdChip &chip,
                                                       bool assembly,
                                                       StringRef toolkit) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> holder = ModuleOp::create(module.getLoc());
  (*holder)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(context));
  OpBuilder builder = OpBuilder::atBlockEnd(holder->getBody());
  auto copy = cast<gpu::GPUModuleOp>(builder.clone(*module));
  auto target = ROCDL::ROCDLTargetAttr::get(
      context, /*optLevel=*/3, "amdgcn-amd-amdhsa", chip.name, /*features=*/"",
      codeObjectAbi());
  copy.setTargetsAttr(builder.getArrayAttr({target}));
  gpu::TargetOptions options(
      toolkit, /*librariesToLink=*/{}, /*cmdOptions=*/{}, /*elfSection=*/{},
      assembly ? gpu::CompilationTarget::Assembly
               : gpu::CompilationTarget::Binary);
  if (failed(gpu::transformGpuModulesToBinaries(*holder, nullptr, options)))
    return module.emitError() << "serializing @" << module.getName()
                              << " for " << chip.name << " failed";
  auto binaries = holder->getOps<gpu::BinaryOp>();
  if (!llvm::hasSingleElement(binaries))
    return module.emitError() << "gpu-module-to-binary produced no binary for @"
                              << module.getName();
  gpu::BinaryOp binary = *binaries.begin();
  if (binary.getObjects().size() != 1)
    return module.emitError() << "gpu-module-to-binary produced "
                              << binary.getObjects().size() << " objects for "
                              << chip.name;
  StringRef object =
      cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().getValue();
  AmdBinary result;
  if (assembly) {
    result.isa = object.str();
    return result;
  }
  result.hsaco.assign(object.begin(), object.end());
  result.resources =
      readResources(context, ArrayRef<char>(object.data(), object.size()));
  return result;
}

void mlir::attn::amd::printResources(llvm::raw_ostream &os, StringRef name,
                                     StringRef chip,
                                     const KernelResources &resources) {
  os << "kernel " << name << " " << chip << ": vgprs=" << resources.vgprs
     << " agprs=" << resources.agprs << " sgprs=" << resources.sgprs
     << " lds=" << resources.ldsBytes << " scratch=" << resources.scratchBytes
     << " vgpr_spills=" << resources.vgprSpills
     << " sgpr_spills=" << resources.sgprSpills << "\n";
}
