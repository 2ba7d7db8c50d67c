#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for attn and builds it into build/.
# Installs exactly the Debian packages the project needs (MLIR/LLVM 22, lit and
# FileCheck, lld (ld.lld-22 also links the AMD code objects), ninja,
# GoogleTest, FlatBuffers, DLPack, JSON, the HIP headers for the HIP ABI test
# (nothing links ROCm; no ROCm device library is used); NumPy, pytest,
# pip and venv for the Python package; clang 22 and its sanitizer/libFuzzer
# runtimes for scripts/sanitize.sh and scripts/fuzz.sh), then configures and
# builds. Re-running it only rebuilds what changed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${ATTN_BUILD_DIR:-$root/build}

packages=(
  cmake ninja-build g++ python3
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools lld-22
  libgtest-dev libflatbuffers-dev flatbuffers-compiler
  libdlpack-dev nlohmann-json3-dev libfmt-dev libamdhip64-dev
  python3-numpy python3-pytest python3-pip python3-venv
  clang-22 libclang-rt-22-dev
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "attn setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -G Ninja -S "$root" -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
ninja -C "$build_dir"
