// attn-bundle-info: prints what a bundle holds (kernels, signatures, binaries,
// launch expressions). Exits 1 with the loader's message when the file is not
// a valid bundle, 2 on a usage error.
#include "attn/bundle.h"

#include <cstdio>
#include <cstring>
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
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help"))) {
    std::printf("usage: attn-bundle-info FILE\nPrints the kernels, signatures, binaries "
                "and launch expressions of an attn bundle.\n");
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: attn-bundle-info FILE\n");
    return 2;
  }
  Bundle b;
  std::string error;
  if (readFile(argv[1], b, error) != ReadStatus::Ok) {
    std::fprintf(stderr, "attn-bundle-info: error: %s\n", error.c_str());
    return 1;
  }
  print(argv[1], b);
  return 0;
}
