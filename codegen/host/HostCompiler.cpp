//===- HostCompiler.cpp - Host kernels to a shared object -----------------===//
#include "attn/Host/HostCompiler.h"
#include "attn/Target/ExternalTool.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include <cstdlib>

using namespace mlir;
using namespace mlir::attn::host;

//===----------------------------------------------------------------------===//
// Lowering to the LLVM dialect
//===----------------------------------------------------------------------===//

static std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(const HostCodegenOptions &options, Location loc);

/// A constant of `type` (a scalar or a vector of it) holding `value`.
static Value splatConstant(OpBuilder &b, Location loc, Type type,
                           TypedAttr value) {
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc, vector,
                                     DenseElementsAttr::get(vector, value));
  return arith::ConstantOp::create(b, loc, type, value);
}

namespace {
/// f16 -> f32 extension as integer arithmetic, exact for every f16 value:
/// the exponent and mantissa bits moved to the f32 positions read as an f32
/// that is 2^-112 times the value (also for subnormals), so one multiply by
/// 2^112 finishes the job; infinities and NaNs keep an all-ones exponent.
/// CPUs without conversion instructions (x86-64 before F16C) would
/// otherwise call a compiler-rt helper per element, which neither
/// vectorizes nor compiles quickly in the kernels' long unrolled blocks.
struct ExpandHalfExtension : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &b) const override {
    Type source = op.getIn().getType();
    if (!getElementTypeOrSelf(source).isF16() ||
        !getElementTypeOrSelf(op.getType()).isF32())
      return failure();
    Location loc = op.getLoc();
    auto like = [&](Type element) -> Type {
      if (auto vector = dyn_cast<VectorType>(source))
        return vector.clone(element);
      return element;
    };
    Type i16 = like(b.getI16Type()), i32 = like(b.getI32Type());
    Type f32 = op.getType();
    auto int32 = [&](uint32_t value) {
      return splatConstant(b, loc, i32, b.getI32IntegerAttr(value));
    };
    Value bits = arith::ExtUIOp::create(
        b, loc, i32, arith::BitcastOp::create(b, loc, i16, op.getIn()));
    Value signBit = arith::AndIOp::create(b, loc, bits, int32(0x8000));
    Value sign = arith::ShLIOp::create(b, loc, signBit, int32(16));
    Value magnitude = arith::AndIOp::create(b, loc, bits, int32(0x7fff));
    Value moved = arith::ShLIOp::create(b, loc, magnitude, int32(13));
    Value movedFloat = arith::BitcastOp::create(b, loc, f32, moved);
    Value scaled = arith::MulFOp::create(
        b, loc, movedFloat,
        splatConstant(b, loc, f32, b.getF32FloatAttr(0x1p112f)));
    Value special = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                          magnitude, int32(0x7c00));
    Value infOrNaN = arith::OrIOp::create(b, loc, moved, int32(0x7f800000));
    Value unsignedBits = arith::SelectOp::create(
        b, loc, special, infOrNaN,
        arith::BitcastOp::create(b, loc, i32, scaled));
    Value result = arith::OrIOp::create(b, loc, unsignedBits, sign);
    b.replaceOpWithNewOp<arith::BitcastOp>(op, f32, result);
    return success();
  }
};
} // namespace

/// Rewrites that must happen before the conversion to LLVM: math functions
/// become polynomials (no libm calls, and they vectorize), bf16 conversions
/// become integer arithmetic (x86 has no bf16 truncation without
/// AVX512-BF16, and LLVM would otherwise call a compiler-rt helper), and so
/// do f16 extensions on CPUs without half conversion instructions.
static LogicalResult expandForHost(ModuleOp module, bool hardwareHalf) {
  RewritePatternSet patterns(module.getContext());
  if (!hardwareHalf)
    patterns.add<ExpandHalfExtension>(module.getContext());
  populateMathPolynomialApproximationPatterns(
      patterns, [](StringRef name) {
        return name == math::ExpOp::getOperationName() ||
               name == math::LogOp::getOperationName() ||
               name == math::TanhOp::getOperationName();
      });
  math::populateExpansionPatterns(patterns, {"exp2"});
  arith::populateExpandBFloat16Patterns(patterns);
  arith::populateArithExpandOpsPatterns(patterns);
  return applyPatternsGreedily(module, std::move(patterns));
}

