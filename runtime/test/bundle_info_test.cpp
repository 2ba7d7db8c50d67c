// attn-bundle-info, run as a program: what it prints and how it fails.
#include "test_util.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>

using namespace attn::test;

namespace {

struct ToolRun {
  int exitCode;
  std::string output; // stdout and stderr
};

ToolRun runTool(const std::string &arguments) {
  std::string command = std::string(ATTN_BUNDLE_INFO) + " " + arguments + " 2>&1";
  FILE *pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  ToolRun r{-1, {}};
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

} // namespace

TEST(BundleInfo, PrintsKernelsSignaturesBinariesAndLaunches) {
  std::string path = testing::TempDir() + "/info.atnb";
  std::string error;
  ASSERT_TRUE(attn::bundle::writeFile(sampleBundle(), path, error)) << error;
  ToolRun r = runTool(path);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  const char *expected[] = {
      "  format version: 2\n",
      "  producer: attn tests\n",
      "  spec: sample_attention\n",
      "kernel attention\n  arguments (6):\n",
      "    0: q input tensor bf16 [B, Hq, Sq, 64] innermost_contiguous align=16\n",
      "    3: o output tensor bf16 [B, Hq, Sq, 64] contiguous align=16\n",
      "    5: scale input scalar f32\n",
      "    0: sm_90a cubin, 7 bytes, entry attention_fwd, gpu_expanded_memref\n"
      "       grid = (ceil_div(Sq, 128), Hq, B)\n"
      "       block = (128, 1, 1)\n"
      "       shared_mem_bytes = 98304\n",
      "    1: sm_80 ptx, 8 bytes, entry attention_fwd, gpu_bare_ptr\n",
      "    2: host host_shared_object, 4 bytes, entry attention_host, host_c_iface\n",
  };
  for (const char *line : expected)
    EXPECT_NE(r.output.find(line), std::string::npos) << "missing:\n" << line << "in:\n" << r.output;
  std::remove(path.c_str());
}

TEST(BundleInfo, PrintsTensorMapsAndTheirVersion) {
  std::string path = testing::TempDir() + "/info-tma.atnb";
  std::string error;
  ASSERT_TRUE(attn::bundle::writeFile(tmaBundle(), path, error)) << error;
  ToolRun r = runTool(path);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  const char *expected[] = {
      "  format version: 3\n",
      "       shared_mem_bytes = 98304\n"
      "       tensor map 0: k box [64, 128, 1, 1] swizzle 128B\n"
      "       tensor map 1: v box [64, 128, 1, 1] swizzle 128B\n"
      "    1: sm_80 ptx",
  };
  for (const char *line : expected)
    EXPECT_NE(r.output.find(line), std::string::npos) << "missing:\n" << line << "in:\n" << r.output;
  std::remove(path.c_str());
}

TEST(BundleInfo, BadFilesExitWithTheLoadersMessage) {
  std::string path = testing::TempDir() + "/not-a-bundle.atnb";
  std::ofstream(path) << "hello, this is not a bundle";
  ToolRun r = runTool(path);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.output, "attn-bundle-info: error: '" + path +
                          "': not an attn bundle: file identifier is 'o, t', expected 'ATNB'\n");
  std::remove(path.c_str());

  r = runTool("/nonexistent/x.atnb");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.output.rfind("attn-bundle-info: error: cannot open bundle file '/nonexistent/x.atnb'", 0),
            0u) << r.output;

  r = runTool("");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.output, "usage: attn-bundle-info [--cuda-device=MAJOR.MINOR] FILE\n");
}
