//===- ReportSparsity.cpp - Tile sparsity report and block-map picture ----===//
//
// For every attn.attention op and concrete sizes, classifies each (query
// tile, key tile) pair through the mask algebra (MaskTiling.h), prints per
// head how many tiles are visited, partial and full and how dense the work
// is, and optionally draws the block map as an SVG image. Format and
// choices: docs/sparsity.md.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnOps.h"
#include "attn/Dialect/MaskRegionTiling.h"
#include "attn/Dialect/PatchTiling.h"
#include "attn/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <random>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNREPORTSPARSITY
#include "attn/Passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

//===----------------------------------------------------------------------===//
// Data operands
//===----------------------------------------------------------------------===//

/// A data operand's values, row-major.
struct DenseTensor {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> ints;
  SmallVector<double> floats;

  int64_t linearIndex(ArrayRef<int64_t> indices) const {
    int64_t index = 0;
    for (auto [dim, at] : llvm::enumerate(indices))
      index = index * shape[dim] + at;
    return index;
  }
};

class DenseDataReader : public DataOperandReader {
public:
  explicit DenseDataReader(unsigned operands) : tensors(operands) {}

  int64_t dimSize(unsigned operand, unsigned dim) const override {
    return tensors[operand]->shape[dim];
  }
  int64_t readInt(unsigned operand, ArrayRef<int64_t> indices) const override {
    const DenseTensor &tensor = *tensors[operand];
    return tensor.ints[tensor.linearIndex(indices)];
  }
  double readFloat(unsigned operand, ArrayRef<int64_t> indices) const override {
    const DenseTensor &tensor = *tensors[operand];
    return tensor.floats[tensor.linearIndex(indices)];
  }

  SmallVector<std::optional<DenseTensor>> tensors;
};

/// The value of a data operand defined by a dense constant.
static std::optional<DenseTensor> readConstant(Value operand) {
  auto constant = operand.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto elements = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!elements)
    return std::nullopt;
  DenseTensor tensor;
  llvm::append_range(tensor.shape, elements.getType().getShape());
  if (isa<IntegerType>(elements.getElementType())) {
    for (const APInt &value : elements.getValues<APInt>())
      tensor.ints.push_back(value.getSExtValue());
  } else if (isa<FloatType>(elements.getElementType())) {
    for (const APFloat &value : elements.getValues<APFloat>())
      tensor.floats.push_back(value.convertToDouble());
  } else {
    return std::nullopt;
  }
  return tensor;
}

/// Sizes a generated operand must have: the static extents of its type,
/// with the dynamic ones filled from the call's sizes.
static int64_t extentOr(RankedTensorType type, unsigned dim, int64_t fallback) {
  return type.isDynamicDim(dim) ? fallback : type.getDimSize(dim);
}

/// Splits `tokens` into between 1 and 8 documents at distinct random cuts.
static SmallVector<int64_t> generateDocumentLengths(std::mt19937_64 &rng,
                                                    int64_t tokens,
                                                    int64_t fixedCount) {
  int64_t count = fixedCount > 0
                      ? fixedCount
                      : 1 + static_cast<int64_t>(
                                rng() % std::min<uint64_t>(8, tokens));
  count = std::min(count, tokens);
  SmallVector<int64_t> cuts;
  while (static_cast<int64_t>(cuts.size()) < count - 1) {
    int64_t cut = 1 + static_cast<int64_t>(rng() % (tokens - 1));
    if (!llvm::is_contained(cuts, cut))
      cuts.push_back(cut);
  }
  llvm::sort(cuts);
  cuts.push_back(tokens);
  SmallVector<int64_t> lengths;
  int64_t previous = 0;
  for (int64_t cut : cuts) {
    lengths.push_back(cut - previous);
    previous = cut;
  }
  return lengths;
}

/// Generates the operands a data mask reads from `rng`, describing each in
/// `notes` so that a reader can check the counts against the data.
class DataGenerator {
public:
  DataGenerator(AttentionOp op, const TilingContext &ctx, uint64_t seed,
                DenseDataReader &reader, SmallVectorImpl<std::string> &notes)
      : op(op), ctx(ctx), rng(seed), reader(reader), notes(notes) {}