/// Adds `void <entry>(void **args)` calling `_mlir_ciface_<kernel>` with
/// args[0], args[1], ...: each slot holds a pointer to a memref descriptor,
/// which is what the C interface takes.
static LogicalResult addEntryWrapper(ModuleOp module,
                                     const HostEntryPoint &entryPoint) {
  std::string cifaceName = "_mlir_ciface_" + entryPoint.kernel;
  auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cifaceName);
  if (!ciface)
    return emitError(module.getLoc()) << "host lowering produced no C interface '"
                              << cifaceName << "'";
  if (module.lookupSymbol(entryPoint.entry))
    return emitError(module.getLoc()) << "host entry symbol '" << entryPoint.entry
                              << "' clashes with a generated function";
  MLIRContext *context = module.getContext();
  Location loc = ciface.getLoc();
  auto pointer = LLVM::LLVMPointerType::get(context);
  auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                          {pointer});
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto entry = LLVM::LLVMFuncOp::create(builder, loc, entryPoint.entry, type);
  Block *body = entry.addEntryBlock(builder);
  builder.setInsertionPointToStart(body);
  SmallVector<Value> descriptors;
  unsigned count = ciface.getFunctionType().getNumParams();
  for (unsigned position = 0; position < count; ++position) {
    Value slot = LLVM::GEPOp::create(
        builder, loc, pointer, pointer, body->getArgument(0),
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(position)});
    descriptors.push_back(LLVM::LoadOp::create(builder, loc, pointer, slot));
  }
  LLVM::CallOp::create(builder, loc, ciface, descriptors);
  LLVM::ReturnOp::create(builder, loc, ValueRange{});
  return success();
}

LogicalResult
mlir::attn::host::lowerHostKernelsToLLVM(ModuleOp module,
                                         ArrayRef<HostEntryPoint> entries,
                                         const HostCodegenOptions &options) {
  MLIRContext *context = module.getContext();
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options, module.getLoc());
  if (!machine)
    return failure();
  bool hardwareHalf = !machine->getTargetTriple().isX86() ||
                      machine->getMCSubtargetInfo()->checkFeatures("+f16c");
  for (const HostEntryPoint &entry : entries) {
    auto kernel = module.lookupSymbol<func::FuncOp>(entry.kernel);
    if (!kernel)
      return emitError(module.getLoc()) << "no host kernel named @" << entry.kernel;
    kernel->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(context));
  }

  // CSE first: the schedule emitter writes constants where it uses them,
  // and the canonicalizer's top-down folding is quadratic in their number.
  PassManager pm(context);
  pm.addPass(createCSEPass());
  GreedyRewriteConfig bottomUp;
  bottomUp.setUseTopDownTraversal(false);
  pm.addPass(createCanonicalizerPass(bottomUp));
  pm.addPass(createCSEPass());
  if (failed(pm.run(module)) || failed(expandForHost(module, hardwareHalf)))
    return emitError(module.getLoc()) << "host lowering failed before LLVM conversion";

  PassManager lower(context);
  lower.addPass(createSCFToControlFlowPass());
  lower.addPass(memref::createExpandStridedMetadataPass());
  lower.addPass(createLowerAffinePass());
  lower.addPass(createConvertVectorToLLVMPass());
  lower.addPass(createArithToLLVMConversionPass());
  lower.addPass(createConvertMathToLLVMPass());
  lower.addPass(createConvertIndexToLLVMPass());
  lower.addPass(createFinalizeMemRefToLLVMConversionPass());
  lower.addPass(createConvertFuncToLLVMPass());
  lower.addPass(createConvertControlFlowToLLVMPass());
  lower.addPass(createUBToLLVMConversionPass());
  lower.addPass(createReconcileUnrealizedCastsPass());
  if (failed(lower.run(module)))
    return emitError(module.getLoc()) << "host lowering to the LLVM dialect failed";

  for (const HostEntryPoint &entry : entries)
    if (failed(addEntryWrapper(module, entry)))
      return failure();
  // Only the entries are exported; internal linkage also lets LLVM inline
  // the kernels into them.
  llvm::StringSet<> exported;
  for (const HostEntryPoint &entry : entries)
    exported.insert(entry.entry);
  for (auto function : module.getOps<LLVM::LLVMFuncOp>())
    if (!function.isExternal() && !exported.contains(function.getSymName()))
      function.setLinkage(LLVM::Linkage::Internal);
  return success();
}

