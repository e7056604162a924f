"""The documentation builds with no warnings (``sphinx -W``, about 10 s), and the files
the README and the hand-written pages name exist."""

import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "matplotlib"):
        pytest.importorskip(module)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         os.path.join(ROOT, "docs"), str(tmp_path / "html")],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "html" / "benchmarks.html").exists()
    assert (tmp_path / "html" / "api.html").exists()


#: Hand-written pages whose file references are checked (benchmarks.rst is generated).
PAGES = ["README.md", "benchmarks/README.md"] + sorted(
    os.path.relpath(path, ROOT)
    for pattern in ("docs/*.rst", "docs/methods/*.rst")
    for path in glob.glob(os.path.join(ROOT, pattern))
    if os.path.basename(path) != "benchmarks.rst"
)
#: Folders a bare file name may live in.
FILE_HOMES = ("benchmarks/results", "docs/_static/examples", "")


def referenced_files(page):
    """File names in backticks (``name.md``, `dir/name.py`, globs allowed) in ``page``."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        text = f.read()
    names = re.findall(r"`+([\w./*-]+\.(?:md|txt|json|py|png))`+", text)
    return sorted({n for n in names if not n.startswith(".")})


@pytest.mark.parametrize("page", PAGES)
def test_referenced_files_exist(page):
    """Every results file, script or figure a page names in backticks is in the repository."""
    missing = [name for name in referenced_files(page)
               if not any(glob.glob(os.path.join(ROOT, home, name)) for home in FILE_HOMES)]
    assert not missing, f"{page} names files that do not exist: {missing}"
