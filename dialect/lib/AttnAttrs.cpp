//===- AttnAttrs.cpp - Mask and score-mod attributes ----------------------===//
//
// Each attribute's element rule is the one docs/systems.md states ("Masks",
// "Neighborhood attention", "Score modifications"); the reference
// interpreter evaluates these rules, so they are the project's definition of
// each variant.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnAttrs.h"
#include "attn/Dialect/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/AttnEnums.cpp.inc"
#include "attn/Dialect/AttnAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/AttnAttrs.cpp.inc"

void AttnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/AttnAttrs.cpp.inc"
      >();
}

static constexpr const char *kMaskNames[] = {
    "causal",       "window",      "sinks",        "prefix_lm",
    "documents",    "s2",          "shifted_groups", "star_anchor",
    "neighborhood", "block_list",  "block_mask",   "and",
    "or"};
static constexpr const char *kScoreModNames[] = {"softcap", "alibi", "bias"};

Attribute AttnDialect::parseAttribute(DialectAsmParser &parser,
                                      Type type) const {
  SMLoc loc = parser.getCurrentLocation();
  StringRef mnemonic;
  Attribute value;
  OptionalParseResult parsed =
      generatedAttributeParser(parser, &mnemonic, type, value);
  if (parsed.has_value())
    return succeeded(*parsed) ? value : Attribute();
  // Unknown name: say which names exist, nearest first.
  StringRef nearest;
  unsigned bestDistance = ~0u;
  auto consider = [&](StringRef name) {
    unsigned distance = mnemonic.edit_distance(name);
    if (distance < bestDistance) {
      bestDistance = distance;
      nearest = name;
    }
  };
  for (const char *name : kMaskNames)
    consider(name);
  for (const char *name : kScoreModNames)
    consider(name);
  InFlightDiagnostic diag = parser.emitError(loc)
                            << "unknown attn attribute '#attn." << mnemonic
                            << "'";
  if (!mnemonic.empty() && bestDistance <= 3)
    diag << " (did you mean '#attn." << nearest << "'?)";
  diag << "; masks: ";
  llvm::interleaveComma(kMaskNames, diag,
                        [&](const char *name) { diag << "#attn." << name; });
  diag << "; score mods: ";
  llvm::interleaveComma(kScoreModNames, diag,
                        [&](const char *name) { diag << "#attn." << name; });
  return Attribute();
}

void AttnDialect::printAttribute(Attribute attr,
                                 DialectAsmPrinter &printer) const {
  (void)generatedAttributePrinter(attr, printer);
}

//===----------------------------------------------------------------------===//
// Custom parameters
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<MaskAttrInterface>>
mlir::attn::parseMaskListParameter(AsmParser &parser) {
  // Attribute parsing recurses once per level; a thread-local depth keeps
  // crafted nesting from exhausting the stack (and from repeating a huge
  // line in one nested diagnostic per level).
  static thread_local unsigned depth = 0;
  if (depth >= kMaxMaskDepth)
    return parser.emitError(parser.getCurrentLocation())
           << "#attn.and / #attn.or nested more than " << kMaxMaskDepth
           << " levels deep";
  ++depth;
  llvm::scope_exit restore([] { --depth; });
  SmallVector<MaskAttrInterface> masks;
  if (parser.parseCommaSeparatedList([&]() -> ParseResult {
        SMLoc loc = parser.getCurrentLocation();
        Attribute attr;
        if (parser.parseAttribute(attr))
          return failure();
        auto mask = dyn_cast<MaskAttrInterface>(attr);
        if (!mask)
          return parser.emitError(loc)
                 << "expected a mask attribute such as #attn.causal, got "
                 << attr;
        masks.push_back(mask);
        return success();
      }))
    return failure();
  return masks;
}

FailureOr<bool> mlir::attn::parseBoolParameter(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected 'true' or 'false'");
}

