#!/usr/bin/env bash
# Documents as ids on an NVIDIA GPU: the kernels reduce each query tile's
# ids over the block's threads to find its key range and full tiles
# (docs/sparsity.md, "Documents as ids in kernels"), which must be exact for
# ids in any order. In two halves:
#
#   scripts/verify-document-ids-gpu.sh prepare PREPARED [BUILD]   (here, with MLIR)
#   scripts/verify-document-ids-gpu.sh device PREPARED OUT        (on the GPU machine)
#
# prepare: examples/documents.mlir (bf16, causal, 32/8 heads, D = 128) and
# its bidirectional twin compiled for host,sm_90 (mma.sync) and host,sm_90a
# (wgmma; the runtime runs it on compute capability 9.0 only); document ids
# [1, S] at S = 1000 and 3001 in four orders (test/Host/Inputs/document-ids.py:
# sorted runs, ids reused out of order, ids interleaving every few tokens,
# one id); the MLIR-free attn-run (scripts/build-nomlir-attn-run.sh).
# device: per bundle, order and size, attn-run --target cuda --check (the
# GPU kernel against the bundle's host binary on the same inputs, outputs
# NaN-poisoned); OUT/document-ids.md gets the table. Exits 1 if any fails.
# A trial of the device half without a GPU: ATTN_VERIFY_TARGET=host
# ATTN_VERIFY_ATTN_RUN=build/bin/attn-run (the compiler-built attn-run,
# whose --check compares the host binary with the float64 interpreter);
# ATTN_VERIFY_SIZES="1000" checks fewer sizes.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2; }
orders="sorted reused interleaved single"
sizes=${ATTN_VERIFY_SIZES:-1000 3001}

prepare() {
  local build=${1:-$here/build}
  local attn_opt=$build/bin/attn-opt
  [ -x "$attn_opt" ] || { echo "no attn-opt in $build" >&2; exit 2; }
  rm -rf "$prepared" && mkdir -p "$prepared"/{bundles,inputs,logs}
  prepared=$(cd "$prepared" && pwd)
  git -C "$here" rev-parse --short HEAD > "$prepared/commit.txt" 2>/dev/null || echo unknown > "$prepared/commit.txt"
  sed 's/causal = true/causal = false/; s/@documents/@documents_bidirectional/' \
    "$here/examples/documents.mlir" > "$prepared/bundles/documents_bidirectional.mlir"
  local failures=0
  for spec in "$here/examples/documents.mlir" "$prepared/bundles/documents_bidirectional.mlir"; do
    local name; name=$(basename "$spec" .mlir)
    for targets in host,sm_90 host,sm_90a; do
      local bundle=$prepared/bundles/$name.${targets#host,}.atnb
      if ! "$attn_opt" "$spec" --attn-compile="targets=$targets report-resources output=$bundle" \
           -o /dev/null > "$prepared/logs/$name.${targets#host,}.log" 2>&1; then
        echo "compile failed: $name $targets (see logs)" >&2; failures=$((failures + 1))
      fi
    done
  done
  for order in $orders; do
    for size in $sizes; do
      mkdir -p "$prepared/inputs/$order-$size"
      python3 "$here/test/Host/Inputs/document-ids.py" "$prepared/inputs/$order-$size/data0.npy" 1 "$size" "$order" ||
        failures=$((failures + 1))
    done
  done
  "$here/scripts/build-nomlir-attn-run.sh" "$prepared" || failures=$((failures + 1))
  echo "prepared $(ls "$prepared"/bundles/*.atnb | wc -l) bundles, $(ls "$prepared/inputs" | wc -l) inputs in $prepared"
  [ "$failures" -eq 0 ]
}

device() {
  local out=${1:?usage: $0 device PREPARED OUT}
  mkdir -p "$out"
  prepared=$(cd "$prepared" && pwd)
  local target=${ATTN_VERIFY_TARGET:-cuda} failures=0 report=$out/document-ids.md
  local attn_run=${ATTN_VERIFY_ATTN_RUN:-$prepared/bin/attn-run}
  {
    echo "# Documents as ids on the GPU (compiler $(cat "$prepared/commit.txt"))"
    echo
    echo "attn-run --target $target --check (the kernel against the bundle's host binary), B = 1."
    echo
    echo "| bundle | ids | S | result | max_rel_err |"
    echo "|---|---|---|---|---|"
  } > "$report"
  for bundle in "$prepared"/bundles/*.atnb; do
    for order in $orders; do
      for size in $sizes; do
        local log=$out/$(basename "$bundle" .atnb)-$order-$size.log result=PASS
        "$attn_run" "$bundle" --target "$target" --check --batch 1 \
          --seq-q "$size" --seq-kv "$size" --seed 1 --inputs "$prepared/inputs/$order-$size" \
          > "$log" 2>&1 || { result=FAIL; failures=$((failures + 1)); }
        local error; error=$(grep -o 'max_rel_err=[^ ]*' "$log" | head -1)
        echo "| $(basename "$bundle") | $order | $size | $result | ${error#max_rel_err=} |" >> "$report"
      done
    done
  done
  echo >> "$report"
  echo "failures: $failures" >> "$report"
  cat "$report"
  [ "$failures" -eq 0 ]
}

case "$mode" in
  prepare) prepare "${3:-}" ;;
  device) device "${3:-}" ;;
  *) echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2 ;;
esac
