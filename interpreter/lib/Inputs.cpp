//===- Inputs.cpp - Sizes and inputs for reference runs -------------------===//
#include "attn/Interpreter/Inputs.h"

#include "attn/Interpreter/Npy.h"
// The seeded random numbers are shared with attn-run.
#include "attn/Support/SeededRandom.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::interpreter;

SpecOperands SpecOperands::of(AttentionOp op) {
  SpecOperands spec;
  spec.query = cast<RankedTensorType>(op.getQuery().getType());
  spec.key = cast<RankedTensorType>(op.getKey().getType());
  spec.value = cast<RankedTensorType>(op.getValue().getType());
  for (Value data : op.getData())
    spec.data.push_back(cast<RankedTensorType>(data.getType()));
  if (MaskAttrInterface mask = op.getMaskRule())
    spec.masks.push_back(mask);
  spec.scoreMods = op.getScoreMods();
  return spec;
}

SpecOperands SpecOperands::of(CascadeOp op) {
  SpecOperands spec;
  auto inputType = [&](unsigned position) {
    return cast<RankedTensorType>(op.getInputs()[position].getType());
  };
  spec.query = inputType(0);
  spec.key = inputType(1);
  spec.value = inputType(2);
  for (Value data : op.getData())
    spec.data.push_back(cast<RankedTensorType>(data.getType()));
  llvm::SetVector<MaskAttrInterface> masks;
  llvm::SetVector<ScoreModAttrInterface> scoreMods;
  AttrTypeWalker walker;
  walker.addWalk([&](Attribute attr) {
    if (auto mask = dyn_cast<MaskAttrInterface>(attr)) {
      masks.insert(mask);
      return WalkResult::skip();
    }
    if (auto mod = dyn_cast<ScoreModAttrInterface>(attr)) {
      scoreMods.insert(mod);
      return WalkResult::skip();
    }
    return WalkResult::advance();
  });
  op.getBody().walk([&](EinsumOp einsum) {
    walker.walk<WalkOrder::PreOrder>(einsum.getMap());
  });
  spec.masks = masks.takeVector();
  spec.scoreMods = scoreMods.takeVector();
  return spec;
}

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

/// Resolves one size from its declared extent (possibly dynamic), the
/// request, and a fallback for a dynamic extent the request leaves unset.
static FailureOr<int64_t> resolveSize(Location loc, StringRef meaning,
                                      StringRef flag, int64_t declared,
                                      std::optional<int64_t> requested,
                                      std::optional<int64_t> fallback) {
  if (requested && *requested < 1)
    return emitError(loc) << "--" << flag << " must be >= 1, got "
                          << *requested;
  if (!ShapedType::isDynamic(declared)) {
    if (requested && *requested != declared)
      return emitError(loc) << "--" << flag << "=" << *requested
                            << " conflicts with the static " << meaning << " "
                            << declared << " of the spec (omit --" << flag
                            << " or pass " << declared << ")";
    return declared;
  }
  if (requested)
    return *requested;
  if (fallback)
    return *fallback;
  return emitError(loc) << "the " << meaning
                        << " is dynamic in the spec; pass --" << flag;
}

/// The first static extent among `extents`, else kDynamic.
static int64_t firstStatic(std::initializer_list<int64_t> extents) {
  for (int64_t extent : extents)
    if (!ShapedType::isDynamic(extent))
      return extent;
  return ShapedType::kDynamic;
}

