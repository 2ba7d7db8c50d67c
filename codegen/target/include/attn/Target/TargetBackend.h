//===- TargetBackend.h - What a code-generation target provides -*- C++ -*-===//
//
// attn-compile (compiler/) knows targets only through this interface and a
// registry filled from the list of backends the build enables. A backend
// owns some target names (`targets=` entries), reads the attn-compile
// options it declares, chooses tiles for each spec, and turns the tiled
// programs into bundle binaries (or stops at one of its inspection stages,
// emit=...). docs/architecture.md shows how a new target plugs in.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_TARGETBACKEND_H
#define ATTN_TARGET_TARGETBACKEND_H

#include "attn/Kernel/KernelSpec.h"
#include "attn/Schedule/TileProgram.h"
#include "attn/bundle.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

/// An inspection stage a backend can stop at (`emit=<name>`).
struct EmitStage {
  llvm::StringRef name;
  /// Whether `output=` names a file the stage writes (else output= is an
  /// error with this stage).
  bool writesOutput = false;
};

/// What one attn-compile invocation asks of a backend.
struct CompileRequest {
  /// The requested targets this backend owns, in request order.
  llvm::SmallVector<std::string> targets;
  /// The options the user gave (name -> value as written), for the backend
  /// to read those it declares.
  llvm::StringMap<std::string> options;
  /// "bundle", or one of this backend's stages.
  std::string emit = "bundle";
  /// The output file (a stage's text output when the stage writes one).
  std::string output;
};

/// A tensor of a backward kernel's phase, by its name in the phase's
/// cascade: a kernel argument (its position in the signature) or a scratch
/// tensor the kernel allocates (its position in TiledSpec::scratch).
struct PhaseTensor {
  StringAttr name;
  int argument = -1;
  int scratch = -1;
};

/// One cascade of a backward function as a gradient program, with where its
/// inputs and results live.
struct GradientPhase {
  schedule::TileProgram program;
  llvm::SmallVector<PhaseTensor> tensors;
  /// The kernel arguments of its data operands, in order.
  llvm::SmallVector<unsigned> data;
};

/// A tensor the phases of a backward kernel pass between them (D = rowsum(dO
/// O)): its type and, per dimension, the (argument, dimension) whose extent
/// it has (static dimensions: unused).
struct ScratchTensor {
  RankedTensorType type;
  llvm::SmallVector<std::pair<unsigned, unsigned>> extentOf;
};

/// A spec tiled for one backend: its signature and its tile program (whose
/// cascade lives in `module`). A backward kernel (grad=true, only for
/// backends whose compilesGradients holds) has `phases` instead, run in
/// order, and its signature (q, k, v, data..., o[, lse], do; dq, dk, dv).
struct TiledSpec {
  std::string name;
  KernelSpec spec;
  schedule::TileProgram program;
  OwningOpRef<ModuleOp> module;
  std::vector<GradientPhase> phases;
  std::vector<ScratchTensor> scratch;
  /// The preparation kernel of `spec`'s key summary (mask-prep=kernel;
  /// signature keySummaryPreparationArguments(spec), body
  /// schedule::emitKeySummaryKernel), not a tiled program.
  bool keySummaryPreparation = false;

  bool isGradient() const { return !phases.empty(); }
};

/// The tile sizes a backend wants for a spec.
struct Tiles {
  int64_t blockQ = 0;
  int64_t blockKV = 0;
};

/// What a backend produced.
struct CompileOutput {
  /// Per spec, in order: binaries to add to the bundle's kernel.
  std::vector<std::vector<::attn::bundle::Binary>> binaries;
  /// With an emit stage that shows IR: the module replacing the input.
  OwningOpRef<ModuleOp> replacement;
};

class TargetBackend {
public:
  virtual ~TargetBackend();

  /// The backend's name in diagnostics ("host", "NVIDIA").
  virtual llvm::StringRef name() const = 0;
  /// The target names it compiles for.
  virtual llvm::ArrayRef<llvm::StringRef> targets() const = 0;
  /// The attn-compile options it reads.
  virtual llvm::ArrayRef<llvm::StringRef> optionNames() const = 0;
  virtual llvm::ArrayRef<EmitStage> emitStages() const = 0;
  /// Dialects its code generation creates (attn-compile loads them).
  virtual void getDependentDialects(DialectRegistry &registry) const {}
  /// Registers the passes the target brings (for attn-opt).
  virtual void registerPasses() const {}
  /// Whether compile accepts backward kernels (TiledSpec::isGradient).
  virtual bool compilesGradients() const { return false; }
  /// Whether compile accepts key summary preparations
  /// (TiledSpec::keySummaryPreparation) and kernels reading the summary.
  virtual bool preparesKeySummaries() const { return false; }

