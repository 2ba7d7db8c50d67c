//===- GpuLowering.cpp - Steps every GPU target's lowering shares ---------===//
#include "attn/Gpu/GpuLowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

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
