//===- AttnCascadeOps.cpp - Einsum cascades: syntax and rules -------------===//
//
// Parsing and printing of the cascade ops and of their index terms, accesses
// and map expressions, plus the cascade verifier (analyzeCascade), which is
// the one place that states what a well-formed cascade is.
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/AttnCascade.h"
#include "attn/Dialect/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Names and small builders
//===----------------------------------------------------------------------===//

std::string mlir::attn::extentName(StringRef rank) { return rank.upper(); }

/// Rank names are lower-case identifiers, so that the upper-case spelling can
/// name the extent unambiguously (FuseMax writes m1 and M1).
static bool isRankName(StringRef name) {
  if (name.empty() || !std::islower(static_cast<unsigned char>(name.front())))
    return false;
  return llvm::all_of(name, [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// An upper-case identifier names the extent of the rank spelled in lower
/// case.
static bool isExtentName(StringRef name) {
  return !name.empty() && name.lower() != name && name.upper() == name &&
         isRankName(name.lower());
}

IndexTermAttr IndexTermAttr::getRank(StringAttr rank) {
  return get(rank.getContext(), IndexTermKind::Rank, rank, StringAttr(), 0);
}
IndexTermAttr IndexTermAttr::getOffset(StringAttr rank, int64_t offset) {
  return get(rank.getContext(), IndexTermKind::Offset, rank, StringAttr(),
             offset);
}
IndexTermAttr IndexTermAttr::getTiled(StringAttr outer, StringAttr inner) {
  return get(outer.getContext(), IndexTermKind::Tiled, outer, inner, 0);
}
IndexTermAttr IndexTermAttr::getHeadMap(StringAttr kvRank,
                                        StringAttr queryRank) {
  return get(kvRank.getContext(), IndexTermKind::HeadMap, kvRank, queryRank, 0);
}
IndexTermAttr IndexTermAttr::getExtent(StringAttr rank) {
  return get(rank.getContext(), IndexTermKind::Extent, rank, StringAttr(), 0);
}

AccessAttr mlir::attn::makeAccess(MLIRContext *context, StringRef tensor,
                                  ArrayRef<IndexTermAttr> indices) {
  return AccessAttr::get(context, StringAttr::get(context, tensor), indices);
}

SmallVector<IndexTermAttr> mlir::attn::rankTerms(MLIRContext *context,
                                                 ArrayRef<StringRef> ranks) {
  return llvm::map_to_vector(ranks, [&](StringRef rank) {
    return IndexTermAttr::getRank(StringAttr::get(context, rank));
  });
}

MapAttr mlir::attn::makeMap(MapKind kind, ArrayRef<Attribute> operands,
                            Attribute rule, ArrayRef<IndexTermAttr> point) {
  MLIRContext *context =
      rule ? rule.getContext()
           : (!operands.empty() ? operands.front().getContext()
                                : point.front().getContext());
  return MapAttr::get(context, kind, operands, rule, point);
}

EinsumOp mlir::attn::createEinsum(OpBuilder &builder, Location loc,
                                  AccessAttr output, Attribute map,
                                  std::optional<ReduceKind> reducer,
                                  ArrayRef<StringAttr> reduced) {
  SmallVector<Attribute> indices(output.getIndices().begin(),
                                 output.getIndices().end());
  MLIRContext *context = builder.getContext();
  SmallVector<Attribute> reducedAttrs(reduced.begin(), reduced.end());
  return EinsumOp::create(
      builder, loc, output.getTensor(), builder.getArrayAttr(indices), map,
      reducer ? ReduceKindAttr::get(context, *reducer) : ReduceKindAttr(),
      reducer ? builder.getArrayAttr(reducedAttrs) : ArrayAttr());
}

void mlir::attn::collectTermRanks(IndexTermAttr term,
                                  SmallVectorImpl<StringAttr> &ranks) {
  switch (term.getKind()) {
  case IndexTermKind::Rank:
  case IndexTermKind::Offset:
    ranks.push_back(term.getRank());
    return;
  case IndexTermKind::Tiled:
    ranks.push_back(term.getRank());
    ranks.push_back(term.getOperand());
    return;
  case IndexTermKind::HeadMap:
    ranks.push_back(term.getOperand());
    return;
  case IndexTermKind::Extent:
    return;
  }
}

void mlir::attn::walkAccesses(Attribute expression,
                              function_ref<void(AccessAttr)> fn) {
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    fn(access);
    return;
  }
  if (auto map = dyn_cast<MapAttr>(expression))
    for (Attribute operand : map.getOperands())
      walkAccesses(operand, fn);
}

void mlir::attn::walkMaps(Attribute expression,
                          function_ref<void(MapAttr)> fn) {
  auto map = dyn_cast<MapAttr>(expression);
  if (!map)
    return;
  fn(map);
  for (Attribute operand : map.getOperands())
    walkMaps(operand, fn);
}

Attribute mlir::attn::rewriteExpression(Attribute expression,
                                        function_ref<Attribute(Attribute)> fn) {
  auto map = dyn_cast<MapAttr>(expression);
  if (!map)
    return fn(expression);
  SmallVector<Attribute> operands =
      llvm::map_to_vector(map.getOperands(), [&](Attribute operand) {
        return rewriteExpression(operand, fn);
      });
  return fn(MapAttr::get(map.getContext(), map.getKind(), operands,
                         map.getRule(), map.getPoint()));
}

//===----------------------------------------------------------------------===//
// Index terms: m | m1 + 1 | m1 * M0 + m0 | g(h) | M1
//===----------------------------------------------------------------------===//

static ParseResult parseRankName(AsmParser &parser, StringAttr &rank) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name))
    return failure();
  if (!isRankName(name))
    return parser.emitError(loc)
           << "expected a rank name (lower-case identifier), got '" << name
           << "'";
  rank = parser.getBuilder().getStringAttr(name);
  return success();
}

static FailureOr<IndexTermAttr> parseIndexTerm(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name))
    return failure();
  MLIRContext *context = parser.getContext();
  if (isExtentName(name))
    return IndexTermAttr::getExtent(StringAttr::get(context, name.lower()));
  if (!isRankName(name))
    return parser.emitError(loc)
           << "expected a rank (lower-case) or an extent (upper-case), got '"
           << name << "'";
  StringAttr rank = StringAttr::get(context, name);

  if (succeeded(parser.parseOptionalLParen())) {
    StringAttr queryRank;
    if (parseRankName(parser, queryRank) || parser.parseRParen())
      return failure();
    return IndexTermAttr::getHeadMap(rank, queryRank);
  }
  if (succeeded(parser.parseOptionalStar())) {
    SMLoc extentLoc = parser.getCurrentLocation();
    StringRef extent;
    StringAttr inner;
    if (failed(parser.parseOptionalKeyword(&extent)))
      return parser.emitError(extentLoc)
             << "expected the extent of the inner rank after '" << name
             << " *' (as in '" << name << " * M0 + m0'); tile sizes are "
             << "declared by attn.partition";
    if (parser.parsePlus() || parseRankName(parser, inner))
      return failure();
    if (extent != extentName(inner.getValue()))
      return parser.emitError(extentLoc)
             << "expected '" << name << " * " << extentName(inner.getValue())
             << " + " << inner.getValue() << "': the tile size of a "
             << "partitioned index is the extent of its inner rank, got '"
             << extent << "'";
    return IndexTermAttr::getTiled(rank, inner);
  }
  bool plus = succeeded(parser.parseOptionalPlus());
  if (plus || succeeded(parser.parseOptionalMinus())) {
    int64_t offset;
    if (parser.parseInteger(offset))
      return failure();
    return IndexTermAttr::getOffset(rank, plus ? offset : -offset);
  }
  return IndexTermAttr::getRank(rank);
}

static void printIndexTerm(raw_ostream &os, IndexTermAttr term) {
  StringRef rank = term.getRank().getValue();
  switch (term.getKind()) {
  case IndexTermKind::Rank:
    os << rank;
    return;
  case IndexTermKind::Offset:
    os << rank << (term.getOffset() < 0 ? " - " : " + ")
       << std::abs(term.getOffset());
    return;
  case IndexTermKind::Tiled:
    os << rank << " * " << extentName(term.getOperand().getValue()) << " + "
       << term.getOperand().getValue();
    return;
  case IndexTermKind::HeadMap:
    os << rank << "(" << term.getOperand().getValue() << ")";
    return;
  case IndexTermKind::Extent:
    os << extentName(rank);
    return;
  }
}

