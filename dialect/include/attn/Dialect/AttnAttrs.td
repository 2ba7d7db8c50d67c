#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "attn/Dialect/AttnDialect.td"
include "attn/Dialect/AttnInterfaces.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_DocumentLayout : I32EnumAttr<"DocumentLayout",
    "how a documents operand encodes packed sequences", [
      I32EnumAttrCase<"Ids", 0, "ids">,
      I32EnumAttrCase<"Offsets", 1, "offsets">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

// Parameters printed as `true`/`false` and as round-tripping floats.
class Attn_BoolParameter<string default = ""> : AttrParameter<"bool", "boolean"> {
  let parser = [{ ::mlir::attn::parseBoolParameter($_parser) }];
  let printer = [{ $_printer << ($_self ? "true" : "false") }];
  let defaultValue = default;
}

class Attn_F64Parameter<string default = ""> : APFloatParameter<"float"> {
  let parser = [{ ::mlir::attn::parseF64Parameter($_parser) }];
  let printer = [{ $_printer.printFloat($_self) }];
  let defaultValue = default;
}

// Indices into the op's `data` operands; negative values are rejected when
// parsed instead of wrapping around.
def Attn_OperandIndexParameter : AttrParameter<"unsigned", "data operand index"> {
  let parser = [{ ::mlir::attn::parseOperandIndexParameter($_parser) }];
}

// Operands of #attn.and / #attn.or; the parser bounds the nesting depth.
def Attn_MaskListParameter
    : ArrayRefParameter<"::mlir::attn::MaskAttrInterface", "list of masks"> {
  let parser = [{ ::mlir::attn::parseMaskListParameter($_parser) }];
}

// Lists are bracketed so that they compose with struct(params).
def Attn_BoolListParameter
    : OptionalArrayRefParameter<"bool", "list of booleans"> {
  let parser = [{ ::mlir::attn::parseBoolListParameter($_parser) }];
  let printer = [{ ::mlir::attn::printBoolListParameter($_printer, $_self) }];
}

class Attn_I64ListParameter<string desc>
    : ArrayRefParameter<"int64_t", desc> {
  let parser = [{ ::mlir::attn::parseI64ListParameter($_parser) }];
  let printer = [{ ::mlir::attn::printI64ListParameter($_printer, $_self) }];
}

class Attn_OptionalI64ListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = [{ ::mlir::attn::parseI64ListParameter($_parser) }];
  let printer = [{ ::mlir::attn::printI64ListParameter($_printer, $_self) }];
}

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// `overrides` names the interface methods with default implementations that
// the attribute defines itself.
class Attn_MaskAttr<string name, string attrMnemonic,
                    list<string> overrides = []>
    : Attn_Attr<name, attrMnemonic, [DeclareAttrInterfaceMethods<
          Attn_MaskAttrInterface, overrides>]>;

class Attn_ScoreModAttr<string name, string attrMnemonic,
                        list<string> overrides = []>
    : Attn_Attr<name, attrMnemonic, [DeclareAttrInterfaceMethods<
          Attn_ScoreModAttrInterface, overrides>]>;

defvar UsesData = ["verifyUse", "collectDataOperands"];

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

def Attn_CausalAttr : Attn_MaskAttr<"Causal", "causal"> {
  let summary = "keep j <= i";
}

