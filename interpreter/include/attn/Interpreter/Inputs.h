//===- Inputs.h - Sizes and inputs for reference runs -----------*- C++ -*-===//
//
// Binds a spec's dynamic sizes, generates seeded random inputs that are valid
// for the spec's data operands, and loads or dumps inputs as .npy files.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_INPUTS_H
#define ATTN_INTERPRETER_INPUTS_H

#include "attn/Interpreter/Reference.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::attn::interpreter {

/// What input generation and loading need to know about a spec: the operand
/// types and the rules that read the data operands.
struct SpecOperands {
  RankedTensorType query, key, value;
  llvm::SmallVector<RankedTensorType> data;
  /// Every mask and score-mod attribute the spec applies (outermost ones;
  /// combinators hold the rest).
  llvm::SmallVector<MaskAttrInterface> masks;
  llvm::SmallVector<ScoreModAttrInterface> scoreMods;

  static SpecOperands of(AttentionOp op);
  /// For a cascade whose first three inputs are the query, key and value;
  /// the rules are those its Einsums apply.
  static SpecOperands of(CascadeOp op);
};

/// The sizes a user asks for; unset means "take it from the spec's types".
struct SizeRequest {
  std::optional<int64_t> batch, seqQ, seqKV;
};

/// The concrete sizes of one call.
struct ProblemSizes {
  int64_t batch = 0, queryHeads = 0, kvHeads = 0, seqQ = 0, seqKV = 0,
          headDimQK = 0, headDimV = 0;
};

/// Bounds on what a reference run may allocate and compute: B*Hq*Sq*Skv
/// scores and the elements of all inputs and outputs together.
inline constexpr int64_t kMaxScores = int64_t(1) << 28;
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 27;

/// Resolves every size: a static size must agree with the request (or the
/// request leaves it unset); a dynamic one needs the request, except Skv,
/// which defaults to Sq. Checks the limits above. Diagnoses at `loc`.
FailureOr<ProblemSizes> bindSizes(const SpecOperands &spec,
                                  const SizeRequest &request, Location loc);

/// The sizes implied by loaded bindings (query [B, Hq, Sq, E], key
/// [B, Hkv, Skv, E], value [.., F]), checked against `request` and the
/// limits. Bindings of the wrong rank are diagnosed.
FailureOr<ProblemSizes> sizesOfBindings(const Bindings &inputs,
                                        const SizeRequest &request,
                                        Location loc);

/// Fresh inputs for `spec` at `sizes`: Q, K, V drawn from normal(0, 1) and
/// rounded to their element type; every data operand filled with values that
/// are valid for the rule reading it (see docs/interpreter.md). The same seed
/// always gives the same inputs.
FailureOr<Bindings> generateBindings(const SpecOperands &spec,
                                     const ProblemSizes &sizes, uint64_t seed,
                                     Location loc);

/// The data operands that only a custom region reads: generated values for
/// them are arbitrary (nothing says which values the region expects), so a
/// check on them proves agreement on those values only.
FailureOr<llvm::SmallVector<unsigned>>
regionOnlyDataOperands(const SpecOperands &spec, Location loc);

/// Rounds every value to the nearest value of `elementType` (a float type),
/// ties to even, so the reference sees exactly what a kernel would load.
void roundToElementType(Tensor64 &tensor, Type elementType);

/// Reads `q.npy`, `k.npy`, `v.npy` and `data<N>.npy` from `directory`.
/// Float files are rounded to the declared element type; integer operands
/// need integer files whose values fit the declared width.
FailureOr<Bindings> loadBindings(llvm::StringRef directory,
                                 const SpecOperands &spec, Location loc);

/// Writes the inputs (as above; floats as f64, integers as i32 or i64) and
/// the results (`o.npy`, and `lse.npy` when present, both f64) to
/// `directory`, creating it if needed.
LogicalResult dumpRun(llvm::StringRef directory, const SpecOperands &spec,
                      const Bindings &inputs, const Results &results,
                      Location loc);

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_INPUTS_H
