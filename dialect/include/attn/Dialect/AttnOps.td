#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/AttnDialect.td"
include "attn/Dialect/AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

// F32Attr with a summary that says how to write one: a bare `0.125` is an
// f64 attribute and would otherwise get only "32-bit float attribute".
def Attn_F32ScaleAttr
    : FloatAttrBase<F32, "f32 attribute, written with its type as in "
                         "`scale = 0.125 : f32` (a bare 0.125 is f64)">;

def Attn_AttentionOp : Attn_Op<"attention", [
    Pure]> {
  let summary = "scaled dot-product attention with a mask and score mod";
  let description = [{
    O[b,h,i,f] = sum_j softmax_j(S'[b,h,i,j] where mask else -inf) V[b,g(h),j,f]
    with S = scale * Q[b,h,i,:] . K[b,g(h),j,:], S' = score_mod(S), and
    g(h) = h / (Hq / Hkv). Q is [B, Hq, Sq, E], K is [B, Hkv, Skv, E], V is
    [B, Hkv, Skv, F], O is [B, Hq, Sq, F] and the optional LSE is
    [B, Hq, Sq] (f32). B, Sq and Skv may be dynamic.

    `mask` is a mask attribute (default: keep everything); `score_mod` a
    score-mod attribute or an array of them, applied in order. `data`
    operands carry what data masks and the bias read; attributes name them
    by position. The optional `mask` region (block arguments b, h, i, j:
    index; yields i1) is AND-ed with the mask attribute; the optional
    `score` region (arguments s: f32, b, h, i, j: index; yields f32) applies
    after the score-mod attributes. A row that keeps no key yields O = 0
    and LSE = -inf.
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Variadic<AnyRankedTensor>:$data,
                       OptionalAttr<Attn_F32ScaleAttr>:$scale,
                       OptionalAttr<AnyAttr>:$mask,
                       OptionalAttr<AnyAttr>:$score_mod);
  let results = (outs AnyRankedTensor:$output,
                      Optional<AnyRankedTensor>:$lse);
  let regions = (region MaxSizedRegion<1>:$mask_region,
                        MaxSizedRegion<1>:$score_region);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`data` `(` $data^ `:` type($data) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output) (`,` type($lse)^)?
    (`mask` $mask_region^)? (`score` $score_region^)?
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale to use: the attribute, else 1/sqrt(E).
    double getEffectiveScale();
    /// Static and dynamic sizes read off the operand types.
    ::mlir::attn::AttentionShape getShape();
    /// The mask attribute, if any.
    ::mlir::attn::MaskAttrInterface getMaskRule();
    /// The score-mod attributes in application order.
    ::llvm::SmallVector<::mlir::attn::ScoreModAttrInterface> getScoreMods();
  }];
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator,
    ParentOneOf<["::mlir::attn::AttentionOp",
                "::mlir::attn::CascadeOp"]>]> {
  let summary = "yields the value computed by an attn region";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

include "attn/Dialect/AttnCascadeOps.td"

#endif // ATTN_OPS_TD
