"""Errors reach the user as one line naming the problem, a hint, and a non-zero exit."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from loanwatch.cli.main import main
from tests.command_line import run_loanwatch as run

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "import-examples"


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LOANWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_neo4j_names_its_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("LOANWATCH_NEO4J_URI", uri)

    code = run(monkeypatch, "import", str(EXAMPLES))

    err = capsys.readouterr().err
    assert code == 3
    assert f"error: cannot reach Neo4j at {uri}" in err
    assert "hint: start it with `loanwatch neo4j start`" in err
    assert "Traceback" not in err


def test_a_bad_setting_stops_the_program_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LOANWATCH_PORT", "eighty")

    code = run(monkeypatch, "migrate")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: bad setting: LOANWATCH_PORT" in err
    assert "Traceback" not in err


def test_migrate_creates_the_default_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["loanwatch", "migrate"])
    try:
        main()
    except SystemExit as exit_:  # typer exits 0 after a command
        assert exit_.code in (0, None)
    assert (tmp_path / "loanwatch.db").exists()
    assert "migrated" in capsys.readouterr().out
