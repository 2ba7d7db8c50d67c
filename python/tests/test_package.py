"""pip install ./python offline, the installed package finding its own
libraries, and the README's CPU snippets run as written."""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO


def readme_snippets(kind):
    """The code blocks that README.md marks with <!-- snippet: KIND -->."""
    text = (REPO / "README.md").read_text()
    return re.findall(r"<!-- snippet: " + kind + r" -->\s*```\w*\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A venv (seeing Debian's NumPy) with attn installed by pip, offline,
    from the repository's python/ folder, as the README says."""
    root = tmp_path_factory.mktemp("venv") / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)],
                   check=True)
    result = subprocess.run([str(root / "bin" / "pip"), "install", "--no-index",
                             str(REPO / "python")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "bin" / "python"


def run(python, code, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ATTN_LIBRARY_DIR"}
    env["ATTN_CACHE_DIR"] = str(tmp_path / "cache")
    return subprocess.run([str(python), "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True)


def test_installed_package_carries_its_libraries(venv, tmp_path):
    result = run(venv, "import attn, attn._lib as L; print(attn.__file__); "
                 "print(L.runtime()._name); print(attn.compiler_version())", tmp_path)
    assert result.returncode == 0, result.stderr
    package, runtime, version = result.stdout.splitlines()
    assert str(venv.parent.parent) in package and "/attn/_lib/libattn_runtime.so" in runtime
    assert version.startswith("attn-compiler ")


def test_readme_cpu_snippets(venv, tmp_path):
    snippets = readme_snippets("cpu")
    assert len(snippets) >= 2
    for code in snippets:
        result = run(venv, code, tmp_path)
        assert result.returncode == 0, f"README snippet failed:\n{code}\n{result.stderr}"


def test_missing_libraries_say_where_attn_looked(tmp_path):
    env = dict(os.environ, ATTN_LIBRARY_DIR=str(tmp_path / "nothing"),
               PYTHONPATH=str(REPO / "python"))
    code = "import attn, numpy as np; x = np.zeros((1, 1, 1, 8), np.float32); attn.attention(x, x, x)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "LibraryNotFound: libattn_runtime.so not found; looked in: " in result.stderr
    assert str(tmp_path / "nothing" / "libattn_runtime.so") in result.stderr