static ParseResult parseIndexList(AsmParser &parser,
                                  SmallVectorImpl<IndexTermAttr> &terms) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square, [&]() -> ParseResult {
        FailureOr<IndexTermAttr> term = parseIndexTerm(parser);
        if (failed(term))
          return failure();
        terms.push_back(*term);
        return success();
      });
}

static void printIndexList(raw_ostream &os, ArrayRef<IndexTermAttr> terms) {
  os << "[";
  llvm::interleaveComma(terms, os,
                        [&](IndexTermAttr term) { printIndexTerm(os, term); });
  os << "]";
}

Attribute IndexTermAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FailureOr<IndexTermAttr> term = parseIndexTerm(parser);
  if (failed(term) || parser.parseGreater())
    return {};
  return *term;
}

void IndexTermAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printIndexTerm(printer.getStream(), *this);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// Accesses: @QK[b, h, p, m]
//===----------------------------------------------------------------------===//

static FailureOr<AccessAttr> parseAccessBody(AsmParser &parser) {
  StringAttr tensor;
  SmallVector<IndexTermAttr> terms;
  if (parser.parseSymbolName(tensor) || parseIndexList(parser, terms))
    return failure();
  return AccessAttr::get(parser.getContext(), tensor, terms);
}

static void printAccessBody(AsmPrinter &printer, AccessAttr access) {
  printer.printSymbolName(access.getTensor().getValue());
  printIndexList(printer.getStream(), access.getIndices());
}

Attribute AccessAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FailureOr<AccessAttr> access = parseAccessBody(parser);
  if (failed(access) || parser.parseGreater())
    return {};
  return *access;
}

void AccessAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printAccessBody(printer, *this);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// Map expressions
//===----------------------------------------------------------------------===//

namespace {
/// How many operands each map action takes (maxOperands 0 = unbounded).
struct MapArity {
  unsigned minOperands, maxOperands;
};
} // namespace

static MapArity getArity(MapKind kind) {
  switch (kind) {
  case MapKind::Add:
  case MapKind::Mul:
  case MapKind::Max:
  case MapKind::Min:
    return {2, 0};
  case MapKind::Sub:
  case MapKind::Div:
  case MapKind::ExpDiff:
  case MapKind::DivOrZero:
    return {2, 2};
  case MapKind::Neg:
  case MapKind::Exp:
  case MapKind::Log:
  case MapKind::Tanh:
  case MapKind::ScoreMod:
  case MapKind::ScoreRegion:
    return {1, 1};
  case MapKind::Select:
    return {3, 3};
  case MapKind::Mask:
  case MapKind::MaskRegion:
    return {0, 0};
  }
  return {0, 0};
}

/// Conditions (mask tests) select between values; they are not values.
static bool isCondition(MapKind kind) {
  return kind == MapKind::Mask || kind == MapKind::MaskRegion;
}

static bool takesRule(MapKind kind) {
  return kind == MapKind::Mask || kind == MapKind::ScoreMod;
}

static bool takesPoint(MapKind kind) {
  return kind == MapKind::Mask || kind == MapKind::MaskRegion ||
         kind == MapKind::ScoreMod || kind == MapKind::ScoreRegion;
}

static FailureOr<Attribute> parseExpression(AsmParser &parser);

static FailureOr<Attribute> parseConstant(AsmParser &parser) {
  bool negative = succeeded(parser.parseOptionalMinus());
  double value;
  int64_t integer;
  if (succeeded(parser.parseOptionalKeyword("inf")))
    value = std::numeric_limits<double>::infinity();
  else if (OptionalParseResult parsed = parser.parseOptionalInteger(integer);
           parsed.has_value()) {
    if (failed(*parsed))
      return failure();
    value = static_cast<double>(integer);
  } else if (parser.parseFloat(value))
    return failure();
  return Attribute(
      parser.getBuilder().getF64FloatAttr(negative ? -value : value));
}

static FailureOr<Attribute> parseExpression(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringAttr tensor;
  if (succeeded(parser.parseOptionalSymbolName(tensor))) {
    SmallVector<IndexTermAttr> terms;
    if (parseIndexList(parser, terms))
      return failure();
    return Attribute(AccessAttr::get(parser.getContext(), tensor, terms));
  }
  StringRef name;
  if (failed(parser.parseOptionalKeyword(&name)))
    return parseConstant(parser);
  if (name == "inf")
    return Attribute(parser.getBuilder().getF64FloatAttr(
        std::numeric_limits<double>::infinity()));
  std::optional<MapKind> kind = symbolizeMapKind(name);
  if (!kind)
    return parser.emitError(loc)
           << "unknown map action '" << name
           << "'; expected add, sub, mul, div, max, min, neg, exp, log, tanh, "
              "exp_diff, div_or_zero, select, mask, mask_region, score_mod or "
              "score_region";

  Attribute rule;
  if (takesRule(*kind)) {
    if (parser.parseLess() || parser.parseAttribute(rule) ||
        parser.parseGreater())
      return failure();
  }
  SmallVector<IndexTermAttr> point;
  if (takesPoint(*kind) && parseIndexList(parser, point))
    return failure();
  SmallVector<Attribute> operands;
  MapArity arity = getArity(*kind);
  if (arity.maxOperands != 0 || arity.minOperands != 0) {
    if (parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Paren, [&]() -> ParseResult {
              FailureOr<Attribute> operand = parseExpression(parser);
              if (failed(operand))
                return failure();
              operands.push_back(*operand);
              return success();
            }))
      return failure();
  }
  if (operands.size() < arity.minOperands ||
      (arity.maxOperands && operands.size() > arity.maxOperands)) {
    InFlightDiagnostic diag = parser.emitError(loc)
                              << "'" << name << "' takes ";
    if (arity.maxOperands == arity.minOperands)
      diag << arity.minOperands;
    else
      diag << "at least " << arity.minOperands;
    return diag << " operand(s), got " << operands.size();
  }
  return Attribute(
      MapAttr::get(parser.getContext(), *kind, operands, rule, point));
}

static void printConstant(raw_ostream &os, double value) {
  if (std::isinf(value)) {
    os << (value < 0 ? "-inf" : "inf");
    return;
  }
  // The shortest spelling that reads back as the same double; 17 significant
  // digits always do.
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  // MLIR float literals need a '.' before any exponent ("1.0e-300").
  StringRef spelling(text);
  if (spelling.contains('.')) {
    os << spelling;
    return;
  }
  auto [mantissa, exponent] = spelling.split('e');
  os << mantissa << ".0";
  if (spelling.contains('e'))
    os << "e" << exponent;
}

static void printExpression(AsmPrinter &printer, Attribute expression) {
  raw_ostream &os = printer.getStream();
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    printAccessBody(printer, access);
    return;
  }
  if (auto constant = dyn_cast<FloatAttr>(expression)) {
    printConstant(os, constant.getValueAsDouble());
    return;
  }
  auto map = dyn_cast<MapAttr>(expression);
  if (!map) {
    printer.printAttribute(expression);
    return;
  }
  os << stringifyMapKind(map.getKind());
  if (map.getRule()) {
    os << "<";
    printer.printAttribute(map.getRule());
    os << ">";
  }
  if (takesPoint(map.getKind()))
    printIndexList(os, map.getPoint());
  if (map.getOperands().empty())
    return;
  os << "(";
  llvm::interleaveComma(map.getOperands(), os, [&](Attribute operand) {
    printExpression(printer, operand);
  });
  os << ")";
}

Attribute MapAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  FailureOr<Attribute> expression = parseExpression(parser);
  if (failed(expression) || parser.parseGreater())
    return {};
  if (!isa<MapAttr>(*expression)) {
    parser.emitError(loc) << "expected a map action such as mul(...)";
    return {};
  }
  return *expression;
}

void MapAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printExpression(printer, *this);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// attn.cascade
//===----------------------------------------------------------------------===//