//===----------------------------------------------------------------------===//
// LLVM IR, object and shared object
//===----------------------------------------------------------------------===//

/// The ld.lld to link with, in the order documented in HostCompiler.h.
static std::optional<std::string> findLinker(std::string &searched) {
  if (const char *override = std::getenv("ATTN_LD_LLD"); override && *override) {
    searched = std::string("$ATTN_LD_LLD = ") + override;
    if (llvm::sys::fs::can_execute(override))
      return std::string(override);
    return std::nullopt;
  }
  searched = "ld.lld-22 and ld.lld on PATH, /usr/lib/llvm-22/bin/ld.lld";
  for (StringRef name : {"ld.lld-22", "ld.lld"})
    if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(name))
      return *found;
  if (llvm::sys::fs::can_execute("/usr/lib/llvm-22/bin/ld.lld"))
    return std::string("/usr/lib/llvm-22/bin/ld.lld");
  return std::nullopt;
}

static std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(const HostCodegenOptions &options, Location loc) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    emitError(loc) << "no LLVM target for the host triple '" << triple.str()
                   << "': " << error;
    return nullptr;
  }
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "portable")
    cpu = triple.getArch() == llvm::Triple::x86_64 ? "x86-64" : "generic";
  // LLVM only warns about an unknown CPU name; reject it instead.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (cpu != "native" && !subtarget->isCPUStringValid(cpu)) {
    emitError(loc) << "unknown host CPU '" << cpu
                   << "' (use 'portable', 'native' or an LLVM CPU name such as "
                      "'x86-64-v3')";
    return nullptr;
  }
  // A 32-bit CPU (i386, pentium4, ...) for a 64-bit triple would end in
  // LLVM's fatal "64-bit code requested on a subtarget that doesn't support
  // it"; say so instead.
  if (cpu != "native" && triple.getArch() == llvm::Triple::x86_64) {
    std::unique_ptr<llvm::MCSubtargetInfo> chosen(
        target->createMCSubtargetInfo(triple, cpu, ""));
    if (!chosen->checkFeatures("+64bit")) {
      emitError(loc) << "host CPU '" << cpu
                     << "' cannot run 64-bit code, which the host target ('"
                     << triple.str() << "') needs; use 'portable' or a 64-bit "
                        "CPU such as 'x86-64-v3'";
      return nullptr;
    }
  }
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    std::vector<std::string> enabled;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      enabled.push_back((feature.second ? "+" : "-") + feature.first().str());
    features = llvm::join(enabled, ",");
  }
  llvm::CodeGenOptLevel level = options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
                                : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                                        : llvm::CodeGenOptLevel::None;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    emitError(loc) << "LLVM cannot generate code for CPU '" << cpu
                   << "' on '" << triple.str() << "'";
  return machine;
}

/// The x86 features the runtime can test (runtime/lib/host_loader.cpp):
/// the ones that change which instructions LLVM may emit.
static constexpr const char *kCheckableX86Features[] = {
    "sse3",       "pclmul",      "ssse3",      "fma",          "cx16",
    "sse4.1",     "sse4.2",      "movbe",      "popcnt",       "aes",
    "xsave",      "avx",         "f16c",       "rdrnd",        "sahf",
    "lzcnt",      "prfchw",      "bmi",        "avx2",         "bmi2",
    "avx512f",    "avx512dq",    "rdseed",     "adx",          "avx512ifma",
    "avx512cd",   "sha",         "avx512bw",   "avx512vl",     "avx512vbmi",
    "avx512vbmi2", "gfni",       "vaes",       "vpclmulqdq",   "avx512vnni",
    "avx512bitalg", "avx512vpopcntdq", "avx512vp2intersect", "amx-bf16",
    "avx512fp16", "amx-tile",    "amx-int8",   "avxvnni",      "avx512bf16"};

