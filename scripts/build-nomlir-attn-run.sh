#!/usr/bin/env bash
# Builds the MLIR-free attn-run and the embed example (ATTN_BUILD_COMPILER=OFF)
# and copies them with libattn_runtime.so into DEST/bin and DEST/lib, a
# folder to carry to a GPU machine (the binaries find the library through
# their RUNPATH, $ORIGIN/../lib).
#   scripts/build-nomlir-attn-run.sh DEST
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: build-nomlir-attn-run.sh DEST}
mkdir -p "$dest/bin" "$dest/lib"
# ATTN_NOMLIR_BUILD=DIR reuses an existing ATTN_BUILD_COMPILER=OFF build.
if [ -n "${ATTN_NOMLIR_BUILD:-}" ]; then
  build=$ATTN_NOMLIR_BUILD
  ninja -C "$build" attn-run embed > "$dest/nomlir-build.log" 2>&1 ||
    { echo "MLIR-free build failed; see $dest/nomlir-build.log" >&2; exit 1; }
  cp "$build/bin/attn-run" "$build/bin/embed" "$dest/bin/"
  cp -P "$build"/lib/libattn_runtime.so* "$dest/lib/"
  exit 0
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
if ! { cmake -G Ninja -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release \
         -DATTN_BUILD_COMPILER=OFF -DATTN_BUILD_TESTS=OFF &&
       ninja -C "$build" attn-run embed; } > "$dest/nomlir-build.log" 2>&1; then
  echo "MLIR-free build failed; see $dest/nomlir-build.log" >&2
  exit 1
fi
cp "$build/bin/attn-run" "$build/bin/embed" "$dest/bin/"
cp -P "$build"/lib/libattn_runtime.so* "$dest/lib/"