FailureOr<unsigned> mlir::attn::parseOperandIndexParameter(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t index = 0;
  if (parser.parseInteger(index))
    return failure();
  if (index < 0 || index > std::numeric_limits<unsigned>::max())
    return parser.emitError(loc, "data operand index must be in [0, ")
           << std::numeric_limits<unsigned>::max() << "], got " << index;
  return static_cast<unsigned>(index);
}

FailureOr<APFloat> mlir::attn::parseF64Parameter(AsmParser &parser) {
  // Any number: `#attn.softcap<30>` means 30.0 (MLIR's float parser alone
  // refuses an integer literal with a cryptic message).
  SMLoc loc = parser.getCurrentLocation();
  Attribute number;
  if (parser.parseAttribute(number))
    return failure();
  if (auto real = dyn_cast<FloatAttr>(number))
    return APFloat(real.getValueAsDouble());
  if (auto integer = dyn_cast<IntegerAttr>(number))
    return APFloat(static_cast<double>(integer.getValue().getSExtValue()));
  return parser.emitError(loc) << "expected a number such as 30.0, got "
                               << number;
}

FailureOr<SmallVector<bool>>
mlir::attn::parseBoolListParameter(AsmParser &parser) {
  SmallVector<bool> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                     [&]() -> ParseResult {
        FailureOr<bool> value = parseBoolParameter(parser);
        if (failed(value))
          return failure();
        values.push_back(*value);
        return success();
      }))
    return failure();
  return values;
}

void mlir::attn::printBoolListParameter(AsmPrinter &printer,
                                        ArrayRef<bool> values) {
  printer << '[';
  llvm::interleaveComma(values, printer,
                        [&](bool v) { printer << (v ? "true" : "false"); });
  printer << ']';
}

FailureOr<SmallVector<int64_t>>
mlir::attn::parseI64ListParameter(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                     [&]() -> ParseResult {
                                       return parser.parseInteger(
                                           values.emplace_back());
                                     }))
    return failure();
  return values;
}

