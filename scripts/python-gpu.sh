#!/usr/bin/env bash
# The Python package on a GPU machine, in two halves (docs/python.md).
#
# Here, with the compiler build (default build/):
#   scripts/python-gpu.sh prepare DIR [BUILD]
# compiles every spec the GPU check (python/tests/gpu_check.py) and the
# benchmark (bench/compare.py, with two example specs) need into DIR, and
# copies libattn_runtime.so (no LLVM inside) into DIR/lib. Carry DIR (a
# build*/ name is ignored by git, e.g. build-python-gpu).
#
# On the GPU machine (Python with PyTorch and Triton, no MLIR):
#   scripts/python-gpu.sh device DIR OUT
# runs the check (OUT/python-gpu-check.md) and the benchmark (OUT/compare.*)
# from DIR's caches alone. ATTN_LIBRARY_DIR overrides DIR/lib (e.g. an
# ATTN_BUILD_COMPILER=OFF build's lib/). Exit status 1 if the check fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:?usage: python-gpu.sh prepare DIR [BUILD] | device DIR OUT}
dir=$(mkdir -p "${2:?DIR missing}" && cd "$2" && pwd)

case $mode in
prepare)
  build=$(cd "${3:-$here/build}" && pwd)
  export ATTN_LIBRARY_DIR=$build/lib
  mkdir -p "$dir/lib"
  cp "$build/lib/libattn_runtime.so" "$dir/lib/"
  rm -rf "$dir/check" "$dir/bench"
  /usr/bin/python3 "$here/python/tests/gpu_check.py" precompile "$dir/check"
  /usr/bin/python3 "$here/bench/compare.py" precompile "$dir/bench" \
    --spec "$here/examples/s2_attention.mlir" --spec "$here/examples/gemma2_local.mlir"
  du -sh "$dir"
  ;;
device)
  out=$(mkdir -p "${3:?OUT missing}" && cd "$3" && pwd)
  if [ -z "${ATTN_LIBRARY_DIR:-}" ]; then
    export ATTN_LIBRARY_DIR=$dir/lib
    # The runtime built here may need a newer C/C++ library than the GPU
    # machine has: then build it there (no MLIR needed).
    if ! python3 -c "import ctypes; ctypes.CDLL('$dir/lib/libattn_runtime.so')" 2>/dev/null; then
      cmake -G Ninja -S "$here" -B "$dir/build-nomlir" -DCMAKE_BUILD_TYPE=Release \
        -DATTN_BUILD_COMPILER=OFF -DATTN_BUILD_TESTS=OFF > "$out/nomlir-build.log" 2>&1 &&
        ninja -C "$dir/build-nomlir" attn_runtime >> "$out/nomlir-build.log" 2>&1 ||
        { echo "MLIR-free runtime build failed; see $out/nomlir-build.log" >&2; exit 1; }
      export ATTN_LIBRARY_DIR=$dir/build-nomlir/lib
    fi
  fi
  status=0
  timeout 420 python3 "$here/python/tests/gpu_check.py" run "$dir/check" \
    "$out/python-gpu-check.md" || status=1
  timeout 420 python3 "$here/bench/compare.py" run "$dir/bench" --out "$out" || status=1
  exit $status
  ;;
*)
  echo "usage: python-gpu.sh prepare DIR [BUILD] | device DIR OUT" >&2
  exit 2
  ;;
esac
