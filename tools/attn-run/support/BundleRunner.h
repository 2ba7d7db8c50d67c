//===- BundleRunner.h - Run a bundle's kernel and check it ------*- C++ -*-===//
//
// attn-run's compiled targets (host, cuda, hip) without LLVM or MLIR: the kernel
// signature in the bundle gives the shapes, the inputs come from .npy files
// or a seeded generator, outputs are poisoned with NaN before each checked
// run, and the result is compared by relative error with expected outputs
// (.npy files, the float64 reference when the compiler is built in, or the
// bundle's host binary). Without --check the kernel is timed.
//
// The compiler-backed attn-run plugs the spec in through SpecOracle:
// inputs valid for data operands, the float64 reference, the kept-pair
// density. The MLIR-free attn-run passes no oracle.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUN_SUPPORT_BUNDLERUNNER_H
#define ATTN_RUN_SUPPORT_BUNDLERUNNER_H

#include "attn/Support/Npy.h"
#include "attn/bundle.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn::run {

// The file formats and comparisons attn-run reads and prints.
using namespace ::attn::support;

enum class Target { Host, Cuda, Hip };

struct RunRequest {
  std::string bundlePath;
  /// The kernel to run; empty: the bundle's first.
  std::string kernelName;
  Target target = Target::Host;
  std::optional<int64_t> batch, seqQ, seqKV;
  uint64_t seed = 0;
  /// q.npy, k.npy, v.npy, data<N>.npy and optionally the expected o.npy and
  /// lse.npy (what `attn-run SPEC --target ref --dump DIR` writes).
  std::string inputsDirectory;
  /// Compare with expected outputs; else time the kernel.
  bool check = false;
  /// --target cuda: run the kernel's backward <name>_grad (attn-compile
  /// grad=true) after it, on its O and LSE and a seeded dO; with `check`,
  /// compare dQ, dK and dV with the bundle's host binary on the same inputs
  /// and repeat the run (`runs`) to show it is bit-identical, else time it.
  bool gradients = false;
  /// Let --check pass on generated values of data operands that only a
  /// custom region reads (arbitrary: nothing says which values it expects).
  bool allowArbitraryRegionData = false;
  /// Default 1e-5 for f32 inputs, 1e-2 for bf16 and f16.
  std::optional<double> tolerance;
  /// Timed runs; default 10 on the host, 30 on CUDA (at least 20 there)
  /// and ROCm. With `gradients` and `check`: backward runs compared bit for
  /// bit (default 2).
  std::optional<unsigned> runs;
  /// Kernels reading a key summary (attn-compile mask-prep=kernel): time
  /// the preparation kernel <name>_prep alone (every call runs it first).
  bool timePreparation = false;
  /// Fraction of (b, h, i, j) the mask keeps, for useful TFLOP/s.
  std::optional<double> usefulDensity;
  /// CUDA or ROCm device ordinal.
  int device = 0;
};

/// The most CUDA runs' median is not taken over fewer than this many.
inline constexpr unsigned kMinCudaRuns = 20;

struct ProblemSizes {
  int64_t batch = 0, queryHeads = 0, kvHeads = 0, seqQ = 0, seqKV = 0,
          headDimQK = 0, headDimV = 0;
};

/// The values of one call: one array per kernel argument, in signature
/// order; outputs' arrays hold only their shapes.
struct Problem {
  ProblemSizes sizes;
  std::vector<Array> arguments;
};

struct ExpectedOutputs {
  Array output;
  std::optional<Array> lse;
  /// Where they come from, for the printout.
  std::string source;
};

/// What a compiler-backed attn-run knows from the spec the bundle carries.
class SpecOracle {
public:
  virtual ~SpecOracle() = default;
  /// Fills every input array of `problem` with seeded values valid for the
  /// spec's data operands: q, k and v at the shapes already set, data
  /// operands at shapes of the generator's choosing. Returns false after
  /// printing a diagnostic.
  virtual bool generateInputs(uint64_t seed, Problem &problem) = 0;
  enum class Outcome { Computed, TooLarge, Failed };
  /// The float64 reference on the problem's inputs, unless it is too large.
  virtual Outcome reference(const Problem &problem,
                            ExpectedOutputs &expected) = 0;
  /// The fraction of (b, h, i, j) the mask keeps, when it can be counted.
  virtual std::optional<double> density(const Problem &problem) = 0;
  /// The kernel arguments (data<N>) that only a custom region reads, whose
  /// generated values are arbitrary.
  virtual std::vector<std::string> regionOnlyData() = 0;
  /// Whether the problem's data operands fit their rules (extents at the
  /// bound sizes, contents such as non-decreasing offsets); false after a
  /// diagnostic. Kernels do not validate data themselves.
  virtual bool validData(const Problem &problem) = 0;
};

/// Makes the oracle of `kernel`; null after printing a diagnostic.
using OracleFactory = std::function<std::unique_ptr<SpecOracle>(
    const bundle::Bundle &, const bundle::Kernel &)>;

/// Runs the request; returns the process exit code (0: success and PASS).
/// `oracleFactory` may be null (the MLIR-free build).
int runBundle(const RunRequest &request, const OracleFactory *oracleFactory);

/// "error: <message>" on stderr, as attn-run prints every failure.
void printError(const std::string &message);

} // namespace attn::run

#endif // ATTN_RUN_SUPPORT_BUNDLERUNNER_H