  void generate(MaskAttrInterface mask) {
    llvm::TypeSwitch<Attribute>(mask)
        .Case([&](AndAttr combined) {
          for (MaskAttrInterface operand : combined.getMasks())
            generate(operand);
        })
        .Case([&](OrAttr combined) {
          for (MaskAttrInterface operand : combined.getMasks())
            generate(operand);
        })
        .Case([&](PrefixLMAttr prefix) { generatePrefix(prefix); })
        .Case([&](DocumentsAttr docs) { generateDocuments(docs); })
        .Case([&](BlockListAttr list) { generateBlockList(list); })
        .Case([&](BlockMaskAttr blockMask) { generateBlockMask(blockMask); });
  }

private:
  RankedTensorType typeOf(unsigned operand) {
    return cast<RankedTensorType>(op.getData()[operand].getType());
  }
  bool isPending(unsigned operand) { return !reader.tensors[operand]; }
  void note(unsigned operand, const llvm::Twine &what) {
    notes.push_back(("generated data operand #" + llvm::Twine(operand) +
                     ": " + what)
                        .str());
  }
  static std::string listOf(ArrayRef<int64_t> values) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << '[';
    llvm::interleaveComma(values, os);
    os << ']';
    return text;
  }

  void generatePrefix(PrefixLMAttr prefix) {
    unsigned operand = prefix.getOperand();
    if (!isPending(operand))
      return;
    DenseTensor tensor;
    tensor.shape = {extentOr(typeOf(operand), 0, ctx.batch)};
    for (int64_t b = 0; b < tensor.shape[0]; ++b)
      tensor.ints.push_back(static_cast<int64_t>(rng() % (ctx.seqQ + 1)));
    note(operand, "prefix lengths " + listOf(tensor.ints));
    reader.tensors[operand] = std::move(tensor);
  }

  void generateDocuments(DocumentsAttr docs) {
    unsigned operand = docs.getOperand();
    if (!isPending(operand))
      return;
    RankedTensorType type = typeOf(operand);
    DenseTensor tensor;
    if (docs.getLayout() == DocumentLayout::Offsets) {
      int64_t fixedCount = type.isDynamicDim(0) ? 0 : type.getDimSize(0) - 1;
      int64_t tokens = std::max(ctx.seqQ, ctx.seqKV);
      SmallVector<int64_t> lengths =
          generateDocumentLengths(rng, tokens, fixedCount);
      tensor.ints.push_back(0);
      for (int64_t length : lengths)
        tensor.ints.push_back(tensor.ints.back() + length);
      // A static entry count larger than the tokens allow: empty documents.
      while (fixedCount > 0 &&
             static_cast<int64_t>(tensor.ints.size()) < fixedCount + 1)
        tensor.ints.push_back(tokens);
      tensor.shape = {static_cast<int64_t>(tensor.ints.size())};
      note(operand, "document lengths " + listOf(lengths));
    } else {
      tensor.shape = {extentOr(type, 0, ctx.batch), ctx.seqQ};
      SmallVector<int64_t> lengths =
          generateDocumentLengths(rng, ctx.seqQ, /*fixedCount=*/0);
      for (int64_t b = 0; b < tensor.shape[0]; ++b)
        for (auto [id, length] : llvm::enumerate(lengths))
          tensor.ints.append(length, static_cast<int64_t>(id));
      note(operand, "document lengths " + listOf(lengths) +
                        " in every batch row");
    }
    reader.tensors[operand] = std::move(tensor);
  }

  void generateBlockList(BlockListAttr list) {
    unsigned operand = list.getOperand();
    if (!isPending(operand))
      return;
    RankedTensorType type = typeOf(operand);
    int64_t keyBlocks = llvm::divideCeilSigned(ctx.seqKV, list.getBlockKv());
    DenseTensor tensor;
    tensor.shape = {extentOr(type, 0, ctx.batch), ctx.queryHeads,
                    llvm::divideCeilSigned(ctx.seqQ, list.getBlockQ()),
                    extentOr(type, 3, kGeneratedListSlots)};
    int64_t entries = tensor.shape[0] * tensor.shape[1] * tensor.shape[2] *
                      tensor.shape[3];
    // Padding (-1) as likely as any one key block.
    for (int64_t entry = 0; entry < entries; ++entry)
      tensor.ints.push_back(static_cast<int64_t>(rng() % (keyBlocks + 1)) - 1);
    note(operand, llvm::Twine(tensor.shape[3]) +
                      " random key blocks (or -1) per query block");
    reader.tensors[operand] = std::move(tensor);
  }

  void generateBlockMask(BlockMaskAttr blockMask) {
    unsigned operand = blockMask.getOperand();
    if (!isPending(operand))
      return;
    RankedTensorType type = typeOf(operand);
    DenseTensor tensor;
    tensor.shape = {extentOr(type, 0, ctx.batch), ctx.queryHeads,
                    llvm::divideCeilSigned(ctx.seqQ, blockMask.getBlockQ()),
                    llvm::divideCeilSigned(ctx.seqKV, blockMask.getBlockKv())};
    int64_t entries = tensor.shape[0] * tensor.shape[1] * tensor.shape[2] *
                      tensor.shape[3];
    for (int64_t entry = 0; entry < entries; ++entry)
      tensor.ints.push_back(rng() % 4 == 0 ? 1 : 0);
    note(operand, "random block mask, each block kept with probability 1/4");
    reader.tensors[operand] = std::move(tensor);
  }

  static constexpr int64_t kGeneratedListSlots = 4;

  AttentionOp op;
  const TilingContext &ctx;
  std::mt19937_64 rng;
  DenseDataReader &reader;
  SmallVectorImpl<std::string> &notes;
};

