//===- GpuLowering.cpp - Steps every GPU target's lowering shares ---------===//
#include "attn/Gpu/GpuLowering.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

void mlir::attn::gpu_lowering::registerCommonDependencies(
    DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  cf::ControlFlowDialect, func::FuncDialect, gpu::GPUDialect,
                  index::IndexDialect, LLVM::LLVMDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, ub::UBDialect,
                  vector::VectorDialect>();
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

LogicalResult mlir::attn::gpu_lowering::expandMath(
    gpu::GPUModuleOp module,
    llvm::function_ref<void(RewritePatternSet &)> targetPatterns) {
  RewritePatternSet patterns(module.getContext());
  auto all = [](StringRef) { return true; };
  if (targetPatterns)
    targetPatterns(patterns);
  populateMathF32ExpansionPatterns(patterns, all);
  populateMathPolynomialApproximationPatterns(patterns, all);
  math::populateExpansionPatterns(patterns, {"sinh", "cosh", "tan", "asinh",
                                             "acosh", "atanh", "powf", "fpowi",
                                             "rsqrt"});
  return applyPatternsGreedily(module, std::move(patterns));
}

void mlir::attn::gpu_lowering::replaceLibraryCallsWithIntrinsics(
    gpu::GPUModuleOp module, const llvm::StringMap<StringRef> &intrinsics) {
  llvm::StringSet<> replaced;
  module.walk([&](LLVM::CallOp call) {
    std::optional<StringRef> callee = call.getCallee();
    if (!callee || !intrinsics.contains(*callee))
      return;
    OpBuilder builder(call);
    OperationState state(call.getLoc(), intrinsics.lookup(*callee));
    state.addOperands(call.getArgOperands());
    state.addTypes(call.getResultTypes());
    call.getResult().replaceAllUsesWith(builder.create(state)->getResult(0));
    replaced.insert(*callee);
    call.erase();
  });
  for (const auto &name : replaced)
    if (auto declaration = module.lookupSymbol<LLVM::LLVMFuncOp>(name.getKey()))
      if (declaration.symbolKnownUseEmpty(module))
        declaration.erase();
}

LogicalResult mlir::attn::gpu_lowering::checkLowered(
    gpu::GPUModuleOp module, Dialect *targetDialect, StringRef vendor,
    StringRef dialectName, StringRef externalCallNote) {
  WalkResult result = module.getBodyRegion().walk([&](Operation *op) {
    if (auto function = dyn_cast<LLVM::LLVMFuncOp>(op);
        function && function.isExternal()) {
      function.emitError() << "the lowered " << vendor << " kernel calls '"
                           << function.getSymName()
                           << "', which is not defined: " << externalCallNote;
      return WalkResult::interrupt();
    }
    // Casts are left only around an operation that failed to convert, which
    // is the one to name.
    if (!isa<LLVM::LLVMDialect>(op->getDialect()) &&
        op->getDialect() != targetDialect &&
        !isa<UnrealizedConversionCastOp>(op)) {
      op->emitError() << "'" << op->getName() << "' could not be lowered to "
                      << dialectName;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  WalkResult cast = module.walk([&](UnrealizedConversionCastOp op) {
    op.emitError() << "a type conversion of the " << dialectName
                   << " lowering was left unresolved";
    return WalkResult::interrupt();
  });
  return failure(cast.wasInterrupted());
}
