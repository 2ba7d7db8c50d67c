"""The disk cache: reuse across processes, privacy, hash checks, and the
compiler-less machine."""

import json
import os
import subprocess
import sys

import pytest

import attn
from conftest import PYTHON_DIR

SPEC = """
func.func @cached(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>)
    -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 5>}
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
"""

# Compiles (or loads) SPEC, runs it, prints where the bundle came from.
CHILD = """
import sys, time, numpy as np, attn, attn.kernel as K
calls = []
original = K._lib.compiler
def counting():
    lib = original()
    if lib is not None:
        real = lib.attn_compile
        def compile_(*a):
            calls.append(1)
            return real(*a)
        lib.attn_compile = compile_
    return lib
K._lib.compiler = counting
kernel = attn.compile(sys.stdin.read(), targets="host")
x = np.random.default_rng(3).standard_normal((1, 2, 9, 16)).astype(np.float32)
o = kernel(x, x, x)
print("compiled" if calls else "cached", float(np.abs(o).sum()))
"""


def run_child(cache, library_dir, spec=SPEC):
    env = dict(os.environ, ATTN_CACHE_DIR=str(cache), ATTN_LIBRARY_DIR=str(library_dir),
               PYTHONPATH=str(PYTHON_DIR))
    return subprocess.run([sys.executable, "-c", CHILD], input=spec, env=env,
                          capture_output=True, text=True)


def runtime_only(tmp_path):
    """A library folder with the runtime and no compiler (a GPU machine)."""
    folder = tmp_path / "runtime-only"
    folder.mkdir()
    os.symlink(os.path.join(os.environ["ATTN_LIBRARY_DIR"], "libattn_runtime.so"),
               folder / "libattn_runtime.so")
    return folder


def test_second_process_reuses_the_bundle(tmp_path):
    cache = tmp_path / "cache"
    first = run_child(cache, os.environ["ATTN_LIBRARY_DIR"])
    assert first.returncode == 0, first.stderr
    second = run_child(cache, os.environ["ATTN_LIBRARY_DIR"])
    assert second.returncode == 0, second.stderr
    assert first.stdout.split()[0] == "compiled" and second.stdout.split()[0] == "cached"
    assert first.stdout.split()[1] == second.stdout.split()[1]
    assert (cache.stat().st_mode & 0o777) == 0o700
    # Without a compiler the cached bundle still serves.
    third = run_child(cache, runtime_only(tmp_path))
    assert third.returncode == 0, third.stderr
    assert third.stdout.split() == ["cached", first.stdout.split()[1]]


def test_no_compiler_and_no_entry_says_so(tmp_path):
    result = run_child(tmp_path / "empty", runtime_only(tmp_path))
    assert result.returncode != 0
    assert "CompilerUnavailable: this spec is not in the attn cache" in result.stderr
    assert "libattn_compiler.so not found" in result.stderr


def entries(cache):
    return sorted(p for p in cache.rglob("*.atnb"))


def test_corrupted_bundle_is_rebuilt_or_refused(tmp_path):
    cache = tmp_path / "cache"
    assert run_child(cache, os.environ["ATTN_LIBRARY_DIR"]).returncode == 0
    (bundle,) = entries(cache)
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x40
    bundle.write_bytes(bytes(data))
    refused = run_child(cache, runtime_only(tmp_path))
    assert refused.returncode != 0
    assert "CacheError" in refused.stderr and "does not match the SHA-256" in refused.stderr
    rebuilt = run_child(cache, os.environ["ATTN_LIBRARY_DIR"])
    assert rebuilt.returncode == 0 and rebuilt.stdout.split()[0] == "compiled"
    assert "compiling again" in rebuilt.stderr
    meta = json.loads(bundle.with_suffix(".json").read_text())
    assert meta["spec"] == SPEC and meta["options"] == "host-cpu=native targets=host"


def test_cache_directory_must_be_private(tmp_path, monkeypatch):
    cache = tmp_path / "shared"
    cache.mkdir(mode=0o777)
    os.chmod(cache, 0o777)
    monkeypatch.setenv("ATTN_CACHE_DIR", str(cache))
    attn.compile(SPEC.replace("left = 5", "left = 6"), targets="host")
    assert (cache.stat().st_mode & 0o777) == 0o700
    if os.getuid() == 0:  # root can hand the folder to another user
        os.chown(cache, 65534, 65534)
        with pytest.raises(attn.CacheError, match="belongs to uid 65534, not to this user"):
            attn.compile(SPEC.replace("left = 5", "left = 7"), targets="host")
