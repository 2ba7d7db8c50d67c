// Loading a host shared object held in memory (a bundle's host binary).
#ifndef ATTN_RUNTIME_HOST_LOADER_H
#define ATTN_RUNTIME_HOST_LOADER_H

#include "status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::rt {

using HostEntry = void (*)(void **);

struct HostModule {
  void *handle = nullptr; // from dlopen
  HostEntry entry = nullptr;
  int memfd = -1;         // the in-memory file it was loaded from, or -1
};

// The symbol a host shared object may export: a NUL-terminated,
// comma-separated list of the CPU features its code was compiled for
// (LLVM's x86 names, e.g. "avx2,fma"). The loader refuses the object when
// this CPU lacks one, rather than let it die of an illegal instruction.
inline constexpr const char *kHostFeaturesSymbol = "attn_host_cpu_features";

// Loads `image` without leaving a file behind: from an anonymous memory
// file (memfd_create) when the kernel has them, else from a file in a
// private (0700) directory made with mkdtemp under $TMPDIR (or /tmp),
// removed right after dlopen (ATTN_HOST_LOADER=tmpdir forces this path).
// dlopen uses RTLD_LOCAL, so two bundles'
// symbols never mix. Then checks the CPU features and looks up `entry`.
// `what` names the binary in messages. Release with unloadHostModule.
Status loadHostModule(const std::vector<uint8_t> &image, const std::string &entry,
                      const std::string &what, HostModule *out);
void unloadHostModule(HostModule &module);

// The features of a comma-separated list that this CPU (and OS) lacks, in
// list order; an unknown feature name counts as lacking.
std::vector<std::string> missingCpuFeatures(const std::string &list);

} // namespace attn::rt

#endif // ATTN_RUNTIME_HOST_LOADER_H
