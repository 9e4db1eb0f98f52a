"""``loanwatch import``: the report, the exit codes, and errors without tracebacks."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli.main import app, main
from tests.ingest.importing import EXAMPLES, write


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands read LOANWATCH_* settings; start each test from none."""
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


def _env(tmp_path: Path) -> dict[str, str]:
    return {"LOANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
            "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"}


def test_a_clean_import_exits_0_and_prints_a_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(EXAMPLES)], env=_env(tmp_path))

    assert result.exit_code == 0, result.output
    assert "Import batch 1: succeeded" in result.output
    assert "loans.csv" in result.output
    assert "57 of 57 rows imported, 0 rejected" in result.output


def test_rejected_rows_exit_2_and_are_listed(tmp_path: Path) -> None:
    path = write(tmp_path, "persons.csv", "id,name,gender\nP1,Zhang Wei,M\nP2,Li Na,W\n,X,F\n")

    result = CliRunner().invoke(app, ["import", str(path), "--batch-rows", "1",
                                      "--max-rejects-shown", "1"], env=_env(tmp_path))

    assert result.exit_code == 2, result.output
    assert "1 of 3 rows imported, 2 rejected" in result.output
    assert f"{path}:3 gender: must be one of F, M; got 'W'" in result.output
    assert f"{path}:4" not in result.output
    assert "… and 1 more; every rejected row is stored with import batch 1" in result.output


def test_an_unreachable_database_is_an_error_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("LOANWATCH_DATABASE_URL", f"postgresql://lw:secret@127.0.0.1:{port}/lw")
    monkeypatch.setenv("LOANWATCH_NEO4J_URI", "")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["loanwatch", "import", str(EXAMPLES)])

    with pytest.raises(SystemExit) as caught:
        main()

    err = capsys.readouterr().err
    assert caught.value.code == 3
    address = f"postgresql+psycopg://lw:***@127.0.0.1:{port}/lw"
    assert f"error: cannot reach the SQL database at {address}" in err
    assert "secret" not in err
    assert "Traceback" not in err


def test_an_unknown_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "people.csv", "id,name\n")

    result = CliRunner().invoke(app, ["import", str(path)], env=_env(tmp_path))

    assert result.exit_code != 0
    assert "people.csv: the name does not say which entity type it holds" in str(
        result.exception)
