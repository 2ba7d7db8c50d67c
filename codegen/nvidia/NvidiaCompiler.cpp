//===- NvidiaCompiler.cpp - gpu.modules to PTX and cubin ------------------===//
#include "attn/Nvidia/NvidiaCompiler.h"
#include "attn/Gpu/GpuLowering.h"
#include "attn/Target/ExternalTool.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include <cstdlib>

using namespace mlir;
using namespace mlir::attn::nvidia;

ArrayRef<StringRef> mlir::attn::nvidia::supportedChips() {
  static const StringRef chips[] = {"sm_80", "sm_90", "sm_90a"};
  return chips;
}

bool mlir::attn::nvidia::isHopperChip(StringRef chip) { return chip == "sm_90a"; }

std::string mlir::attn::nvidia::supportedChipList() {
  return llvm::join(supportedChips(), ", ");
}

// PTX ISA 8.0 (CUDA 12.0) covers sm_90, sm_90a (wgmma) and everything the
// kernels use; a
// driver of CUDA 12.0 or newer can JIT it.
StringRef mlir::attn::nvidia::ptxFeatures() { return "+ptx80"; }

void mlir::attn::nvidia::registerNvidiaCompilerDependencies(
    DialectRegistry &registry) {
  // convert-gpu-to-nvvm converts the other dialects through their
  // ConvertToLLVM interfaces (registered by the common set).
  gpu_lowering::registerCommonDependencies(registry);
  registry.insert<nvgpu::NVGPUDialect, NVVM::NVVMDialect>();
  registerConvertNVVMToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
}

//===----------------------------------------------------------------------===//
// Lowering to NVVM
//===----------------------------------------------------------------------===//

namespace {
/// A CUtensorMap: 128 bytes, 64-byte aligned.
constexpr unsigned kTensorMapBytes = 128;
constexpr int64_t kTensorMapAlignment = 64;

/// f32 tanh from one ex2.approx: tanh|x| = (1 - t) / (1 + t) with
/// t = 2^(-2 log2(e) |x|) in (0, 1], so nothing overflows; below |x| = 1/16,
/// where 1 - t would cancel, the odd Taylor polynomial x - x^3/3 + 2x^5/15
/// (truncation error under 1e-9 relative). About 2e-6 relative error
/// overall, in half the instructions of the generic rational approximation,
/// which matters for soft-capping: it runs once per score.
struct TanhFromExp2 : OpRewritePattern<math::TanhOp> {
  TanhFromExp2(MLIRContext *context)
      : OpRewritePattern<math::TanhOp>(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::TanhOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](double value) -> Value {
      TypedAttr attr = rewriter.getF32FloatAttr(static_cast<float>(value));
      if (auto shaped = dyn_cast<ShapedType>(type))
        attr = DenseElementsAttr::get(shaped, attr);
      return arith::ConstantOp::create(rewriter, loc, type, attr);
    };
    auto fast = arith::FastMathFlags::afn;
    Value x = op.getOperand();
    Value magnitude = math::AbsFOp::create(rewriter, loc, x);
    Value t = math::Exp2Op::create(
        rewriter, loc,
        arith::MulFOp::create(rewriter, loc, magnitude,
                              constant(-2.0 * 1.4426950408889634)));
    Value one = constant(1.0);
    Value numerator = arith::SubFOp::create(rewriter, loc, one, t);
    Value denominator = arith::AddFOp::create(rewriter, loc, one, t);
    Value ratio =
        arith::DivFOp::create(rewriter, loc, numerator, denominator, fast);
    Value large = math::CopySignOp::create(rewriter, loc, ratio, x);
    Value square = arith::MulFOp::create(rewriter, loc, x, x);
    Value secondCoefficient = constant(2.0 / 15.0);
    Value firstCoefficient = constant(-1.0 / 3.0);
    Value inner = math::FmaOp::create(rewriter, loc, square,
                                      secondCoefficient, firstCoefficient);
    Value series = math::FmaOp::create(rewriter, loc, square, inner, one);
    Value small = arith::MulFOp::create(rewriter, loc, x, series);
    Value useSeries = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OLT, magnitude, constant(0.0625));
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, useSeries, small, large);
    return success();
  }
};
} // namespace

