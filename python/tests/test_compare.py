"""bench/compare.py's dry run: the whole pipeline (cases traced from
mask_mods, compile, check against a float64 reference, timing, JSON,
markdown and chart) on the CPU."""

import json
import os
import subprocess
import sys

from conftest import REPO


def test_dry_run_writes_checked_results(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "bench" / "compare.py"), "dry-run",
                             "--out", str(tmp_path)], capture_output=True, text=True,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["machine"] == "host CPU (dry run)" and "not a GPU measurement" in data["what"]
    names = [r["case"] for r in data["rows"]]
    assert names == ["causal", "sliding64", "docs4", "s2_l4_v8_b16", "causal_softcap50"]
    for row in data["rows"]:
        assert row["difference"] < 1e-5 and row["attn"]["ms"] > 0
        assert 0 < row["density"] <= 1
    assert abs(data["rows"][0]["density"] - (301 / 600)) < 1e-9  # causal at S = 300
    table = (tmp_path / "compare.md").read_text()
    assert "| causal | 1 | 2 | 300 | 64 | 0.5017 |" in table
    chart = tmp_path / ("compare.png" if (tmp_path / "compare.png").exists() else "compare.svg")
    assert chart.stat().st_size > 0
