// Checking DLPack tensors against a kernel's signature, evaluating launch
// expressions over the sizes they bind, and packing them for a calling
// convention.
#ifndef ATTN_RUNTIME_ARGUMENTS_H
#define ATTN_RUNTIME_ARGUMENTS_H

#include "attn/bundle.h"
#include "status.h"

#include <dlpack/dlpack.h>

#include <string_view>
#include <vector>

namespace attn::rt {

// A kernel's signature, indexed once at load time.
struct Signature {
  explicit Signature(const bundle::Kernel &kernel);

  const bundle::Kernel *kernel;
  std::vector<std::string> symbols;         // distinct size names
  std::vector<std::vector<int>> dimSymbol;  // [arg][dim] -> symbols index, -1 if static
  int symbolIndex(std::string_view name) const;
};

struct BoundArgs {
  std::vector<int64_t> sizes; // per symbol; -1 where no checked argument binds it
  DLDevice device{kDLCPU, 0}; // of the checked tensors, if any
};

// Checks `args` (nargs of them, in signature order) for tensors of device type
// `deviceType`, as "what" (e.g. "target 'host'") needs them. With inputsOnly,
// output arguments are not looked at. Fails with ATTN_ERROR_ARGUMENT_MISMATCH
// (or ATTN_ERROR_INVALID_ARGUMENT for a wrong count) naming the argument, the
// dimension and both values; then the inputs' least extents and, where the
// tensor is in host memory, the order of non-decreasing ones.
Status bindArguments(const Signature &sig, const DLTensor *const *args, int nargs,
                     DLDeviceType deviceType, const std::string &what, bool inputsOnly,
                     BoundArgs *out);

// The value of a launch expression; `what` ("grid.x") names it in messages.
Status evaluate(const bundle::Expr &expr, const Signature &sig,
                const std::vector<int64_t> &sizes, const char *what, int64_t *out);

// What the callee receives: for host_c_iface, `pointers` is the void** array;
// for the GPU conventions, it is cuLaunchKernel's kernelParams. Pointers point
// into `words`, which must therefore stay in place.
struct PackedArgs {
  std::vector<int64_t> words;
  std::vector<void *> pointers;
};

// Packs checked arguments for `conv` (layouts in docs/runtime.md).
void packArguments(const Signature &sig, bundle::CallingConv conv,
                   const DLTensor *const *args, PackedArgs *out);

} // namespace attn::rt

#endif // ATTN_RUNTIME_ARGUMENTS_H