/// Exports `attn_host_cpu_features`: the features the code may use, which
/// the runtime checks against the CPU before running it (a bundle built
/// with host-cpu=native on an AVX-512 machine is refused elsewhere with a
/// message instead of dying of an illegal instruction).
static void recordCpuFeatures(llvm::Module &module,
                              llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  std::string list;
  if (machine.getTargetTriple().getArch() == llvm::Triple::x86_64)
    for (const char *feature : kCheckableX86Features)
      if (info->checkFeatures(std::string("+") + feature))
        list += (list.empty() ? "" : ",") + std::string(feature);
  llvm::Constant *text =
      llvm::ConstantDataArray::getString(module.getContext(), list);
  auto *global = new llvm::GlobalVariable(
      module, text->getType(), /*isConstant=*/true,
      llvm::GlobalValue::ExternalLinkage, text, "attn_host_cpu_features");
  global->setVisibility(llvm::GlobalValue::DefaultVisibility);
}

/// Defines compiler-rt's half-precision conversion helpers in the object
/// itself (hidden), in integer and f32 arithmetic. The kernels' own
/// conversions are expanded before the LLVM lowering (expandForHost), but
/// on CPUs without bf16 or f16 conversion instructions the code generator
/// may add some while legalizing: a bf16 or f16 vector kept in a register
/// across a branch is widened to f32 and narrowed back by a call to these.
/// The runtime loads host objects without compiler-rt, so they must be here.
static void defineHalfConversionHelpers(llvm::Module &module) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *f32 = llvm::Type::getFloatTy(context);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  llvm::Type *i16 = llvm::Type::getInt16Ty(context);
  auto define = [&](llvm::StringRef name, llvm::Type *result,
                    llvm::Type *argument) -> llvm::Function * {
    if (module.getFunction(name))
      return nullptr;
    auto *function = llvm::Function::Create(
        llvm::FunctionType::get(result, {argument}, false),
        llvm::GlobalValue::ExternalLinkage, name, module);
    function->setVisibility(llvm::GlobalValue::HiddenVisibility);
    function->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::BasicBlock::Create(context, "entry", function);
    return function;
  };
  auto int32 = [&](uint32_t value) { return llvm::ConstantInt::get(i32, value); };

  // f32 -> bf16, rounding to nearest even; NaNs stay quiet NaNs.
  if (llvm::Function *function =
          define("__truncsfbf2", llvm::Type::getBFloatTy(context), f32)) {
    llvm::IRBuilder<> b(&function->getEntryBlock());
    llvm::Value *bits = b.CreateBitCast(function->getArg(0), i32);
    llvm::Value *isNaN =
        b.CreateICmpUGT(b.CreateAnd(bits, int32(0x7fffffff)), int32(0x7f800000));
    llvm::Value *odd = b.CreateAnd(b.CreateLShr(bits, int32(16)), int32(1));
    llvm::Value *rounded = b.CreateLShr(
        b.CreateAdd(bits, b.CreateAdd(int32(0x7fff), odd)), int32(16));
    llvm::Value *quietNaN =
        b.CreateOr(b.CreateLShr(bits, int32(16)), int32(0x40));
    llvm::Value *half = b.CreateTrunc(b.CreateSelect(isNaN, quietNaN, rounded), i16);
    b.CreateRet(b.CreateBitCast(half, function->getReturnType()));
  }

  // f32 -> f16, rounding to nearest even, with subnormals, overflow to
  // infinity and quiet NaNs.
  if (llvm::Function *function =
          define("__truncsfhf2", llvm::Type::getHalfTy(context), f32)) {
    llvm::IRBuilder<> b(&function->getEntryBlock());
    llvm::Value *bits = b.CreateBitCast(function->getArg(0), i32);
    llvm::Value *sign = b.CreateAnd(b.CreateLShr(bits, int32(16)), int32(0x8000));
    llvm::Value *magnitude = b.CreateAnd(bits, int32(0x7fffffff));
    // Normal results: rebias the exponent (127 - 15), round off 13 bits; a
    // carry out of the mantissa correctly bumps the exponent.
    llvm::Value *rebiased = b.CreateSub(magnitude, int32(0x38000000));
    llvm::Value *odd = b.CreateAnd(b.CreateLShr(rebiased, int32(13)), int32(1));
    llvm::Value *normal = b.CreateLShr(
        b.CreateAdd(rebiased, b.CreateAdd(int32(0xfff), odd)), int32(13));
    // Subnormal results (below 2^-14): adding 0.5 leaves the value in units
    // of 2^-24, the f16 subnormal step, in the low mantissa bits, rounded
    // to nearest even by the f32 addition itself.
    llvm::Value *shifted = b.CreateFAdd(b.CreateBitCast(magnitude, f32),
                                        llvm::ConstantFP::get(f32, 0.5));
    llvm::Value *subnormal =
        b.CreateSub(b.CreateBitCast(shifted, i32), int32(0x3f000000));
    llvm::Value *finite = b.CreateSelect(
        b.CreateICmpULT(magnitude, int32(0x38800000)), subnormal, normal);
    // 65520 and above round to infinity.
    llvm::Value *inRange = b.CreateSelect(
        b.CreateICmpUGE(magnitude, int32(0x477ff000)), int32(0x7c00), finite);
    llvm::Value *nan = b.CreateOr(
        int32(0x7e00), b.CreateAnd(b.CreateLShr(magnitude, int32(13)), int32(0x3ff)));
    llvm::Value *result = b.CreateSelect(
        b.CreateICmpUGT(magnitude, int32(0x7f800000)), nan, inRange);
    llvm::Value *half = b.CreateTrunc(b.CreateOr(result, sign), i16);
    b.CreateRet(b.CreateBitCast(half, function->getReturnType()));
  }

  // f16 -> f32, exact (as ExpandHalfExtension above).
  if (llvm::Function *function =
          define("__extendhfsf2", f32, llvm::Type::getHalfTy(context))) {
    llvm::IRBuilder<> b(&function->getEntryBlock());
    llvm::Value *bits =
        b.CreateZExt(b.CreateBitCast(function->getArg(0), i16), i32);
    llvm::Value *sign = b.CreateShl(b.CreateAnd(bits, int32(0x8000)), int32(16));
    llvm::Value *magnitude = b.CreateAnd(bits, int32(0x7fff));
    llvm::Value *moved = b.CreateShl(magnitude, int32(13));
    llvm::Value *scaled = b.CreateFMul(b.CreateBitCast(moved, f32),
                                       llvm::ConstantFP::get(f32, 0x1p112));
    llvm::Value *special = b.CreateICmpUGE(magnitude, int32(0x7c00));
    llvm::Value *infOrNaN = b.CreateOr(moved, int32(0x7f800000));
    llvm::Value *unsignedBits =
        b.CreateSelect(special, infOrNaN, b.CreateBitCast(scaled, i32));
    b.CreateRet(b.CreateBitCast(b.CreateOr(unsignedBits, sign), f32));
  }
}