// attn.cascade "name" ins(@Q[b, h, p, e] = %q : type, ...)
//     (data(%d : type, ...))? -> type, ... (attributes {...})?
//     { body } (mask { region })? (score { region })?
ParseResult CascadeOp::parse(OpAsmParser &parser, OperationState &result) {
  std::string name;
  if (parser.parseString(&name) || parser.parseKeyword("ins"))
    return failure();
  Builder &builder = parser.getBuilder();
  SmallVector<Attribute> bindings;
  SmallVector<OpAsmParser::UnresolvedOperand> inputs, data;
  SmallVector<Type> inputTypes, dataTypes, resultTypes;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            FailureOr<AccessAttr> binding = parseAccessBody(parser);
            if (failed(binding) || parser.parseEqual() ||
                parser.parseOperand(inputs.emplace_back()) ||
                parser.parseColonType(inputTypes.emplace_back()))
              return failure();
            bindings.push_back(*binding);
            return success();
          }))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("data")) &&
      parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            return failure(parser.parseOperand(data.emplace_back()) ||
                           parser.parseColonType(dataTypes.emplace_back()));
          }))
    return failure();
  if (parser.parseArrow() || parser.parseTypeList(resultTypes))
    return failure();
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();

  SMLoc operandsLoc = parser.getCurrentLocation();
  if (parser.resolveOperands(inputs, inputTypes, operandsLoc,
                             result.operands) ||
      parser.resolveOperands(data, dataTypes, operandsLoc, result.operands))
    return failure();
  result.addTypes(resultTypes);
  result.addAttribute(getCascadeNameAttrName(result.name),
                      builder.getStringAttr(name));
  result.addAttribute(getBindingsAttrName(result.name),
                      builder.getArrayAttr(bindings));
  result.addAttribute(
      getOperandSegmentSizesAttrName(result.name),
      builder.getDenseI32ArrayAttr({static_cast<int32_t>(inputs.size()),
                                    static_cast<int32_t>(data.size())}));

  Region *body = result.addRegion();
  Region *maskRegion = result.addRegion();
  Region *scoreRegion = result.addRegion();
  if (parser.parseRegion(*body))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("mask")) &&
      parser.parseRegion(*maskRegion))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("score")) &&
      parser.parseRegion(*scoreRegion))
    return failure();
  return success();
}

void CascadeOp::print(OpAsmPrinter &printer) {
  printer << " ";
  printer.printString(getCascadeName());
  printer << " ins(";
  llvm::interleaveComma(
      llvm::zip_equal(getBindings().getAsRange<AccessAttr>(), getInputs()),
      printer, [&](auto pair) {
        auto [binding, input] = pair;
        printAccessBody(printer, binding);
        printer << " = " << input << " : " << input.getType();
      });
  printer << ")";
  if (!getData().empty()) {
    printer << " data(";
    llvm::interleaveComma(getData(), printer, [&](Value data) {
      printer << data << " : " << data.getType();
    });
    printer << ")";
  }
  printer << " -> " << getResultTypes();
  printer.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {getCascadeNameAttrName(), getBindingsAttrName(),
                            getOperandSegmentSizesAttrName()});
  printer << " ";
  printer.printRegion(getBody(), /*printEntryBlockArgs=*/false);
  if (!getMaskRegion().empty()) {
    printer << " mask ";
    printer.printRegion(getMaskRegion());
  }
  if (!getScoreRegion().empty()) {
    printer << " score ";
    printer.printRegion(getScoreRegion());
  }
}

AttentionShape CascadeOp::getAttentionShape() {
  AttentionShape shape;
  auto dimOf = [&](unsigned input, unsigned dim) -> int64_t {
    if (input >= getInputs().size())
      return ShapedType::kDynamic;
    auto type = cast<RankedTensorType>(getInputs()[input].getType());
    return dim < type.getRank() ? type.getDimSize(dim) : ShapedType::kDynamic;
  };
  shape.batch = dimOf(0, 0);
  shape.queryHeads = dimOf(0, 1);
  shape.seqQ = dimOf(0, 2);
  shape.headDimQK = dimOf(0, 3);
  shape.kvHeads = dimOf(1, 1);
  shape.seqKV = dimOf(1, 2);
  shape.headDimV = dimOf(2, 3);
  for (Value data : getData())
    shape.dataTypes.push_back(cast<RankedTensorType>(data.getType()));
  return shape;
}

CascadeYieldOp CascadeOp::getYield() {
  return cast<CascadeYieldOp>(getBody().front().getTerminator());
}

//===----------------------------------------------------------------------===//
// attn.partition m = m1 * 64 + m0
//===----------------------------------------------------------------------===//

ParseResult PartitionOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr rank, outer, inner;
  int64_t tile;
  if (parseRankName(parser, rank) || parser.parseEqual() ||
      parseRankName(parser, outer) || parser.parseStar() ||
      parser.parseInteger(tile) || parser.parsePlus() ||
      parseRankName(parser, inner) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  result.addAttribute(getRankAttrName(result.name), rank);
  result.addAttribute(getOuterAttrName(result.name), outer);
  result.addAttribute(getInnerAttrName(result.name), inner);
  result.addAttribute(getTileAttrName(result.name),
                      parser.getBuilder().getI64IntegerAttr(tile));
  return success();
}

void PartitionOp::print(OpAsmPrinter &printer) {
  printer << " " << getRank() << " = " << getOuter() << " * " << getTile()
          << " + " << getInner();
  printer.printOptionalAttrDict((*this)->getAttrs(),
                                {getRankAttrName(), getOuterAttrName(),
                                 getInnerAttrName(), getTileAttrName()});
}

//===----------------------------------------------------------------------===//
// attn.einsum @T[...] = expr (reduce(sum: ranks))?
//===----------------------------------------------------------------------===//

ParseResult EinsumOp::parse(OpAsmParser &parser, OperationState &result) {
  FailureOr<AccessAttr> output = parseAccessBody(parser);
  if (failed(output) || parser.parseEqual())
    return failure();
  FailureOr<Attribute> map = parseExpression(parser);
  if (failed(map))
    return failure();
  Builder &builder = parser.getBuilder();
  result.addAttribute(getTensorAttrName(result.name), output->getTensor());
  SmallVector<Attribute> indices(output->getIndices().begin(),
                                 output->getIndices().end());
  result.addAttribute(getIndicesAttrName(result.name),
                      builder.getArrayAttr(indices));
  result.addAttribute(getMapAttrName(result.name), *map);

  if (succeeded(parser.parseOptionalKeyword("reduce"))) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef reducerName;
    SmallVector<Attribute> reduced;
    if (parser.parseLParen() || parser.parseKeyword(&reducerName) ||
        parser.parseColon())
      return failure();
    std::optional<ReduceKind> reducer = symbolizeReduceKind(reducerName);
    if (!reducer)
      return parser.emitError(loc) << "unknown reduce action '" << reducerName
                                   << "'; expected sum or max";
    if (parser.parseCommaSeparatedList([&]() -> ParseResult {
          StringAttr rank;
          if (parseRankName(parser, rank))
            return failure();
          reduced.push_back(rank);
          return success();
        }) ||
        parser.parseRParen())
      return failure();
    result.addAttribute(getReducerAttrName(result.name),
                        ReduceKindAttr::get(parser.getContext(), *reducer));
    result.addAttribute(getReducedAttrName(result.name),
                        builder.getArrayAttr(reduced));
  }
  return parser.parseOptionalAttrDict(result.attributes);
}

void EinsumOp::print(OpAsmPrinter &printer) {
  printer << " ";
  printAccessBody(printer, getOutput());
  printer << " = ";
  printExpression(printer, getMap());
  if (std::optional<ReduceKind> reducer = getReducer()) {
    printer << " reduce(" << stringifyReduceKind(*reducer) << ": ";
    llvm::interleaveComma(getReducedAttr().getAsValueRange<StringAttr>(),
                          printer);
    printer << ")";
  }
  printer.printOptionalAttrDict((*this)->getAttrs(),
                                {getTensorAttrName(), getIndicesAttrName(),
                                 getMapAttrName(), getReducerAttrName(),
                                 getReducedAttrName()});
}

AccessAttr EinsumOp::getOutput() {
  return AccessAttr::get(
      getContext(), getTensorAttr(),
      llvm::to_vector(getIndices().getAsRange<IndexTermAttr>()));
}

//===----------------------------------------------------------------------===//
// attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, ...) { }
//===----------------------------------------------------------------------===//

