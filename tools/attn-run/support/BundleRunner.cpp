//===- BundleRunner.cpp - Run a bundle's kernel and check it --------------===//
//
// Flow: read the bundle, pick the kernel, bind the sizes its signature
// leaves symbolic, make the inputs, then either run once on NaN-poisoned
// outputs and compare with expected outputs, or time the kernel (HostRun.cpp,
// GpuRun.cpp; Runner.h lists the pieces).
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sys/stat.h>

using namespace attn::run;
namespace bundle = attn::bundle;

void attn::run::printError(const std::string &message) {
  std::cout.flush();
  std::cerr << "attn-run: error: " << message << "\n";
}

namespace {
const bundle::Kernel *selectKernel(const bundle::Bundle &model,
                                   const std::string &name,
                                   const std::string &path) {
  if (model.kernels.empty()) {
    printError("bundle " + path + " holds no kernel");
    return nullptr;
  }
  if (name.empty())
    return &model.kernels.front();
  for (const bundle::Kernel &kernel : model.kernels)
    if (kernel.name == name)
      return &kernel;
  std::string names;
  for (const bundle::Kernel &kernel : model.kernels)
    names += (names.empty() ? "" : ", ") + kernel.name;
  printError("bundle " + path + " has no kernel '" + name + "' (it has: " +
             names + ")");
  return nullptr;
}
} // namespace