/// The libdevice functions convert-gpu-to-nvvm lowers single-instruction
/// math to (it forbids the LLVM intrinsics while it runs), with the
/// intrinsics NVPTX selects those instructions for: exp2 f32 is
/// ex2.approx.f32 (relative error about 2^-22), the instruction the online
/// softmax is built on.
static const llvm::StringMap<StringRef> &libdeviceIntrinsics() {
  static const llvm::StringMap<StringRef> intrinsics = {
      {"__nv_exp2f", "llvm.intr.exp2"},         {"__nv_fabsf", "llvm.intr.fabs"},
      {"__nv_fabs", "llvm.intr.fabs"},          {"__nv_sqrtf", "llvm.intr.sqrt"},
      {"__nv_sqrt", "llvm.intr.sqrt"},          {"__nv_floorf", "llvm.intr.floor"},
      {"__nv_floor", "llvm.intr.floor"},        {"__nv_ceilf", "llvm.intr.ceil"},
      {"__nv_ceil", "llvm.intr.ceil"},          {"__nv_truncf", "llvm.intr.trunc"},
      {"__nv_trunc", "llvm.intr.trunc"},        {"__nv_roundf", "llvm.intr.round"},
      {"__nv_round", "llvm.intr.round"},        {"__nv_rintf", "llvm.intr.roundeven"},
      {"__nv_rint", "llvm.intr.roundeven"},     {"__nv_fmaf", "llvm.intr.fma"},
      {"__nv_fma", "llvm.intr.fma"},            {"__nv_copysignf", "llvm.intr.copysign"},
      {"__nv_copysign", "llvm.intr.copysign"},  {"__nv_fminf", "llvm.intr.minnum"},
      {"__nv_fmin", "llvm.intr.minnum"},        {"__nv_fmaxf", "llvm.intr.maxnum"},
      {"__nv_fmax", "llvm.intr.maxnum"}};
  return intrinsics;
}

