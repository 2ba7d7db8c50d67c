#!/usr/bin/env bash
# The six-target bundle (host, sm_80, sm_90, gfx90a, gfx942, gfx1100) on an
# NVIDIA GPU, in two halves:
#
#   scripts/verify-six-target-bundle.sh prepare PREPARED [COMPILER_BUILD]  (here, with MLIR)
#   scripts/verify-six-target-bundle.sh device PREPARED                    (on the GPU machine)
#
# prepare: compiles causal, gqa (with its LSE) and s2_attention into
#   six-target bundles, checks each bundle's host binary against the float64
#   reference (attn-run --target host --check), and builds the MLIR-free
#   attn-run into PREPARED/bin, PREPARED/lib (scripts/build-nomlir-attn-run.sh).
# device: for each bundle, attn-run --target cuda --check (against the
#   bundle's host binary) must PASS with the runtime choosing the sm_90
#   binary on an sm_90 device. The AMD binaries are only carried (no AMD GPU).
# Both check at B=2 Sq=333 Skv=517. Exits 1 if anything fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare|device PREPARED [COMPILER_BUILD]" >&2; exit 2; }
examples="causal gqa s2_attention"
targets=host,sm_80,sm_90,gfx90a,gfx942,gfx1100
sizes="--batch 2 --seq-q 333 --seq-kv 517"

case $mode in
  prepare)
    build=${3:-$here/build}
    rm -rf "$prepared" && mkdir -p "$prepared/bundles"
    for name in $examples; do
      bundle=$prepared/bundles/$name.atnb
      "$build/bin/attn-opt" "$here/examples/$name.mlir" \
        --attn-compile="targets=$targets output=$bundle" \
        -o /dev/null || { echo "compiling $name failed" >&2; exit 1; }
      "$build/bin/attn-run" "$bundle" --target host $sizes --check \
        > "$prepared/$name.host.log" 2>&1 ||
        { echo "FAIL $name --target host"; cat "$prepared/$name.host.log"; exit 1; }
      echo "PASS $name --target host $(grep -o 'max_rel_err=[^ ]*' "$prepared/$name.host.log")"
    done
    "$here/scripts/build-nomlir-attn-run.sh" "$prepared" || exit 1
    echo "prepared $prepared"
    ;;
  device)
    failures=0
    for name in $examples; do
      log=$prepared/$name.cuda.log
      # shellcheck disable=SC2086
      "$prepared/bin/attn-run" "$prepared/bundles/$name.atnb" --target cuda \
        $sizes --check > "$log" 2>&1
      status=$?
      picked=$(grep -o 'binary [a-z0-9_]* [a-z_]*' "$log" | head -1)
      if [ $status -ne 0 ] || ! grep -q '^PASS' "$log" ||
         ! grep -q 'binary sm_90 ' "$log"; then
        echo "FAIL $name --target cuda ($picked)"; cat "$log"
        failures=$((failures + 1))
      else
        echo "PASS $name --target cuda ($picked) $(grep -o 'max_rel_err=[^ ]*' "$log")"
      fi
    done
    echo "six-target bundle: $failures failures"
    [ $failures -eq 0 ]
    ;;
  *) echo "usage: $0 prepare|device PREPARED [COMPILER_BUILD]" >&2; exit 2 ;;
esac
