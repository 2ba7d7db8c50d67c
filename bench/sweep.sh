#!/usr/bin/env bash
# Schedule sweep for the NVIDIA benchmark cases: the same specs compiled with
# other attn-compile GPU options (tile sizes, warps, stages, blocks per
# multiprocessor), timed like bench/run.py times the defaults.
#   bench/sweep.sh prepare PREPARED [COMPILER_BUILD] [VARIANTS]   (here)
#   bench/sweep.sh device PREPARED [OUT]                          (GPU machine)
# PREPARED is a folder made by bench/prepare.sh (its cases.tsv gives each
# case's useful density and its bin/attn-run the timer). VARIANTS (default
# bench/sweep.txt) has one variant per line: CASE LABEL OPTION...; the device
# half checks each variant at a ragged size against the host binary, times it
# at B=2 H=16 S=16384 and writes OUT/sweep.md.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:?usage: bench/sweep.sh prepare|device PREPARED ...}
prepared=${2:?usage: bench/sweep.sh prepare|device PREPARED ...}
[ -f "$prepared/cases.tsv" ] || { echo "$prepared has no cases.tsv: run bench/prepare.sh first" >&2; exit 2; }

case $mode in
prepare)
  build=${3:-$here/build}
  variants=${4:-$here/bench/sweep.txt}
  rm -rf "$prepared/sweep" && mkdir -p "$prepared/sweep"
  : > "$prepared/sweep/variants.tsv"
  grep -v '^\s*\(#\|$\)' "$variants" | while read -r name label options; do
    bundle=$prepared/sweep/$name@$label.atnb
    opts="targets=host,sm_90 output=$bundle report-resources=true${options:+ $options}"
    "$build/bin/attn-opt" "$here/bench/specs/$name.mlir" --attn-compile="$opts" -o /dev/null \
      > "$prepared/sweep/$name@$label.log" 2>&1 ||
      { echo "$name@$label: compile failed:"; cat "$prepared/sweep/$name@$label.log"; exit 1; }
    resources=$(grep -o 'registers=[0-9]* shared=[0-9]* spill_stores=[0-9]*' "$prepared/sweep/$name@$label.log" | tail -1)
    printf '%s\t%s\t%s\t%s\n' "$name" "$label" "${options:-defaults}" "$resources" >> "$prepared/sweep/variants.tsv"
  done
  cat "$prepared/sweep/variants.tsv"
  ;;
device)
  out=${3:-${OUT:-.}}
  mkdir -p "$out"
  log=$out/sweep.log
  : > "$log"
  {
    echo "# attn schedule sweep"
    echo
    echo "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'); $(date -u '+%Y-%m-%d %H:%M') UTC; bf16 forward, B=2, H=16, S=16384, D=128; useful TFLOP/s, median of 30 CUDA-event timings (bench/sweep.sh)."
    echo
    echo "| case | variant | options | sm_90 resources | check | TFLOP/s |"
    echo "|---|---|---|---|---|---|"
  } > "$out/sweep.md"
  while IFS=$'\t' read -r name label options resources; do
    density=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$prepared/cases.tsv")
    bundle=$prepared/sweep/$name@$label.atnb
    check=FAIL
    if "$prepared/bin/attn-run" "$bundle" --target cuda --check --batch 1 --seq-q 1000 --seq-kv 1333 >> "$log" 2>&1; then
      check=PASS
    fi
    timing=$("$prepared/bin/attn-run" "$bundle" --target cuda --batch 2 --seq-q 16384 --seq-kv 16384 \
      --runs 30 --useful-density "$density" 2>&1) || true
    echo "$name@$label: $timing" >> "$log"
    tflops=$(grep -o 'tflops=[0-9.]*' <<< "$timing" | cut -d= -f2)
    echo "| $name | $label | $options | $resources | $check | ${tflops:--} |" | tee -a "$out/sweep.md"
  done < "$prepared/sweep/variants.tsv"
  ;;
*)
  echo "usage: bench/sweep.sh prepare|device PREPARED ..." >&2
  exit 2
  ;;
esac
