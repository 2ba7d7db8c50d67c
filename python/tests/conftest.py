"""Test setup: the libraries of the build under test ($ATTN_LIBRARY_DIR, set
by CTest) and a private cache for the session."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

if not os.environ.get("ATTN_LIBRARY_DIR"):
    raise RuntimeError("set ATTN_LIBRARY_DIR to the build's lib/ folder (ctest does)")
_cache = tempfile.mkdtemp(prefix="attn-test-cache-")
os.environ["ATTN_CACHE_DIR"] = _cache


@pytest.fixture
def rng(request):
    import zlib

    import numpy as np
    # Fresh inputs per test, reproducible from the test's name.
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