/// Rejects sizes whose float64 evaluation would need too much memory or time.
static LogicalResult checkLimits(const ProblemSizes &sizes, Location loc) {
  auto product = [](std::initializer_list<int64_t> factors)
      -> std::optional<int64_t> {
    int64_t result = 1;
    for (int64_t factor : factors)
      if (llvm::MulOverflow(result, factor, result))
        return std::nullopt;
    return result;
  };
  std::optional<int64_t> scores = product(
      {sizes.batch, sizes.queryHeads, sizes.seqQ, sizes.seqKV});
  if (!scores || *scores > kMaxScores)
    return emitError(loc) << "B * Hq * Sq * Skv = " << sizes.batch << " * "
                          << sizes.queryHeads << " * " << sizes.seqQ << " * "
                          << sizes.seqKV
                          << " exceeds the reference interpreter's limit of "
                          << kMaxScores << " scores; choose smaller sizes";
  std::optional<int64_t> queryRows =
      product({sizes.batch, sizes.queryHeads, sizes.seqQ});
  std::optional<int64_t> keyRows =
      product({sizes.batch, sizes.kvHeads, sizes.seqKV});
  std::optional<int64_t> elements;
  if (queryRows && keyRows) {
    // Q and O (and LSE) per query row, K and V per key row.
    std::optional<int64_t> perQuery = product(
        {*queryRows, sizes.headDimQK + sizes.headDimV + 1});
    std::optional<int64_t> perKey =
        product({*keyRows, sizes.headDimQK + sizes.headDimV});
    int64_t sum;
    if (perQuery && perKey && !llvm::AddOverflow(*perQuery, *perKey, sum))
      elements = sum;
  }
  if (!elements || *elements > kMaxTensorElements)
    return emitError(loc) << "the inputs and outputs at B = " << sizes.batch
                          << ", Sq = " << sizes.seqQ << ", Skv = "
                          << sizes.seqKV
                          << " exceed the reference interpreter's limit of "
                          << kMaxTensorElements << " elements";
  return success();
}

FailureOr<ProblemSizes> mlir::attn::interpreter::bindSizes(
    const SpecOperands &spec, const SizeRequest &request, Location loc) {
  ProblemSizes sizes;
  FailureOr<int64_t> batch = resolveSize(
      loc, "batch size", "batch",
      firstStatic({spec.query.getDimSize(0), spec.key.getDimSize(0),
                   spec.value.getDimSize(0)}),
      request.batch, std::nullopt);
  if (failed(batch))
    return failure();
  FailureOr<int64_t> seqQ =
      resolveSize(loc, "query sequence length", "seq-q",
                  spec.query.getDimSize(2), request.seqQ, std::nullopt);
  if (failed(seqQ))
    return failure();
  FailureOr<int64_t> seqKV = resolveSize(
      loc, "key sequence length", "seq-kv",
      firstStatic({spec.key.getDimSize(2), spec.value.getDimSize(2)}),
      request.seqKV, *seqQ);
  if (failed(seqKV))
    return failure();
  sizes.batch = *batch;
  sizes.seqQ = *seqQ;
  sizes.seqKV = *seqKV;
  sizes.queryHeads = spec.query.getDimSize(1);
  sizes.kvHeads = spec.key.getDimSize(1);
  sizes.headDimQK = spec.query.getDimSize(3);
  sizes.headDimV = spec.value.getDimSize(3);
  if (failed(checkLimits(sizes, loc)))
    return failure();
  return sizes;
}

FailureOr<ProblemSizes> mlir::attn::interpreter::sizesOfBindings(
    const Bindings &inputs, const SizeRequest &request, Location loc) {
  for (auto [name, tensor] : {std::pair<StringRef, const Tensor64 *>{
                                  "q.npy", &inputs.query},
                              {"k.npy", &inputs.key},
                              {"v.npy", &inputs.value}})
    if (tensor->shape.size() != 4)
      return emitError(loc) << name << " must have rank 4 ([B, H, S, D]), "
                            << "got shape " << formatShape(tensor->shape);
  ProblemSizes sizes;
  sizes.batch = inputs.query.shape[0];
  sizes.queryHeads = inputs.query.shape[1];
  sizes.seqQ = inputs.query.shape[2];
  sizes.headDimQK = inputs.query.shape[3];
  sizes.kvHeads = inputs.key.shape[1];
  sizes.seqKV = inputs.key.shape[2];
  sizes.headDimV = inputs.value.shape[3];
  for (auto [flag, requested, bound, file] :
       {std::tuple<StringRef, std::optional<int64_t>, int64_t, StringRef>{
            "batch", request.batch, sizes.batch, "q.npy"},
        {"seq-q", request.seqQ, sizes.seqQ, "q.npy"},
        {"seq-kv", request.seqKV, sizes.seqKV, "k.npy"}})
    if (requested && *requested != bound)
      return emitError(loc) << "--" << flag << "=" << *requested
                            << " conflicts with " << file << ", which has "
                            << bound;
  if (failed(checkLimits(sizes, loc)))
    return failure();
  return sizes;
}

