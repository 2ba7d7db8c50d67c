//===- attn-run-standalone.cpp - attn-run without the compiler ------------===//
//
// The attn-run of an ATTN_BUILD_COMPILER=OFF build (e.g. on a GPU machine
// without MLIR): runs bundles on the host, a CUDA device or a ROCm device
// through the runtime. With no spec interpreter inside, inputs are seeded normal(0, 1)
// q, k, v or the .npy files of --inputs DIR, and --check compares with
// DIR's o.npy/lse.npy, else (cuda, hip) with the bundle's host binary.
//
//===----------------------------------------------------------------------===//
#include "support/BundleRunner.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

using namespace attn::run;

namespace {
constexpr const char *kUsage =
    "usage: attn-run BUNDLE --target host|cuda|hip [--function NAME]\n"
    "                [--batch B] [--seq-q SQ] [--seq-kv SKV]\n"
    "                [--seed S] [--inputs DIR] [--device N]\n"
    "                [--check [--tolerance T] | --runs N "
    "[--useful-density X] [--time-preparation]] [--gradients]\n"
    "\n"
    "Runs a kernel of a compiled bundle through the attn runtime (this\n"
    "attn-run is built without the compiler: --target ref is not\n"
    "available).\n"
    "  --inputs DIR   data<N>.npy (kernels with data operands need them),\n"
    "                 q.npy, k.npy, v.npy (each generated from --seed when\n"
    "                 absent, exactly as attn-run SPEC --target ref --seed S\n"
    "                 generates it), and for --check the expected o.npy and\n"
    "                 lse.npy (attn-run SPEC --target ref --dump DIR writes\n"
    "                 all of them)\n"
    "  --check        compare with DIR's o.npy, else (cuda, hip) with the\n"
    "                 bundle's host binary on the same inputs; prints\n"
    "                 max_rel_err and PASS/FAIL (exit 1 on FAIL); default\n"
    "                 tolerance 1e-5 for f32, 1e-2 for bf16/f16\n"
    "  without --check: time the kernel (median of --runs, default 10 on\n"
    "                 the host, 30 and at least 20 on CUDA, 30 on ROCm,\n"
    "                 after warm-up, CUDA inputs rotated through more than\n"
    "                 twice the L2)\n"
    "  --gradients    (cuda) run the kernel, then its backward <name>_grad\n"
    "                 (attn-compile grad=true) on its O and LSE and a dO\n"
    "                 drawn from --seed; with --check compare dq, dk, dv\n"
    "                 with the bundle's host binary on the same inputs and\n"
    "                 run the backward --runs times (default 2; bit-identical\n"
    "                 or FAIL), else time the backward\n"
    "  --target hip   the bundle's HSACO for the ROCm device's architecture,\n"
    "                 through libamdhip64.so ($ATTN_HIP_LIBRARY names\n"
    "                 another); --device N picks the device\n"
    "  --useful-density X  the fraction of (b, h, i, j) the mask keeps\n"
    "                 (attn-opt --attn-report-sparsity prints it), for\n"
    "                 useful TFLOP/s\n"
    "  --time-preparation  kernels reading a key summary (attn-compile\n"
    "                 mask-prep=kernel): time the preparation kernel\n"
    "                 <name>_prep alone (every call runs it before the\n"
    "                 kernel, which the default timing includes)\n";

bool parseInteger(const std::string &flag, const std::string &text,
                  int64_t &value) {
  errno = 0;
  char *end = nullptr;
  long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    printError(flag + " expects an integer, got '" + text + "'");
    return false;
  }
  value = parsed;
  return true;
}