def Attn_WindowAttr : Attn_MaskAttr<"Window", "window"> {
  let summary = "sliding window: keep i - j < left and j - i <= right";
  let description = [{
    With the default `right = 0` this is the causal sliding window of
    Mistral and Gemma 2's local layers: `j <= i and i - j < left`.
  }];
  let parameters = (ins "int64_t":$left,
                        DefaultValuedParameter<"int64_t", "0">:$right);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_SinksAttr : Attn_MaskAttr<"Sinks", "sinks"> {
  let summary = "attention sinks (StreamingLLM): keep j < count";
  let parameters = (ins "int64_t":$count);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_PrefixLMAttr : Attn_MaskAttr<"PrefixLM", "prefix_lm", UsesData> {
  let summary = "prefix-LM: keep j <= i or j < prefix[b]";
  let description = [{
    `operand` names the `data` operand holding one prefix length per batch
    row: an integer tensor of shape [B].
  }];
  let parameters = (ins Attn_OperandIndexParameter:$operand);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_DocumentsAttr : Attn_MaskAttr<"Documents", "documents", UsesData> {
  let summary = "packed documents: keep doc(i) == doc(j) (and j <= i if causal)";
  let description = [{
    `layout = ids`: the `data` operand is an integer tensor [B, S] of document
    ids per token (requires Sq == Skv). `layout = offsets`: a 1-D integer
    tensor [N + 1] of cumulative document starts shared by every batch row
    (offsets[0] = 0, non-decreasing); token x belongs to the last document d
    with offsets[d] <= x.
  }];
  let parameters = (ins Attn_OperandIndexParameter:$operand,
      DefaultValuedParameter<"::mlir::attn::DocumentLayout",
                             "::mlir::attn::DocumentLayout::Ids">:$layout,
      Attn_BoolParameter<"true">:$causal);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_S2Attr : Attn_MaskAttr<"S2", "s2", ["verifyUse"]> {
  let summary = "S2-Attention (DKernel) per-head strided shards, causal";
  let description = [{
    keep iff j <= i and (blk(i) - blk(j) < local or
    (blk(j) + g * sigma + offset) mod stride == 0), where blk(x) = x / block,
    g is the KV head of query head h (query heads of a group share the
    pattern; g = 0 for every head with `homo_head`) and
    sigma = max(1, stride / Hq). KV heads g >= Hkv - dense_heads are dense
    (causal only).
  }];
  let parameters = (ins DefaultValuedParameter<"int64_t", "64">:$block,
                        DefaultValuedParameter<"int64_t", "16">:$local,
                        DefaultValuedParameter<"int64_t", "8">:$stride,
                        DefaultValuedParameter<"int64_t", "0">:$offset,
                        DefaultValuedParameter<"int64_t", "0">:$dense_heads,
                        Attn_BoolParameter<"false">:$homo_head);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_ShiftedGroupsAttr : Attn_MaskAttr<"ShiftedGroups", "shifted_groups"> {
  let summary = "LongLoRA S2-Attn: causal attention inside token groups";
  let description = [{
    Heads h < Hq / 2 keep iff i / group == j / group; heads h >= Hq / 2 use
    groups shifted by group / 2: (i + group/2) / group == (j + group/2) / group.
    Causal inside each group (j <= i). The shifted groups do not wrap around.
  }];
  let parameters = (ins "int64_t":$group);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_StarAnchorAttr : Attn_MaskAttr<"StarAnchor", "star_anchor"> {
  let summary = "Star Attention phase 1: local block plus the anchor block";
  let description = [{
    keep iff (blk(j) == blk(i) and j <= i) or blk(j) == 0, blk(x) = x / block.
  }];
  let parameters = (ins "int64_t":$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_NeighborhoodAttr : Attn_MaskAttr<"Neighborhood", "neighborhood", ["verifyUse"]> {
  let summary = "N-dimensional neighborhood attention (NATTEN / GNA)";
  let description = [{
    Tokens lie on `grid` (row-major, last dimension fastest). Per dimension:
    `kernel`, `dilation` (default 1), `stride` (default 1), `causal`
    (default false); the exact rule is docs/systems.md, "Neighborhood
    attention". Omitted dilation/stride/causal lists take their defaults in
    every dimension.
  }];
  let parameters = (ins
      Attn_I64ListParameter<"grid shape">:$grid,
      Attn_I64ListParameter<"kernel size per dimension">:$kernel,
      Attn_OptionalI64ListParameter<"dilation per dimension">:$dilation,
      Attn_OptionalI64ListParameter<"stride per dimension">:$stride,
      Attn_BoolListParameter:$causal);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getDilationAt(unsigned dim) const;
    int64_t getStrideAt(unsigned dim) const;
    bool getCausalAt(unsigned dim) const;
  }];
}

def Attn_BlockListAttr : Attn_MaskAttr<"BlockList", "block_list", UsesData> {
  let summary = "content-routed key blocks per query tile (MoBA-style)";
  let description = [{
    The `data` operand is an integer tensor [B, Hq, ceil(Sq / block_q), K]:
    for each query block, up to K key-block indices (negative entries are
    padding). keep iff j / block_kv is listed for (b, h, i / block_q).
  }];
  let parameters = (ins Attn_OperandIndexParameter:$operand,
                        DefaultValuedParameter<"int64_t", "128">:$block_q,
                        DefaultValuedParameter<"int64_t", "128">:$block_kv);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_BlockMaskAttr : Attn_MaskAttr<"BlockMask", "block_mask", UsesData> {
  let summary = "predicted 0/1 block mask (SpargeAttn-style)";
  let description = [{
    The `data` operand is an integer tensor [B, Hq, ceil(Sq / block_q),
    ceil(Skv / block_kv)]; keep iff the entry of (b, h, i/block_q,
    j/block_kv) is non-zero.
  }];
  let parameters = (ins Attn_OperandIndexParameter:$operand,
                        DefaultValuedParameter<"int64_t", "128">:$block_q,
                        DefaultValuedParameter<"int64_t", "64">:$block_kv);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_AndAttr : Attn_MaskAttr<"And", "and", UsesData> {
  let summary = "keep where every operand mask keeps";
  let parameters = (ins Attn_MaskListParameter:$masks);
  let assemblyFormat = "`<` `[` $masks `]` `>`";
  let genVerifyDecl = 1;
}

def Attn_OrAttr : Attn_MaskAttr<"Or", "or", UsesData> {
  let summary = "keep where any operand mask keeps";
  let parameters = (ins Attn_MaskListParameter:$masks);
  let assemblyFormat = "`<` `[` $masks `]` `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Score modifications
//===----------------------------------------------------------------------===//

def Attn_SoftcapAttr : Attn_ScoreModAttr<"Softcap", "softcap"> {
  let summary = "logit soft-capping (Gemma 2): s -> cap * tanh(s / cap)";
  let parameters = (ins Attn_F64Parameter<>:$cap);
  let assemblyFormat = "`<` $cap `>`";
  let genVerifyDecl = 1;
}

def Attn_AlibiAttr : Attn_ScoreModAttr<"Alibi", "alibi"> {
  let summary = "ALiBi: s -> s - slope_h * (i - j), slope_h = 2^(-max_bias (h+1) / Hq)";
  let parameters = (ins Attn_F64Parameter<"::llvm::APFloat(8.0)">:$max_bias);
  let assemblyFormat = "(`<` `max_bias` `=` $max_bias^ `>`)?";
  let genVerifyDecl = 1;
}

def Attn_BiasAttr : Attn_ScoreModAttr<"Bias", "bias", UsesData> {
  let summary = "additive bias operand: s -> s + bias[b, h, i, j]";
  let description = [{
    The `data` operand is a float tensor of shape [B or 1, Hq or 1, Sq, Skv];
    size-1 batch and head dimensions broadcast.
  }];
  let parameters = (ins Attn_OperandIndexParameter:$operand);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // ATTN_ATTRS_TD
