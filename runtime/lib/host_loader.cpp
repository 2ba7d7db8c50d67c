#include "host_loader.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

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

std::string loadError(const std::string &what, std::string why) {
  // glibc's wording when the directory is mounted noexec.
  if (why.find("failed to map segment") != std::string::npos)
    why += " (is the temporary directory mounted noexec? point TMPDIR elsewhere)";
  return "cannot load " + what + ": " + why;
}

// dlopen of an anonymous memory file through /proc/self/fd. The fd stays
// open while the module is loaded: glibc recognises an already loaded object
// by its path, and a reused fd number must never name another module.
Status openFromMemfd(const std::vector<uint8_t> &image, const std::string &what,
                     void **handle, int *memfd, bool *unavailable) {
  *unavailable = false;
  int fd = memfd_create("attn-host", MFD_CLOEXEC);
  if (fd < 0) {
    *unavailable = true;
    return Status::success();
  }
  if (!writeAll(fd, image.data(), image.size())) {
    int saved = errno;
    ::close(fd);
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot write " + what +
                                                     " to a memory file: " +
                                                     std::strerror(saved));
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::string why = dlerror();
    ::close(fd);
    // No /proc, or memory files not executable (vm.memfd_noexec): use a file.
    if (::access("/proc/self/fd", F_OK) != 0 ||
        why.find("failed to map segment") != std::string::npos ||
        why.find("Permission denied") != std::string::npos) {
      *unavailable = true;
      return Status::success();
    }
    return Status::error(ATTN_ERROR_HOST_LOADER, loadError(what, why));
  }
  *handle = h;
  *memfd = fd;
  return Status::success();
}

// dlopen of a file in a fresh private directory; both are removed before
// returning, whatever happens after they are made (short of the process
// dying inside dlopen itself).
Status openFromPrivateFile(const std::vector<uint8_t> &image, const std::string &what,
                           void **handle) {
  std::string dir = tempDirectory();
  std::string folder = dir + "/attn-host-XXXXXX";
  if (!mkdtemp(folder.data()))
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot create a private temporary "
                                                 "directory in " + dir + " for " + what +
                                                 ": " + std::strerror(errno));
  std::string path = folder + "/kernel.so";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int saved = errno;
    ::rmdir(folder.c_str());
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot create a temporary file in " +
                                                     folder + " for " + what + ": " +
                                                     std::strerror(saved));
  }
  bool written = writeAll(fd, image.data(), image.size());
  int writeErrno = errno;
  if (::close(fd) != 0 && written) {
    written = false;
    writeErrno = errno;
  }
  void *h = written ? dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
  std::string why = (written && !h) ? dlerror() : "";
  // The mapping keeps the object alive; the file is no longer needed.
  ::unlink(path.c_str());
  ::rmdir(folder.c_str());
  if (!written)
    return Status::error(ATTN_ERROR_HOST_LOADER, "cannot write " + what + " to " + path +
                                                     ": " + std::strerror(writeErrno));
  if (!h) return Status::error(ATTN_ERROR_HOST_LOADER, loadError(what, why));
  *handle = h;
  return Status::success();
}

#if defined(__x86_64__) || defined(__i386__)
struct CpuInfo {
  unsigned leaf1c = 0, leaf1d = 0, leaf7b = 0, leaf7c = 0, leaf7d = 0, leaf71a = 0,
           ext1c = 0;
  uint64_t xcr0 = 0;
  CpuInfo() {
    unsigned a, b, c, d;
    unsigned maxLeaf = __get_cpuid_max(0, nullptr);
    if (maxLeaf >= 1 && __get_cpuid(1, &a, &b, &c, &d)) {
      leaf1c = c;
      leaf1d = d;
    }
    if (maxLeaf >= 7) {
      __cpuid_count(7, 0, a, b, c, d);
      leaf7b = b;
      leaf7c = c;
      leaf7d = d;
      __cpuid_count(7, 1, a, b, c, d);
      leaf71a = a;
    }
    if (__get_cpuid_max(0x80000000u, nullptr) >= 0x80000001u &&
        __get_cpuid(0x80000001u, &a, &b, &c, &d))
      ext1c = c;
    if (leaf1c & (1u << 27)) { // OSXSAVE: the OS saves extended registers
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
    }
  }
  bool avxState() const { return (xcr0 & 0x6) == 0x6; }
  bool avx512State() const { return (xcr0 & 0xe6) == 0xe6; }
  bool amxState() const { return (xcr0 & 0x60000) == 0x60000; }

