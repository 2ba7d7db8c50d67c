#!/usr/bin/env bash
# The AddressSanitizer + UndefinedBehaviorSanitizer build (clang 22, from
# Debian's clang-22 and libclang-rt-22-dev) in its own folder, with the
# libFuzzer targets, and its test run.
#
#   scripts/sanitize.sh build [BUILD]    configure and build (default build-san)
#   scripts/sanitize.sh test [BUILD]     ctest under the sanitizers (see below)
#
# The test run covers every unit test and the lit suite except the slowest
# lit tests, sampled (ATTN_SANITIZE_LIT_SAMPLED_OUT in CMakeLists.txt; one
# test of each family still runs), so CI keeps within its time budget;
# configure with -DATTN_SANITIZE_FULL=ON to run everything.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-build}
build=${2:-$here/build-san}

case $mode in
  build)
    cmake -G Ninja -S "$here" -B "$build" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
      -DATTN_SANITIZE=ON -DATTN_FUZZ=ON \
      ${ATTN_SANITIZE_CMAKE_ARGS:-}
    ninja -C "$build" ${ATTN_SANITIZE_NINJA_ARGS:-}
    ;;
  test)
    # Leaks are findings (LeakSanitizer runs with AddressSanitizer).
    # allow_user_poisoning=0: LLVM's headers poison BumpPtrAllocator memory when
# compiled with ASan, but the Debian LLVM libraries that share that memory
# are not instrumented; their manual poisoning would give false reports.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:allow_user_poisoning=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ctest --test-dir "$build" --output-on-failure
    ;;
  *) echo "usage: $0 build|test [BUILD]" >&2; exit 2 ;;
esac