  /// Checks the options it reads (values, combinations); a diagnostic at
  /// `loc` and failure when one is invalid.
  virtual LogicalResult checkRequest(const CompileRequest &request,
                                     Location loc) const = 0;
  /// Adjusts the kernel signature's requirements for this target (e.g.
  /// alignment of tensors the kernel reads with vector accesses).
  virtual void constrainArguments(std::vector<::attn::bundle::Arg> &) const {}
  /// The tiles for `spec`.
  virtual Tiles chooseTiles(const KernelSpec &spec,
                            const CompileRequest &request) const = 0;
  /// The tiles of `spec`'s backward kernel (grad=true): the forward's by
  /// default.
  virtual Tiles chooseGradientTiles(const KernelSpec &spec,
                                    const CompileRequest &request) const {
    return chooseTiles(spec, request);
  }
  /// Compiles the tiled specs. Diagnostics go to their cascades or `loc`.
  virtual LogicalResult compile(llvm::ArrayRef<TiledSpec> specs,
                                const CompileRequest &request, Location loc,
                                CompileOutput &output) = 0;
};

/// The backends of this build, in registration order.
class TargetRegistry {
public:
  void add(std::unique_ptr<TargetBackend> backend) {
    backends.push_back(std::move(backend));
  }
  /// The backend owning `target`, or null.
  TargetBackend *lookup(llvm::StringRef target) const;
  llvm::ArrayRef<std::unique_ptr<TargetBackend>> all() const {
    return backends;
  }
  /// "host, sm_80, sm_90": every target name, for diagnostics.
  std::string targetList() const;

private:
  std::vector<std::unique_ptr<TargetBackend>> backends;
};

/// Folds each phase of a backward kernel that only computes per-row
/// products into scratch tensors (D = rowsum(dO O)) into the phases reading
/// them: a reader of D per row computes it in its lanes' prologue, a
/// transposed reader per column tile (ScheduleTarget::multiplyColumns). The
/// other phases then read nothing another phase writes and may run in any
/// order or at once (a GPU target runs them as one launch). Leaves `phases`
/// unchanged and fails, with a diagnostic on the phase's cascade, when a
/// product's operands cannot be bound in a reader.
LogicalResult foldRowProductPhases(std::vector<GradientPhase> &phases);

/// Reads an integer option; nullopt when absent, failure (with the
/// diagnostic "<name> must be <requirement>, got <value>" at `loc`) when it
/// is below `minimum`.
FailureOr<std::optional<int64_t>>
readIntegerOption(const CompileRequest &request, llvm::StringRef name,
                  int64_t minimum, llvm::StringRef requirement, Location loc);

/// The launch of a GPU kernel that gives each workgroup one query tile of
/// one head of one batch entry: grid (query tiles, Hq, B) over the query's
/// dimensions (named sizes or static extents), workgroups of `threads`
/// threads in x, `sharedBytes` of dynamic shared memory. Query tiles are
/// ceil(Sq / blockQ), or `queryTiles` where the program fixes them (patch
/// tiles).
::attn::bundle::LaunchConfig
launchOverQueryTiles(const KernelArgument &query, int64_t blockQ,
                     std::optional<int64_t> queryTiles, int64_t threads,
                     int64_t sharedBytes);

/// The launch of a key summary's preparation kernel
/// (schedule::emitKeySummaryKernel) over the ids [B, S]: grid
/// (ceil(S / kKeySummaryChunk), 1, B), workgroups of `threads` threads in
/// x, `sharedBytes` of dynamic shared memory.
::attn::bundle::LaunchConfig launchOverKeyChunks(const KernelArgument &ids,
                                                 int64_t threads,
                                                 int64_t sharedBytes);

/// Writes `text` to the file `path`, or to standard output when `path` is
/// empty; emits an error at `loc` naming the file when it cannot.
LogicalResult writeTextOutput(llvm::StringRef text, llvm::StringRef path,
                              Location loc);

} // namespace mlir::attn

#endif // ATTN_TARGET_TARGETBACKEND_H