ParseResult IterateOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr rank;
  if (parseRankName(parser, rank) || parser.parseKeyword("stop") ||
      parser.parseLParen())
    return failure();
  SMLoc testedLoc = parser.getCurrentLocation();
  StringAttr tested;
  if (parseRankName(parser, tested) || parser.parseEqual())
    return failure();
  if (tested != rank)
    return parser.emitError(testedLoc)
           << "the stop condition must test the iterative rank '"
           << rank.getValue() << "', got '" << tested.getValue() << "'";
  FailureOr<IndexTermAttr> stop = parseIndexTerm(parser);
  if (failed(stop) || parser.parseRParen())
    return failure();
  SmallVector<Attribute> visit;
  if (succeeded(parser.parseOptionalKeyword("visit")) &&
      parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            SMLoc testLoc = parser.getCurrentLocation();
            FailureOr<Attribute> test = parseExpression(parser);
            if (failed(test))
              return failure();
            if (!isa<MapAttr>(*test))
              return parser.emitError(testLoc)
                     << "expected a mask test (mask<...>[...] or "
                        "mask_region[...]) in visit(...)";
            visit.push_back(*test);
            return success();
          }))
    return failure();
  if (parser.parseKeyword("running"))
    return failure();

  SmallVector<Attribute> running;
  SmallVector<double> initial;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            FailureOr<AccessAttr> tensor = parseAccessBody(parser);
            if (failed(tensor) || parser.parseEqual())
              return failure();
            FailureOr<Attribute> value = parseConstant(parser);
            if (failed(value))
              return failure();
            running.push_back(*tensor);
            initial.push_back(cast<FloatAttr>(*value).getValueAsDouble());
            return success();
          }))
    return failure();
  Builder &builder = parser.getBuilder();
  result.addAttribute(getRankAttrName(result.name), rank);
  result.addAttribute(getStopAttrName(result.name), *stop);
  result.addAttribute(getRunningAttrName(result.name),
                      builder.getArrayAttr(running));
  result.addAttribute(getInitialAttrName(result.name),
                      builder.getF64ArrayAttr(initial));
  if (!visit.empty())
    result.addAttribute(getVisitAttrName(result.name),
                        builder.getArrayAttr(visit));
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  Region *body = result.addRegion();
  if (parser.parseRegion(*body))
    return failure();
  if (body->empty())
    body->emplaceBlock();
  return success();
}

void IterateOp::print(OpAsmPrinter &printer) {
  printer << " " << getRank() << " stop(" << getRank() << " = ";
  printIndexTerm(printer.getStream(), getStop());
  printer << ")";
  if (ArrayAttr visit = getVisitAttr()) {
    printer << " visit(";
    llvm::interleaveComma(visit, printer, [&](Attribute test) {
      printExpression(printer, test);
    });
    printer << ")";
  }
  printer << " running(";
  llvm::interleaveComma(
      llvm::zip_equal(getRunning().getAsRange<AccessAttr>(),
                      getInitial().getAsValueRange<FloatAttr>()),
      printer, [&](auto pair) {
        auto [tensor, value] = pair;
        printAccessBody(printer, tensor);
        printer << " = ";
        printConstant(printer.getStream(), value.convertToDouble());
      });
  printer << ")";
  printer.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {getRankAttrName(), getStopAttrName(),
                            getRunningAttrName(), getInitialAttrName(),
                            getVisitAttrName()});
  printer << " ";
  printer.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

//===----------------------------------------------------------------------===//
// attn.cascade_yield @AV[b, h, p, f], ...
//===----------------------------------------------------------------------===//

ParseResult CascadeYieldOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<Attribute> tensors;
  if (parser.parseCommaSeparatedList([&]() -> ParseResult {
        FailureOr<AccessAttr> tensor = parseAccessBody(parser);
        if (failed(tensor))
          return failure();
        tensors.push_back(*tensor);
        return success();
      }) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  result.addAttribute(getTensorsAttrName(result.name),
                      parser.getBuilder().getArrayAttr(tensors));
  return success();
}

void CascadeYieldOp::print(OpAsmPrinter &printer) {
  printer << " ";
  llvm::interleaveComma(
      getTensors().getAsRange<AccessAttr>(), printer,
      [&](AccessAttr tensor) { printAccessBody(printer, tensor); });
  printer.printOptionalAttrDict((*this)->getAttrs(), {getTensorsAttrName()});
}

//===----------------------------------------------------------------------===//
// The cascade rules
//===----------------------------------------------------------------------===//

EinsumDomain mlir::attn::getEinsumDomain(EinsumOp op) {
  EinsumDomain domain;
  if (auto iterate = dyn_cast<IterateOp>(op->getParentOp()))
    domain.fixedRank = iterate.getRankAttr();
  llvm::SetVector<StringAttr> output, used;
  SmallVector<StringAttr> ranks;
  for (IndexTermAttr term : op.getIndices().getAsRange<IndexTermAttr>())
    collectTermRanks(term, ranks);
  output.insert(ranks.begin(), ranks.end());
  ranks.clear();
  walkAccesses(op.getMap(), [&](AccessAttr access) {
    for (IndexTermAttr term : access.getIndices())
      collectTermRanks(term, ranks);
  });
  walkMaps(op.getMap(), [&](MapAttr map) {
    for (IndexTermAttr term : map.getPoint())
      collectTermRanks(term, ranks);
  });
  used.insert(ranks.begin(), ranks.end());
  for (StringAttr rank : output)
    if (rank != domain.fixedRank)
      domain.outputRanks.push_back(rank);
  for (StringAttr rank : used)
    if (rank != domain.fixedRank && !output.contains(rank))
      domain.reducedRanks.push_back(rank);
  return domain;
}

static std::string formatTerm(IndexTermAttr term) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printIndexTerm(os, term);
  return text;
}

static std::string formatTerms(ArrayRef<IndexTermAttr> terms) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printIndexList(os, terms);
  return text;
}

static std::string formatAccess(AccessAttr access) {
  return "@" + access.getTensor().getValue().str() +
         formatTerms(access.getIndices());
}

static std::string formatRanks(ArrayRef<StringAttr> ranks) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(ranks, os,
                        [&](StringAttr rank) { os << rank.getValue(); });
  return text + "]";
}

namespace {
/// Where an access is read from.
struct ReadContext {
  /// The enclosing iteration, if any.
  IterateOp iterate;
  /// The tensor being defined (null for the yield).
  StringAttr output;
  /// Whether the reader is the recurrence of `output`.
  bool isRecurrence = false;
};

/// Checks a cascade op by op, in order, building its structure.
class CascadeChecker {
public:
  CascadeChecker(CascadeOp op, bool emitDiagnostics)
      : cascade(op), emitDiagnostics(emitDiagnostics) {}

  FailureOr<CascadeStructure> run();

private:
  InFlightDiagnostic error(Operation *at) {
    return emitDiagnostics ? at->emitOpError() : InFlightDiagnostic();
  }

  LogicalResult checkBindings();
  LogicalResult checkPartition(PartitionOp op);
  LogicalResult checkEinsum(EinsumOp op, IterateOp iterate);
  LogicalResult checkIterate(IterateOp op);
  LogicalResult checkVisit(IterateOp op);
  LogicalResult checkYield(CascadeYieldOp op);
  LogicalResult checkAccess(Operation *reader, AccessAttr access,
                            const ReadContext &context);
  LogicalResult checkUndefinedRead(Operation *reader, StringAttr tensor,
                                   StringAttr output);
  LogicalResult checkExpression(Operation *reader, Attribute expression,
                                bool wantCondition, const ReadContext &context);
  LogicalResult checkRule(Operation *reader, MapAttr map);
  LogicalResult checkPointTerm(Operation *reader, IndexTermAttr term);
  LogicalResult checkCustomRegions();
  bool readsTransitively(StringAttr from, StringAttr target,
                         llvm::DenseSet<StringAttr> &visited);
  bool isKnownRank(StringAttr rank) const {
    return structure.ranks.contains(rank);
  }

  CascadeOp cascade;
  bool emitDiagnostics;
  CascadeStructure structure;
  /// Every Einsum of the cascade by output tensor (its first definition),
  /// to tell a cycle or a misordered definition from an undefined tensor.
  llvm::DenseMap<StringAttr, EinsumOp> allDefinitions;
  llvm::DenseSet<StringAttr> iteratedRanks;
  llvm::DenseSet<Attribute> checkedRules;
};
} // namespace

