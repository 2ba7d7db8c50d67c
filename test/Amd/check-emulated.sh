#!/usr/bin/env bash
# Runs the AMD kernels of example specs on the host, lane by lane in
# lockstep (an emulated AMD target: the chip's kernel code with its matrix
# instruction computed from the ISA's register tables), and checks each
# against the float64 reference at one ragged size:
#   check-emulated.sh TARGET DTYPE B:SQ:SKV ATTN_OPT ATTN_RUN WORK SPEC...
# Float tensors are retyped to DTYPE (f16 or bf16; the AMD kernels take no
# f32). Specs with dynamic sequence lengths run at B, SQ, SKV (Skv = Sq where
# a documents mask needs it; a static batch wins); specs with static lengths
# at those lengths with B=1, unless the reference cannot evaluate them (then
# they are compiled only). One line per spec; exits 1 on any failure.
set -u
target=$1 dtype=$2 size=$3 attn_opt=$4 attn_run=$5 work=$6
shift 6
mkdir -p "$work"

# The reference's limit on B * Hq * Sq * Skv (kMaxScores in Inputs.h).
max_scores=$((1 << 28))

failures=0 checks=0 compiled=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

for spec in "$@"; do
  name=$(basename "$spec" .mlir)
  sed -E "s/(tensor<[0-9?]+x[0-9?]+x[0-9?]+x[0-9?]+x)(bf16|f16|f32)>/\1$dtype>/g" \
    "$spec" > "$work/$name.mlir"
  bundle="$work/$name.atnb"
  if ! "$attn_opt" "$work/$name.mlir" \
       --attn-compile="targets=$target output=$bundle" \
       -o /dev/null 2> "$work/$name.compile.log"; then
    fail "$name ($dtype): compile"; cat "$work/$name.compile.log"; continue
  fi
  compiled=$((compiled + 1))
  if grep -q 'tensor<[0-9?]*x[0-9]*x?x' "$spec"; then
    IFS=: read -r b sq skv <<< "$size"
    grep -q 'layout = ids' "$spec" && skv=$sq
    static_batch=$(grep -oE 'tensor<[0-9]+x[0-9]+x\?x' "$spec" | head -1 |
                   sed -E 's/tensor<([0-9]+)x.*/\1/')
    [ -n "$static_batch" ] && b=$static_batch
    args="--batch $b --seq-q $sq --seq-kv $skv"
    label="B=$b Sq=$sq Skv=$skv"
  else
    heads=$(grep -o 'tensor<?x[0-9]*x[0-9]*x' "$spec" | head -1 | cut -dx -f2)
    seq=$(grep -o 'tensor<?x[0-9]*x[0-9]*x' "$spec" | head -1 | cut -dx -f3)
    if [ $((heads * seq * seq)) -gt $max_scores ]; then
      echo "$name ($target, $dtype) Sq=Skv=$seq: compiled; too large for the reference"
      continue
    fi
    args="--batch 1"
    label="B=1 Sq=Skv=$seq"
  fi
  checks=$((checks + 1))
  # shellcheck disable=SC2086
  if "$attn_run" "$bundle" --target host $args --check > "$work/$name.log" 2>&1; then
    echo "$name ($target, $dtype) $label: $(grep max_rel_err= "$work/$name.log") PASS"
  else
    fail "$name ($target, $dtype) $label"; cat "$work/$name.log"
  fi
done
echo "$target $dtype: $compiled compiled, $checks checks, $failures failures"
[ "$failures" -eq 0 ]
