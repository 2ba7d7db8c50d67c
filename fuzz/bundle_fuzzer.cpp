//===- bundle_fuzzer.cpp - libFuzzer target: the bundle reader ------------===//
//
// One input is a whole file. attn::bundle::read must accept it or say why;
// an accepted bundle must pass check(), write back to bytes that read back
// equal, and load through the C API with every query answering. Nothing is
// launched: a bundle is code (docs/security.md), and running fuzzed code
// finds nothing about the runtime.
//
//===----------------------------------------------------------------------===//
#include "attn/bundle.h"
#include "attn/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace attn::bundle;

namespace {
[[noreturn]] void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "bundle fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bundle bundle;
  std::string error;
  ReadStatus status = read(data, size, bundle, error);
  // The C API must agree with the C++ reader.
  attn_bundle *loaded = nullptr;
  attn_status loadStatus = attn_bundle_load_memory(data, size, &loaded);
  if (status != ReadStatus::Ok) {
    if (error.empty())
      fail("rejected without a message", "");
    if (loadStatus == ATTN_OK)
      fail("the C API accepted what read() rejected", error);
    return 0;
  }
  if (loadStatus != ATTN_OK)
    fail("the C API rejected what read() accepted", attn_last_error());

  if (std::string problem = check(bundle); !problem.empty())
    fail("read() returned a bundle that check() rejects", problem);
  std::vector<uint8_t> bytes;
  if (!write(bundle, bytes, error))
    fail("write() refused a bundle read() accepted", error);
  Bundle again;
  if (read(bytes.data(), bytes.size(), again, error) != ReadStatus::Ok)
    fail("a written bundle does not read back", error);
  if (!(again == bundle))
    fail("the round trip changed the bundle", "");

  // Every query of the C API on every kernel, argument and binary.
  (void)attn_bundle_format_version(loaded);
  (void)attn_bundle_producer(loaded);
  (void)attn_bundle_spec_name(loaded);
  int kernels = attn_bundle_num_kernels(loaded);
  for (int k = 0; k < kernels; ++k) {
    attn_kernel_info kernel;
    if (attn_bundle_kernel_info(loaded, k, &kernel) != ATTN_OK)
      fail("kernel_info failed", attn_last_error());
    int index = -1;
    if (attn_bundle_find_kernel(loaded, kernel.name, &index) != ATTN_OK)
      fail("find_kernel failed", attn_last_error());
    for (int a = 0; a < kernel.num_args; ++a) {
      attn_arg_info arg;
      if (attn_bundle_arg_info(loaded, k, a, &arg) != ATTN_OK)
        fail("arg_info failed", attn_last_error());
    }
    for (int b = 0; b < kernel.num_binaries; ++b) {
      attn_binary_info binary;
      if (attn_bundle_binary_info(loaded, k, b, &binary) != ATTN_OK)
        fail("binary_info failed", attn_last_error());
    }
    // Out of range is an error, never a read past the end.
    attn_arg_info arg;
    if (attn_bundle_arg_info(loaded, k, kernel.num_args, &arg) == ATTN_OK)
      fail("arg_info accepted an index past the end", "");
  }
  attn_bundle_free(loaded);
  return 0;
}