LogicalResult CascadeChecker::checkBindings() {
  ArrayAttr bindings = cascade.getBindings();
  if (bindings.size() != cascade.getInputs().size())
    return error(cascade) << "has " << cascade.getInputs().size()
                          << " inputs but " << bindings.size()
                          << " input bindings";
  for (auto [position, binding, input] : llvm::enumerate(
           bindings.getAsRange<AccessAttr>(), cascade.getInputs())) {
    StringAttr name = binding.getTensor();
    auto type = cast<RankedTensorType>(input.getType());
    if (structure.tensors.contains(name))
      return error(cascade)
             << "binds input tensor @" << name.getValue() << " twice";
    ArrayRef<IndexTermAttr> terms = binding.getIndices();
    if (static_cast<int64_t>(terms.size()) != type.getRank())
      return error(cascade)
             << "binding " << formatAccess(binding) << " names " << terms.size()
             << " rank(s) but input #" << position << " has type " << type;
    CascadeTensor tensor;
    tensor.name = name;
    tensor.kind = CascadeTensor::Kind::Input;
    tensor.input = position;
    for (auto [dim, term] : llvm::enumerate(terms)) {
      if (!term.isRank())
        return error(cascade) << "binding " << formatAccess(binding)
                              << " must name plain ranks, one per dimension";
      StringAttr rank = term.getRank();
      if (llvm::is_contained(tensor.ranks, rank))
        return error(cascade) << "binding " << formatAccess(binding)
                              << " names rank " << rank.getValue() << " twice";
      tensor.ranks.push_back(rank);
      int64_t extent = type.getDimSize(dim);
      auto [found, inserted] = structure.ranks.insert(
          {rank, CascadeRank{rank, extent, static_cast<unsigned>(position),
                             static_cast<unsigned>(dim)}});
      if (inserted)
        continue;
      CascadeRank &known = found->second;
      if (ShapedType::isDynamic(known.extent)) {
        known.extent = extent;
        continue;
      }
      if (!ShapedType::isDynamic(extent) && extent != known.extent)
        return error(cascade)
               << "rank " << rank.getValue() << " has extent " << known.extent
               << " in input #" << known.input << " (dimension " << known.dim
               << ") but " << extent << " in input #" << position
               << " (dimension " << dim << ")";
    }
    structure.tensors.insert({name, tensor});
  }
  return success();
}

LogicalResult CascadeChecker::checkPartition(PartitionOp op) {
  StringAttr rank = op.getRankAttr(), outer = op.getOuterAttr(),
             inner = op.getInnerAttr();
  for (StringAttr name : {rank, outer, inner})
    if (!isRankName(name.getValue()))
      return error(op) << "'" << name.getValue()
                       << "' is not a rank name (lower-case identifier)";
  if (!isKnownRank(rank))
    return error(op) << "partitions unknown rank " << rank.getValue();
  if (structure.rank(rank).isPartitionPart())
    return error(op) << "partitions " << rank.getValue()
                     << ", which is itself a partition part";
  if (structure.partitions.contains(rank))
    return error(op) << "partitions rank " << rank.getValue() << " twice";
  if (outer == inner || isKnownRank(outer) || isKnownRank(inner))
    return error(op) << "the parts of a partition must be two new ranks, got "
                     << outer.getValue() << " and " << inner.getValue();
  int64_t tile = op.getTile();
  if (tile < 1)
    return error(op) << "tile size must be >= 1, got " << tile
                     << ": the partitions of " << rank.getValue()
                     << " would never cover it and an iteration over "
                     << outer.getValue() << " would never terminate";
  int64_t extent = structure.rank(rank).extent;
  CascadeRank outerRank{outer, ShapedType::isDynamic(extent)
                                   ? ShapedType::kDynamic
                                   : (extent + tile - 1) / tile};
  outerRank.parent = rank;
  outerRank.tile = tile;
  outerRank.isOuter = true;
  CascadeRank innerRank{inner, tile};
  innerRank.parent = rank;
  innerRank.tile = tile;
  structure.ranks.insert({outer, outerRank});
  structure.ranks.insert({inner, innerRank});
  structure.partitions[rank] = {outer, inner};
  return success();
}

bool CascadeChecker::readsTransitively(StringAttr from, StringAttr target,
                                       llvm::DenseSet<StringAttr> &visited) {
  if (!visited.insert(from).second)
    return false;
  auto definition = allDefinitions.find(from);
  if (definition == allDefinitions.end())
    return false;
  bool found = false;
  walkAccesses(definition->second.getMap(), [&](AccessAttr access) {
    StringAttr read = access.getTensor();
    if (found || structure.tensors.contains(read))
      return;
    found = read == target || readsTransitively(read, target, visited);
  });
  return found;
}

LogicalResult CascadeChecker::checkUndefinedRead(Operation *reader,
                                                 StringAttr tensor,
                                                 StringAttr output) {
  if (tensor == output)
    return error(reader) << "@" << output.getValue()
                         << " reads itself, which forms a cycle; a "
                            "recurrence needs attn.iterate with a running "
                            "tensor";
  if (!allDefinitions.contains(tensor))
    return error(reader) << "reads undefined tensor @" << tensor.getValue();
  llvm::DenseSet<StringAttr> visited;
  if (output && readsTransitively(tensor, output, visited))
    return error(reader) << "@" << output.getValue() << " reads @"
                         << tensor.getValue() << ", which reads @"
                         << output.getValue() << ": the Einsums form a cycle";
  return error(reader) << "reads @" << tensor.getValue()
                       << " before its definition; list Einsums in "
                          "dependence order";
}

LogicalResult CascadeChecker::checkAccess(Operation *reader, AccessAttr access,
                                          const ReadContext &context) {
  StringAttr name = access.getTensor();
  auto found = structure.tensors.find(name);
  if (found == structure.tensors.end())
    return checkUndefinedRead(reader, name, context.output);
  const CascadeTensor &tensor = found->second;
  ArrayRef<IndexTermAttr> terms = access.getIndices();
  if (terms.size() != tensor.ranks.size())
    return error(reader) << "reads " << formatAccess(access) << " with "
                         << terms.size() << " indices but @" << name.getValue()
                         << " has " << tensor.ranks.size() << " dimensions "
                         << formatRanks(tensor.ranks);

  for (auto [position, term, dimRank] : llvm::enumerate(terms, tensor.ranks)) {
    if (tensor.kind == CascadeTensor::Kind::Running &&
        position == tensor.iterativeDim) {
      IterateOp owner = tensor.iterate;
      StringAttr iterative = owner.getRankAttr();
      bool inside = context.iterate == owner;
      std::string final = extentName(iterative.getValue());
      if (!inside) {
        // Outside (after) its iteration, only the final value exists.
        if (term.getKind() == IndexTermKind::Extent &&
            term.getRank() == iterative)
          continue;
        return error(reader) << "reads running tensor " << formatAccess(access)
                             << " outside its iteration: after attn.iterate "
                             << iterative.getValue()
                             << " it is read at its final index " << final;
      }
      if (term.isRank() && term.getRank() == iterative)
        continue;
      if (term.getKind() == IndexTermKind::Offset &&
          term.getRank() == iterative && term.getOffset() == 1) {
        if (context.isRecurrence && context.output == name)
          return error(reader)
                 << "the recurrence of @" << name.getValue()
                 << " reads its own result " << formatAccess(access)
                 << ", which forms a cycle";
        if (!tensor.definition)
          return error(reader) << "reads " << formatAccess(access)
                               << " before the recurrence of @"
                               << name.getValue() << " defines it";
        continue;
      }
      return error(reader) << "reads running tensor " << formatAccess(access)
                           << " at index #" << position
                           << "; inside attn.iterate " << iterative.getValue()
                           << " it is read at " << iterative.getValue()
                           << " (current value) or " << iterative.getValue()
                           << " + 1 (next value)";
    }

    switch (term.getKind()) {
    case IndexTermKind::Rank:
      if (term.getRank() != dimRank)
        return error(reader)
               << "reads " << formatAccess(access) << ": index #" << position
               << " is rank " << term.getRank().getValue() << " but dimension #"
               << position << " of @" << name.getValue() << " is rank "
               << dimRank.getValue();
      break;
    case IndexTermKind::Tiled: {
      auto partition = structure.partitions.find(dimRank);
      if (partition == structure.partitions.end() ||
          partition->second !=
              std::make_pair(term.getRank(), term.getOperand()))
        return error(reader)
               << "reads " << formatAccess(access) << ": index #" << position
               << " needs 'attn.partition " << dimRank.getValue() << " = "
               << term.getRank().getValue() << " * <tile> + "
               << term.getOperand().getValue() << "' before it, for dimension #"
               << position << " of @" << name.getValue() << " (rank "
               << dimRank.getValue() << ")";
      break;
    }
    case IndexTermKind::HeadMap: {
      StringAttr query = term.getOperand();
      if (term.getRank() != dimRank)
        return error(reader)
               << "reads " << formatAccess(access) << ": index #" << position
               << " maps to rank " << term.getRank().getValue()
               << " but dimension #" << position << " of @" << name.getValue()
               << " is rank " << dimRank.getValue();
      if (!isKnownRank(query))
        return error(reader) << "reads " << formatAccess(access)
                             << ": unknown rank " << query.getValue();
      int64_t groups = structure.rank(dimRank).extent;
      int64_t heads = structure.rank(query).extent;
      if (ShapedType::isDynamic(groups) || ShapedType::isDynamic(heads) ||
          groups < 1 || heads % groups != 0)
        return error(reader)
               << "reads " << formatAccess(access) << ": the head map "
               << dimRank.getValue() << "(" << query.getValue()
               << ") needs static extents with " << query.getValue()
               << " a multiple of " << dimRank.getValue();
      break;
    }
    case IndexTermKind::Offset:
    case IndexTermKind::Extent:
      return error(reader) << "reads " << formatAccess(access) << ": index #"
                           << position
                           << " is only valid on the iterative dimension of "
                              "a running tensor";
    }
  }
  return success();
}

