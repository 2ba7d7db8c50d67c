#!/usr/bin/env bash
# The embed example end to end: compile a spec for the host, run it through
# embed, and check the exit codes and messages of its failure paths.
#   smoke-test.sh ATTN_OPT EMBED SPEC WORK_DIR
set -eu
attn_opt=$1 embed=$2 spec=$3 work=$4
mkdir -p "$work"
"$attn_opt" "$spec" --attn-compile="targets=host output=$work/tiny.atnb" -o /dev/null

out=$("$embed" "$work/tiny.atnb" --batch 2 --seq 37)
echo "$out"
# B * H * S * F = 2 * 2 * 37 * 16 outputs, none NaN.
grep -q '^kernel tiny on host: 2368 outputs, sum=.* nan=0$' <<< "$out"

expect_failure() { # NAME PATTERN COMMAND...
  local name=$1 pattern=$2 status=0 err
  shift 2
  err=$("$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" -eq 0 ] || ! grep -q -- "$pattern" <<< "$err"; then
    echo "FAILED ($name): exit $status, stderr: $err"; exit 1
  fi
  echo "$name: exit $status: $err"
}
expect_failure missing-file 'ATTN_ERROR_IO' "$embed" "$work/missing.atnb"
expect_failure unknown-kernel 'ATTN_ERROR_NOT_FOUND' "$embed" "$work/tiny.atnb" --kernel nope
# Without a GPU the driver is missing; with one, this host-only bundle has no
# binary for it. Either way a precise error and exit 1.
expect_failure cuda 'CUDA driver\|no usable CUDA device\|ATTN_ERROR_NO_BINARY' \
  "$embed" "$work/tiny.atnb" --cuda
echo "embed smoke test passed"