//===----------------------------------------------------------------------===//
// Random values
//===----------------------------------------------------------------------===//

// Seeded random numbers, shared with the MLIR-free attn-run so that a GPU
// machine regenerates the very inputs of a reference run.
using Random = ::attn::support::SeededRandom;
using ::attn::support::streamSeed;

void mlir::attn::interpreter::roundToElementType(Tensor64 &tensor,
                                               Type elementType) {
  auto floatType = dyn_cast<FloatType>(elementType);
  if (!floatType)
    return;
  const llvm::fltSemantics &semantics = floatType.getFloatSemantics();
  for (double &value : tensor.values) {
    llvm::APFloat rounded(value);
    bool losesInfo;
    rounded.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    rounded.convert(llvm::APFloat::IEEEdouble(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    value = rounded.convertToDouble();
  }
}

static void fillNormal(Tensor64 &tensor, Type elementType, Random &random) {
  for (double &value : tensor.values)
    value = random.normal();
  roundToElementType(tensor, elementType);
}

/// The values a signless integer type holds, limited to what doubles carry
/// exactly.
static std::pair<double, double> integerRange(IntegerType type) {
  unsigned width = type.getWidth();
  if (width == 1)
    return {0.0, 1.0};
  double bound = std::ldexp(1.0, static_cast<int>(std::min(width - 1, 53u)));
  return {-bound, bound - 1.0};
}

/// Checks that every value of an integer operand fits its declared type.
static LogicalResult checkIntegerValues(const Tensor64 &tensor,
                                        IntegerType type, StringRef name,
                                        Location loc) {
  auto [low, high] = integerRange(type);
  for (auto [position, value] : llvm::enumerate(tensor.values))
    if (value < low || value > high)
      return emitError(loc) << name << " holds " << value
                            << " at flat position " << position
                            << ", which does not fit its element type "
                            << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Data operands: what reads them decides what is valid
//===----------------------------------------------------------------------===//

namespace {
enum class DataRole {
  RegionOnly,
  DocumentIds,
  DocumentOffsets,
  PrefixLengths,
  BlockList,
  BlockMask,
  Bias,
};

struct DataUse {
  DataRole role = DataRole::RegionOnly;
  /// The attribute that reads the operand; null for region-only operands.
  Attribute reader;
  int64_t blockQ = 0, blockKV = 0;
};
} // namespace

/// Records that `reader` reads data operand `operand` as `use`. Two readers
/// needing different contents cannot both be satisfied by generated data.
static LogicalResult recordUse(SmallVectorImpl<DataUse> &uses,
                               unsigned operand, DataUse use, Location loc) {
  if (operand >= uses.size())
    return emitError(loc) << use.reader << " reads data operand #" << operand
                          << " but the spec has " << uses.size();
  DataUse &existing = uses[operand];
  if (existing.reader &&
      (existing.role != use.role || existing.blockQ != use.blockQ ||
       existing.blockKV != use.blockKV))
    return emitError(loc) << "data operand #" << operand << " is read by both "
                          << existing.reader << " and " << use.reader
                          << "; no generated value is valid for both (pass "
                             "--inputs instead)";
  if (!existing.reader)
    existing = use;
  return success();
}

static LogicalResult classifyMask(MaskAttrInterface mask,
                                  SmallVectorImpl<DataUse> &uses,
                                  Location loc) {
  return llvm::TypeSwitch<Attribute, LogicalResult>(mask)
      .Case<AndAttr, OrAttr>([&](auto combinator) {
        for (MaskAttrInterface operand : combinator.getMasks())
          if (failed(classifyMask(operand, uses, loc)))
            return failure();
        return success();
      })
      .Case([&](DocumentsAttr documents) {
        DataRole role = documents.getLayout() == DocumentLayout::Ids
                            ? DataRole::DocumentIds
                            : DataRole::DocumentOffsets;
        return recordUse(uses, documents.getOperand(), {role, documents},
                         loc);
      })
      .Case([&](PrefixLMAttr prefix) {
        return recordUse(uses, prefix.getOperand(),
                         {DataRole::PrefixLengths, prefix}, loc);
      })
      .Case([&](BlockListAttr list) {
        return recordUse(uses, list.getOperand(),
                         {DataRole::BlockList, list, list.getBlockQ(),
                          list.getBlockKv()},
                         loc);
      })
      .Case([&](BlockMaskAttr blocks) {
        return recordUse(uses, blocks.getOperand(),
                         {DataRole::BlockMask, blocks, blocks.getBlockQ(),
                          blocks.getBlockKv()},
                         loc);
      })
      .Default([&](Attribute other) -> LogicalResult {
        SmallVector<unsigned> read;
        mask.collectDataOperands(read);
        if (!read.empty())
          return emitError(loc) << "attn-run does not know which data is "
                                   "valid for "
                                << other << "; pass --inputs";
        return success();
      });
}

static FailureOr<SmallVector<DataUse>> classifyData(const SpecOperands &spec,
                                                    Location loc) {
  SmallVector<DataUse> uses(spec.data.size());
  for (MaskAttrInterface mask : spec.masks)
    if (failed(classifyMask(mask, uses, loc)))
      return failure();
  for (ScoreModAttrInterface mod : spec.scoreMods) {
    if (auto bias = dyn_cast<BiasAttr>(mod)) {
      if (failed(recordUse(uses, bias.getOperand(), {DataRole::Bias, bias},
                           loc)))
        return failure();
      continue;
    }
    SmallVector<unsigned> read;
    mod.collectDataOperands(read);
    if (!read.empty())
      return emitError(loc) << "attn-run does not know which data is valid "
                               "for "
                            << mod << "; pass --inputs";
  }
  return uses;
}

FailureOr<SmallVector<unsigned>>
mlir::attn::interpreter::regionOnlyDataOperands(const SpecOperands &spec,
                                                Location loc) {
  FailureOr<SmallVector<DataUse>> uses = classifyData(spec, loc);
  if (failed(uses))
    return failure();
  SmallVector<unsigned> regionOnly;
  for (auto [index, use] : llvm::enumerate(*uses))
    if (use.role == DataRole::RegionOnly)
      regionOnly.push_back(static_cast<unsigned>(index));
  return regionOnly;
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The key block holding the first query of query block `queryBlock`: the
/// block every generated block list and block mask keeps, so that a query
/// tile always sees its diagonal.
static int64_t ownKeyBlock(int64_t queryBlock, const DataUse &use,
                           int64_t keyBlocks) {
  return std::min(queryBlock * use.blockQ / use.blockKV, keyBlocks - 1);
}

/// The shape of a generated data operand. Only the number of documents of
/// a dynamic offsets operand is random.
static FailureOr<SmallVector<int64_t>>
dataShape(unsigned index, RankedTensorType type, const DataUse &use,
          const ProblemSizes &sizes, Random &random, Location loc) {
  int64_t queryBlocks = use.blockQ ? ceilDiv(sizes.seqQ, use.blockQ) : 0;
  int64_t keyBlocks = use.blockKV ? ceilDiv(sizes.seqKV, use.blockKV) : 0;
  switch (use.role) {
  case DataRole::DocumentIds:
    return SmallVector<int64_t>{sizes.batch, sizes.seqQ};
  case DataRole::DocumentOffsets: {
    int64_t length = std::max(sizes.seqQ, sizes.seqKV);
    int64_t documents = random.uniformInt(1, std::min<int64_t>(length, 8));
    return SmallVector<int64_t>{
        type.isDynamicDim(0) ? documents + 1 : type.getDimSize(0)};
  }
  case DataRole::PrefixLengths:
    return SmallVector<int64_t>{sizes.batch};
  case DataRole::BlockList:
    return SmallVector<int64_t>{
        sizes.batch, sizes.queryHeads, queryBlocks,
        type.isDynamicDim(3) ? std::min<int64_t>(keyBlocks, 4)
                             : type.getDimSize(3)};
  case DataRole::BlockMask:
    return SmallVector<int64_t>{sizes.batch, sizes.queryHeads, queryBlocks,
                                keyBlocks};
  case DataRole::Bias:
    // A static size-1 batch or head dimension broadcasts.
    return SmallVector<int64_t>{
        type.getDimSize(0) == 1 ? 1 : sizes.batch,
        type.getDimSize(1) == 1 ? 1 : sizes.queryHeads, sizes.seqQ,
        sizes.seqKV};
  case DataRole::RegionOnly:
    break;
  }
  // Only a custom region reads it: nothing says how its dynamic sizes relate
  // to the call's.
  if (!type.hasStaticShape())
    return emitError(loc) << "data operand #" << index << " (" << type
                          << ") is read only by a custom region, so attn-run "
                             "cannot choose its dynamic sizes; give it a "
                             "static shape or pass --inputs";
  return llvm::to_vector(type.getShape());
}

/// Sorted document ids per batch row: 1 to 8 documents with random
/// boundaries.
static void fillDocumentIds(Tensor64 &ids, Random &random) {
  int64_t batch = ids.shape[0], length = ids.shape[1];
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<bool> startsDocument(length, false);
    int64_t documents = random.uniformInt(1, std::min<int64_t>(length, 8));
    for (int64_t placed = 1; placed < documents;) {
      int64_t start = random.uniformInt(1, length - 1);
      if (!startsDocument[start]) {
        startsDocument[start] = true;
        ++placed;
      }
    }
    int64_t id = 0;
    for (int64_t x = 0; x < length; ++x) {
      id += startsDocument[x];
      ids.values[b * length + x] = static_cast<double>(id);
    }
  }
}

/// Cumulative document starts 0 = o0 <= o1 <= ... <= oN <= max(Sq, Skv).
static void fillDocumentOffsets(Tensor64 &offsets, const ProblemSizes &sizes,
                                Random &random) {
  int64_t length = std::max(sizes.seqQ, sizes.seqKV);
  offsets.values[0] = 0.0;
  for (size_t d = 1; d < offsets.values.size(); ++d)
    offsets.values[d] = static_cast<double>(random.uniformInt(0, length));
  std::sort(offsets.values.begin() + 1, offsets.values.end());
}

/// Up to K distinct key blocks per query block, always the query block's own
/// one, in random slots with -1 padding.
static void fillBlockList(Tensor64 &list, const DataUse &use,
                          const ProblemSizes &sizes, Random &random) {
  int64_t queryBlocks = list.shape[2], slots = list.shape[3];
  int64_t keyBlocks = ceilDiv(sizes.seqKV, use.blockKV);
  if (slots == 0)
    return;
  std::vector<double> entries(slots);
  std::vector<bool> taken(keyBlocks);
  for (int64_t row = 0; row < list.shape[0] * list.shape[1] * queryBlocks;
       ++row) {
    std::fill(entries.begin(), entries.end(), -1.0);
    std::fill(taken.begin(), taken.end(), false);
    int64_t own = ownKeyBlock(row % queryBlocks, use, keyBlocks);
    int64_t listed = random.uniformInt(1, std::min(slots, keyBlocks));
    taken[own] = true;
    entries[0] = static_cast<double>(own);
    for (int64_t filled = 1; filled < listed;) {
      int64_t block = random.uniformInt(0, keyBlocks - 1);
      if (!taken[block]) {
        taken[block] = true;
        entries[filled++] = static_cast<double>(block);
      }
    }
    random.shuffle(entries);
    std::copy(entries.begin(), entries.end(),
              list.values.begin() + row * slots);
  }
}

/// Random 0/1 per (query block, key block), the own key block always 1.
static void fillBlockMask(Tensor64 &mask, const DataUse &use, Random &random) {
  int64_t queryBlocks = mask.shape[2], keyBlocks = mask.shape[3];
  for (int64_t row = 0; row < mask.shape[0] * mask.shape[1] * queryBlocks;
       ++row) {
    int64_t own = ownKeyBlock(row % queryBlocks, use, keyBlocks);
    for (int64_t kb = 0; kb < keyBlocks; ++kb)
      mask.values[row * keyBlocks + kb] =
          kb == own ? 1.0 : static_cast<double>(random.uniformInt(0, 1));
  }
}

static FailureOr<Tensor64> generateData(unsigned index, RankedTensorType type,
                                        const DataUse &use,
                                        const ProblemSizes &sizes,
                                        Random &random, Location loc) {
  FailureOr<SmallVector<int64_t>> shape =
      dataShape(index, type, use, sizes, random, loc);
  if (failed(shape))
    return failure();
  int64_t count = 1;
  for (int64_t extent : *shape)
    if (llvm::MulOverflow(count, extent, count) || count > kMaxTensorElements)
      return emitError(loc) << "data operand #" << index << " would have shape "
                            << formatShape(*shape) << ", more than the "
                            << kMaxTensorElements
                            << " elements the reference interpreter allows";
  Tensor64 data{std::move(*shape), std::vector<double>(count, 0.0)};
  Type elementType = type.getElementType();
  switch (use.role) {
  case DataRole::DocumentIds:
    fillDocumentIds(data, random);
    break;
  case DataRole::DocumentOffsets:
    fillDocumentOffsets(data, sizes, random);
    break;
  case DataRole::PrefixLengths:
    for (double &length : data.values)
      length = static_cast<double>(random.uniformInt(0, sizes.seqKV));
    break;
  case DataRole::BlockList:
    fillBlockList(data, use, sizes, random);
    break;
  case DataRole::BlockMask:
    fillBlockMask(data, use, random);
    break;
  case DataRole::Bias:
  case DataRole::RegionOnly:
    if (isa<FloatType>(elementType)) {
      fillNormal(data, elementType, random);
    } else {
      int64_t high = elementType.isInteger(1) ? 1 : 7;
      for (double &value : data.values)
        value = static_cast<double>(random.uniformInt(0, high));
    }
    break;
  }
  return data;
}

FailureOr<Bindings> mlir::attn::interpreter::generateBindings(
    const SpecOperands &spec, const ProblemSizes &sizes, uint64_t seed,
    Location loc) {
  if (sizes.batch < 1 || sizes.seqQ < 1 || sizes.seqKV < 1)
    return emitError(loc) << "generated inputs need B, Sq and Skv >= 1, got "
                          << sizes.batch << ", " << sizes.seqQ << ", "
                          << sizes.seqKV;
  FailureOr<SmallVector<DataUse>> uses = classifyData(spec, loc);
  if (failed(uses))
    return failure();

  Bindings inputs;
  auto normalInput = [&](llvm::SmallVector<int64_t> shape,
                         RankedTensorType type, uint64_t stream) {
    Random random(streamSeed(seed, stream));
    Tensor64 tensor{std::move(shape), {}};
    tensor.values.resize(numElements(tensor.shape));
    fillNormal(tensor, type.getElementType(), random);
    return tensor;
  };
  inputs.query = normalInput(
      {sizes.batch, sizes.queryHeads, sizes.seqQ, sizes.headDimQK}, spec.query,
      0);
  inputs.key = normalInput(
      {sizes.batch, sizes.kvHeads, sizes.seqKV, sizes.headDimQK}, spec.key, 1);
  inputs.value = normalInput(
      {sizes.batch, sizes.kvHeads, sizes.seqKV, sizes.headDimV}, spec.value, 2);
  for (auto [index, type] : llvm::enumerate(spec.data)) {
    Random random(streamSeed(seed, 3 + index));
    FailureOr<Tensor64> data =
        generateData(index, type, (*uses)[index], sizes, random, loc);
    if (failed(data))
      return failure();
    if (auto integerType = dyn_cast<IntegerType>(type.getElementType()))
      if (failed(checkIntegerValues(
              *data, integerType,
              "generated data operand #" + std::to_string(index), loc)))
        return failure();
    inputs.data.push_back(std::move(*data));
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// .npy files
//===----------------------------------------------------------------------===//

/// Loads one input file and converts it to what `elementType` holds.
static FailureOr<Tensor64> loadInput(StringRef directory, StringRef file,
                                     Type elementType, Location loc) {
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, file);
  llvm::Expected<NpyArray> array = readNpy(path, kMaxTensorElements);
  if (!array)
    return emitError(loc) << llvm::toString(array.takeError());
  bool wantInteger = isa<IntegerType>(elementType);
  if (wantInteger != isIntegerDType(array->dtype))
    return emitError(loc) << path << ": dtype " << npyDescriptor(array->dtype)
                          << " does not suit element type " << elementType
                          << " (expected "
                          << (wantInteger ? "<i4 or <i8" : "<f2, <f4 or <f8")
                          << ")";
  if (auto integerType = dyn_cast<IntegerType>(elementType)) {
    if (failed(checkIntegerValues(array->tensor, integerType, path, loc)))
      return failure();
  } else {
    roundToElementType(array->tensor, elementType);
  }
  return std::move(array->tensor);
}

FailureOr<Bindings> mlir::attn::interpreter::loadBindings(
    StringRef directory, const SpecOperands &spec, Location loc) {
  if (!llvm::sys::fs::is_directory(directory))
    return emitError(loc) << "--inputs: '" << directory
                          << "' is not a directory";
  Bindings inputs;
  for (auto [file, type, slot] :
       {std::tuple<StringRef, RankedTensorType, Tensor64 *>{
            "q.npy", spec.query, &inputs.query},
        {"k.npy", spec.key, &inputs.key},
        {"v.npy", spec.value, &inputs.value}}) {
    FailureOr<Tensor64> tensor =
        loadInput(directory, file, type.getElementType(), loc);
    if (failed(tensor))
      return failure();
    *slot = std::move(*tensor);
  }
  for (auto [index, type] : llvm::enumerate(spec.data)) {
    FailureOr<Tensor64> tensor =
        loadInput(directory, "data" + std::to_string(index) + ".npy",
                  type.getElementType(), loc);
    if (failed(tensor))
      return failure();
    inputs.data.push_back(std::move(*tensor));
  }
  return inputs;
}

static LogicalResult writeFile(StringRef directory, StringRef file,
                               const Tensor64 &tensor, NpyDType dtype,
                               Location loc) {
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, file);
  if (llvm::Error error = writeNpy(path, tensor, dtype))
    return emitError(loc) << llvm::toString(std::move(error));
  return success();
}

LogicalResult mlir::attn::interpreter::dumpRun(StringRef directory,
                                             const SpecOperands &spec,
                                             const Bindings &inputs,
                                             const Results &results,
                                             Location loc) {
  if (std::error_code error = llvm::sys::fs::create_directories(directory))
    return emitError(loc) << "--dump: cannot create '" << directory
                          << "': " << error.message();
  if (failed(writeFile(directory, "q.npy", inputs.query, NpyDType::F64, loc)) ||
      failed(writeFile(directory, "k.npy", inputs.key, NpyDType::F64, loc)) ||
      failed(writeFile(directory, "v.npy", inputs.value, NpyDType::F64, loc)))
    return failure();
  for (auto [index, data] : llvm::enumerate(inputs.data)) {
    NpyDType dtype = NpyDType::F64;
    if (index < spec.data.size())
      if (auto integerType =
              dyn_cast<IntegerType>(spec.data[index].getElementType()))
        dtype = integerType.getWidth() <= 32 ? NpyDType::I32 : NpyDType::I64;
    if (failed(writeFile(directory, "data" + std::to_string(index) + ".npy",
                         data, dtype, loc)))
      return failure();
  }
  if (failed(writeFile(directory, "o.npy", results.output, NpyDType::F64, loc)))
    return failure();
  if (results.lse &&
      failed(writeFile(directory, "lse.npy", *results.lse, NpyDType::F64, loc)))
    return failure();
  return success();
}
