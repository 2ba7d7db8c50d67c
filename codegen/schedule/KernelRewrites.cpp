//===- KernelRewrites.cpp - Rewrites GPU targets share --------------------===//
#include "attn/Schedule/KernelRewrites.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

void mlir::attn::schedule::multiplyByReciprocals(Operation *root) {
  SmallVector<arith::DivFOp> divisions;
  root->walk([&](arith::DivFOp division) { divisions.push_back(division); });
  for (arith::DivFOp division : divisions) {
    FloatAttr divisor;
    if (!division.getType().isF32() ||
        !matchPattern(division.getRhs(), m_Constant(&divisor)) ||
        divisor.getValueAsDouble() == 0.0)
      continue;
    OpBuilder builder(division);
    Value reciprocal = arith::ConstantFloatOp::create(
        builder, division.getLoc(), builder.getF32Type(),
        APFloat(static_cast<float>(1.0 / divisor.getValueAsDouble())));
    division.replaceAllUsesWith(
        arith::MulFOp::create(builder, division.getLoc(), division.getLhs(),
                              reciprocal)
            .getResult());
    division.erase();
  }
}