void mlir::attn::printI64ListParameter(AsmPrinter &printer,
                                       ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {
/// An expected extent of one dimension of a data operand; kDynamic accepts
/// anything, and `alternative` (if set) is a second accepted extent.
struct ExpectedDim {
  int64_t extent;
  StringRef meaning;
  int64_t alternative = 0;
};
} // namespace

static bool isStatic(int64_t size) { return !ShapedType::isDynamic(size); }

/// Diagnoses a position-like parameter outside [lowest, kMaxPosition].
static LogicalResult
checkPosition(function_ref<InFlightDiagnostic()> emitError, StringRef attr,
              StringRef parameter, int64_t value, int64_t lowest) {
  if (value >= lowest && value <= kMaxPosition)
    return success();
  return emitError() << "'" << attr << "' " << parameter << " must be in ["
                     << lowest << ", " << kMaxPosition
                     << "] (2^30, the longest sequence a target indexes), got "
                     << value;
}

static int64_t ceilDivIfStatic(int64_t size, int64_t divisor) {
  return isStatic(size) ? (size + divisor - 1) / divisor : ShapedType::kDynamic;
}

/// Checks that data operand `index` exists and has the element kind, rank
/// and static extents that `attrName` requires.
static LogicalResult checkDataOperand(Operation *op,
                                      const AttentionShape &shape,
                                      unsigned index, StringRef attrName,
                                      bool wantFloat,
                                      ArrayRef<ExpectedDim> dims) {
  if (index >= shape.dataTypes.size())
    return op->emitOpError() << "'" << attrName << "' reads data operand #"
                             << index << " but the op has "
                             << shape.dataTypes.size() << " data operand(s)";
  RankedTensorType type = shape.dataTypes[index];
  Type elementType = type.getElementType();
  if (wantFloat && !isa<FloatType>(elementType))
    return op->emitOpError()
           << "data operand #" << index << " of '" << attrName
           << "' must have a float element type, got " << elementType;
  if (!wantFloat && !elementType.isSignlessInteger())
    return op->emitOpError()
           << "data operand #" << index << " of '" << attrName
           << "' must have a signless integer element type, got "
           << elementType;
  if (type.getRank() != static_cast<int64_t>(dims.size())) {
    InFlightDiagnostic diag = op->emitOpError()
                              << "data operand #" << index << " of '"
                              << attrName << "' must have rank "
                              << dims.size() << " ([";
    llvm::interleaveComma(dims, diag,
                          [&](const ExpectedDim &d) { diag << d.meaning; });
    return diag << "]), got rank " << type.getRank();
  }
  for (auto [dim, expected] : llvm::enumerate(dims)) {
    int64_t actual = type.getDimSize(dim);
    if (!isStatic(actual) || !isStatic(expected.extent))
      continue;
    if (actual == expected.extent ||
        (expected.alternative && actual == expected.alternative))
      continue;
    return op->emitOpError()
           << "data operand #" << index << " of '" << attrName
           << "': dimension " << dim << " is " << actual << " but must be "
           << expected.extent << " (" << expected.meaning << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Causal, window, sinks
//===----------------------------------------------------------------------===//

bool CausalAttr::keeps(const MaskPoint &p) const { return p.j <= p.i; }

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t left, int64_t right) {
  if (failed(checkPosition(emitError, "#attn.window", "left", left, 1)))
    return failure();
  return checkPosition(emitError, "#attn.window", "right", right, 0);
}
bool WindowAttr::keeps(const MaskPoint &p) const {
  return p.i - p.j < getLeft() && p.j - p.i <= getRight();
}

LogicalResult SinksAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t count) {
  return checkPosition(emitError, "#attn.sinks", "count", count, 1);
}
bool SinksAttr::keeps(const MaskPoint &p) const { return p.j < getCount(); }

//===----------------------------------------------------------------------===//
// Prefix-LM and documents
//===----------------------------------------------------------------------===//

LogicalResult PrefixLMAttr::verifyUse(const AttentionShape &shape,
                                      Operation *op) const {
  return checkDataOperand(op, shape, getOperand(), "#attn.prefix_lm",
                          /*wantFloat=*/false, {{shape.batch, "B"}});
}
bool PrefixLMAttr::keeps(const MaskPoint &p) const {
  return p.j <= p.i || p.j < p.data->readInt(getOperand(), {p.b});
}
void PrefixLMAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  indices.push_back(getOperand());
}

LogicalResult DocumentsAttr::verifyUse(const AttentionShape &shape,
                                       Operation *op) const {
  if (getLayout() == DocumentLayout::Offsets) {
    if (failed(checkDataOperand(op, shape, getOperand(), "#attn.documents",
                                /*wantFloat=*/false,
                                {{ShapedType::kDynamic, "N + 1"}})))
      return failure();
    int64_t count = shape.dataTypes[getOperand()].getDimSize(0);
    if (isStatic(count) && count < 2)
      return op->emitOpError() << "'#attn.documents' offsets operand must "
                                  "hold at least 2 entries, got "
                               << count;
    return success();
  }
  if (isStatic(shape.seqQ) && isStatic(shape.seqKV) &&
      shape.seqQ != shape.seqKV)
    return op->emitOpError()
           << "'#attn.documents' with layout ids needs Sq == Skv, got Sq = "
           << shape.seqQ << " and Skv = " << shape.seqKV;
  int64_t seq = isStatic(shape.seqQ) ? shape.seqQ : shape.seqKV;
  return checkDataOperand(op, shape, getOperand(), "#attn.documents",
                          /*wantFloat=*/false,
                          {{shape.batch, "B"}, {seq, "S"}});
}