//===----------------------------------------------------------------------===//
// The report
//===----------------------------------------------------------------------===//

/// A horizontal run of cells of one class in a block map.
struct CellRun {
  int64_t row, begin, end;
  TileClass tileClass;
};

/// One head under one token order: the counts and the block map.
struct HeadReport {
  int64_t head;
  std::string orderLabel;
  int64_t visited = 0, partial = 0, full = 0, total = 0;
  int64_t visitedArea = 0;
  std::optional<int64_t> kept = 0;
  SmallVector<CellRun> runs;
};

static void appendRun(SmallVectorImpl<CellRun> &runs, int64_t row,
                      int64_t begin, int64_t end, TileClass tileClass) {
  if (begin >= end)
    return;
  if (!runs.empty() && runs.back().row == row && runs.back().end == begin &&
      runs.back().tileClass == tileClass) {
    runs.back().end = end;
    return;
  }
  runs.push_back({row, begin, end, tileClass});
}

static HeadReport reportHead(const EffectiveMaskTiling &mask,
                             const TilingContext &ctx, int64_t head,
                             bool drawMap) {
  HeadReport report;
  report.head = head;
  int64_t keyTiles = ctx.numKeyTiles();
  report.total = ctx.numQueryTiles() * keyTiles;
  for (int64_t queryTile = 0; queryTile < ctx.numQueryTiles(); ++queryTile) {
    VisitSet visits = mask.visitSet(ctx, /*b=*/0, head, queryTile);
    int64_t nextKeyTile = 0;
    visits.forEachTile([&](int64_t keyTile, TileClass tileClass) {
      TileRange tile = ctx.tile(queryTile, keyTile);
      ++report.visited;
      report.visitedArea += tile.area();
      if (tileClass == TileClass::Full) {
        ++report.full;
        if (report.kept)
          *report.kept += tile.area();
      } else {
        ++report.partial;
        std::optional<int64_t> kept = mask.countKept(ctx, 0, head, tile);
        report.kept = report.kept && kept
                          ? std::optional<int64_t>(*report.kept + *kept)
                          : std::nullopt;
      }
      if (drawMap) {
        appendRun(report.runs, queryTile, nextKeyTile, keyTile,
                  TileClass::Empty);
        appendRun(report.runs, queryTile, keyTile, keyTile + 1, tileClass);
      }
      nextKeyTile = keyTile + 1;
    });
    if (drawMap)
      appendRun(report.runs, queryTile, nextKeyTile, keyTiles,
                TileClass::Empty);
  }
  return report;
}

