//===- attn-opt.cpp - mlir-opt for the attn dialect -----------------------===//
#include "attn/Dialect/AttnDialect.h"
#include "attn/Dialect/AttnOps.h"
#include "attn/Compiler/Passes.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"

#include <vector>

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::attn::registerAttnPasses();
  mlir::attn::registerCompilerPasses();

  mlir::DialectRegistry registry;
  registry.insert<mlir::attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect>();
  // Kernels printed by attn-compile's emit= stages parse back, so they can
  // be edited and fed to attn-lower-nvidia.
  registry.insert<mlir::affine::AffineDialect, mlir::cf::ControlFlowDialect,
                  mlir::gpu::GPUDialect, mlir::index::IndexDialect,
                  mlir::LLVM::LLVMDialect,
                  mlir::memref::MemRefDialect, mlir::NVVM::NVVMDialect,
                  mlir::nvgpu::NVGPUDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect>();
  // A compile error names the spec's line; printing the operation it was
  // found on would dump the lowered cascade, which the user never wrote, so
  // attn-opt does not unless asked (--mlir-print-op-on-diagnostic).
  std::vector<char *> arguments(argv, argv + argc);
  if (llvm::none_of(arguments, [](char *argument) {
        return llvm::StringRef(argument).ltrim('-').starts_with(
            "mlir-print-op-on-diagnostic");
      }))
    arguments.insert(arguments.begin() + 1,
                     const_cast<char *>("--mlir-print-op-on-diagnostic=false"));
  int count = static_cast<int>(arguments.size());
  arguments.push_back(nullptr);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      count, arguments.data(),
      "attn optimizer driver: specs, cascades and kernels\n", registry));
}
