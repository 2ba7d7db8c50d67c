#ifndef ATTN_CASCADE_OPS_TD
#define ATTN_CASCADE_OPS_TD

// The Einsum-cascade level (FuseMax's EDGE notation): named ranks, named
// tensors, and one op per Einsum. docs/cascades.md describes the syntax and
// why it looks the way it does. Tensors are referenced by name (`@QK`), not
// by SSA value, because a running tensor is written by its recurrence inside
// an iteration and read both inside and after it, as in the paper.

include "attn/Dialect/AttnDialect.td"
include "attn/Dialect/AttnAttrs.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Index terms, tensor accesses and map expressions
//===----------------------------------------------------------------------===//

def Attn_IndexTermKind : I32EnumAttr<"IndexTermKind",
    "the form of one index of a tensor access", [
      I32EnumAttrCase<"Rank", 0, "rank">,
      I32EnumAttrCase<"Offset", 1, "offset">,
      I32EnumAttrCase<"Tiled", 2, "tiled">,
      I32EnumAttrCase<"HeadMap", 3, "head_map">,
      I32EnumAttrCase<"Extent", 4, "extent">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_IndexTermAttr : Attn_Attr<"IndexTerm", "index"> {
  let summary = "one index of a tensor access";
  let description = [{
    `m` (the rank's coordinate), `m1 + 1` (a running tensor's next value),
    `m1 * M0 + m0` (the coordinate of partitioned rank m), `g(h)` (the KV
    head of query head h: h / (H / G)) or `M1` (the extent of rank m1: a
    running tensor's final value).
  }];
  let parameters = (ins EnumParameter<Attn_IndexTermKind>:$kind,
                        "::mlir::StringAttr":$rank,
                        "::mlir::StringAttr":$operand,
                        "int64_t":$offset);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    static IndexTermAttr getRank(::mlir::StringAttr rank);
    static IndexTermAttr getOffset(::mlir::StringAttr rank, int64_t offset);
    static IndexTermAttr getTiled(::mlir::StringAttr outer,
                                  ::mlir::StringAttr inner);
    static IndexTermAttr getHeadMap(::mlir::StringAttr kvRank,
                                    ::mlir::StringAttr queryRank);
    static IndexTermAttr getExtent(::mlir::StringAttr rank);
    bool isRank() const { return getKind() == IndexTermKind::Rank; }
  }];
}

def Attn_AccessAttr : Attn_Attr<"Access", "access"> {
  let summary = "a named tensor with an index list: @QK[b, h, p, m]";
  let parameters = (ins "::mlir::StringAttr":$tensor,
      OptionalArrayRefParameter<"::mlir::attn::IndexTermAttr">:$indices);
  let hasCustomAssemblyFormat = 1;
}

