//===- TargetBackend.cpp - The registry of code-generation targets --------===//
#include "attn/Target/TargetBackend.h"
#include "attn/Dialect/MaskVisits.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

TargetBackend::~TargetBackend() = default;

TargetBackend *TargetRegistry::lookup(StringRef target) const {
  for (const std::unique_ptr<TargetBackend> &backend : backends)
    if (llvm::is_contained(backend->targets(), target))
      return backend.get();
  return nullptr;
}

std::string TargetRegistry::targetList() const {
  std::string list;
  for (const std::unique_ptr<TargetBackend> &backend : backends)
    for (StringRef target : backend->targets())
      list += (list.empty() ? "" : ", ") + target.str();
  return list;
}

FailureOr<std::optional<int64_t>>
mlir::attn::readIntegerOption(const CompileRequest &request, StringRef name,
                              int64_t minimum, StringRef requirement,
                              Location loc) {
  auto it = request.options.find(name);
  if (it == request.options.end())
    return std::optional<int64_t>();
  int64_t value = 0;
  if (StringRef(it->second).getAsInteger(10, value) || value < minimum)
    return emitError(loc) << "attn-compile: " << name << " must be "
                          << requirement << ", got " << it->second;
  return std::optional<int64_t>(value);
}

LogicalResult
mlir::attn::foldRowProductPhases(std::vector<GradientPhase> &original) {
  using schedule::TileOp;
  using schedule::TileOpKind;
  using schedule::TileShape;
  std::vector<GradientPhase> phases = original;
  // The row product writing each scratch tensor, and its phase's tensors.
  DenseMap<int, std::pair<const TileOp *, const GradientPhase *>> products;
  std::vector<GradientPhase> kept;
  for (const GradientPhase &phase : original) {
    const schedule::TileProgram &program = phase.program;
    bool rowProductsOnly =
        program.body.empty() && !program.prologue.empty() &&
        llvm::all_of(program.prologue, [](const TileOp &op) {
          return op.kind == TileOpKind::RowProduct;
        });
    for (const PhaseTensor &tensor : phase.tensors) {
      bool isResult = llvm::is_contained(program.results, tensor.name);
      rowProductsOnly &= !isResult || tensor.scratch >= 0;
    }
    if (!rowProductsOnly)
      continue;
    for (const PhaseTensor &tensor : phase.tensors)
      for (const TileOp &op : program.prologue)
        if (tensor.scratch >= 0 && op.result == tensor.name)
          products[tensor.scratch] = {&op, &phase};
  }
  for (GradientPhase &phase : phases) {
    if (llvm::any_of(phase.program.results, [&](StringAttr result) {
          return llvm::any_of(phase.tensors, [&](const PhaseTensor &tensor) {
            return tensor.name == result && products.count(tensor.scratch);
          });
        }))
      continue; // A phase folded into its readers.
    SmallVector<PhaseTensor> tensors;
    SmallVector<PhaseTensor> added;
    for (const PhaseTensor &tensor : phase.tensors) {
      auto found = products.find(tensor.scratch);
      if (tensor.scratch < 0 || found == products.end()) {
        tensors.push_back(tensor);
        continue;
      }
      const TileOp &product = *found->second.first;
      const GradientPhase &source = *found->second.second;
      TileOp folded = product;
      folded.result = tensor.name;
      schedule::TileTensor &info =
          phase.program.tensors.find(tensor.name)->second;
      folded.shape = info.shape;
      info.input = false;
      // Bind the product's operands to the same arguments in the reader,
      // under the reader's names where it reads them already.
      for (schedule::ProductOperand &operand : folded.operands) {
        const PhaseTensor *bound =
            llvm::find_if(source.tensors, [&](const PhaseTensor &candidate) {
              return candidate.name == operand.tensor;
            });
        if (bound == source.tensors.end() || bound->argument < 0)
          return phase.program.cascade.emitError()
                 << "grad=true: a per-row product folded into backward "
                    "cascade '"
                 << phase.program.cascade.getCascadeName()
                 << "' reads a tensor that is not a kernel argument";
        auto sameArgument = [&](const PhaseTensor &candidate) {
          return candidate.argument == bound->argument;
        };
        auto sameName = [&](const PhaseTensor &candidate) {
          return candidate.name == bound->name;
        };
        const PhaseTensor *existing = llvm::find_if(phase.tensors, sameArgument);
        if (existing != phase.tensors.end()) {
          operand.tensor = existing->name;
          continue;
        }
        if (llvm::any_of(phase.tensors, sameName) ||
            phase.program.tensors.count(bound->name))
          return phase.program.cascade.emitError()
                 << "grad=true: backward cascade '"
                 << phase.program.cascade.getCascadeName()
                 << "' names another tensor @" << bound->name.getValue()
                 << ", which a per-row product folded into it reads";
        if (!llvm::any_of(added, sameArgument))
          added.push_back(*bound);
      }
      if (folded.shape == TileShape::Row) {
        phase.program.prologue.insert(phase.program.prologue.begin(), folded);
      } else {
        // Body positions shift by one.
        for (TileOp &op : phase.program.body) {
          if (op.fusedInto)
            ++*op.fusedInto;
          if (op.fusedProduct)
            ++*op.fusedProduct;
        }
        phase.program.body.insert(phase.program.body.begin(), folded);
      }
    }
    llvm::append_range(tensors, added);
    phase.tensors = std::move(tensors);
    kept.push_back(std::move(phase));
  }
  original = std::move(kept);
  return success();
}