/// The document holding token `x` under the offsets layout: the last d with
/// offsets[d] <= x.
static int64_t documentOfOffset(const DataOperandReader &data, unsigned operand,
                                int64_t x) {
  int64_t lo = 0, hi = data.dimSize(operand, 0) - 1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (data.readInt(operand, {mid}) <= x)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

bool DocumentsAttr::keeps(const MaskPoint &p) const {
  if (getCausal() && p.j > p.i)
    return false;
  if (getLayout() == DocumentLayout::Offsets)
    return documentOfOffset(*p.data, getOperand(), p.i) ==
           documentOfOffset(*p.data, getOperand(), p.j);
  return p.data->readInt(getOperand(), {p.b, p.i}) ==
         p.data->readInt(getOperand(), {p.b, p.j});
}
void DocumentsAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  indices.push_back(getOperand());
}

//===----------------------------------------------------------------------===//
// S2-Attention, LongLoRA shifted groups, Star Attention
//===----------------------------------------------------------------------===//

LogicalResult S2Attr::verify(function_ref<InFlightDiagnostic()> emitError,
                             int64_t block, int64_t local, int64_t stride,
                             int64_t offset, int64_t denseHeads, bool) {
  if (failed(checkPosition(emitError, "#attn.s2", "block", block, 1)) ||
      failed(checkPosition(emitError, "#attn.s2", "local", local, 0)) ||
      failed(checkPosition(emitError, "#attn.s2", "stride", stride, 1)) ||
      failed(checkPosition(emitError, "#attn.s2", "offset", offset, 0)))
    return failure();
  if (denseHeads < 0)
    return emitError() << "'#attn.s2' dense_heads must be >= 0, got "
                       << denseHeads;
  return success();
}
LogicalResult S2Attr::verifyUse(const AttentionShape &shape,
                                Operation *op) const {
  if (getDenseHeads() > shape.kvHeads)
    return op->emitOpError() << "'#attn.s2' dense_heads = " << getDenseHeads()
                             << " exceeds the " << shape.kvHeads
                             << " KV heads";
  return success();
}
bool S2Attr::keeps(const MaskPoint &p) const {
  if (p.j > p.i)
    return false;
  int64_t kvHead = getHomoHead() ? 0 : p.kvHead();
  if (kvHead >= p.kvHeads - getDenseHeads())
    return true;
  int64_t blockI = p.i / getBlock(), blockJ = p.j / getBlock();
  if (blockI - blockJ < getLocal())
    return true;
  int64_t sigma = std::max<int64_t>(1, getStride() / p.queryHeads);
  return (blockJ + kvHead * sigma + getOffset()) % getStride() == 0;
}

LogicalResult
ShiftedGroupsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t group) {
  if (group < 2 || group % 2 != 0)
    return emitError()
           << "'#attn.shifted_groups' group must be even and >= 2, got "
           << group;
  return checkPosition(emitError, "#attn.shifted_groups", "group", group, 2);
}
bool ShiftedGroupsAttr::keeps(const MaskPoint &p) const {
  if (p.j > p.i)
    return false;
  int64_t shift = p.h < p.queryHeads / 2 ? 0 : getGroup() / 2;
  return (p.i + shift) / getGroup() == (p.j + shift) / getGroup();
}

LogicalResult StarAnchorAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     int64_t block) {
  return checkPosition(emitError, "#attn.star_anchor", "block", block, 1);
}
bool StarAnchorAttr::keeps(const MaskPoint &p) const {
  int64_t blockI = p.i / getBlock(), blockJ = p.j / getBlock();
  return (blockJ == blockI && p.j <= p.i) || blockJ == 0;
}

//===----------------------------------------------------------------------===//
// Neighborhood attention
//===----------------------------------------------------------------------===//

int64_t NeighborhoodAttr::getDilationAt(unsigned dim) const {
  return getDilation().empty() ? 1 : getDilation()[dim];
}
int64_t NeighborhoodAttr::getStrideAt(unsigned dim) const {
  return getStride().empty() ? 1 : getStride()[dim];
}
bool NeighborhoodAttr::getCausalAt(unsigned dim) const {
  return getCausal().empty() ? false : getCausal()[dim];
}