def Attn_MapKind : I32EnumAttr<"MapKind", "a map action of an Einsum", [
      I32EnumAttrCase<"Add", 0, "add">,
      I32EnumAttrCase<"Sub", 1, "sub">,
      I32EnumAttrCase<"Mul", 2, "mul">,
      I32EnumAttrCase<"Div", 3, "div">,
      I32EnumAttrCase<"Max", 4, "max">,
      I32EnumAttrCase<"Min", 5, "min">,
      I32EnumAttrCase<"Neg", 6, "neg">,
      I32EnumAttrCase<"Exp", 7, "exp">,
      I32EnumAttrCase<"Log", 8, "log">,
      I32EnumAttrCase<"Tanh", 9, "tanh">,
      I32EnumAttrCase<"ExpDiff", 10, "exp_diff">,
      I32EnumAttrCase<"DivOrZero", 11, "div_or_zero">,
      I32EnumAttrCase<"Select", 12, "select">,
      I32EnumAttrCase<"Mask", 13, "mask">,
      I32EnumAttrCase<"MaskRegion", 14, "mask_region">,
      I32EnumAttrCase<"ScoreMod", 15, "score_mod">,
      I32EnumAttrCase<"ScoreRegion", 16, "score_region">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_MapAttr : Attn_Attr<"Map", "map"> {
  let summary = "a map action applied to accesses, constants and other maps";
  let description = [{
    `mul(@Q[b, h, p, e], @K[b, g(h), m, e], 0.125)`. Arithmetic: add, mul,
    max, min (two or more operands), sub, div (two), neg, exp, log, tanh
    (one). Guarded forms for rows that keep nothing: `exp_diff(x, m)` is
    exp(x - m) and 0 when m = -inf; `div_or_zero(x, d)` is x / d and 0 when
    d = 0. Masks and score mods at an element (b, h, i, j):
    `select(mask<#attn.causal>[b, h, p, m], x, -inf)`,
    `select(mask_region[b, h, p, m], x, -inf)`,
    `score_mod<#attn.softcap<50.0>>[b, h, p, m](x)`,
    `score_region[b, h, p, m](x)`; `mask` and `mask_region` are conditions
    and appear only as the first operand of `select`.
  }];
  let parameters = (ins EnumParameter<Attn_MapKind>:$kind,
      OptionalArrayRefParameter<"::mlir::Attribute">:$operands,
      "::mlir::Attribute":$rule,
      OptionalArrayRefParameter<"::mlir::attn::IndexTermAttr">:$point);
  let hasCustomAssemblyFormat = 1;
}

def Attn_ReduceKind : I32EnumAttr<"ReduceKind", "a reduce action", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Max", 1, "max">
    ]> {
  let cppNamespace = "::mlir::attn";
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

def Attn_CascadeOp : Attn_Op<"cascade", [Pure, AttrSizedOperandSegments]> {
  let summary = "a cascade of Einsums over named ranks";
  let description = [{
    ```mlir
    %o, %lse = attn.cascade "fusemax_3pass"
        ins(@Q[b, h, p, e] = %q : tensor<2x8x?x64xf32>,
            @K[b, g, m, e] = %k : tensor<2x2x?x64xf32>,
            @V[b, g, m, f] = %v : tensor<2x2x?x64xf32>)
        -> tensor<2x8x?x64xf32>, tensor<2x8x?xf32> {
      attn.einsum @QK[b, h, p, m] = mul(@Q[b, h, p, e], @K[b, g(h), m, e]) reduce(sum: e)
      ...
      attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]
    }
    ```
    Each input binds a tensor name and names its dimensions' ranks; a rank's
    extent is the size of the dimensions it names. The body lists
    attn.partition, attn.einsum and attn.iterate ops in dependence order and
    ends with attn.cascade_yield, whose tensors become the results. `data`
    operands, the `mask` region and the `score` region mean what they mean on
    attn.attention; when an Einsum uses a mask or score mod, the first three
    inputs are the query, key and value (rank 4 each) and fix the sizes the
    rules see.
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                       Variadic<AnyRankedTensor>:$data,
                       StrAttr:$cascade_name,
                       TypedArrayAttrBase<Attn_AccessAttr,
                                          "input bindings">:$bindings);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body,
                        MaxSizedRegion<1>:$mask_region,
                        MaxSizedRegion<1>:$score_region);
  let hasCustomAssemblyFormat = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The attention sizes seen by mask and score-mod rules: read off the
    /// first three inputs (query, key, value).
    ::mlir::attn::AttentionShape getAttentionShape();
    /// The terminator of the body.
    ::mlir::attn::CascadeYieldOp getYield();
  }];
}

def Attn_PartitionOp : Attn_Op<"partition",
    [HasParent<"::mlir::attn::CascadeOp">]> {
  let summary = "partitions a rank: m = m1 * M0 + m0";
  let description = [{
    `attn.partition m = m1 * 64 + m0` splits rank m into an outer rank m1 of
    extent M1 = ceil(M / 64) and an inner rank m0 of extent M0 = 64. The last
    partition is shorter when 64 does not divide M: the points with
    m1 * M0 + m0 >= M do not exist, so no Einsum visits them.
  }];
  let arguments = (ins StrAttr:$rank, StrAttr:$outer, StrAttr:$inner,
                       I64Attr:$tile);
  let hasCustomAssemblyFormat = 1;
}

