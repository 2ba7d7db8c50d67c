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
  void *handle = nullptr; // from dlopen; dlclose it when done
  HostEntry entry = nullptr;
};

// Writes `image` to a private temporary file (mkstemp under $TMPDIR, else
// /tmp), dlopens it with RTLD_LOCAL (so two bundles' symbols never mix),
// removes the file and looks up `entry`. `what` names the binary in messages.
Status loadHostModule(const std::vector<uint8_t> &image, const std::string &entry,
                      const std::string &what, HostModule *out);

} // namespace attn::rt

#endif // ATTN_RUNTIME_HOST_LOADER_H