namespace {
/// Dimension `dim` of `argument` divided by `divisor`, rounded up, as a
/// launch expression (a constant extent or the bound size it names).
::attn::bundle::Expr dimensionOver(const KernelArgument &argument, size_t dim,
                                   int64_t divisor) {
  ::attn::bundle::Factor factor;
  factor.divisor = divisor;
  if (argument.dimSizes[dim].empty())
    factor.constant = argument.extents[dim];
  else
    factor.size = argument.dimSizes[dim];
  return ::attn::bundle::Expr{{factor}};
}
} // namespace

::attn::bundle::LaunchConfig
mlir::attn::launchOverQueryTiles(const KernelArgument &query, int64_t blockQ,
                                 std::optional<int64_t> queryTiles,
                                 int64_t threads, int64_t sharedBytes) {
  namespace bundle = ::attn::bundle;
  auto extent = [&](size_t dim, int64_t divisor) {
    return dimensionOver(query, dim, divisor);
  };
  bundle::LaunchConfig launch;
  launch.grid = {queryTiles ? bundle::Expr::constant(*queryTiles)
                            : extent(2, blockQ),
                 extent(1, 1), extent(0, 1)};
  launch.block = {bundle::Expr::constant(threads), bundle::Expr{},
                  bundle::Expr{}};
  launch.sharedMemBytes = bundle::Expr::constant(sharedBytes);
  return launch;
}

::attn::bundle::LaunchConfig
mlir::attn::launchOverKeyChunks(const KernelArgument &ids, int64_t threads,
                                int64_t sharedBytes) {
  namespace bundle = ::attn::bundle;
  auto extent = [&](size_t dim, int64_t divisor) {
    return dimensionOver(ids, dim, divisor);
  };
  bundle::LaunchConfig launch;
  launch.grid = {extent(1, kKeySummaryChunk), bundle::Expr{}, extent(0, 1)};
  launch.block = {bundle::Expr::constant(threads), bundle::Expr{},
                  bundle::Expr{}};
  launch.sharedMemBytes = bundle::Expr::constant(sharedBytes);
  return launch;
}

LogicalResult mlir::attn::writeTextOutput(StringRef text, StringRef path,
                                          Location loc) {
  if (path.empty()) {
    llvm::outs() << text;
    llvm::outs().flush();
    return success();
  }
  std::error_code error;
  llvm::raw_fd_ostream stream(path, error);
  if (!error) {
    stream << text;
    stream.close();
    error = stream.error();
  }
  if (error)
    return emitError(loc) << "cannot write '" << path << "': "
                          << error.message();
  return success();
}
