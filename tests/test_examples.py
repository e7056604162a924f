"""Every script in ``examples/`` runs to the end (opt in: ``pytest -m examples``)."""

import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
#: Each example must finish in 5 minutes on 2 cores; the limit leaves room for load.
TIMEOUT = 600


@pytest.mark.examples
@pytest.mark.parametrize("script", EXAMPLES, ids=os.path.basename)
def test_example_runs(script, tmp_path):
    pytest.importorskip("matplotlib")
    args = [sys.executable, script]
    if os.path.basename(script).startswith("plot_"):
        with open(script, encoding="utf-8") as f:
            if "--out" in f.read():
                args += ["--out", str(tmp_path / "figure.png")]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path,
                            timeout=TIMEOUT, env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr[-5000:]
    if "--out" in args:
        assert (tmp_path / "figure.png").stat().st_size > 0
