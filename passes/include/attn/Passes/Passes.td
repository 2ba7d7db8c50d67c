#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"



def AttnReportSparsity : Pass<"attn-report-sparsity", "::mlir::ModuleOp"> {
  let summary = "Print the tile sparsity of attention ops and draw block maps";
  let description = [{
    For every attn.attention op, at the given sizes, classifies each (query
    tile, key tile) pair as full, partial or skipped through the mask
    algebra and prints one line per head:
    `sparsity @f op#0 head 3: visited 120/256 partial 16 full 104 kept K
    density D tile-density T` (density = kept / (Sq * Skv), tile-density =
    kept / elements of the visited tiles). A mask whose rule does not read
    the query head (no S2, shifted groups, block list or block mask, a
    region not using its `h`) is classified once and its counts printed for
    each head. Grid masks (neighborhoods) get a
    line for row-major tiles and one for patch tiles. `svg=P` writes the
    block map to P-<function>-op<N>.svg. Data operands are read from
    constants, else generated from `seed`; without either the op is
    reported as data-dependent. See docs/sparsity.md.
  }];
  let options = [
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"0",
           "Query length (required when dynamic; must match a static one)">,
    Option<"seqKV", "seq-kv", "int64_t", /*default=*/"0",
           "Key length (required when dynamic; must match a static one)">,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"128",
           "Query tile size BQ">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"128",
           "Key tile size BK">,
    Option<"svgPrefix", "svg", "std::string", /*default=*/"",
           "Write the block map of each op to <svg>-<function>-op<N>.svg">,
    ListOption<"heads", "heads", "int64_t",
               "Query heads to report (default: all)">,
    Option<"seed", "seed", "int64_t", /*default=*/"-1",
           "Seed for generated data operands (default: do not generate)">,
  ];
}

//===----------------------------------------------------------------------===//
// Einsum cascades (docs/cascades.md)
//===----------------------------------------------------------------------===//

def AttnDecompose : Pass<"attn-decompose"> {
  let summary = "Rewrite attn.attention as FuseMax's 3-pass Einsum cascade";
  let description = [{
    Each attn.attention op becomes an attn.cascade (named after its
    function) computing QK, the masked and modified scores S, their maximum
    GM, the numerators SN, their sum SD, the probabilities A and the output
    AV (and LSE). The mask attribute becomes a select with -inf that keeps
    the attribute, score mods become score_mod map actions in order, and
    custom regions move into the cascade.
  }];
}

def AttnCountPasses : Pass<"attn-count-passes"> {
  let summary = "Report FuseMax's pass count of every cascade, per rank";
  let description = [{
    For each attn.cascade and each rank that some Einsum reduces or iterates
    over, emits the remark `cascade <name>: <N> passes over rank <rank>`.
    N is one more than the longest chain of read-read dependencies: an
    Einsum that reads a fiber of a tensor over the rank after (transitively)
    depending on a reduction that had to read that fiber in full.
  }];
}

def AttnDeferDivision : Pass<"attn-defer-division"> {
  let summary = "Move a softmax division after the contraction (3 to 2 passes)";
  let description = [{
    Rewrites `A = div(SN, SD); AV = sum_m A * V` (SD not over m) into
    `SNV = sum_m SN * V; AV = div(SNV, SD)`, FuseMax's deferred division.
  }];
}

def AttnOnlineSoftmax : Pass<"attn-online-softmax"> {
  let summary = "Build the 1-pass cascade with a running max, sum and numerator";
  let description = [{
    Rewrites the deferred-division cascade into FuseMax's 1-pass cascade:
    the key rank m is partitioned into tiles of `tile-size` keys
    (m = m1 * M0 + m0) and m1 becomes an iterative rank whose running
    maximum RM, denominator RD and numerator RNV are rescaled by PRM at each
    step. A tile size that does not divide M leaves a shorter last tile.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"64",
           "Keys per tile (M0), >= 1">,
  ];
}

def AttnTile : Pass<"attn-tile"> {
  let summary = "Partition the query rank of a 1-pass cascade into tiles";
  let description = [{
    On a 1-pass cascade (attn-online-softmax), adds
    `attn.partition p = p1 * P0 + p0` with P0 = `block-q` and stores every
    tensor over p as a tensor over (p1, p0); the query input and the mask
    and score rules read position p1 * P0 + p0 and the results yield
    (p1, p0) as their p dimension. The iteration over the key tiles and its
    running tensors stay, so the cascade still makes one pass over the keys.
    `block-kv` > 0 re-chooses the key tile M0. See docs/cascades.md.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "Queries per tile (P0), >= 1">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"0",
           "Keys per tile (M0), >= 1; 0 keeps the tile of attn-online-softmax">,
  ];
}

def AttnSparsify : Pass<"attn-sparsify"> {
  let summary = "Visit only the key tiles a tiled cascade's mask keeps";
  let description = [{
    On a tiled 1-pass cascade whose Einsums select on mask tests
    (`select(mask<...>[b, h, p1 * P0 + p0, m1 * M0 + m0], x, c)` and/or
    `mask_region`), adds a visit clause naming those tests to the iteration
    over the key tiles: for each (batch, head, query tile) it steps only
    through the key tiles the tests' closed-form visit set
    (MaskAttrInterface::visitSet) holds, and skips the tests on the tiles
    it classifies full. Skipping must be exact: the pass evaluates the body
    on a tile where every test keeps nothing and requires each running
    tensor to come out unchanged (-inf into a running maximum, 0 into a
    sum; docs/cascades.md). Otherwise it fails, or with
    `fallback-to-dense` leaves the iteration visiting every tile and says
    so in a remark. Masks that read data get their visit lists from the
    operand when the cascade runs. With `count` it also emits, per query
    head (batch row 0), the remark
    `cascade <name> head <h>: visited V/T partial P full F` at the static
    lengths or `seq-q`/`seq-kv` (data operands read from constants). See
    docs/sparsity.md.
  }];
  let options = [
    Option<"count", "count", "bool", /*default=*/"false",
           "Emit the visited, partial and full tile counts per query head">,
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"0",
           "Query length to count at (required when dynamic)">,
    Option<"seqKV", "seq-kv", "int64_t", /*default=*/"0",
           "Key length to count at (required when dynamic)">,
    Option<"fallbackToDense", "fallback-to-dense", "bool", /*default=*/"false",
           "When skipping a tile would not be exact, visit every tile "
           "(with a remark) instead of failing">,
  ];
}

def AttnDifferentiate : Pass<"attn-differentiate", "::mlir::ModuleOp"> {
  let summary = "Derive the backward cascades (dQ, dK, dV, bias gradients) of attention";
  let description = [{
    For every function @f returning the results of one attention-shaped
    attn.cascade (3-pass, 2-pass, 1-pass, tiled or hand-written), adds
    @f_grad(q, k, v, data..., o[, lse], do) -> (dq, dk, dv, dbias...): the
    cascades f_grad_delta (D = rowsum(dO * O), softmax only), f_grad_kv (dK,
    dV per query head over the queries), f_grad_reduce_k/v (GQA: sums over
    each group of query heads) and f_grad_q (dQ over the keys, and the
    gradient [B, Hq, Sq, Skv] of each #attn.bias operand). Softmax weights
    use the saved log-sum-exp (P = exp(S - LSE), dS = P (dP - D)); other
    weights (sigmoid) are differentiated element-wise. Score mods and the
    cascade's arithmetic are differentiated symbolically; what cannot be
    (a max or min of scores, a custom score region) is an error naming it.
    See docs/backward.md.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // ATTN_PASSES_TD
