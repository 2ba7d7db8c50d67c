"""Prints a spec whose mask nests #attn.<kind> DEPTH levels deep with
OPERANDS operands per level (1: a chain, which the verifier also refuses).
With a fourth argument `lines`, each level starts a line (diagnostics then
quote short lines)."""
import sys

kind, depth, operands = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
newline = "\n" if len(sys.argv) > 4 and sys.argv[4] == "lines" else ""
mask = "#attn.causal"
for _ in range(depth):
    mask = (f"{newline}#attn.{kind}<[" + f",{newline} ".join([mask] + ["#attn.causal"] * (operands - 1))
            + f"{newline}]>")
t = "tensor<1x2x?x8xf32>"
print(f"func.func @deep(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
      f"  %o = attn.attention %q, %k, %v {{mask = {mask}}} : {t}, {t}, {t} -> {t}\n"
      f"  return %o : {t}\n}}")