int attn::run::runBundle(const RunRequest &request,
                         const OracleFactory *oracleFactory) {
  const std::string &path = request.bundlePath;
  // A missing --inputs folder must not quietly fall back to generated data.
  if (!request.inputsDirectory.empty()) {
    struct stat info;
    if (::stat(request.inputsDirectory.c_str(), &info) != 0 ||
        !S_ISDIR(info.st_mode)) {
      printError("--inputs " + request.inputsDirectory + ": " +
                 (::stat(request.inputsDirectory.c_str(), &info) != 0
                      ? std::string(std::strerror(errno))
                      : std::string("not a directory")));
      return 1;
    }
  }
  bundle::Bundle model;
  std::string error;
  bundle::ReadStatus read = bundle::readFile(path, model, error);
  if (read != bundle::ReadStatus::Ok) {
    printError("cannot read bundle " + path + ": " + error +
               (read == bundle::ReadStatus::Invalid
                    ? " (--target host, cuda and hip run a bundle: compile the "
                      "spec with attn-opt --attn-compile=\"targets=host "
                      "output=...\")"
                    : ""));
    return 1;
  }
  const bundle::Kernel *kernel =
      selectKernel(model, request.kernelName, path);
  if (!kernel)
    return 1;
  bool hasTarget = std::any_of(
      kernel->binaries.begin(), kernel->binaries.end(),
      [&](const bundle::Binary &binary) {
        std::optional<bundle::TargetFamily> family =
            bundle::targetFamily(binary.target);
        switch (request.target) {
        case Target::Host:
          return family == bundle::TargetFamily::Host;
        case Target::Cuda:
          return family == bundle::TargetFamily::Cuda;
        case Target::Hip:
          return family == bundle::TargetFamily::Amd;
        }
        return false;
      });
  if (!hasTarget) {
    printError("kernel '" + kernel->name + "' of " + path +
               (request.target == Target::Host
                    ? " has no host binary; compile it with "
                      "--attn-compile=\"targets=host output=...\""
                : request.target == Target::Cuda
                    ? " has no CUDA binary; compile it with "
                      "--attn-compile=\"targets=host,sm_80,sm_90 "
                      "output=...\""
                    : " has no AMD binary; compile it with "
                      "--attn-compile=\"targets=host,gfx90a,gfx942,gfx1100 "
                      "output=...\""));
    return 1;
  }
  if (request.gradients) {
    if (request.target != Target::Cuda) {
      printError("--gradients runs a bundle's backward kernel with --target "
                 "cuda (the compiler-built attn-run checks the host's with "
                 "--target host --check --gradients)");
      return 1;
    }
    bool hasBackward = std::any_of(
        model.kernels.begin(), model.kernels.end(),
        [&](const bundle::Kernel &other) {
          return other.name == kernel->name + "_grad";
        });
    if (!hasBackward) {
      printError("kernel '" + kernel->name + "' of " + path +
                 " has no backward kernel '" + kernel->name +
                 "_grad'; compile it with --attn-compile=\"targets=host,"
                 "sm_90 grad=true output=...\"");
      return 1;
    }
  }
  Signature signature;
  if (!analyzeSignature(*kernel, signature))
    return 1;
  KeySummaryPreparation preparation;
  if (signature.keySummary >= 0) {
    if (!findKeySummaryPreparation(model, *kernel, signature.keySummary,
                                   preparation))
      return 1;
    preparation.alone = request.timePreparation;
    setKeySummaryPreparation(preparation);
  } else if (request.timePreparation) {
    printError("--time-preparation: kernel '" + kernel->name +
               "' reads no key summary (compile it with attn-compile "
               "mask-prep=kernel)");
    return 1;
  }

  std::unique_ptr<SpecOracle> oracle;
  if (oracleFactory) {
    oracle = (*oracleFactory)(model, *kernel);
    if (!oracle)
      return 1;
  }

  // Sizes and inputs: from files, or bound from the request and generated.
  Problem problem;
  problem.arguments.resize(kernel->args.size());
  SymbolValues symbols;
  bool fromFiles = !request.inputsDirectory.empty();
  if (fromFiles && !loadInputs(*kernel, request, problem, symbols))
    return 1;
  if (!bindRequestedSizes(*kernel, signature, request, symbols))
    return 1;
  // The key summary holds exactly the chunks the kernel reads.
  if (signature.keySummary >= 0) {
    const bundle::Arg &summary = kernel->args[signature.keySummary];
    const std::string &chunks = summary.dims[1].symbol;
    std::optional<int64_t> least = summary.minimums.front().atLeast.evaluate(
        [&](const std::string &name) {
          auto found = symbols.find(name);
          return found == symbols.end() ? int64_t(0) : found->second;
        });
    if (!chunks.empty() && least)
      symbols[chunks] = *least;
  }
  const char *hint =
      fromFiles ? "" : " (pass --inputs DIR with that argument's .npy file)";
  // Data operands may carry sizes of their own (a list of document starts);
  // the oracle chooses those when it generates them.
  bool oracleMakesData = !fromFiles && oracle;
  for (size_t index = 0; index < kernel->args.size(); ++index) {
    bool isData = std::count(signature.data.begin(), signature.data.end(),
                             static_cast<int>(index));
    if (!(isData && oracleMakesData) &&
        !resolveShape(*kernel, static_cast<int>(index), symbols,
                      problem.arguments[index].shape, hint))
      return 1;
  }
  // Bounded before anything is allocated or generated.
  if (!checkProblemSize(*kernel, problem))
    return 1;
  const std::vector<int64_t> &q = problem.arguments[signature.query].shape;
  const std::vector<int64_t> &k = problem.arguments[signature.key].shape;
  const std::vector<int64_t> &v = problem.arguments[signature.value].shape;
  problem.sizes = {q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
  if (fromFiles) {
    generateInputs(*kernel, signature, request.seed, request.check, problem);
  } else {
    if (oracle) {
      if (!oracle->generateInputs(request.seed, problem))
        return 1;
    } else {
      // Any finite value is valid in a float data operand (a bias); integer
      // ones (document ids, block lists) follow rules only the spec knows.
      for (int position : signature.data)
        if (!isFloat(kernel->args[position].dtype)) {
          printError("kernel '" + kernel->name + "' reads data operand '" +
                     kernel->args[position].name +
                     "', whose valid values only the compiler knows: pass "
                     "--inputs DIR (attn-run SPEC --target ref --dump DIR "
                     "writes them)");
          return 1;
        }
      generateInputs(*kernel, signature, request.seed, request.check,
                     problem);
    }
  }

  // The oracle chose the data operands' own sizes: bound them too.
  if (!checkProblemSize(*kernel, problem))
    return 1;
  // Kernels do not validate data operands (docs/security.md): data from
  // files is checked against its rules before any launch, timed or checked.
  if (fromFiles && oracle && !signature.data.empty() &&
      !oracle->validData(problem))
    return 1;
  // Generated values of data operands that only a custom region reads are
  // arbitrary: agreeing on them is no evidence the kernel is right for the
  // data the region expects, so --check says so unless told it is fine.
  if (request.check && !fromFiles && oracle) {
    std::vector<std::string> arbitrary = oracle->regionOnlyData();
    if (!arbitrary.empty()) {
      std::string names;
      for (const std::string &name : arbitrary)
        names += (names.empty() ? "" : ", ") + name;
      if (!request.allowArbitraryRegionData) {
        printError("kernel '" + kernel->name + "' reads " + names +
                   " only in a custom region, so its generated values are "
                   "arbitrary and a PASS on them proves little: pass "
                   "--inputs DIR with meaningful data, or "
                   "--allow-arbitrary-region-data to check on them anyway");
        return 1;
      }
      std::cout << "note: " << names
                << " generated with arbitrary values (read only by a custom "
                   "region)\n";
    }
  }

  attn_bundle *rawBundle = nullptr;
  if (attn_bundle_load_file(path.c_str(), &rawBundle) != ATTN_OK) {
    printError(std::string("cannot load bundle: ") + attn_last_error());
    return 1;
  }
  LoadedBundle loaded(rawBundle);

  const ProblemSizes &sizes = problem.sizes;
  std::cout << "kernel " << kernel->name << ": B=" << sizes.batch
            << " Hq=" << sizes.queryHeads << " Hkv=" << sizes.kvHeads
            << " Sq=" << sizes.seqQ << " Skv=" << sizes.seqKV
            << " E=" << sizes.headDimQK << " F=" << sizes.headDimV << "\n";
  std::cout.flush();
  switch (request.target) {
  case Target::Host:
    return runHost(request, *kernel, signature, problem, oracle.get(),
                   loaded.get());
  case Target::Cuda:
    if (request.gradients)
      return runCudaGradients(request, model, *kernel, signature, problem,
                              oracle.get(), loaded.get());
    return runCuda(request, *kernel, signature, problem, oracle.get(),
                   loaded.get());
  case Target::Hip:
    return runHip(request, *kernel, signature, problem, oracle.get(),
                  loaded.get());
  }
  return 1;
}