/// Whether the rule of `mask` may keep different pairs for different query
/// heads: S2's per-head shards, LongLoRA's shifted half, block lists and
/// block masks (indexed by the query head), and combinators of these. Kinds
/// not named here are assumed to.
static bool readsHead(MaskAttrInterface mask) {
  return TypeSwitch<Attribute, bool>(mask)
      .Case<CausalAttr, WindowAttr, SinksAttr, PrefixLMAttr, DocumentsAttr,
            StarAnchorAttr, NeighborhoodAttr>([](Attribute) { return false; })
      .Case([](AndAttr all) {
        return llvm::any_of(all.getMasks(), readsHead);
      })
      .Case([](OrAttr any) {
        return llvm::any_of(any.getMasks(), readsHead);
      })
      .Default([](Attribute) { return true; });
}

/// Whether the op's mask (attribute and region) may keep different pairs
/// for different query heads; where it does not, every head's report is
/// head 0's (a region evaluated per element at 16k tokens takes tens of
/// seconds per head).
static bool maskReadsHead(AttentionOp op) {
  MaskAttrInterface attr = op.getMaskRule();
  if (attr && readsHead(attr))
    return true;
  Region &region = op.getMaskRegion();
  // Block arguments (b, h, i, j).
  return !region.empty() && !region.front().getArgument(1).use_empty();
}

static void printCounts(llvm::raw_ostream &os, const HeadReport &report,
                        const TilingContext &ctx) {
  os << "visited " << report.visited << "/" << report.total << " partial "
     << report.partial << " full " << report.full;
  if (!report.kept) {
    os << " kept unknown density unknown tile-density unknown\n";
    return;
  }
  double all = static_cast<double>(ctx.seqQ) * static_cast<double>(ctx.seqKV);
  double inTiles = static_cast<double>(report.visitedArea);
  os << " kept " << *report.kept << " density "
     << llvm::format("%.6f", static_cast<double>(*report.kept) / all)
     << " tile-density "
     << llvm::format("%.6f", inTiles > 0
                                 ? static_cast<double>(*report.kept) / inTiles
                                 : 0.0)
     << "\n";
}

static std::string escapeXml(StringRef text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
    case '<':
      escaped += "&lt;";
      break;
    case '>':
      escaped += "&gt;";
      break;
    case '&':
      escaped += "&amp;";
      break;
    case '"':
      escaped += "&quot;";
      break;
    default:
      escaped += c;
    }
  }
  return escaped;
}