LogicalResult mlir::attn::nvidia::lowerGpuModulesToNVVM(ModuleOp module) {
  MLIRContext *context = module.getContext();
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    if (failed(gpu_lowering::expandMath(
            gpuModule, [](RewritePatternSet &patterns) {
              patterns.add<TanhFromExp2>(patterns.getContext());
            })))
      return gpuModule.emitError() << "math expansion did not converge";

  // The lowering keeps no by-value attributes on kernel arguments: note the
  // tensor maps per kernel (trailing arguments) and mark them afterwards.
  llvm::StringMap<unsigned> tensorMapCounts;
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>()) {
      unsigned count = 0;
      for (unsigned argument = 0; argument < kernel.getNumArguments();
           ++argument) {
        if (kernel.getArgAttr(argument, kTensorMapArgumentAttr))
          ++count;
        else if (count)
          return kernel.emitError()
                 << "tensor maps must be the kernel's last arguments";
      }
      if (count)
        tensorMapCounts[(gpuModule.getName() + "::" + kernel.getName()).str()] =
            count;
    }

  PassManager pm(context);
  OpPassManager &gpu = pm.nest<gpu::GPUModuleOp>();
  // CSE first: the schedule emitter writes constants where it uses them.
  gpu.addPass(createCSEPass());
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  gpu.addPass(createConvertNVGPUToNVVMPass());
  gpu.addPass(createConvertVectorToSCFPass());
  gpu.addPass(createSCFToControlFlowPass());
  gpu.addPass(createConvertNVVMToLLVMPass());
  gpu.addPass(memref::createExpandStridedMetadataPass());
  gpu.addPass(createLowerAffinePass());
  ConvertGpuOpsToNVVMOpsOptions options;
  options.indexBitwidth = 64;
  options.useBarePtrCallConv = false;
  gpu.addPass(createConvertGpuOpsToNVVMOps(options));
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  gpu.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(module)))
    return emitError(module.getLoc()) << "lowering the GPU kernels to NVVM failed";
  auto byValue = LLVM::LLVMArrayType::get(IntegerType::get(context, 8),
                                         kTensorMapBytes);
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    for (auto kernel : gpuModule.getOps<LLVM::LLVMFuncOp>()) {
      auto found = tensorMapCounts.find(
          (gpuModule.getName() + "::" + kernel.getName()).str());
      if (found == tensorMapCounts.end())
        continue;
      Builder builder(context);
      unsigned arguments = kernel.getNumArguments();
      for (unsigned argument = arguments - found->second; argument < arguments;
           ++argument) {
        kernel.setArgAttr(argument, LLVM::LLVMDialect::getByValAttrName(),
                          TypeAttr::get(byValue));
        kernel.setArgAttr(argument, LLVM::LLVMDialect::getAlignAttrName(),
                          builder.getI64IntegerAttr(kTensorMapAlignment));
        kernel.setArgAttr(argument, NVVM::NVVMDialect::getGridConstantAttrName(),
                          builder.getUnitAttr());
      }
    }
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
    gpu_lowering::replaceLibraryCallsWithIntrinsics(gpuModule,
                                                    libdeviceIntrinsics());
    if (failed(gpu_lowering::checkLowered(
            gpuModule, context->getLoadedDialect<NVVM::NVVMDialect>(),
            "NVIDIA", "NVVM",
            "attn links no device library (math functions are expanded for "
            "f16, bf16 and f32 only)")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PTX
//===----------------------------------------------------------------------===//

/// The serializer looks for libdevice in the CUDA toolkit it is given (or
/// that $CUDA_HOME and friends name) and reports a missing one as an error
/// it then ignores. attn's kernels never call libdevice
/// (gpu_lowering::expandMath), so these reports are dropped instead of
/// failing the compilation.
static bool isLibdeviceLookupReport(Diagnostic &diagnostic) {
  std::string message = diagnostic.str();
  StringRef text(message);
  return text.starts_with("CUDA path: ") || text.starts_with("LibDevice path: ");
}

/// PTX for each chip through gpu-module-to-binary (format=isa).
static FailureOr<SmallVector<std::string>>
serializeToPtx(gpu::GPUModuleOp module, ArrayRef<std::string> chips) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> holder = ModuleOp::create(module.getLoc());
  (*holder)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(context));
  OpBuilder builder = OpBuilder::atBlockEnd(holder->getBody());
  auto copy = cast<gpu::GPUModuleOp>(builder.clone(*module));
  SmallVector<Attribute> targets;
  for (const std::string &chip : chips)
    targets.push_back(NVVM::NVVMTargetAttr::get(
        context, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip, ptxFeatures()));
  copy.setTargetsAttr(builder.getArrayAttr(targets));

  LogicalResult serialized = failure();
  {
    ScopedDiagnosticHandler dropLibdeviceReports(
        context, [](Diagnostic &diagnostic) {
          return success(isLibdeviceLookupReport(diagnostic));
        });
    gpu::TargetOptions options(/*toolkitPath=*/{}, /*librariesToLink=*/{},
                               /*cmdOptions=*/{}, /*elfSection=*/{},
                               gpu::CompilationTarget::Assembly);
    serialized = gpu::transformGpuModulesToBinaries(*holder, nullptr, options);
  }
  if (failed(serialized))
    return module.emitError() << "serializing @" << module.getName()
                              << " to PTX failed";
  auto binaries = holder->getOps<gpu::BinaryOp>();
  if (!llvm::hasSingleElement(binaries))
    return module.emitError() << "gpu-module-to-binary produced no binary for @"
                              << module.getName();
  gpu::BinaryOp binary = *binaries.begin();
  SmallVector<std::string> ptx;
  for (Attribute attribute : binary.getObjects()) {
    auto object = cast<gpu::ObjectAttr>(attribute);
    ptx.push_back(object.getObject().getValue().str());
  }
  if (ptx.size() != chips.size())
    return module.emitError() << "gpu-module-to-binary produced " << ptx.size()
                              << " objects for " << chips.size() << " chips";
  return ptx;
}

//===----------------------------------------------------------------------===//
// ptxas
//===----------------------------------------------------------------------===//

FailureOr<std::optional<std::string>>
mlir::attn::nvidia::findPtxas(Location loc) {
  if (const char *root = std::getenv("ATTN_CUDA_PATH"); root && *root) {
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, "bin", "ptxas");
    if (!llvm::sys::fs::can_execute(path))
      return emitError(loc) << "$ATTN_CUDA_PATH is '" << root
                            << "', but there is no executable " << path;
    return std::optional<std::string>(path.str().str());
  }
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas"))
    return std::optional<std::string>("/usr/local/cuda/bin/ptxas");
  if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas"))
    return std::optional<std::string>(*found);
  return std::optional<std::string>();
}

