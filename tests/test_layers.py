"""The layer contract in ``pyproject.toml`` holds, and really catches a wrong arrow.

``make lint`` and ``make test`` run ``lint-imports``; these tests run it on a copy of the
source tree, once as it is and once with one upward import added, so that a contract that
cannot fail (a typo in a layer name, a package left out) would show here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("loanwatch", "api", "schema", "jobs", "risk", "ingest", "graph", "portfolio",
            "auth", "seeds", "notifications")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=120, check=False,
    )


def test_the_source_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        ("graph/upward.py", "import schema.build\n", "graph is not allowed to import schema"),
        ("portfolio/sideways.py", "from graph.store import GraphStore\n",
         "portfolio is not allowed to import graph"),
        ("risk/reads_settings.py", "from loanwatch.settings import Settings\n",
         "risk is not allowed to import loanwatch.settings"),
        ("ingest/uses_generator.py", "import seeds.config\n",
         "ingest is not allowed to import seeds"),
        ("graph/speaks_http.py", "import starlette.requests\n",
         "graph is not allowed to import starlette"),
        ("notifications/runs_jobs.py", "import jobs.units\n",
         "notifications is not allowed to import jobs"),
    ],
)
def test_a_wrong_arrow_breaks_the_build(tree: Path, module: str, statement: str,
                                        broken: str) -> None:
    (tree / module).write_text(statement)
    result = lint_imports(tree)
    assert result.returncode == 1
    assert broken in result.stdout