FailureOr<std::vector<uint8_t>>
mlir::attn::host::buildSharedObject(ModuleOp module,
                                    const HostCodegenOptions &options) {
  Location loc = module.getLoc();
  if (options.optLevel > 3)
    return emitError(loc) << "host optimization level must be 0 to 3, got "
                          << options.optLevel;
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options, loc);
  if (!machine)
    return failure();

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "attn_host");
  if (!llvmModule)
    return emitError(loc) << "translating the host kernels to LLVM IR failed";
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  recordCpuFeatures(*llvmModule, *machine);
  defineHalfConversionHelpers(*llvmModule);

  auto optimize = makeOptimizingTransformer(options.optLevel,
                                            /*sizeLevel=*/0, machine.get());
  if (llvm::Error error = optimize(llvmModule.get()))
    return emitError(loc) << "optimizing the host kernels failed: "
                          << llvm::toString(std::move(error));

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream stream(object);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, stream, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "LLVM cannot emit an object file for the host";
    codegen.run(*llvmModule);
  }

  std::string searched;
  std::optional<std::string> linker = findLinker(searched);
  if (!linker)
    return emitError(loc) << "the host target links with ld.lld, which was "
                          << "not found (looked for " << searched
                          << "); install lld-22 or set ATTN_LD_LLD";

  FailureOr<ExternalToolRun> run = runExternalTool(
      loc, "linking", *linker,
      {"-shared", "--build-id=none", "-o", "{output}", "{input}"},
      StringRef(object.data(), object.size()), "o", "so",
      /*secondsToWait=*/120);
  if (failed(run))
    return failure();
  if (run->status != 0) {
    InFlightDiagnostic diagnostic = emitError(loc)
                                    << "linking the host shared object with "
                                    << *linker << " failed";
    if (!run->executeError.empty())
      diagnostic << ": " << run->executeError;
    diagnostic << "\n" << run->log;
    return diagnostic;
  }
  if (run->output.empty())
    return emitError(loc) << *linker << " wrote no shared object";
  return std::move(run->output);
}