/// Reads the per-entry lines of `ptxas -v`:
///   ptxas info    : Compiling entry function 'k' for 'sm_90'
///   ptxas info    : Function properties for k
///       16 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads
///   ptxas info    : Used 168 registers, used 1 barriers, 1024 bytes smem, ...
static SmallVector<KernelResources> parsePtxasReport(StringRef log) {
  SmallVector<KernelResources> kernels;
  llvm::Regex entry("Compiling entry function '([^']+)'");
  llvm::Regex frame("([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, "
                    "([0-9]+) bytes spill loads");
  llvm::Regex registers("Used ([0-9]+) registers");
  llvm::Regex shared("([0-9]+) bytes smem");
  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef line : lines) {
    SmallVector<StringRef> match;
    if (entry.match(line, &match)) {
      kernels.push_back({});
      kernels.back().entry = match[1].str();
      continue;
    }
    if (kernels.empty())
      continue;
    KernelResources &current = kernels.back();
    if (frame.match(line, &match)) {
      llvm::to_integer(match[1], current.stackFrameBytes);
      llvm::to_integer(match[2], current.spillStoreBytes);
      llvm::to_integer(match[3], current.spillLoadBytes);
    }
    if (registers.match(line, &match))
      llvm::to_integer(match[1], current.registers);
    if (shared.match(line, &match))
      llvm::to_integer(match[1], current.staticSharedBytes);
  }
  return kernels;
}

/// Assembles `ptx` for `chip` with `ptxas -v`; fills the cubin and the
/// resource report of `binary`.
static LogicalResult assemble(gpu::GPUModuleOp module, StringRef ptxas,
                              ChipBinary &binary) {
  Location loc = module.getLoc();
  FailureOr<mlir::attn::ExternalToolRun> run = mlir::attn::runExternalTool(
      loc, "ptxas", ptxas,
      {"-arch=" + binary.chip, "-O3", "-v", "{input}", "-o", "{output}"},
      binary.ptx, "ptx", "cubin", /*secondsToWait=*/0);
  if (failed(run))
    return failure();
  StringRef logText = run->log;
  if (run->status != 0) {
    InFlightDiagnostic diagnostic =
        emitError(loc) << "ptxas (" << ptxas << ") failed on @"
                       << module.getName() << " for " << binary.chip;
    if (run->status < 0)
      diagnostic << ": " << run->executeError;
    else
      diagnostic << " with exit code " << run->status;
    diagnostic << "; its log:\n" << logText.rtrim();
    return diagnostic;
  }
  if (run->output.empty())
    return emitError(loc) << "ptxas (" << ptxas << ") wrote no cubin for @"
                          << module.getName() << " (" << binary.chip << ")";
  binary.cubin = std::move(run->output);
  binary.resources = parsePtxasReport(logText);
  return success();
}

FailureOr<SmallVector<ChipBinary>>
mlir::attn::nvidia::compileGpuModule(gpu::GPUModuleOp module,
                                     ArrayRef<std::string> chips,
                                     std::optional<StringRef> ptxas) {
  FailureOr<SmallVector<std::string>> ptx = serializeToPtx(module, chips);
  if (failed(ptx))
    return failure();
  SmallVector<ChipBinary> binaries;
  for (auto [chip, text] : llvm::zip_equal(chips, *ptx)) {
    ChipBinary binary;
    binary.chip = chip;
    binary.ptx = std::move(text);
    if (ptxas && failed(assemble(module, *ptxas, binary)))
      return failure();
    binaries.push_back(std::move(binary));
  }
  return binaries;
}

void mlir::attn::nvidia::printResources(llvm::raw_ostream &os, StringRef name,
                                        StringRef chip,
                                        const KernelResources &resources,
                                        int64_t dynamicSharedBytes) {
  os << "kernel " << name << " " << chip
     << ": registers=" << resources.registers
     << " shared=" << resources.staticSharedBytes + dynamicSharedBytes
     << " spill_stores=" << resources.spillStoreBytes
     << " spill_loads=" << resources.spillLoadBytes << "\n";
}

std::string mlir::attn::nvidia::ptxBanner(StringRef what, StringRef chip) {
  return ("// attn: " + what + " for " + chip + "\n").str();
}

