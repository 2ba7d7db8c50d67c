//===- TargetBackend.cpp - The registry of code-generation targets --------===//
#include "attn/Target/TargetBackend.h"

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

::attn::bundle::LaunchConfig
mlir::attn::launchOverQueryTiles(const KernelArgument &query, int64_t blockQ,
                                 std::optional<int64_t> queryTiles,
                                 int64_t threads, int64_t sharedBytes) {
  namespace bundle = ::attn::bundle;
  auto extent = [&](size_t dim, int64_t divisor) {
    bundle::Factor factor;
    factor.divisor = divisor;
    if (query.dimSizes[dim].empty())
      factor.constant = query.extents[dim];
    else
      factor.size = query.dimSizes[dim];
    return bundle::Expr{{factor}};
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
