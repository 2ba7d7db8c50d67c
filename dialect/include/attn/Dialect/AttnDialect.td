#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention as Einsum cascades with sparsity masks";
  let description = [{
    The `attn` dialect expresses attention variants at two levels: the
    user-facing `attn.attention` op on tensors, whose mask and score
    modification are composable attributes (or custom regions), and the
    Einsum-cascade level that the FuseMax-style passes rewrite.
  }];
  // Custom so that an unknown attribute name gets the list of valid ones.
  let useDefaultAttributePrinterParser = 0;
  let extraClassDeclaration = [{
    void registerAttributes();
    ::mlir::Attribute parseAttribute(::mlir::DialectAsmParser &parser,
                                     ::mlir::Type type) const override;
    void printAttribute(::mlir::Attribute attr,
                        ::mlir::DialectAsmPrinter &printer) const override;
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
