"""``loanwatch demo --no-serve``: generate once, import idempotently, point at examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.cli.main import app
from portfolio.database import create_sql_engine


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


def test_demo_generates_once_and_imports_idempotently(tmp_path: Path) -> None:
    env = {"LOANWATCH_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    runner = CliRunner()

    first = runner.invoke(app, ["demo", "--borrowers", "300", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    assert "portfolio: generated" in first.output
    assert "0 rejected" in first.output
    assert "Where to start" in first.output
    # 300 borrowers hold too few defaults to train a PD model: said, and the scan still runs.
    assert "PD model: not trained" in first.output
    assert "scan run 1 as of 2025-06-30" in first.output
    # The way in: a client with its secret, the users with their passwords, a curl.
    assert "client secret: " in first.output and "user demo-investigator" in first.output
    assert "-d grant_type=client_credentials" in first.output
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'loanwatch.db'}")
    store = EmbeddedGraphStore(engine)
    counts = store.count()
    assert counts["Person"] + counts["Company"] == 300
    assert counts["GUARANTEES"] > 0 and counts["OWNS"] > 0

    second = runner.invoke(app, ["demo", "--borrowers", "300", "--no-serve"], env=env)
    assert second.exit_code == 0, second.output
    assert "portfolio: reusing" in second.output
    assert store.count() == counts
    store.close()
