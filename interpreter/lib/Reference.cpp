//===- Reference.cpp - float64 evaluation of attn.attention ---------------===//
//
// A direct transcription of docs/systems.md's definition ("Attention"): one
// query row at a time, scores in float64, softmax with max-subtraction over
// the kept keys.
// Speed is irrelevant here; being obviously right is the point.
//
//===----------------------------------------------------------------------===//
#include "attn/Interpreter/Reference.h"
#include "attn/Interpreter/RegionEvaluator.h"

#include "mlir/IR/Diagnostics.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

namespace {
/// The concrete sizes of one call, read off the bindings.
struct CallSizes {
  int64_t batch, queryHeads, kvHeads, seqQ, seqKV, headDimQK, headDimV;
};
} // namespace

/// Checks one bound tensor against the declared type: rank, element count
/// and every static extent.
static LogicalResult checkBinding(AttentionOp op, StringRef name,
                                  const Tensor64 &tensor,
                                  RankedTensorType type) {
  if (static_cast<int64_t>(tensor.shape.size()) != type.getRank())
    return op.emitError() << "reference: " << name << " is bound to a tensor of "
                          << "shape " << formatShape(tensor.shape)
                          << " but its type " << type << " has rank "
                          << type.getRank();
  for (auto [dim, extent] : llvm::enumerate(tensor.shape)) {
    if (extent < 0)
      return op.emitError() << "reference: " << name << " is bound to shape "
                            << formatShape(tensor.shape)
                            << " with a negative extent";
    if (!type.isDynamicDim(dim) && type.getDimSize(dim) != extent)
      return op.emitError() << "reference: " << name << " is bound to shape "
                            << formatShape(tensor.shape)
                            << " but dimension " << dim << " of its type "
                            << type << " is " << type.getDimSize(dim);
  }
  if (static_cast<int64_t>(tensor.values.size()) != numElements(tensor.shape))
    return op.emitError() << "reference: " << name << " has shape "
                          << formatShape(tensor.shape) << " ("
                          << numElements(tensor.shape) << " elements) but "
                          << tensor.values.size() << " values";
  return success();
}

/// Diagnoses two bindings that disagree on a size the op ties together.
static LogicalResult checkSameExtent(AttentionOp op, StringRef what,
                                     StringRef aName, int64_t a,
                                     StringRef bName, int64_t b) {
  if (a == b)
    return success();
  return op.emitError() << "reference: inconsistent " << what << ": " << aName
                        << " is bound with " << a << " but " << bName
                        << " with " << b;
}

static LogicalResult checkFinite(AttentionOp op, StringRef name,
                                 const Tensor64 &tensor) {
  for (auto [position, value] : llvm::enumerate(tensor.values))
    if (!std::isfinite(value))
      return op.emitError() << "reference: " << name << " holds a non-finite "
                            << "value (" << value << ") at flat position "
                            << position;
  return success();
}