LogicalResult
NeighborhoodAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         ArrayRef<int64_t> grid, ArrayRef<int64_t> kernel,
                         ArrayRef<int64_t> dilation, ArrayRef<int64_t> stride,
                         ArrayRef<bool> causal) {
  size_t rank = grid.size();
  if (rank == 0)
    return emitError() << "'#attn.neighborhood' grid must have at least one "
                          "dimension";
  auto checkLength = [&](size_t size, StringRef name) -> LogicalResult {
    if (size != rank)
      return emitError() << "'#attn.neighborhood' " << name << " has "
                         << size << " entries but the grid has " << rank
                         << " dimensions";
    return success();
  };
  if (failed(checkLength(kernel.size(), "kernel")) ||
      (!dilation.empty() && failed(checkLength(dilation.size(), "dilation"))) ||
      (!stride.empty() && failed(checkLength(stride.size(), "stride"))) ||
      (!causal.empty() && failed(checkLength(causal.size(), "causal"))))
    return failure();
  for (size_t dim = 0; dim < rank; ++dim) {
    int64_t d = dilation.empty() ? 1 : dilation[dim];
    int64_t s = stride.empty() ? 1 : stride[dim];
    if (grid[dim] < 1)
      return emitError() << "'#attn.neighborhood' grid dimension " << dim
                         << " must be >= 1, got " << grid[dim];
    if (kernel[dim] < 1)
      return emitError() << "'#attn.neighborhood' kernel in dimension " << dim
                         << " must be >= 1, got " << kernel[dim];
    if (d < 1)
      return emitError() << "'#attn.neighborhood' dilation in dimension "
                         << dim << " must be >= 1, got " << d;
    if (s < 1)
      return emitError() << "'#attn.neighborhood' stride in dimension " << dim
                         << " must be >= 1, got " << s;
    if (s > kernel[dim])
      return emitError() << "'#attn.neighborhood' stride " << s
                         << " exceeds the kernel " << kernel[dim]
                         << " in dimension " << dim;
    // kernel * d > grid, without overflowing.
    if (kernel[dim] > grid[dim] / d)
      return emitError() << "'#attn.neighborhood' kernel " << kernel[dim]
                         << " (dilation " << d << ") does not fit grid dimension "
                         << dim << " of size " << grid[dim];
  }
  int64_t volume = 1;
  for (int64_t extent : grid)
    if (llvm::MulOverflow(volume, extent, volume) || volume > kMaxPosition)
      return emitError() << "'#attn.neighborhood' grid volume must be at most "
                         << kMaxPosition
                         << " (2^30, the longest sequence a target indexes)";
  return success();
}

LogicalResult NeighborhoodAttr::verifyUse(const AttentionShape &shape,
                                          Operation *op) const {
  int64_t volume = 1;
  for (int64_t extent : getGrid())
    volume *= extent;
  if (isStatic(shape.seqQ) && shape.seqQ != volume)
    return op->emitOpError() << "'#attn.neighborhood' grid volume " << volume
                             << " does not equal the query sequence length "
                             << shape.seqQ;
  if (isStatic(shape.seqKV) && shape.seqKV != volume)
    return op->emitOpError() << "'#attn.neighborhood' grid volume " << volume
                             << " does not equal the key sequence length "
                             << shape.seqKV;
  return success();
}

/// The per-dimension rule of docs/systems.md, "Neighborhood attention".
static bool neighborhoodKeeps1D(int64_t xq, int64_t xk, int64_t n, int64_t k,
                                int64_t s, int64_t d, bool causal) {
  if (xq % d != xk % d)
    return false;
  int64_t uq = xq / d, uk = xk / d;
  int64_t groupLength = n / d + ((xq % d) < (n % d) ? 1 : 0);
  if (causal) {
    int64_t lead = std::min((uq / s) * s + s - 1, groupLength - 1);
    return uk <= uq && lead - uk < k;
  }
  int64_t left = k / 2, right = k / 2 + (k % 2) - 1;
  int64_t lead = std::min((uq / s) * s + s / 2, groupLength - 1);
  int64_t centre = std::clamp(lead, left, groupLength - 1 - right);
  return (centre - uk >= 0 && centre - uk <= left) ||
         (uk - centre >= 0 && uk - centre <= right);
}

