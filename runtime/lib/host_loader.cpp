#include "host_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace attn::rt {
namespace {

std::string tempDirectory() {
  const char *dir = std::getenv("TMPDIR");
  return (dir && *dir) ? dir : "/tmp";
}

bool writeAll(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace

Status loadHostModule(const std::vector<uint8_t> &image, const std::string &entry,
                      const std::string &what, HostModule *out) {
  std::string dir = tempDirectory();
  std::string path = dir + "/attn-host-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0)
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot create a temporary file in " + dir +
                                                     " for " + what + ": " + std::strerror(errno));
  bool written = writeAll(fd, image.data(), image.size());
  int writeErrno = errno;
  if (::close(fd) != 0 && written) {
    written = false;
    writeErrno = errno;
  }
  if (!written) {
    ::unlink(path.c_str());
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot write " + what + " to " + path +
                                                     ": " + std::strerror(writeErrno));
  }
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::string why = handle ? "" : dlerror();
  // The mapping keeps the object alive; the file is no longer needed.
  ::unlink(path.c_str());
  if (!handle) {
    // glibc's wording when the directory is mounted noexec.
    if (why.find("failed to map segment") != std::string::npos)
      why += " (is the temporary directory mounted noexec? point TMPDIR elsewhere)";
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot load " + what + ": " + why);
  }
  dlerror();
  void *symbol = dlsym(handle, entry.c_str());
  if (!symbol) {
    const char *err = dlerror();
    std::string message = what + " has no entry symbol '" + entry + "'" +
                          (err ? std::string(": ") + err : std::string());
    dlclose(handle); // invalidates err
    return Status::error(ATTN_ERROR_HOST_LOADER, message);
  }
  out->handle = handle;
  out->entry = reinterpret_cast<HostEntry>(symbol);
  return Status::success();
}

} // namespace attn::rt
