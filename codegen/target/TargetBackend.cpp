//===- TargetBackend.cpp - The registry of code-generation targets --------===//
#include "attn/Target/TargetBackend.h"

#include "mlir/IR/Diagnostics.h"

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