LogicalResult CascadeChecker::checkPointTerm(Operation *reader,
                                             IndexTermAttr term) {
  switch (term.getKind()) {
  case IndexTermKind::Rank:
    if (!isKnownRank(term.getRank()))
      return error(reader) << "evaluates a rule at unknown rank "
                           << term.getRank().getValue();
    return success();
  case IndexTermKind::Tiled:
    for (auto &[parent, parts] : structure.partitions)
      if (parts == std::make_pair(term.getRank(), term.getOperand()))
        return success();
    return error(reader) << "evaluates a rule at " << formatTerm(term)
                         << " but no attn.partition defines those parts";
  case IndexTermKind::HeadMap:
    if (!isKnownRank(term.getRank()) || !isKnownRank(term.getOperand()))
      return error(reader) << "evaluates a rule at " << formatTerm(term)
                           << " with an unknown rank";
    return success();
  case IndexTermKind::Offset:
  case IndexTermKind::Extent:
    return error(reader) << "evaluates a rule at " << formatTerm(term)
                         << "; a rule's point is made of ranks";
  }
  return success();
}

LogicalResult CascadeChecker::checkRule(Operation *reader, MapAttr map) {
  StringRef kind = stringifyMapKind(map.getKind());
  auto inputs = cascade.getInputs();
  bool hasAttentionInputs =
      inputs.size() >= 3 && llvm::all_of(inputs.take_front(3), [](Value v) {
        return cast<RankedTensorType>(v.getType()).getRank() == 4;
      });
  if (!hasAttentionInputs)
    return error(reader)
           << "uses '" << kind << "', which evaluates an attention rule at "
           << "(b, h, i, j): the cascade's first three inputs must be the "
              "query, key and value, of rank 4 each";
  if (map.getPoint().size() != 4)
    return error(reader) << "evaluates '" << kind << "' at "
                         << formatTerms(map.getPoint())
                         << "; a rule's point is (b, h, i, j)";
  for (IndexTermAttr term : map.getPoint())
    if (failed(checkPointTerm(reader, term)))
      return failure();

  Attribute rule = map.getRule();
  switch (map.getKind()) {
  case MapKind::Mask: {
    auto mask = dyn_cast_if_present<MaskAttrInterface>(rule);
    if (!mask)
      return error(reader) << "'mask' needs a mask attribute such as "
                              "#attn.causal, got "
                           << rule;
    if (emitDiagnostics && checkedRules.insert(rule).second &&
        failed(mask.verifyUse(cascade.getAttentionShape(), cascade)))
      return failure();
    return success();
  }
  case MapKind::ScoreMod: {
    auto mod = dyn_cast_if_present<ScoreModAttrInterface>(rule);
    if (!mod)
      return error(reader) << "'score_mod' needs a score-mod attribute such "
                              "as #attn.softcap<50.0>, got "
                           << rule;
    if (emitDiagnostics && checkedRules.insert(rule).second &&
        failed(mod.verifyUse(cascade.getAttentionShape(), cascade)))
      return failure();
    return success();
  }
  case MapKind::MaskRegion:
    if (cascade.getMaskRegion().empty())
      return error(reader) << "uses 'mask_region' but the cascade has no "
                              "mask region";
    return success();
  case MapKind::ScoreRegion:
    if (cascade.getScoreRegion().empty())
      return error(reader) << "uses 'score_region' but the cascade has no "
                              "score region";
    return success();
  default:
    return success();
  }
}

LogicalResult CascadeChecker::checkExpression(Operation *reader,
                                              Attribute expression,
                                              bool wantCondition,
                                              const ReadContext &context) {
  if (auto access = dyn_cast<AccessAttr>(expression)) {
    if (wantCondition)
      return error(reader) << "the first operand of 'select' must be a mask "
                              "test (mask<...>[...] or mask_region[...]), "
                              "got "
                           << formatAccess(access);
    return checkAccess(reader, access, context);
  }
  if (auto constant = dyn_cast<FloatAttr>(expression)) {
    if (wantCondition)
      return error(reader) << "the first operand of 'select' must be a mask "
                              "test, got a constant";
    if (std::isnan(constant.getValueAsDouble()))
      return error(reader) << "uses a NaN constant";
    return success();
  }
  auto map = dyn_cast<MapAttr>(expression);
  if (!map)
    return error(reader) << "has a map operand that is neither an access, a "
                            "constant nor a map action: "
                         << expression;
  MapKind kind = map.getKind();
  if (isCondition(kind) != wantCondition)
    return error(reader)
           << (wantCondition
                   ? "the first operand of 'select' must be a mask test, got '"
                   : "a mask test can only be the first operand of "
                     "'select', got '")
           << stringifyMapKind(kind) << "'";
  MapArity arity = getArity(kind);
  size_t count = map.getOperands().size();
  if (count < arity.minOperands ||
      (arity.maxOperands && count > arity.maxOperands))
    return error(reader) << "'" << stringifyMapKind(kind) << "' has " << count
                         << " operand(s)";
  if (takesRule(kind) != static_cast<bool>(map.getRule()) ||
      takesPoint(kind) != !map.getPoint().empty())
    return error(reader) << "'" << stringifyMapKind(kind)
                         << "' has a malformed rule or point";
  if (takesPoint(kind) && failed(checkRule(reader, map)))
    return failure();
  for (auto [position, operand] : llvm::enumerate(map.getOperands()))
    if (failed(checkExpression(reader, operand,
                               kind == MapKind::Select && position == 0,
                               context)))
      return failure();
  return success();
}