/// Draws one panel per (head, order): query tiles down, key tiles across,
/// one rect per run of equal cells.
static void writeSvg(llvm::raw_ostream &os, StringRef title,
                     ArrayRef<HeadReport> reports, const TilingContext &ctx) {
  constexpr double kPanelSize = 256.0, kGap = 24.0, kCaption = 18.0;
  constexpr double kHeader = 64.0;
  constexpr int64_t kPanelsPerRow = 4;
  int64_t queryTiles = ctx.numQueryTiles(), keyTiles = ctx.numKeyTiles();
  double cell = kPanelSize / static_cast<double>(std::max(queryTiles, keyTiles));
  double panelWidth = cell * keyTiles, panelHeight = cell * queryTiles;
  int64_t columns = std::min<int64_t>(kPanelsPerRow, reports.size());
  int64_t rows = llvm::divideCeilSigned(static_cast<int64_t>(reports.size()), kPanelsPerRow);
  double width = std::max(columns * (panelWidth + kGap) + kGap, 520.0);
  double height = kHeader + rows * (panelHeight + kCaption + kGap) + kGap;
  auto number = [](double value) { return llvm::format("%.3f", value); };

  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(width)
     << "\" height=\"" << number(height) << "\" viewBox=\"0 0 "
     << number(width) << " " << number(height) << "\">\n";
  os << "<title>" << escapeXml(title) << "</title>\n";
  os << "<style>.full{fill:#1f4e79}.partial{fill:#f0a030}"
        ".skipped{fill:#e8e8e8}text{font:12px sans-serif}</style>\n";
  os << "<text x=\"" << number(kGap) << "\" y=\"20\">" << escapeXml(title)
     << "</text>\n";
  os << "<g id=\"legend\">\n";
  const std::pair<StringRef, StringRef> legend[] = {
      {"full", "full: no element mask"},
      {"partial", "partial: element mask applied"},
      {"skipped", "skipped: never visited"}};
  for (auto [index, entry] : llvm::enumerate(legend)) {
    double x = kGap + index * 170.0;
    os << "<rect class=\"legend-" << entry.first << " " << entry.first
       << "\" x=\"" << number(x) << "\" y=\"32\" width=\"12\" height=\"12\"/>"
       << "<text x=\"" << number(x + 16) << "\" y=\"43\">" << entry.second
       << "</text>\n";
  }
  os << "</g>\n";
  for (auto [index, report] : llvm::enumerate(reports)) {
    double x = kGap + (index % kPanelsPerRow) * (panelWidth + kGap);
    double y = kHeader + (index / kPanelsPerRow) * (panelHeight + kCaption + kGap);
    os << "<text x=\"" << number(x) << "\" y=\"" << number(y + 12)
       << "\">head " << report.head
       << (report.orderLabel.empty() ? "" : " " + report.orderLabel)
       << ": visited " << report.visited << "/" << report.total
       << "</text>\n";
    os << "<g transform=\"translate(" << number(x) << " "
       << number(y + kCaption) << ") scale(" << number(cell) << ")\">\n";
    for (const CellRun &run : report.runs) {
      StringRef cls = run.tileClass == TileClass::Empty
                          ? "skipped"
                          : stringifyTileClass(run.tileClass);
      os << "<rect class=\"" << cls << "\" x=\"" << run.begin << "\" y=\""
         << run.row << "\" width=\"" << run.end - run.begin
         << "\" height=\"1\"/>\n";
    }
    os << "</g>\n";
  }
  os << "</svg>\n";
}