bool NeighborhoodAttr::keeps(const MaskPoint &p) const {
  ArrayRef<int64_t> grid = getGrid();
  int64_t restQ = p.i, restK = p.j;
  for (int dim = static_cast<int>(grid.size()) - 1; dim >= 0; --dim) {
    int64_t xq = restQ % grid[dim], xk = restK % grid[dim];
    restQ /= grid[dim];
    restK /= grid[dim];
    if (!neighborhoodKeeps1D(xq, xk, grid[dim], getKernel()[dim],
                             getStrideAt(dim), getDilationAt(dim),
                             getCausalAt(dim)))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Block lists and block masks
//===----------------------------------------------------------------------===//

static LogicalResult verifyBlockSizes(function_ref<InFlightDiagnostic()> emitError,
                                      StringRef name, int64_t blockQ,
                                      int64_t blockKV) {
  if (failed(checkPosition(emitError, name, "block_q", blockQ, 1)))
    return failure();
  return checkPosition(emitError, name, "block_kv", blockKV, 1);
}

LogicalResult BlockListAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    unsigned, int64_t blockQ, int64_t blockKV) {
  return verifyBlockSizes(emitError, "#attn.block_list", blockQ, blockKV);
}
LogicalResult BlockListAttr::verifyUse(const AttentionShape &shape,
                                       Operation *op) const {
  return checkDataOperand(
      op, shape, getOperand(), "#attn.block_list", /*wantFloat=*/false,
      {{shape.batch, "B"},
       {shape.queryHeads, "Hq"},
       {ceilDivIfStatic(shape.seqQ, getBlockQ()), "ceil(Sq / block_q)"},
       {ShapedType::kDynamic, "K"}});
}
bool BlockListAttr::keeps(const MaskPoint &p) const {
  int64_t listed = p.data->dimSize(getOperand(), 3);
  int64_t queryBlock = p.i / getBlockQ(), keyBlock = p.j / getBlockKv();
  for (int64_t slot = 0; slot < listed; ++slot)
    if (p.data->readInt(getOperand(), {p.b, p.h, queryBlock, slot}) == keyBlock)
      return true;
  return false;
}
void BlockListAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  indices.push_back(getOperand());
}

LogicalResult BlockMaskAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    unsigned, int64_t blockQ, int64_t blockKV) {
  return verifyBlockSizes(emitError, "#attn.block_mask", blockQ, blockKV);
}
LogicalResult BlockMaskAttr::verifyUse(const AttentionShape &shape,
                                       Operation *op) const {
  return checkDataOperand(
      op, shape, getOperand(), "#attn.block_mask", /*wantFloat=*/false,
      {{shape.batch, "B"},
       {shape.queryHeads, "Hq"},
       {ceilDivIfStatic(shape.seqQ, getBlockQ()), "ceil(Sq / block_q)"},
       {ceilDivIfStatic(shape.seqKV, getBlockKv()), "ceil(Skv / block_kv)"}});
}
bool BlockMaskAttr::keeps(const MaskPoint &p) const {
  return p.data->readInt(getOperand(), {p.b, p.h, p.i / getBlockQ(),
                                        p.j / getBlockKv()}) != 0;
}
void BlockMaskAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  indices.push_back(getOperand());
}

//===----------------------------------------------------------------------===//
// Combinators
//===----------------------------------------------------------------------===//

static LogicalResult verifyCombinator(function_ref<InFlightDiagnostic()> emitError,
                                      StringRef name,
                                      ArrayRef<MaskAttrInterface> masks) {
  if (masks.size() < 2)
    return emitError() << "'" << name << "' needs at least 2 masks, got "
                       << masks.size();
  return success();
}