static FailureOr<CallSizes> checkBindings(AttentionOp op,
                                          const Bindings &inputs) {
  auto typeOf = [](Value value) {
    return cast<RankedTensorType>(value.getType());
  };
  if (failed(checkBinding(op, "query", inputs.query, typeOf(op.getQuery()))) ||
      failed(checkBinding(op, "key", inputs.key, typeOf(op.getKey()))) ||
      failed(checkBinding(op, "value", inputs.value, typeOf(op.getValue()))))
    return failure();
  if (inputs.data.size() != op.getData().size())
    return op.emitError() << "reference: the op has " << op.getData().size()
                          << " data operand(s) but " << inputs.data.size()
                          << " are bound";
  for (auto [index, data] : llvm::enumerate(op.getData()))
    if (failed(checkBinding(op, "data operand #" + std::to_string(index),
                            inputs.data[index], typeOf(data))))
      return failure();

  ArrayRef<int64_t> q = inputs.query.shape, k = inputs.key.shape,
                    v = inputs.value.shape;
  if (failed(checkSameExtent(op, "batch size", "query", q[0], "key", k[0])) ||
      failed(checkSameExtent(op, "batch size", "key", k[0], "value", v[0])) ||
      failed(checkSameExtent(op, "key sequence length", "key", k[2], "value",
                             v[2])) ||
      failed(checkSameExtent(op, "head dimension E", "query", q[3], "key",
                             k[3])))
    return failure();
  if (failed(checkFinite(op, "query", inputs.query)) ||
      failed(checkFinite(op, "key", inputs.key)) ||
      failed(checkFinite(op, "value", inputs.value)))
    return failure();
  // Heads are static (the verifier insists), so GQA divisibility holds.
  return CallSizes{q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
}

/// Runs the mask and score-mod use checks again at the bound sizes, so that
/// a data operand too small for the mask is diagnosed instead of read past.
static LogicalResult checkRulesAtSizes(AttentionOp op, const CallSizes &sizes,
                                       const Bindings &inputs) {
  AttentionShape shape;
  shape.batch = sizes.batch;
  shape.queryHeads = sizes.queryHeads;
  shape.kvHeads = sizes.kvHeads;
  shape.seqQ = sizes.seqQ;
  shape.seqKV = sizes.seqKV;
  shape.headDimQK = sizes.headDimQK;
  shape.headDimV = sizes.headDimV;
  for (auto [data, bound] : llvm::zip_equal(op.getData(), inputs.data))
    shape.dataTypes.push_back(RankedTensorType::get(
        bound.shape, cast<RankedTensorType>(data.getType()).getElementType()));

  // Name the data operands only when the rule that failed reads some.
  auto explain = [&](LogicalResult result, auto rule, StringRef what) {
    if (succeeded(result))
      return result;
    SmallVector<unsigned> read;
    rule.collectDataOperands(read);
    InFlightDiagnostic remark = op.emitRemark() << "reference: ";
    if (read.empty())
      remark << "the " << what << " does not fit";
    else
      remark << "the data operands do not fit the " << what;
    remark << " at the bound sizes B = " << sizes.batch
           << ", Sq = " << sizes.seqQ << ", Skv = " << sizes.seqKV;
    return result;
  };
  if (MaskAttrInterface mask = op.getMaskRule())
    if (failed(explain(mask.verifyUse(shape, op), mask, "mask")))
      return failure();
  for (ScoreModAttrInterface mod : op.getScoreMods())
    if (failed(explain(mod.verifyUse(shape, op), mod, "score mod")))
      return failure();
  return success();
}

/// Checks the contents of data operands whose rule needs an invariant:
/// document offsets must not decrease (the kernels' binary search assumes
/// it, and unsorted offsets have no document structure).
static LogicalResult checkDataContents(AttentionOp op, MaskAttrInterface mask,
                                       const Bindings &inputs) {
  if (!mask)
    return success();
  if (auto documents = dyn_cast<DocumentsAttr>(mask)) {
    if (documents.getLayout() != DocumentLayout::Offsets ||
        documents.getOperand() >= inputs.data.size())
      return success();
    const Tensor64 &offsets = inputs.data[documents.getOperand()];
    for (size_t x = 1; x < offsets.values.size(); ++x)
      if (offsets.values[x] < offsets.values[x - 1])
        return op.emitError()
               << "reference: '#attn.documents' offsets (data operand #"
               << documents.getOperand() << ") must not decrease, but entry "
               << x << " is " << static_cast<int64_t>(offsets.values[x])
               << " after " << static_cast<int64_t>(offsets.values[x - 1]);
    return success();
  }
  ArrayRef<MaskAttrInterface> operands;
  if (auto all = dyn_cast<AndAttr>(mask))
    operands = all.getMasks();
  else if (auto any = dyn_cast<OrAttr>(mask))
    operands = any.getMasks();
  for (MaskAttrInterface operand : operands)
    if (failed(checkDataContents(op, operand, inputs)))
      return failure();
  return success();
}

/// Kernels hold scores in f32 and scale them by log2(e) before exp2, so a
/// score beyond 2^127 in magnitude overflows in every compiled kernel: the
/// reference reports it instead of computing a softmax no kernel can.
static LogicalResult checkKernelScore(AttentionOp op, double score,
                                      StringRef what, int64_t b, int64_t h,
                                      int64_t i, int64_t j) {
  constexpr double kMaxKernelScore = 0x1p127;
  if (!(std::fabs(score) > kMaxKernelScore))
    return success();
  return op.emitError() << "reference: the " << what << " at (b, h, i, j) = ("
                        << b << ", " << h << ", " << i << ", " << j
                        << ") is " << score
                        << ", beyond +-2^127 where kernels computing scores "
                           "in f32 overflow (lower the scale or the inputs)";
}

LogicalResult mlir::attn::interpreter::checkInputs(AttentionOp op,
                                                  const Bindings &inputs) {
  FailureOr<CallSizes> checked = checkBindings(op, inputs);
  return success(succeeded(checked) &&
                 succeeded(checkRulesAtSizes(op, *checked, inputs)) &&
                 succeeded(checkDataContents(op, op.getMaskRule(), inputs)));
}

FailureOr<Results> mlir::attn::interpreter::evaluateAttention(
    AttentionOp op, const Bindings &inputs) {
  FailureOr<CallSizes> checked = checkBindings(op, inputs);
  if (failed(checked) || failed(checkRulesAtSizes(op, *checked, inputs)) ||
      failed(checkDataContents(op, op.getMaskRule(), inputs)))
    return failure();
  const CallSizes &sizes = *checked;

  const double scale = op.getEffectiveScale();
  const double negativeInfinity = -std::numeric_limits<double>::infinity();
  MaskAttrInterface mask = op.getMaskRule();
  SmallVector<ScoreModAttrInterface> scoreMods = op.getScoreMods();
  Region &maskRegion = op.getMaskRegion();
  Region &scoreRegion = op.getScoreRegion();
  BindingsDataReader reader(inputs.data);

  Results results;
  results.output.shape = {sizes.batch, sizes.queryHeads, sizes.seqQ,
                          sizes.headDimV};
  results.output.values.assign(numElements(results.output.shape), 0.0);
  Tensor64 lse;
  lse.shape = {sizes.batch, sizes.queryHeads, sizes.seqQ};
  lse.values.assign(numElements(lse.shape), negativeInfinity);

  const int64_t groupSize = sizes.queryHeads / sizes.kvHeads;
  const int64_t e = sizes.headDimQK, f = sizes.headDimV;
  // Scores of the current row; -inf marks a masked key.
  std::vector<double> scores(sizes.seqKV);

  MaskPoint point;
  point.batch = sizes.batch;
  point.queryHeads = sizes.queryHeads;
  point.kvHeads = sizes.kvHeads;
  point.seqQ = sizes.seqQ;
  point.seqKV = sizes.seqKV;
  point.data = &reader;

  for (int64_t b = 0; b < sizes.batch; ++b) {
    for (int64_t h = 0; h < sizes.queryHeads; ++h) {
      const int64_t g = h / groupSize;
      const double *keyHead =
          inputs.key.values.data() + (b * sizes.kvHeads + g) * sizes.seqKV * e;
      const double *valueHead = inputs.value.values.data() +
                                (b * sizes.kvHeads + g) * sizes.seqKV * f;
      for (int64_t i = 0; i < sizes.seqQ; ++i) {
        const int64_t row = (b * sizes.queryHeads + h) * sizes.seqQ + i;
        const double *query = inputs.query.values.data() + row * e;
        point.b = b;
        point.h = h;
        point.i = i;
        double rowMax = negativeInfinity;
        for (int64_t j = 0; j < sizes.seqKV; ++j) {
          scores[j] = negativeInfinity;
          point.j = j;
          if (mask && !mask.keeps(point))
            continue;
          if (!maskRegion.empty()) {
            FailureOr<bool> keep = evaluateMaskRegion(
                maskRegion, b, h, i, j, inputs, op.getData());
            if (failed(keep))
              return failure();
            if (!*keep)
              continue;
          }
          double score = 0.0;
          const double *key = keyHead + j * e;
          for (int64_t x = 0; x < e; ++x)
            score += query[x] * key[x];
          score *= scale;
          if (failed(checkKernelScore(op, score, "score", b, h, i, j)))
            return failure();
          for (ScoreModAttrInterface mod : scoreMods)
            score = mod.apply(score, point);
          if (!scoreRegion.empty()) {
            FailureOr<double> modified = evaluateScoreRegion(
                scoreRegion, score, b, h, i, j, inputs, op.getData());
            if (failed(modified))
              return failure();
            score = *modified;
          }
          // -inf is a legitimate way for a score mod to drop a key; NaN and
          // +inf have no softmax.
          if (std::isnan(score) || (std::isinf(score) && score > 0))
            return op.emitError()
                   << "reference: the modified score at (b, h, i, j) = (" << b
                   << ", " << h << ", " << i << ", " << j << ") is "
                   << (std::isnan(score) ? "NaN" : "+inf");
          if (score != negativeInfinity &&
              failed(checkKernelScore(op, score, "modified score", b, h, i, j)))
            return failure();
          scores[j] = score;
          rowMax = std::max(rowMax, score);
        }
        if (rowMax == negativeInfinity)
          continue; // No key kept: O stays 0 and LSE -inf.

        double *output = results.output.values.data() + row * f;
        double sum = 0.0;
        for (int64_t j = 0; j < sizes.seqKV; ++j) {
          if (scores[j] == negativeInfinity)
            continue;
          const double weight = std::exp(scores[j] - rowMax);
          sum += weight;
          const double *value = valueHead + j * f;
          for (int64_t y = 0; y < f; ++y)
            output[y] += weight * value[y];
        }
        for (int64_t y = 0; y < f; ++y)
          output[y] /= sum;
        lse.values[row] = rowMax + std::log(sum);
      }
    }
  }
  if (reader.firstBadAccess())
    return op.emitError() << "reference: " << *reader.firstBadAccess();
  results.lse = std::move(lse);
  return results;
}