def Attn_EinsumOp : Attn_Op<"einsum",
    [ParentOneOf<["::mlir::attn::CascadeOp", "::mlir::attn::IterateOp"]>]> {
  let summary = "one Einsum: an output tensor, a map and an optional reduce";
  let description = [{
    `attn.einsum @GM[b, h, p] = @QK[b, h, p, m] reduce(max: m)`. For every
    point of the ranks used, the map is evaluated; ranks used by the map but
    absent from the output are reduced with the reduce action, which must
    list exactly them. Inside attn.iterate, the iterative rank is fixed and
    the output must carry it (`m1`, or `m1 + 1` for a running tensor's
    recurrence).
  }];
  let arguments = (ins StrAttr:$tensor,
                       TypedArrayAttrBase<Attn_IndexTermAttr,
                                          "output indices">:$indices,
                       AnyAttr:$map,
                       OptionalAttr<Attn_ReduceKind>:$reducer,
                       OptionalAttr<StrArrayAttr>:$reduced);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    /// The output as an access, e.g. @QK[b, h, p, m].
    ::mlir::attn::AccessAttr getOutput();
  }];
}

def Attn_IterateOp : Attn_Op<"iterate", [HasParent<"::mlir::attn::CascadeOp">,
    NoTerminator, SingleBlock]> {
  let summary = "an iterative rank with running tensors";
  let description = [{
    ```mlir
    attn.iterate m1 stop(m1 = M1) running(@RM[b, h, p, m1] = -inf, ...) {
      attn.einsum @RM[b, h, p, m1 + 1] = max(@RM[b, h, p, m1], @LM[b, h, p, m1])
    }
    ```
    Runs the body for m1 = 0, 1, ... until the stop condition m1 = M1 holds.
    Each running tensor carries the iterative rank with extent M1 + 1: its
    entry at m1 = 0 is the initial value, and exactly one Einsum of the body
    (the recurrence) writes entry m1 + 1. After the iteration, the final
    value is read at index M1.

    An optional visit clause (written by attn-sparsify) restricts the steps
    to the key tiles that the mask tests keep something in:
    ```mlir
    attn.iterate m1 stop(m1 = M1)
        visit(mask<#attn.causal>[b, h, p1 * P0 + p0, m1 * M0 + m0])
        running(...) { ... }
    ```
    The tests (at most one mask<...> and one mask_region, at one point whose
    query and key indices are partitioned, the key's outer part being the
    iterative rank) classify each (query tile, key tile) through the mask
    algebra (MaskAttrInterface::visitSet, the region over index intervals).
    For a query tile, a step on an empty key tile is skipped: every running
    tensor keeps its value (m1 + 1 holds what m1 held), which is what the
    body would compute there. On a full tile every test is known to keep
    every element, so a select on one of the tests takes its first operand
    without evaluating the test. Every Einsum of the body must carry the
    point's batch, head and query-tile ranks, so each of its points lies in
    one tile.
  }];
  let arguments = (ins StrAttr:$rank, Attn_IndexTermAttr:$stop,
                       TypedArrayAttrBase<Attn_AccessAttr,
                                          "running tensors">:$running,
                       F64ArrayAttr:$initial,
                       OptionalAttr<TypedArrayAttrBase<Attn_MapAttr,
                                          "mask tests">>:$visit);
  let regions = (region SizedRegion<1>:$body);
  let builders = [
    // An iteration that visits every key tile (no visit clause).
    OpBuilder<(ins "::mlir::StringAttr":$rank,
                   "::mlir::attn::IndexTermAttr":$stop,
                   "::mlir::ArrayAttr":$running, "::mlir::ArrayAttr":$initial),
    [{ build($_builder, $_state, rank, stop, running, initial,
             ::mlir::ArrayAttr()); }]>
  ];
  let hasCustomAssemblyFormat = 1;
}

def Attn_CascadeYieldOp : Attn_Op<"cascade_yield", [Terminator,
    HasParent<"::mlir::attn::CascadeOp">]> {
  let summary = "names the tensors a cascade returns";
  let description = [{
    `attn.cascade_yield @AV[b, h, p, f], @LSE[b, h, p]`: one access per
    result, with the result's dimensions in the listed rank order. The two
    parts of a partitioned rank, outer then inner and adjacent
    (`@AV[b, h, p1, p0, f]`), give one result dimension: the partitioned
    rank (p = p1 * P0 + p0), as attn-tile leaves the query rank.
  }];
  let arguments = (ins TypedArrayAttrBase<Attn_AccessAttr,
                                          "yielded tensors">:$tensors);
  let hasCustomAssemblyFormat = 1;
}

#endif // ATTN_CASCADE_OPS_TD
