"""``schema/schema.graphql`` is the SDL of the schema the API serves: this test fails when
someone changes the schema and forgets ``loanwatch schema export``; ``schema check`` says so
on a stale file and ``schema export`` writes it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.sdl import SDL_FILE, schema_sdl
from tests.command_line import run_loanwatch


def test_the_committed_sdl_is_the_schema_served() -> None:
    assert SDL_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema/schema.graphql is out of date: run `loanwatch schema export`")
    assert "type PdScore" in schema_sdl() and "type Query" in schema_sdl()


def test_check_refuses_a_stale_file_and_export_mends_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(schema_sdl().replace("type PdScore", "type OldScore"), encoding="utf-8")
    assert run_loanwatch(monkeypatch, "schema", "check", "--file", str(stale)) == 1
    assert "is not the schema the API serves" in capsys.readouterr().err
    assert run_loanwatch(monkeypatch, "schema", "export", "--out", str(stale)) == 0
    assert "written" in capsys.readouterr().out
    assert run_loanwatch(monkeypatch, "schema", "check", "--file", str(stale)) == 0
    assert stale.read_text(encoding="utf-8") == schema_sdl()
