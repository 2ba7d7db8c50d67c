#!/usr/bin/env bash
# Compiles every example spec for the host with its float tensors retyped to
# DTYPE, and checks each against the float64 reference at ragged sizes:
#   check-examples.sh DTYPE ATTN_OPT ATTN_RUN EXAMPLES_DIR WORK_DIR
# Specs with dynamic sequence lengths run at B=1 Sq=77 Skv=131 and
# B=2 Sq=130 Skv=67 (Skv = Sq where a documents mask needs it). Specs with
# static lengths run at those lengths, in their own element type only (they
# are large); those the reference interpreter cannot evaluate at that size
# are only compiled (test/Host/numerics-neighborhood.mlir checks the same
# rules on small grids). Prints one line per run; exits 1 if anything fails.
set -u
dtype=$1 attn_opt=$2 attn_run=$3 examples=$4 work=$5
mkdir -p "$work"

# The reference's limit on B * Hq * Sq * Skv (kMaxScores in Inputs.h).
max_scores=$((1 << 28))

failures=0 checks=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

for spec in "$examples"/*.mlir; do
  name=$(basename "$spec" .mlir)
  if grep -q 'tensor<[0-9?]*x[0-9]*x?x' "$spec"; then
    # 4-D float tensors (Q, K, V, O and float data) take DTYPE; the LSE and
    # integer data keep their types.
    sed -E "s/(tensor<[0-9?]+x[0-9?]+x[0-9?]+x[0-9?]+x)(bf16|f16|f32)>/\1$dtype>/g" \
      "$spec" > "$work/$name.mlir"
    sizes="1:77:131 2:130:67"
  else
    # Static lengths: checked once, in the example's own element type.
    grep -q "x${dtype}>" "$spec" || continue
    cp "$spec" "$work/$name.mlir"
    sizes="static"
  fi
  bundle="$work/$name.atnb"
  if ! "$attn_opt" "$work/$name.mlir" --attn-compile="targets=host output=$bundle" \
       -o /dev/null 2> "$work/$name.compile.log"; then
    fail "$name ($dtype): compile"; cat "$work/$name.compile.log"; continue
  fi
  for size in $sizes; do
    if [ "$size" = static ]; then
      heads=$(grep -o 'tensor<?x[0-9]*x[0-9]*x' "$spec" | head -1 | cut -dx -f2)
      seq=$(grep -o 'tensor<?x[0-9]*x[0-9]*x' "$spec" | head -1 | cut -dx -f3)
      if [ $((heads * seq * seq)) -gt $max_scores ]; then
        echo "$name ($dtype) Sq=Skv=$seq: compiled; too large for the reference"
        continue
      fi
      args="--batch 1"
      label="B=1 Sq=Skv=$seq"
    else
      IFS=: read -r b sq skv <<< "$size"
      grep -q 'layout = ids' "$spec" && skv=$sq
      # A static batch size wins over the one chosen here.
      static_batch=$(grep -oE 'tensor<[0-9]+x[0-9]+x\?x' "$spec" | head -1 |
                     sed -E 's/tensor<([0-9]+)x.*/\1/')
      [ -n "$static_batch" ] && b=$static_batch
      args="--batch $b --seq-q $sq --seq-kv $skv"
      label="B=$b Sq=$sq Skv=$skv"
    fi
    checks=$((checks + 1))
    # shellcheck disable=SC2086
    if "$attn_run" "$bundle" --target host $args --check > "$work/$name.log" 2>&1; then
      echo "$name ($dtype) $label: $(grep max_rel_err= "$work/$name.log") PASS"
    else
      fail "$name ($dtype) $label"; cat "$work/$name.log"
    fi
  done
done
echo "$dtype: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
