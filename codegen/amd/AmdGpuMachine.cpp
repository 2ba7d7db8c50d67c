//===- AmdGpuMachine.cpp - The AMD kernel on the GPU ----------------------===//
//
// Work items are workgroups (grid: query tiles, heads, batch rows), LDS is
// a workgroup attribution of the gpu.func (static size, so the launch
// passes no dynamic LDS), shuffles are gpu.shuffle, barriers
// amdgpu.lds_barrier (the only memory they order is LDS), products
// amdgpu.mfma / amdgpu.wmma, exp2 the v_exp_f32 instruction.
//
//===----------------------------------------------------------------------===//
#include "AmdMachine.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::amd;
using namespace mlir::attn::schedule;

AmdMachine::~AmdMachine() = default;

namespace {
class AmdGpuMachine final : public AmdMachine {
public:
  AmdGpuMachine(const AmdChip &chip, Type elementType, int64_t lanes,
                gpu::GPUFuncOp kernel)
      : AmdMachine(chip, elementType, lanes), kernel(kernel) {}

  void forEachWorkItem(ImplicitLocOpBuilder &b, const KernelContext &context,
                       int64_t blockQ,
                       function_ref<void(const WorkItem &)> body) override {
    auto index = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, value);
    };
    WorkItem item;
    item.queryTile = gpu::BlockIdOp::create(b, gpu::Dimension::x);
    item.head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
    item.batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
    item.kvHead = arith::DivUIOp::create(
        b, item.head, index(context.queryHeads / context.kvHeads));
    item.rowBegin = arith::MulIOp::create(b, item.queryTile, index(blockQ));
    item.rowEnd = arith::MinSIOp::create(
        b, arith::AddIOp::create(b, item.rowBegin, index(blockQ)),
        context.seqQ);
    body(item);
  }

  void forEachLane(ImplicitLocOpBuilder &, function_ref<void()> body) override {
    body();
  }

  Value threadId(ImplicitLocOpBuilder &b) override {
    return gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  }

  Value workgroupMemory(ImplicitLocOpBuilder &b, int64_t bytes) override {
    auto workgroup = gpu::AddressSpaceAttr::get(
        b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    auto type = MemRefType::get({bytes}, b.getI8Type(),
                                MemRefLayoutAttrInterface(), workgroup);
    return kernel.addWorkgroupAttribution(type, b.getLoc());
  }

  Value shuffleXor(ImplicitLocOpBuilder &b, Value value,
                   int64_t xorMask) override {
    return gpu::ShuffleOp::create(b, value, xorMask,
                                  chip.instruction->waveSize,
                                  gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }

  void barrier(ImplicitLocOpBuilder &b) override {
    amdgpu::LDSBarrierOp::create(b);
  }

  SmallVector<SmallVector<Value>>
  multiply(ImplicitLocOpBuilder &b, ArrayRef<MatrixChain> chains) override {
    const MatrixInstruction &in = *chip.instruction;
    auto accumulatorType = VectorType::get({in.cElements}, b.getF32Type());
    SmallVector<Value> accumulators;
    size_t steps = 0;
    for (const MatrixChain &chain : chains) {
      accumulators.push_back(vector::FromElementsOp::create(
          b, accumulatorType, chain.accumulator));
      steps = std::max(steps, chain.steps.size());
    }
    // Step-major, so that consecutive instructions are independent.
    for (size_t step = 0; step < steps; ++step) {
      for (auto [chain, accumulator] : llvm::zip_equal(chains, accumulators)) {
        if (step >= chain.steps.size())
          continue;
        Value a = chain.steps[step].a();
        Value bOperand = chain.steps[step].b();
        if (in.family == MatrixFamily::Mfma)
          accumulator = amdgpu::MFMAOp::create(
              b, accumulatorType, in.m, in.n, in.k, /*blocks=*/1, a, bOperand,
              accumulator);
        else
          accumulator = amdgpu::WMMAOp::create(b, accumulatorType, in.m, in.n,
                                               in.k, a, bOperand, accumulator);
      }
    }
    SmallVector<SmallVector<Value>> results;
    for (Value accumulator : accumulators) {
      SmallVector<Value> elements;
      for (int64_t element = 0; element < in.cElements; ++element)
        elements.push_back(vector::ExtractOp::create(
            b, accumulator, ArrayRef<int64_t>{element}));
      results.push_back(std::move(elements));
    }
    return results;
  }

  Value exp2(ImplicitLocOpBuilder &b, Value x) override {
    return ROCDL::ROCDLExp2::create(b, x.getType(), x);
  }

private:
  gpu::GPUFuncOp kernel;
};
} // namespace

std::unique_ptr<AmdMachine>
mlir::attn::amd::makeGpuMachine(const AmdChip &chip, Type elementType,
                                int64_t lanes, Operation *kernel) {
  return std::make_unique<AmdGpuMachine>(chip, elementType, lanes,
                                         cast<gpu::GPUFuncOp>(kernel));
}