bool parseReal(const std::string &flag, const std::string &text,
               double &value) {
  errno = 0;
  char *end = nullptr;
  value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE ||
      !std::isfinite(value)) {
    printError(flag + " expects a finite number, got '" + text + "'");
    return false;
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  RunRequest request;
  std::string target;
  for (int index = 1; index < argc; ++index) {
    std::string argument = argv[index];
    if (argument == "--help" || argument == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (argument.rfind("--", 0) != 0) {
      if (!request.bundlePath.empty()) {
        printError("more than one bundle given: '" + request.bundlePath +
                   "' and '" + argument + "'");
        return 1;
      }
      request.bundlePath = argument;
      continue;
    }
    std::string flag = argument, value;
    size_t equals = argument.find('=');
    bool inlineValue = equals != std::string::npos;
    if (inlineValue) {
      flag = argument.substr(0, equals);
      value = argument.substr(equals + 1);
    }
    if (flag == "--check" || flag == "--gradients" ||
        flag == "--time-preparation") {
      if (inlineValue) {
        printError(flag + " takes no value");
        return 1;
      }
      (flag == "--check"       ? request.check
       : flag == "--gradients" ? request.gradients
                               : request.timePreparation) = true;
      continue;
    }
    static const char *const valued[] = {
        "--target", "--function", "--batch",  "--seq-q",
        "--seq-kv", "--seed",     "--inputs", "--tolerance",
        "--runs",   "--device",   "--useful-density"};
    bool known = false;
    for (const char *name : valued)
      known |= flag == name;
    if (!known) {
      printError("unknown option '" + flag + "'\n" + kUsage);
      return 1;
    }
    if (!inlineValue) {
      if (index + 1 >= argc) {
        printError(flag + " needs a value");
        return 1;
      }
      value = argv[++index];
    }
    int64_t integer = 0;
    double real = 0;
    if (flag == "--target") {
      target = value;
    } else if (flag == "--function") {
      request.kernelName = value;
    } else if (flag == "--inputs") {
      request.inputsDirectory = value;
    } else if (flag == "--tolerance") {
      if (!parseReal(flag, value, real))
        return 1;
      if (real < 0) {
        printError("--tolerance must be finite and >= 0, got " + value);
        return 1;
      }
      request.tolerance = real;
    } else if (flag == "--useful-density") {
      if (!parseReal(flag, value, real))
        return 1;
      if (!(real > 0 && real <= 1)) {
        printError("--useful-density must be in (0, 1], got " + value);
        return 1;
      }
      request.usefulDensity = real;
    } else {
      if (!parseInteger(flag, value, integer))
        return 1;
      if (flag == "--batch")
        request.batch = integer;
      else if (flag == "--seq-q")
        request.seqQ = integer;
      else if (flag == "--seq-kv")
        request.seqKV = integer;
      else if (flag == "--seed") {
        request.seed = static_cast<uint64_t>(integer);
      } else if (flag == "--device") {
        if (integer < 0) {
          printError("--device must be >= 0, got " + value);
          return 1;
        }
        request.device = static_cast<int>(integer);
      } else if (flag == "--runs") {
        if (integer < 1) {
          printError("--runs must be >= 1, got " + value);
          return 1;
        }
        request.runs = static_cast<unsigned>(integer);
      }
    }
  }

  if (request.bundlePath.empty()) {
    printError(std::string("no bundle given\n") + kUsage);
    return 1;
  }
  if (target == "host") {
    request.target = Target::Host;
  } else if (target == "cuda") {
    request.target = Target::Cuda;
  } else if (target == "hip") {
    request.target = Target::Hip;
  } else if (target == "ref") {
    printError("--target ref needs the compiler; this attn-run was built "
               "with ATTN_BUILD_COMPILER=OFF (use --target host, cuda or hip)");
    return 1;
  } else {
    printError(target.empty()
                   ? "--target is required (host, cuda or hip)"
                   : "unknown --target '" + target + "' (host, cuda or hip)");
    return 1;
  }
  if (request.check && (request.usefulDensity ||
                        (request.runs && !request.gradients))) {
    printError("--runs and --useful-density apply only without --check "
               "(--runs with --gradients --check: backward runs compared)");
    return 1;
  }
  if (request.timePreparation && (request.check || request.gradients)) {
    printError("--time-preparation times the preparation kernel: it "
               "applies only without --check and --gradients");
    return 1;
  }
  if (!request.check && request.tolerance) {
    printError("--tolerance applies only with --check");
    return 1;
  }
  if (request.target == Target::Cuda && request.runs && !request.check &&
      *request.runs < kMinCudaRuns) {
    printError("--target cuda times the median of at least " +
               std::to_string(kMinCudaRuns) + " runs, got --runs " +
               std::to_string(*request.runs));
    return 1;
  }
  if (request.gradients && request.target != Target::Cuda) {
    printError("--gradients applies only to --target cuda in this attn-run "
               "(the compiler-built attn-run checks the host's backward with "
               "--target host --check --gradients)");
    return 1;
  }
  if (request.target == Target::Host && request.device != 0) {
    printError("--device applies only to --target cuda and hip");
    return 1;
  }
  return runBundle(request, nullptr);
}
