"""Running ``loanwatch`` in-process from a test, against a SQLite database of its own.

The command line reads its settings from the environment, so a test points it at a fresh
migrated SQLite file (no Neo4j, none of the developer's ``LOANWATCH_*`` settings) and runs
``main()`` as the shell would, returning the exit code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from loanwatch.cli.main import main
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine

__all__ = ["command_line_database", "run_loanwatch"]


def command_line_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                          columns: int = 200) -> Engine:
    """A migrated SQLite database in ``tmp_path`` that ``loanwatch`` commands open, with the
    developer's own ``LOANWATCH_*`` settings removed and a terminal ``columns`` wide."""
    for name in list(os.environ):
        if name.startswith("LOANWATCH_") and not name.startswith("LOANWATCH_TEST_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'lw.db'}"
    monkeypatch.setenv("LOANWATCH_DATABASE_URL", url)
    monkeypatch.setenv("LOANWATCH_NEO4J_URI", "")
    monkeypatch.setenv("COLUMNS", str(columns))
    engine = create_sql_engine(url)
    migrate(engine)
    return engine


def run_loanwatch(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run ``loanwatch ARGS...`` in this process; its exit code."""
    monkeypatch.setattr(sys, "argv", ["loanwatch", *args])
    with pytest.raises(SystemExit) as caught:  # every command ends through sys.exit
        main()
    return int(caught.value.code or 0)