struct ReportSparsityPass
    : public mlir::attn::impl::AttnReportSparsityBase<ReportSparsityPass> {
  using Base::Base;

  void runOnOperation() override {
    // Options are read as plain values: diagnostics do not print Option<>.
    for (auto [name, value] : {std::pair<StringRef, int64_t>{"block-q", blockQ},
                               {"block-kv", blockKV}})
      if (value < 1 || value > kMaxPosition) {
        getOperation()->emitError()
            << "attn-report-sparsity: " << name << " must be in [1, "
            << kMaxPosition << "], got " << value;
        return signalPassFailure();
      }
    if (seed.getValue() < -1) {
      getOperation()->emitError()
          << "attn-report-sparsity: seed must be >= 0, got " << seed.getValue();
      return signalPassFailure();
    }
    llvm::DenseMap<Operation *, int64_t> opsPerFunction;
    WalkResult result = getOperation()->walk([&](AttentionOp op) {
      auto function = op->getParentOfType<FunctionOpInterface>();
      int64_t index = opsPerFunction[function]++;
      std::string name = function ? function.getName().str() : "toplevel";
      if (failed(reportOp(op, name, index)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  /// The concrete length of a sequence: the type's static size, or the
  /// option, which must agree with a static size.
  FailureOr<int64_t> resolveLength(AttentionOp op, int64_t typeSize,
                                   int64_t option, StringRef optionName,
                                   StringRef what) {
    if (option < 0 || option > kMaxPosition)
      return op.emitError() << "attn-report-sparsity: " << optionName
                            << " must be in [1, " << kMaxPosition << "], got "
                            << option;
    if (!ShapedType::isDynamic(typeSize)) {
      if (option != 0 && option != typeSize)
        return op.emitError() << "attn-report-sparsity: " << optionName << "="
                              << option << " contradicts the static " << what
                              << " " << typeSize;
      return typeSize;
    }
    if (option == 0)
      return op.emitError() << "attn-report-sparsity: the " << what
                            << " is dynamic; pass " << optionName << "=N";
    return option;
  }

  LogicalResult reportOp(AttentionOp op, StringRef function, int64_t index) {
    llvm::raw_ostream &os = llvm::outs();
    std::string prefix =
        ("sparsity @" + function + " op#" + llvm::Twine(index)).str();
    AttentionShape shape = op.getShape();
    FailureOr<int64_t> sq =
        resolveLength(op, shape.seqQ, seqQ.getValue(), "seq-q", "query length");
    if (failed(sq))
      return failure();
    FailureOr<int64_t> skv =
        resolveLength(op, shape.seqKV, seqKV.getValue(), "seq-kv", "key length");
    if (failed(skv))
      return failure();
    for (int64_t head : heads)
      if (head < 0 || head >= shape.queryHeads)
        return op.emitError() << "attn-report-sparsity: head " << head
                              << " is out of range [0, " << shape.queryHeads
                              << ")";

    // Re-check the mask against the sizes the report uses.
    AttentionShape sized = shape;
    sized.seqQ = *sq;
    sized.seqKV = *skv;
    MaskAttrInterface maskAttr = op.getMaskRule();
    if (maskAttr && failed(maskAttr.verifyUse(sized, op)))
      return failure();

    TilingContext ctx;
    ctx.batch = ShapedType::isDynamic(shape.batch) ? 1 : shape.batch;
    ctx.queryHeads = shape.queryHeads;
    ctx.kvHeads = shape.kvHeads;
    ctx.seqQ = *sq;
    ctx.seqKV = *skv;
    ctx.blockQ = blockQ;
    ctx.blockKV = blockKV;
    // The block map has a cell per tile pair; bound it rather than run for
    // hours on a mistyped size.
    constexpr int64_t kMaxTilePairs = int64_t(1) << 24;
    if (ctx.numQueryTiles() > kMaxTilePairs / ctx.numKeyTiles())
      return op.emitError()
             << "attn-report-sparsity: " << ctx.numQueryTiles() << " x "
             << ctx.numKeyTiles() << " tiles exceed the report's limit of "
             << kMaxTilePairs << " tile pairs; use larger block-q/block-kv";
    // Every reported head classifies every tile pair: bound the total too.
    constexpr int64_t kMaxHeadTilePairs = int64_t(1) << 28;
    int64_t reportedHeadCount =
        heads.empty() ? shape.queryHeads : static_cast<int64_t>(heads.size());
    int64_t tilePairs = ctx.numQueryTiles() * ctx.numKeyTiles();
    if (tilePairs > kMaxHeadTilePairs / reportedHeadCount)
      return op.emitError()
             << "attn-report-sparsity: " << reportedHeadCount << " heads x "
             << tilePairs << " tile pairs exceed the report's limit of "
             << kMaxHeadTilePairs
             << "; pass heads=... or use larger block-q/block-kv";

    // Data operands: constants are read, others generated from the seed.
    DenseDataReader reader(op.getData().size());
    SmallVector<unsigned> needed;
    if (maskAttr)
      maskAttr.collectDataOperands(needed);
    bool missing = false;
    for (unsigned operand : needed) {
      reader.tensors[operand] = readConstant(op.getData()[operand]);
      missing |= !reader.tensors[operand];
      // Batch row 0 and the first entries are always read.
      if (reader.tensors[operand] &&
          llvm::is_contained(reader.tensors[operand]->shape, 0))
        return op.emitError() << "attn-report-sparsity: data operand #"
                              << operand << " is an empty constant";
    }
    SmallVector<std::string> notes;
    if (missing && seed < 0) {
      os << prefix << ": data-dependent: mask " << op.getMaskAttr()
         << " reads data operands that are not constants; pass seed=N to "
            "classify generated ones\n";
      return success();
    }
    if (missing)
      DataGenerator(op, ctx, static_cast<uint64_t>(seed), reader, notes)
          .generate(maskAttr);
    if (failed(checkDocumentOffsets(op, maskAttr, reader)))
      return failure();
    if (!needed.empty())
      ctx.data = &reader;

    EffectiveMaskTiling mask(op);
    if (!mask.regionIsAnalyzable()) {
      InFlightDiagnostic remark =
          op.emitRemark("custom mask region is not affine; every tile "
                        "treated as partial");
      remark.attachNote(mask.unsupportedOp()->getLoc())
          << "'" << mask.unsupportedOp()->getName()
          << "' is not evaluated over index intervals";
    }

    os << prefix << ": mask ";
    if (Attribute attr = op.getMaskAttr())
      os << attr;
    else
      os << "none";
    if (mask.hasRegion())
      os << (maskAttr ? " and" : "") << " custom region";
    os << " Sq " << ctx.seqQ << " Skv " << ctx.seqKV << " tile " << ctx.blockQ
       << "x" << ctx.blockKV << " grid " << ctx.numQueryTiles() << "x"
       << ctx.numKeyTiles() << " batch-row 0\n";
    for (const std::string &note : notes)
      os << prefix << ": " << note << "\n";

    // Grid masks are reported in sequence order and in their patch order.
    SmallVector<std::pair<std::string, std::optional<TokenOrder>>> orders;
    SmallVector<int64_t> gridShape =
        maskAttr ? gridOf(maskAttr) : SmallVector<int64_t>();
    SmallVector<int64_t> patch =
        gridShape.empty() ? SmallVector<int64_t>() : maskAttr.queryTileShape(ctx);
    if (gridShape.empty()) {
      orders.push_back({"", std::nullopt});
    } else if (patch.empty()) {
      os << prefix << ": no patch of " << ctx.blockQ
         << " tokens visits fewer tiles than row-major order\n";
      orders.push_back({"row-major", std::nullopt});
    } else {
      std::string label;
      llvm::raw_string_ostream labelStream(label);
      labelStream << "patch ";
      llvm::interleave(patch, labelStream, "x");
      orders.push_back({"row-major", std::nullopt});
      orders.push_back({label, TokenOrder(gridShape, patch)});
    }

    if (auto grid = dyn_cast_if_present<NeighborhoodAttr>(maskAttr);
        grid && !mask.hasRegion())
      printKernelPatches(os, prefix, grid, ctx);

    SmallVector<int64_t> reportedHeads(heads.begin(), heads.end());
    if (reportedHeads.empty())
      for (int64_t head = 0; head < shape.queryHeads; ++head)
        reportedHeads.push_back(head);

    bool drawMap = !svgPrefix.empty();
    bool perHead = maskReadsHead(op);
    SmallVector<HeadReport> reports;
    for (auto &[label, order] : orders) {
      ctx.order = order ? &*order : nullptr;
      std::optional<HeadReport> first;
      for (int64_t head : reportedHeads) {
        HeadReport report =
            first ? *first : reportHead(mask, ctx, head, drawMap);
        if (!perHead && !first)
          first = report;
        report.head = head;
        report.orderLabel = label;
        os << prefix << " head " << head << (label.empty() ? "" : " " + label)
           << ": ";
        printCounts(os, report, ctx);
        reports.push_back(std::move(report));
      }
    }
    ctx.order = nullptr;
    if (!drawMap)
      return success();

    // Symbol names may hold any character; file names get a safe form.
    std::string stem = function.str();
    for (char &c : stem)
      if (!llvm::isAlnum(c) && c != '_' && c != '-' && c != '.')
        c = '_';
    std::string path =
        (svgPrefix + "-" + stem + "-op" + llvm::Twine(index) + ".svg").str();
    std::error_code error;
    llvm::raw_fd_ostream file(path, error, llvm::sys::fs::OF_Text);
    if (error)
      return op.emitError() << "attn-report-sparsity: cannot write '" << path
                            << "': " << error.message();
    std::string title;
    llvm::raw_string_ostream titleStream(title);
    titleStream << "attn sparsity @" << function << " op#" << index << ": ";
    if (Attribute attr = op.getMaskAttr())
      titleStream << attr;
    else
      titleStream << "no mask attribute";
    titleStream << ", Sq " << ctx.seqQ << " Skv " << ctx.seqKV << ", tiles "
                << ctx.blockQ << "x" << ctx.blockKV;
    writeSvg(file, title, reports, ctx);
    os << prefix << ": wrote " << path << "\n";
    return success();
  }

  /// The N-dimensional tiles kernels run for a neighborhood at these tile
  /// sizes (choosePatchTiling): one line, the same for every head.
  static void printKernelPatches(llvm::raw_ostream &os, StringRef prefix,
                                 NeighborhoodAttr grid,
                                 const TilingContext &ctx) {
    int64_t tokens = 1;
    for (int64_t extent : grid.getGrid())
      tokens *= extent;
    std::optional<PatchTiling> tiling;
    if (ctx.seqQ == tokens && ctx.seqKV == tokens)
      tiling = choosePatchTiling(grid, ctx.blockQ, ctx.blockKV);
    if (!tiling) {
      os << prefix << ": kernel tiles: sequence order\n";
      return;
    }
    int64_t kept = 0;
    for (auto [query, visits] : llvm::enumerate(tiling->visits))
      for (const PatchVisit &visit : visits)
        kept += countPatchPairKept(grid, *tiling, query, visit.keyPatch);
    int64_t visited = tiling->visited();
    int64_t full = tiling->visitedFull();
    os << prefix << ": kernel tiles: patch ";
    llvm::interleave(tiling->patch, os, "x");
    if (tiling->keyPatch != tiling->patch) {
      os << " keys ";
      llvm::interleave(tiling->keyPatch, os, "x");
    }
    os << " visited " << visited << "/"
       << tiling->numPatches() * tiling->numKeyPatches() << " partial "
       << visited - full << " full " << full << " kept " << kept
       << " tile-density "
       << llvm::format("%.6f", static_cast<double>(kept) /
                                   (static_cast<double>(visited) *
                                    ctx.blockQ * ctx.blockKV))
       << " (sequence order visits " << tiling->sequenceVisited << ")\n";
  }

  /// The grid of the neighborhood masks that give a patch shape.
  static SmallVector<int64_t> gridOf(MaskAttrInterface mask) {
    if (auto neighborhood = dyn_cast<NeighborhoodAttr>(mask))
      return llvm::to_vector(neighborhood.getGrid());
    ArrayRef<MaskAttrInterface> operands;
    if (auto combined = dyn_cast<AndAttr>(mask))
      operands = combined.getMasks();
    if (auto combined = dyn_cast<OrAttr>(mask))
      operands = combined.getMasks();
    for (MaskAttrInterface operand : operands)
      if (SmallVector<int64_t> grid = gridOf(operand); !grid.empty())
        return grid;
    return {};
  }

  /// Offsets read from constants must be the non-decreasing cumulative
  /// starts the documents layout describes; the closed forms rely on it.
  static LogicalResult checkDocumentOffsets(AttentionOp op,
                                            MaskAttrInterface mask,
                                            const DenseDataReader &reader) {
    if (!mask)
      return success();
    if (auto docs = dyn_cast<DocumentsAttr>(mask)) {
      if (docs.getLayout() != DocumentLayout::Offsets)
        return success();
      ArrayRef<int64_t> offsets = reader.tensors[docs.getOperand()]->ints;
      for (size_t at = 1; at < offsets.size(); ++at)
        if (offsets[at] < offsets[at - 1])
          return op.emitError()
                 << "attn-report-sparsity: '#attn.documents' offsets must be "
                    "non-decreasing, but entry "
                 << at << " (" << offsets[at] << ") is below entry " << at - 1
                 << " (" << offsets[at - 1] << ")";
      return success();
    }
    ArrayRef<MaskAttrInterface> operands;
    if (auto combined = dyn_cast<AndAttr>(mask))
      operands = combined.getMasks();
    if (auto combined = dyn_cast<OrAttr>(mask))
      operands = combined.getMasks();
    for (MaskAttrInterface operand : operands)
      if (failed(checkDocumentOffsets(op, operand, reader)))
        return failure();
    return success();
  }
};

} // namespace