LogicalResult CascadeChecker::checkEinsum(EinsumOp op, IterateOp iterate) {
  StringAttr name = op.getTensorAttr();
  auto existing = structure.tensors.find(name);
  bool isRecurrence = iterate && existing != structure.tensors.end() &&
                      existing->second.kind == CascadeTensor::Kind::Running &&
                      existing->second.iterate == iterate;
  if (existing != structure.tensors.end() && !isRecurrence)
    return error(op) << "defines @" << name.getValue()
                     << ", which is already defined";
  if (isRecurrence && existing->second.definition)
    return error(op) << "defines a second recurrence for running tensor @"
                     << name.getValue();

  SmallVector<IndexTermAttr> terms =
      llvm::to_vector(op.getIndices().getAsRange<IndexTermAttr>());
  SmallVector<StringAttr> outputRanks;
  if (isRecurrence) {
    const CascadeTensor &running = existing->second;
    StringAttr iterative = iterate.getRankAttr();
    if (terms.size() != running.ranks.size())
      return error(op) << "writes " << formatAccess(op.getOutput())
                       << " but running tensor @" << name.getValue()
                       << " has dimensions " << formatRanks(running.ranks);
    for (auto [position, term, rank] : llvm::enumerate(terms, running.ranks)) {
      if (position != running.iterativeDim) {
        if (!term.isRank() || term.getRank() != rank)
          return error(op) << "writes " << formatAccess(op.getOutput())
                           << ": index #" << position << " must be rank "
                           << rank.getValue();
        outputRanks.push_back(rank);
        continue;
      }
      bool advances = term.getKind() == IndexTermKind::Offset &&
                      term.getRank() == iterative && term.getOffset() == 1;
      if (!advances)
        return error(op) << "the recurrence of @" << name.getValue()
                         << " writes " << formatAccess(op.getOutput())
                         << ", which does not advance the iterative rank by "
                            "one: it must write "
                         << iterative.getValue() << " + 1, or the iteration "
                         << "over " << iterative.getValue()
                         << " would not progress towards its stop condition";
      outputRanks.push_back(iterative);
    }
  } else {
    for (IndexTermAttr term : terms) {
      if (!term.isRank())
        return error(op) << "writes " << formatAccess(op.getOutput())
                         << ": an output is indexed by plain ranks";
      StringAttr rank = term.getRank();
      if (!isKnownRank(rank))
        return error(op) << "writes " << formatAccess(op.getOutput())
                         << " over unknown rank " << rank.getValue();
      if (llvm::is_contained(outputRanks, rank))
        return error(op) << "writes " << formatAccess(op.getOutput())
                         << ", which names rank " << rank.getValue()
                         << " twice";
      outputRanks.push_back(rank);
    }
    if (iterate && !llvm::is_contained(outputRanks, iterate.getRankAttr()))
      return error(op) << "writes " << formatAccess(op.getOutput())
                       << " inside attn.iterate " << iterate.getRank()
                       << ": the output must carry the iterative rank "
                       << iterate.getRank()
                       << ", or each iteration would overwrite it";
  }

  ReadContext context{iterate, name, isRecurrence};
  if (failed(
          checkExpression(op, op.getMap(), /*wantCondition=*/false, context)))
    return failure();

  EinsumDomain domain = getEinsumDomain(op);
  for (auto [parent, parts] : structure.partitions) {
    auto uses = [&](StringAttr rank) {
      return llvm::is_contained(domain.outputRanks, rank) ||
             llvm::is_contained(domain.reducedRanks, rank) ||
             domain.fixedRank == rank;
    };
    if (uses(parent) && (uses(parts.first) || uses(parts.second)))
      return error(op) << "uses rank " << parent.getValue()
                       << " together with its partition parts "
                       << parts.first.getValue() << " and "
                       << parts.second.getValue();
  }
  ArrayRef<StringAttr> reduced = domain.reducedRanks;
  std::optional<ReduceKind> reducer = op.getReducer();
  SmallVector<StringAttr> listed;
  if (ArrayAttr listedAttr = op.getReducedAttr())
    listed = llvm::to_vector(listedAttr.getAsRange<StringAttr>());
  if (reducer.has_value() != op.getReducedAttr().operator bool())
    return error(op) << "must have both a reduce action and its ranks";
  if (iterate && llvm::is_contained(listed, iterate.getRankAttr()))
    return error(op) << "cannot reduce over " << iterate.getRank()
                     << " inside attn.iterate " << iterate.getRank()
                     << ": each iteration sees one " << iterate.getRank();
  if (reduced.empty() && reducer)
    return error(op) << "reduces over " << formatRanks(listed)
                     << " but every rank of its map is in its output";
  if (!reduced.empty() && !reducer)
    return error(op) << "uses ranks " << formatRanks(reduced)
                     << " that are absent from its output "
                     << formatAccess(op.getOutput())
                     << "; add reduce(sum: ...) or reduce(max: ...)";
  llvm::SmallDenseSet<StringAttr> listedSet(listed.begin(), listed.end());
  llvm::SmallDenseSet<StringAttr> reducedSet(reduced.begin(), reduced.end());
  if (reducer && (listedSet.size() != listed.size() ||
                  listedSet.size() != reducedSet.size() ||
                  !llvm::all_of(listed, [&](StringAttr rank) {
                    return reducedSet.contains(rank);
                  })))
    return error(op) << "reduce lists " << formatRanks(listed)
                     << " but the ranks used by its map and absent from its "
                        "output are "
                     << formatRanks(reduced);

  if (isRecurrence) {
    existing->second.definition = op;
    return success();
  }
  CascadeTensor tensor;
  tensor.name = name;
  tensor.kind = CascadeTensor::Kind::Einsum;
  tensor.ranks = outputRanks;
  tensor.definition = op;
  tensor.iterate = iterate;
  structure.tensors.insert({name, tensor});
  return success();
}

LogicalResult CascadeChecker::checkIterate(IterateOp op) {
  StringAttr rank = op.getRankAttr();
  if (!isKnownRank(rank))
    return error(op) << "iterates over unknown rank " << rank.getValue();
  if (!iteratedRanks.insert(rank).second)
    return error(op) << "iterates over rank " << rank.getValue() << " twice";
  IndexTermAttr stop = op.getStop();
  std::string extent = extentName(rank.getValue());
  if (stop.getKind() != IndexTermKind::Extent || stop.getRank() != rank)
    return error(op) << "stops at " << rank.getValue() << " = "
                     << formatTerm(stop) << "; the stop condition must be "
                     << rank.getValue() << " = " << extent
                     << ", the end of rank " << rank.getValue()
                     << ", or the iteration would not terminate there";
  ArrayAttr running = op.getRunning();
  SmallVector<double> initial = llvm::map_to_vector(
      op.getInitial().getAsValueRange<FloatAttr>(),
      [](const APFloat &value) { return value.convertToDouble(); });
  if (running.size() != initial.size())
    return error(op) << "has " << running.size() << " running tensors but "
                     << initial.size() << " initial values";
  if (running.empty())
    return error(op) << "has no running tensors, so nothing carries a value "
                        "from one iteration to the next";
  for (auto [access, value] :
       llvm::zip_equal(running.getAsRange<AccessAttr>(), initial)) {
    StringAttr name = access.getTensor();
    if (structure.tensors.contains(name) ||
        (allDefinitions.contains(name) &&
         allDefinitions.lookup(name)->getParentOp() != op))
      return error(op) << "declares running tensor @" << name.getValue()
                       << ", which is defined elsewhere";
    CascadeTensor tensor;
    tensor.name = name;
    tensor.kind = CascadeTensor::Kind::Running;
    tensor.iterate = op;
    tensor.initial = value;
    bool carriesIterative = false;
    for (auto [position, term] : llvm::enumerate(access.getIndices())) {
      if (!term.isRank() || !isKnownRank(term.getRank()) ||
          llvm::is_contained(tensor.ranks, term.getRank()))
        return error(op) << "declares running tensor " << formatAccess(access)
                         << ": it must be indexed by distinct known ranks";
      if (term.getRank() == rank) {
        carriesIterative = true;
        tensor.iterativeDim = position;
      }
      tensor.ranks.push_back(term.getRank());
    }
    if (!carriesIterative)
      return error(op) << "declares running tensor " << formatAccess(access)
                       << ", which must carry the iterative rank "
                       << rank.getValue();
    if (std::isnan(value))
      return error(op) << "starts running tensor @" << name.getValue()
                       << " at NaN";
    structure.tensors.insert({name, tensor});
  }

  for (Operation &nested : op.getBody().front()) {
    auto einsum = dyn_cast<EinsumOp>(nested);
    if (!einsum)
      return error(&nested) << "cannot appear in attn.iterate; its body holds "
                               "attn.einsum ops";
    if (failed(checkEinsum(einsum, op)))
      return failure();
  }
  for (AccessAttr access : running.getAsRange<AccessAttr>()) {
    const CascadeTensor &tensor = structure.tensor(access.getTensor());
    if (!tensor.definition)
      return error(op) << "running tensor @" << access.getTensor().getValue()
                       << " has no recurrence: the body must define @"
                       << access.getTensor().getValue() << " at "
                       << rank.getValue() << " + 1";
  }
  return checkVisit(op);
}

