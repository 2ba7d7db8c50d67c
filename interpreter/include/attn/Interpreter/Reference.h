//===- Reference.h - float64 reference interpreter --------------*- C++ -*-===//
//
// Executes attn.attention (and, through CascadeEvaluator.h, the cascades the
// decomposition passes produce) on the CPU in float64 for concrete sizes.
// Every level of the compiler is checked against these results.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_INTERPRETER_REFERENCE_H
#define ATTN_INTERPRETER_REFERENCE_H

#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/MaskSemantics.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/LogicalResult.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn::interpreter {

struct Tensor64 { llvm::SmallVector<int64_t> shape; std::vector<double> values; /* row-major */ };
struct Bindings { Tensor64 query, key, value; std::vector<Tensor64> data; };   // data operands, ints stored as doubles
struct Results { Tensor64 output; std::optional<Tensor64> lse; };

/// Evaluates `op` on `inputs` exactly as docs/systems.md defines attention,
/// in float64. Bindings that do not fit the op's types (ranks, static sizes,
/// inconsistent dynamic sizes, data operands the mask cannot read at these
/// sizes) are diagnosed on the op and yield failure. The LSE is returned
/// whether or not the op has an LSE result: it costs nothing and tells which
/// rows kept no key.
llvm::FailureOr<Results> evaluateAttention(AttentionOp op, const Bindings &inputs);

/// The checks evaluateAttention makes before computing anything: bindings
/// against the op's types, data operands against their rules at the bound
/// sizes, and data contents (offsets must not decrease). Cheap; attn-run
/// runs them before launching a kernel on data from files.
LogicalResult checkInputs(AttentionOp op, const Bindings &inputs);

// The helpers below are inline so that the region and cascade evaluators
// can use them too.

/// Number of elements of a tensor with this shape (1 for rank 0).
inline int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

/// Row-major position of `indices` in a tensor of `shape`, or std::nullopt
/// when the rank differs or an index is out of bounds.
inline std::optional<int64_t> flatIndex(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> indices) {
  if (indices.size() != shape.size())
    return std::nullopt;
  int64_t position = 0;
  for (auto [index, extent] : llvm::zip_equal(indices, shape)) {
    if (index < 0 || index >= extent)
      return std::nullopt;
    position = position * extent + index;
  }
  return position;
}

/// Renders a shape as "[2, 16, 64, 128]".
inline std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [position, extent] : llvm::enumerate(shape)) {
    if (position)
      text += ", ";
    text += std::to_string(extent);
  }
  return text + "]";
}

/// Lets the mask and score-mod element rules read bound data operands.
/// An out-of-bounds read returns 0 and is remembered, so that the caller can
/// fail after the evaluation instead of reading past a buffer.
class BindingsDataReader final : public DataOperandReader {
public:
  explicit BindingsDataReader(llvm::ArrayRef<Tensor64> data) : data(data) {}

  int64_t dimSize(unsigned operand, unsigned dim) const override {
    if (operand >= data.size() || dim >= data[operand].shape.size()) {
      recordBadAccess("dimension " + std::to_string(dim) + " of data operand #" +
                      std::to_string(operand));
      return 0;
    }
    return data[operand].shape[dim];
  }
  int64_t readInt(unsigned operand,
                  llvm::ArrayRef<int64_t> indices) const override {
    return static_cast<int64_t>(read(operand, indices));
  }
  double readFloat(unsigned operand,
                   llvm::ArrayRef<int64_t> indices) const override {
    return read(operand, indices);
  }

  /// Describes the first out-of-bounds access, if any happened.
  const std::optional<std::string> &firstBadAccess() const { return badAccess; }

private:
  double read(unsigned operand, llvm::ArrayRef<int64_t> indices) const {
    std::optional<int64_t> position;
    if (operand < data.size())
      position = flatIndex(data[operand].shape, indices);
    if (!position) {
      recordBadAccess("element " + formatShape(indices) + " of data operand #" +
                      std::to_string(operand) +
                      (operand < data.size()
                           ? " (shape " + formatShape(data[operand].shape) + ")"
                           : std::string(" (not bound)")));
      return 0.0;
    }
    return data[operand].values[*position];
  }
  void recordBadAccess(std::string what) const {
    if (!badAccess)
      badAccess = "out-of-bounds read of " + std::move(what);
  }

  llvm::ArrayRef<Tensor64> data;
  mutable std::optional<std::string> badAccess;
};

} // namespace mlir::attn::interpreter

#endif // ATTN_INTERPRETER_REFERENCE_H