  // LLVM's x86 feature names: the ones the compiler records (HostCompiler).
  bool has(const std::string &f) const {
    auto bit = [](unsigned reg, int n) { return (reg >> n) & 1u; };
    if (f == "sse" || f == "sse2" || f == "fxsr" || f == "mmx" || f == "cx8" ||
        f == "x87" || f == "cmov" || f == "64bit")
      return true; // every x86-64 CPU
    if (f == "sse3") return bit(leaf1c, 0);
    if (f == "pclmul") return bit(leaf1c, 1);
    if (f == "ssse3") return bit(leaf1c, 9);
    if (f == "fma") return bit(leaf1c, 12) && avxState();
    if (f == "cx16") return bit(leaf1c, 13);
    if (f == "sse4.1") return bit(leaf1c, 19);
    if (f == "sse4.2") return bit(leaf1c, 20);
    if (f == "movbe") return bit(leaf1c, 22);
    if (f == "popcnt") return bit(leaf1c, 23);
    if (f == "aes") return bit(leaf1c, 25);
    if (f == "xsave") return bit(leaf1c, 26);
    if (f == "avx") return bit(leaf1c, 28) && avxState();
    if (f == "f16c") return bit(leaf1c, 29) && avxState();
    if (f == "rdrnd") return bit(leaf1c, 30);
    if (f == "sahf") return bit(ext1c, 0);
    if (f == "lzcnt") return bit(ext1c, 5);
    if (f == "prfchw") return bit(ext1c, 8);
    if (f == "bmi") return bit(leaf7b, 3);
    if (f == "avx2") return bit(leaf7b, 5) && avxState();
    if (f == "bmi2") return bit(leaf7b, 8);
    if (f == "avx512f") return bit(leaf7b, 16) && avx512State();
    if (f == "avx512dq") return bit(leaf7b, 17) && avx512State();
    if (f == "rdseed") return bit(leaf7b, 18);
    if (f == "adx") return bit(leaf7b, 19);
    if (f == "avx512ifma") return bit(leaf7b, 21) && avx512State();
    if (f == "avx512cd") return bit(leaf7b, 28) && avx512State();
    if (f == "sha") return bit(leaf7b, 29);
    if (f == "avx512bw") return bit(leaf7b, 30) && avx512State();
    if (f == "avx512vl") return bit(leaf7b, 31) && avx512State();
    if (f == "avx512vbmi") return bit(leaf7c, 1) && avx512State();
    if (f == "avx512vbmi2") return bit(leaf7c, 6) && avx512State();
    if (f == "gfni") return bit(leaf7c, 8);
    if (f == "vaes") return bit(leaf7c, 9) && avxState();
    if (f == "vpclmulqdq") return bit(leaf7c, 10) && avxState();
    if (f == "avx512vnni") return bit(leaf7c, 11) && avx512State();
    if (f == "avx512bitalg") return bit(leaf7c, 12) && avx512State();
    if (f == "avx512vpopcntdq") return bit(leaf7c, 14) && avx512State();
    if (f == "avx512vp2intersect") return bit(leaf7d, 8) && avx512State();
    if (f == "amx-bf16") return bit(leaf7d, 22) && amxState();
    if (f == "avx512fp16") return bit(leaf7d, 23) && avx512State();
    if (f == "amx-tile") return bit(leaf7d, 24) && amxState();
    if (f == "amx-int8") return bit(leaf7d, 25) && amxState();
    if (f == "avxvnni") return bit(leaf71a, 4) && avxState();
    if (f == "avx512bf16") return bit(leaf71a, 5) && avx512State();
    return false;
  }
};
#endif

} // namespace

std::vector<std::string> missingCpuFeatures(const std::string &list) {
  std::vector<std::string> missing;
#if defined(__x86_64__) || defined(__i386__)
  static const CpuInfo cpu;
#endif
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string feature = list.substr(start, end - start);
    start = end + 1;
    if (feature.empty()) continue;
#if defined(__x86_64__) || defined(__i386__)
    if (cpu.has(feature)) continue;
#endif
    missing.push_back(feature);
  }
  return missing;
}

Status loadHostModule(const std::vector<uint8_t> &image, const std::string &entry,
                      const std::string &what, HostModule *out) {
  void *handle = nullptr;
  int memfd = -1;
  bool unavailable = false;
  // ATTN_HOST_LOADER=tmpdir chooses the file path even where memory files
  // work (systems that forbid executable memory files, and its tests).
  const char *mode = std::getenv("ATTN_HOST_LOADER");
  Status st = Status::success();
  if (mode && std::strcmp(mode, "tmpdir") == 0)
    unavailable = true;
  else
    st = openFromMemfd(image, what, &handle, &memfd, &unavailable);
  if (!st.ok()) return st;
  if (unavailable) {
    st = openFromPrivateFile(image, what, &handle);
    if (!st.ok()) return st;
  }
  HostModule module;
  module.handle = handle;
  module.memfd = memfd;

  dlerror();
  // The symbol is the array itself (a char[]), not a pointer to it.
  if (const char *list = static_cast<const char *>(dlsym(handle, kHostFeaturesSymbol))) {
    std::vector<std::string> missing = missingCpuFeatures(list);
    if (!missing.empty()) {
      std::string names;
      for (const std::string &f : missing) names += (names.empty() ? "" : ", ") + f;
      unloadHostModule(module);
      return Status::error(ATTN_ERROR_HOST_LOADER,
                           what + " was compiled for CPU features this CPU lacks (" +
                               names + "); recompile it with host-cpu=portable or "
                                       "for this CPU");
    }
  }
  dlerror();
  void *symbol = dlsym(handle, entry.c_str());
  if (!symbol) {
    const char *err = dlerror();
    std::string message = what + " has no entry symbol '" + entry + "'" +
                          (err ? std::string(": ") + err : std::string());
    unloadHostModule(module); // invalidates err
    return Status::error(ATTN_ERROR_HOST_LOADER, message);
  }
  module.entry = reinterpret_cast<HostEntry>(symbol);
  *out = module;
  return Status::success();
}

void unloadHostModule(HostModule &module) {
  if (module.handle) dlclose(module.handle);
  if (module.memfd >= 0) ::close(module.memfd);
  module = HostModule();
}

} // namespace attn::rt