static LogicalResult verifyCombinatorUse(ArrayRef<MaskAttrInterface> masks,
                                         const AttentionShape &shape,
                                         Operation *op) {
  for (MaskAttrInterface mask : masks)
    if (failed(mask.verifyUse(shape, op)))
      return failure();
  return success();
}

static void collectCombinatorOperands(ArrayRef<MaskAttrInterface> masks,
                                      SmallVectorImpl<unsigned> &indices) {
  for (MaskAttrInterface mask : masks)
    mask.collectDataOperands(indices);
}

LogicalResult AndAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<MaskAttrInterface> masks) {
  return verifyCombinator(emitError, "#attn.and", masks);
}
LogicalResult AndAttr::verifyUse(const AttentionShape &shape,
                                 Operation *op) const {
  return verifyCombinatorUse(getMasks(), shape, op);
}
bool AndAttr::keeps(const MaskPoint &p) const {
  return llvm::all_of(getMasks(),
                      [&](MaskAttrInterface mask) { return mask.keeps(p); });
}
void AndAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  collectCombinatorOperands(getMasks(), indices);
}

LogicalResult OrAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             ArrayRef<MaskAttrInterface> masks) {
  return verifyCombinator(emitError, "#attn.or", masks);
}
LogicalResult OrAttr::verifyUse(const AttentionShape &shape,
                                Operation *op) const {
  return verifyCombinatorUse(getMasks(), shape, op);
}
bool OrAttr::keeps(const MaskPoint &p) const {
  return llvm::any_of(getMasks(),
                      [&](MaskAttrInterface mask) { return mask.keeps(p); });
}
void OrAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  collectCombinatorOperands(getMasks(), indices);
}

//===----------------------------------------------------------------------===//
// Score modifications
//===----------------------------------------------------------------------===//

LogicalResult SoftcapAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  APFloat capValue) {
  double cap = capValue.convertToDouble();
  if (!(cap > 0.0) || !std::isfinite(cap))
    return emitError() << "'#attn.softcap' cap must be positive and finite, got "
                       << cap;
  return success();
}
double SoftcapAttr::apply(double score, const MaskPoint &) const {
  double cap = getCap().convertToDouble();
  return cap * std::tanh(score / cap);
}
bool SoftcapAttr::isMonotone() const { return true; }

LogicalResult AlibiAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat maxBiasValue) {
  double maxBias = maxBiasValue.convertToDouble();
  if (!(maxBias > 0.0) || !std::isfinite(maxBias))
    return emitError()
           << "'#attn.alibi' max_bias must be positive and finite, got "
           << maxBias;
  return success();
}
double AlibiAttr::apply(double score, const MaskPoint &p) const {
  double slope = std::exp2(-getMaxBias().convertToDouble() * static_cast<double>(p.h + 1) /
                           static_cast<double>(p.queryHeads));
  return score - slope * static_cast<double>(p.i - p.j);
}
bool AlibiAttr::isMonotone() const { return true; }

LogicalResult BiasAttr::verifyUse(const AttentionShape &shape,
                                  Operation *op) const {
  return checkDataOperand(op, shape, getOperand(), "#attn.bias",
                          /*wantFloat=*/true,
                          {{shape.batch, "B or 1", 1},
                           {shape.queryHeads, "Hq or 1", 1},
                           {shape.seqQ, "Sq"},
                           {shape.seqKV, "Skv"}});
}
double BiasAttr::apply(double score, const MaskPoint &p) const {
  int64_t b = p.data->dimSize(getOperand(), 0) == 1 ? 0 : p.b;
  int64_t h = p.data->dimSize(getOperand(), 1) == 1 ? 0 : p.h;
  return score + p.data->readFloat(getOperand(), {b, h, p.i, p.j});
}
bool BiasAttr::isMonotone() const { return true; }
void BiasAttr::collectDataOperands(SmallVectorImpl<unsigned> &indices) const {
  indices.push_back(getOperand());
}
