#!/usr/bin/env bash
# Compiles example specs for gfx90a, gfx942 and gfx1100 to AMDGPU assembly
# and checks every kernel with check_isa.py (matrix instructions in the
# key-tile loop, no scratch, registers and LDS within the occupancy target):
#   check-isa.sh PYTHON ATTN_OPT WORK SPEC...
# f32 specs are compiled with their float tensors in f16: the AMD kernels
# take 16-bit inputs only. Prints check_isa.py's lines and a total; exits 1
# on any failure.
set -u
python=$1 attn_opt=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
failures=0
for spec in "$@"; do
  name=$(basename "$spec" .mlir)
  sed -E "s/(tensor<[0-9?]+x[0-9?]+x[0-9?]+x[0-9?]+x)f32>/\1f16>/g" \
    "$spec" > "$work/$name.mlir"
  if ! "$attn_opt" "$work/$name.mlir" \
       --attn-compile="targets=gfx90a,gfx942,gfx1100 emit=rocdl-isa output=$work/$name.s" \
       -o /dev/null 2> "$work/$name.log"; then
    echo "FAILED: $name: compile"; cat "$work/$name.log"
    failures=$((failures + 1)); continue
  fi
  "$python" "$here/check_isa.py" "$work/$name.s" || failures=$((failures + 1))
done
echo "isa: $# specs, $failures failures"
[ "$failures" -eq 0 ]
