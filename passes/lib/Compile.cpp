//===- Compile.cpp - attn-compile: specs to a bundle ----------------------===//
//
// The driver of code generation: finds the spec functions, builds each
// target's binary and writes the bundle (docs/host.md). Targets live in
// codegen/<target>; this pass only sequences them.
//
//===----------------------------------------------------------------------===//
#include "attn/Passes/Passes.h"

#include "attn/Host/HostCompiler.h"
#include "attn/Host/HostKernel.h"
#include "attn/bundle.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/Path.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCOMPILE
#include "attn/Passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
namespace bundle = ::attn::bundle;

namespace {
/// The bundle element type of a tensor element type, if it has one.
std::optional<bundle::DType> bundleDType(Type type) {
  if (type.isF16())
    return bundle::DType::F16;
  if (type.isBF16())
    return bundle::DType::BF16;
  if (type.isF32())
    return bundle::DType::F32;
  if (type.isF64())
    return bundle::DType::F64;
  if (type.isSignlessInteger(32))
    return bundle::DType::I32;
  if (type.isSignlessInteger(64))
    return bundle::DType::I64;
  if (type.isSignlessInteger(1))
    return bundle::DType::I1;
  // Bundles have no signed byte type; the bytes are the same, and the kernel
  // reads them as i8.
  if (type.isSignlessInteger(8))
    return bundle::DType::U8;
  return std::nullopt;
}

bool isIdentifier(StringRef name) {
  return !name.empty() && (llvm::isAlpha(name.front()) || name.front() == '_') &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// The kernel's bundle signature; fails on an element type the bundle
/// format cannot describe.
FailureOr<std::vector<bundle::Arg>>
bundleArguments(const host::KernelSpec &spec) {
  std::vector<bundle::Arg> arguments;
  for (const host::KernelArgument &argument : spec.arguments) {
    Type element = argument.type.getElementType();
    std::optional<bundle::DType> dtype = bundleDType(element);
    if (!dtype)
      return func::FuncOp(spec.function).emitError()
             << "argument '" << argument.name << "' has element type "
             << element << ", which bundles cannot describe (f16, bf16, f32, "
             << "f64, i1, i8, i32, i64)";
    std::vector<bundle::Dim> dims;
    for (auto [extent, size] :
         llvm::zip_equal(argument.extents, argument.dimSizes))
      dims.push_back(size.empty() ? bundle::Dim::fixed(extent)
                                  : bundle::Dim::sym(size));
    bundle::Arg arg = bundle::Arg::tensor(
        argument.name,
        argument.isOutput ? bundle::Role::Output : bundle::Role::Input, *dtype,
        std::move(dims));
    if (argument.innermostContiguous)
      arg.withInnermostContiguous();
    arguments.push_back(std::move(arg));
  }
  return arguments;
}

/// The name a bundle records for the spec: the module's name, else the
/// stem of the file it was read from.
std::string specNameOf(ModuleOp module) {
  if (std::optional<StringRef> name = module.getSymName())
    return name->str();
  if (auto file = dyn_cast<FileLineColLoc>(module.getLoc()))
    return llvm::sys::path::stem(file.getFilename().getValue()).str();
  return "spec";
}

class AttnCompilePass
    : public mlir::attn::impl::AttnCompileBase<AttnCompilePass> {
public:
  using AttnCompileBase::AttnCompileBase;

  void runOnOperation() override {
    if (failed(compile()))
      signalPassFailure();
  }

private:
  LogicalResult checkOptions();
  LogicalResult compile();
  /// Replaces the module's contents with `kernels`' (emit=host-*).
  void replaceModuleBody(ModuleOp kernels);
};
} // namespace

LogicalResult AttnCompilePass::checkOptions() {
  Location loc = getOperation().getLoc();
  if (targets.empty())
    return emitError(loc)
           << "attn-compile needs targets=<list> (supported: host)";
  for (const std::string &target : targets)
    if (target != "host")
      return emitError(loc) << "attn-compile: unknown target '" << target
                            << "' (supported: host)";
  if (emit != "bundle" && emit != "host-loops" && emit != "host-llvm")
    return emitError(loc) << "attn-compile: emit must be bundle, host-loops "
                          << "or host-llvm, got '" << emit.getValue() << "'";
  if (emit != "bundle" && !output.empty())
    return emitError(loc) << "attn-compile: output= writes a bundle, which "
                          << "emit=" << emit.getValue() << " does not produce";
  if (optLevel > 3)
    return emitError(loc) << "attn-compile: opt-level must be 0 to 3, got "
                          << optLevel.getValue();
  return success();
}

void AttnCompilePass::replaceModuleBody(ModuleOp kernels) {
  Block *body = getOperation().getBody();
  for (Operation &op : llvm::make_early_inc_range(*body))
    op.erase();
  body->getOperations().splice(body->end(), kernels.getBody()->getOperations());
}

LogicalResult AttnCompilePass::compile() {
  if (failed(checkOptions()))
    return failure();
  ModuleOp module = getOperation();
  FailureOr<SmallVector<host::KernelSpec>> specs =
      host::collectKernelSpecs(module);
  if (failed(specs))
    return failure();

  bundle::Bundle result;
  result.producer = "attn-opt --attn-compile";
  result.specName = specNameOf(module);
  // The bundle carries the spec so that attn-run can rebuild the reference.
  llvm::raw_string_ostream specStream(result.specSource);
  module.print(specStream);

  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
  host::HostTiling tiling{blockQ, blockKV};
  SmallVector<host::HostEntryPoint> entries;
  for (const host::KernelSpec &spec : *specs) {
    func::FuncOp function = spec.function;
    StringRef name = function.getSymName();
    if (!isIdentifier(name))
      return function.emitError()
             << "@" << name << " cannot name a bundle kernel: use letters, "
             << "digits and '_' (not starting with a digit)";
    FailureOr<std::vector<bundle::Arg>> arguments = bundleArguments(spec);
    if (failed(arguments))
      return failure();
    bundle::Kernel kernel;
    kernel.name = name.str();
    kernel.args = std::move(*arguments);
    result.kernels.push_back(std::move(kernel));

    std::string kernelName = ("__attn_host_" + name).str();
    if (failed(host::buildHostKernel(spec, tiling, kernelName, *kernels)))
      return failure();
    entries.push_back({kernelName, name.str()});
  }
  if (emit == "host-loops") {
    replaceModuleBody(*kernels);
    return success();
  }

  if (failed(host::lowerHostKernelsToLLVM(*kernels, entries)))
    return failure();
  if (emit == "host-llvm") {
    replaceModuleBody(*kernels);
    return success();
  }

  host::HostCodegenOptions codegen;
  codegen.cpu = hostCpu;
  codegen.optLevel = optLevel;
  FailureOr<std::vector<uint8_t>> sharedObject =
      host::buildSharedObject(*kernels, codegen);
  if (failed(sharedObject))
    return failure();
  if (output.empty())
    return success();

  for (auto [kernel, entry] : llvm::zip_equal(result.kernels, entries)) {
    bundle::Binary binary;
    binary.target = "host";
    binary.kind = bundle::BinaryKind::HostSharedObject;
    binary.conv = bundle::CallingConv::HostCIface;
    binary.entry = entry.entry;
    binary.data = *sharedObject;
    kernel.binaries.push_back(std::move(binary));
  }
  std::string error;
  if (!bundle::writeFile(result, output, error))
    return emitError(module.getLoc()) << "attn-compile: " << error;
  return success();
}
