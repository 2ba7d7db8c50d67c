// attn-bundle-info: prints what a bundle holds (kernels, signatures, binaries,
// launch expressions, tensor maps). With --cuda-device=MAJOR.MINOR, prints instead which
// binary of each kernel the runtime would run on a CUDA device of that
// compute capability (the runtime's own selectCudaBinary). Exits 1 with the
// loader's message when the file is not a valid bundle, 2 on a usage error.
#include "attn/bundle.h"

#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>
#include <string>

using namespace attn::bundle;

namespace {

std::string shape(const Arg &a) {
  std::string s = "[";
  for (size_t d = 0; d < a.dims.size(); ++d) {
    if (d) s += ", ";
    s += a.dims[d].isStatic() ? std::to_string(a.dims[d].extent) : a.dims[d].symbol;
  }
  return s + "]";
}

// "[64, 128, 1, 1]", innermost first as the bundle stores it.
std::string box(const TensorMap &m) {
  std::string s = "[";
  for (size_t d = 0; d < m.box.size(); ++d) s += (d ? ", " : "") + std::to_string(m.box[d]);
  return s + "]";
}

void print(const std::string &path, const Bundle &b) {
  std::printf("bundle %s\n", path.c_str());
  std::printf("  format version: %u\n", b.formatVersion);
  std::printf("  producer: %s\n", b.producer.c_str());
  std::printf("  spec: %s\n", b.specName.c_str());
  std::printf("  kernels: %zu\n", b.kernels.size());
  for (const Kernel &k : b.kernels) {
    std::printf("\nkernel %s\n  arguments (%zu):\n", k.name.c_str(), k.args.size());
    for (size_t i = 0; i < k.args.size(); ++i) {
      const Arg &a = k.args[i];
      std::string layout;
      if (a.kind == ArgKind::Tensor) {
        layout = " " + shape(a);
        if (a.contiguous) layout += " contiguous";
        else if (a.innermostContiguous) layout += " innermost_contiguous";
        if (a.alignment > 1) layout += " align=" + std::to_string(a.alignment);
        for (const MinimumExtent &m : a.minimums)
          layout += " dim" + std::to_string(m.dim) + ">=" + m.atLeast.str();
        if (a.nonDecreasing) layout += " non_decreasing";
      }
      std::printf("    %zu: %s %s %s %s%s\n", i, a.name.c_str(), name(a.role), name(a.kind),
                  name(a.dtype), layout.c_str());
    }
    std::printf("  binaries (%zu):\n", k.binaries.size());
    for (size_t i = 0; i < k.binaries.size(); ++i) {
      const Binary &bin = k.binaries[i];
      std::printf("    %zu: %s %s, %zu bytes, entry %s, %s\n", i, bin.target.c_str(),
                  name(bin.kind), bin.data.size(), bin.entry.c_str(), name(bin.conv));
      if (bin.launch) {
        std::printf("       grid = %s\n", str(bin.launch->grid).c_str());
        std::printf("       block = %s\n", str(bin.launch->block).c_str());
        std::printf("       shared_mem_bytes = %s\n", bin.launch->sharedMemBytes.str().c_str());
      }
      for (size_t m = 0; m < bin.tensorMaps.size(); ++m) {
        const TensorMap &map = bin.tensorMaps[m];
        std::printf("       tensor map %zu: %s box %s swizzle %s\n", m,
                    k.args[map.arg].name.c_str(), box(map).c_str(), name(map.swizzle));
      }
    }
  }
}

void printCudaSelection(const Bundle &b, int major, int minor) {
  for (const Kernel &k : b.kernels) {
    int i = selectCudaBinary(k, major, minor);
    std::printf("kernel %s on compute capability %d.%d: ", k.name.c_str(), major, minor);
    if (i < 0) {
      std::printf("no binary\n");
      continue;
    }
    const Binary &bin = k.binaries[i];
    std::printf("binary %d (%s %s)\n", i, bin.target.c_str(), name(bin.kind));
  }
}

// "9.0" -> 9, 0.
bool parseCapability(const char *text, int &major, int &minor) {
  char tail = 0;
  return std::sscanf(text, "%d.%d%c", &major, &minor, &tail) == 2 && major > 0 && minor >= 0 &&
         minor <= 9;
}

constexpr const char *kUsage = "usage: attn-bundle-info [--cuda-device=MAJOR.MINOR] FILE\n";

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help"))) {
    std::printf("%sPrints the kernels, signatures, binaries and launch expressions of an attn "
                "bundle; with --cuda-device, the binary of each kernel the runtime runs on a "
                "CUDA device of that compute capability.\n",
                kUsage);
    return 0;
  }
  const char *path = nullptr;
  std::optional<std::pair<int, int>> device;
  constexpr const char *kDeviceFlag = "--cuda-device=";
  for (int i = 1; i < argc; ++i) {
    if (!std::strncmp(argv[i], kDeviceFlag, std::strlen(kDeviceFlag))) {
      int major, minor;
      if (!parseCapability(argv[i] + std::strlen(kDeviceFlag), major, minor)) {
        std::fprintf(stderr,
                     "attn-bundle-info: error: '%s' is not a compute capability such as "
                     "--cuda-device=9.0\n",
                     argv[i]);
        return 2;
      }
      device = {major, minor};
    } else if (!path) {
      path = argv[i];
    } else {
      std::fprintf(stderr, "%s", kUsage);
      return 2;
    }
  }
  if (!path) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  Bundle b;
  std::string error;
  if (readFile(path, b, error) != ReadStatus::Ok) {
    std::fprintf(stderr, "attn-bundle-info: error: %s\n", error.c_str());
    return 1;
  }
  if (device)
    printCudaSelection(b, device->first, device->second);
  else
    print(path, b);
  return 0;
}