LogicalResult CascadeChecker::checkVisit(IterateOp op) {
  ArrayAttr visit = op.getVisitAttr();
  if (!visit)
    return success();
  if (visit.empty())
    return error(op) << "has an empty visit clause; omit it to visit every "
                        "key tile";
  ReadContext context{op, StringAttr(), false};
  ArrayRef<IndexTermAttr> point;
  bool sawMask = false, sawRegion = false;
  for (Attribute test : visit) {
    auto map = dyn_cast<MapAttr>(test);
    if (!map || !isCondition(map.getKind()))
      return error(op) << "visit clause lists "
                       << (map ? "'" + stringifyMapKind(map.getKind()).str() +
                                     "'"
                               : std::string("a value"))
                       << "; it takes mask tests (mask<...>[...] or "
                          "mask_region[...])";
    if (failed(checkExpression(op, test, /*wantCondition=*/true, context)))
      return failure();
    bool &seen = map.getKind() == MapKind::Mask ? sawMask : sawRegion;
    if (seen)
      return error(op) << "lists two '" << stringifyMapKind(map.getKind())
                       << "' tests in its visit clause; combine mask "
                          "attributes with #attn.and";
    seen = true;
    if (point.empty())
      point = map.getPoint();
    else if (point != map.getPoint())
      return error(op) << "visit clause tests the points "
                       << formatTerms(point) << " and "
                       << formatTerms(map.getPoint())
                       << "; its tests classify one (query tile, key tile) "
                          "and must share one point";
  }
  IndexTermAttr query = point[2], key = point[3];
  if (!point[0].isRank() || !point[1].isRank())
    return error(op) << "visit point " << formatTerms(point)
                     << " must name the batch and query-head ranks plainly";
  if (query.getKind() != IndexTermKind::Tiled)
    return error(op) << "visit point " << formatTerms(point)
                     << " needs a partitioned query index (p1 * P0 + p0), got "
                     << formatTerm(query) << "; run attn-tile first";
  if (key.getKind() != IndexTermKind::Tiled || key.getRank() != op.getRankAttr())
    return error(op) << "visit point " << formatTerms(point)
                     << " needs the key index " << op.getRank() << " * "
                     << "<tile> + <inner rank>, partitioned by the iterative "
                        "rank, got "
                     << formatTerm(key);
  StringAttr tileRanks[] = {point[0].getRank(), point[1].getRank(),
                            query.getRank()};
  for (Operation &nested : op.getBody().front()) {
    auto einsum = cast<EinsumOp>(nested);
    EinsumDomain domain = getEinsumDomain(einsum);
    for (StringAttr rank : tileRanks)
      if (!llvm::is_contained(domain.outputRanks, rank))
        return error(einsum)
               << "does not carry rank " << rank.getValue()
               << " in its output, but its attn.iterate visits tiles: each "
                  "point of a visiting Einsum must lie in one (batch, head, "
                  "query tile)";
  }
  return success();
}

LogicalResult CascadeChecker::checkYield(CascadeYieldOp op) {
  ArrayAttr tensors = op.getTensors();
  if (tensors.size() != cascade.getNumResults())
    return error(op) << "yields " << tensors.size()
                     << " tensor(s) but the cascade has "
                     << cascade.getNumResults() << " result(s)";
  for (auto [position, access, result] : llvm::enumerate(
           tensors.getAsRange<AccessAttr>(), cascade.getResults())) {
    ReadContext context;
    if (failed(checkAccess(op, access, context)))
      return failure();
    auto type = cast<RankedTensorType>(result.getType());
    if (!isa<FloatType>(type.getElementType()))
      return error(op) << "result #" << position << " has type " << type
                       << "; cascade results are float tensors";
    SmallVector<StringAttr> dims;
    for (IndexTermAttr term : access.getIndices()) {
      if (term.getKind() == IndexTermKind::Extent)
        continue;
      if (!term.isRank())
        return error(op) << "yields " << formatAccess(access)
                         << "; a yielded tensor is read with its own ranks";
      // An inner partition part right after its outer part closes one
      // result dimension: the partitioned rank.
      const CascadeRank &rank = structure.rank(term.getRank());
      if (rank.isPartitionPart() && !rank.isOuter && !dims.empty() &&
          dims.back() == structure.partitions.lookup(rank.parent).first) {
        dims.back() = rank.parent;
        continue;
      }
      dims.push_back(term.getRank());
    }
    if (static_cast<int64_t>(dims.size()) != type.getRank())
      return error(op) << "yields " << formatAccess(access) << " with "
                       << dims.size() << " dimension(s) as result #" << position
                       << " of type " << type;
    for (auto [dim, rank] : llvm::enumerate(dims)) {
      int64_t extent = structure.rank(rank).extent;
      int64_t size = type.getDimSize(dim);
      if (!ShapedType::isDynamic(extent) && !ShapedType::isDynamic(size) &&
          extent != size)
        return error(op) << "yields " << formatAccess(access) << " as result #"
                         << position << " of type " << type << ", but rank "
                         << rank.getValue() << " has extent " << extent;
    }
  }
  return success();
}

/// Checks a custom region's signature, as attn.attention does.
static LogicalResult checkRegionSignature(CascadeOp op, Region &region,
                                          StringRef name,
                                          ArrayRef<Type> arguments,
                                          Type yielded, StringRef signature,
                                          bool emitDiagnostics) {
  if (region.empty())
    return success();
  auto fail = [&]() {
    return emitDiagnostics ? op.emitOpError() : InFlightDiagnostic();
  };
  Block &block = region.front();
  if (block.getArgumentTypes() != TypeRange(arguments))
    return fail() << "'" << name << "' region must take " << signature
                  << ", got (" << block.getArgumentTypes() << ")";
  auto yield =
      dyn_cast_if_present<YieldOp>(block.empty() ? nullptr : &block.back());
  if (!yield)
    return fail() << "'" << name << "' region must end with attn.yield";
  if (yield.getValues().size() != 1 ||
      yield.getValues().front().getType() != yielded)
    return fail() << "'" << name << "' region must yield one " << yielded
                  << ", got (" << yield.getValues().getTypes() << ")";
  return success();
}

LogicalResult CascadeChecker::checkCustomRegions() {
  Builder builder(cascade.getContext());
  Type index = builder.getIndexType();
  if (failed(checkRegionSignature(cascade, cascade.getMaskRegion(), "mask",
                                  {index, index, index, index},
                                  builder.getI1Type(), "(b, h, i, j : index)",
                                  emitDiagnostics)))
    return failure();
  return checkRegionSignature(
      cascade, cascade.getScoreRegion(), "score",
      {builder.getF32Type(), index, index, index, index}, builder.getF32Type(),
      "(s : f32, b, h, i, j : index)", emitDiagnostics);
}

FailureOr<CascadeStructure> CascadeChecker::run() {
  Block &body = cascade.getBody().front();
  if (body.getNumArguments() != 0)
    return error(cascade) << "body must not take arguments";
  if (body.empty() || !isa<CascadeYieldOp>(body.back()))
    return error(cascade) << "body must end with attn.cascade_yield";
  if (failed(checkCustomRegions()) || failed(checkBindings()))
    return failure();
  cascade.getBody().walk([&](EinsumOp einsum) {
    allDefinitions.try_emplace(einsum.getTensorAttr(), einsum);
  });
  for (Operation &op : body) {
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](PartitionOp partition) {
              return checkPartition(partition);
            })
            .Case([&](EinsumOp einsum) { return checkEinsum(einsum, nullptr); })
            .Case([&](IterateOp iterate) { return checkIterate(iterate); })
            .Case([&](CascadeYieldOp yield) { return checkYield(yield); })
            .Default([&](Operation *other) {
              return error(other)
                     << "cannot appear in an attn.cascade body, which holds "
                        "attn.partition, attn.einsum, attn.iterate and "
                        "attn.cascade_yield";
            });
    if (failed(result))
      return failure();
  }
  return std::move(structure);
}

FailureOr<CascadeStructure> mlir::attn::analyzeCascade(CascadeOp op,
                                                       bool emitDiagnostics) {
  return CascadeChecker(op, emitDiagnostics).run();
}

LogicalResult CascadeOp::verifyRegions() {
  return failure(failed(analyzeCascade(*this, /*emitDiagnostics=*/true)));
}
