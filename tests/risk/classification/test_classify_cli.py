"""``loanwatch classify`` on the import examples: JSON, one loan, the table, bad input."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from loanwatch.cli.main import app, main
from tests.ingest.importing import EXAMPLES


@pytest.fixture(autouse=True)
def _no_loanwatch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {"LOANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
              "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"}
    imported = CliRunner().invoke(app, ["import", str(EXAMPLES)], env=values)
    assert imported.exit_code == 0, imported.output
    return values


def test_json_lists_every_loan_with_tier_stage_dpd_ecl_and_reasons(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["classify", "--as-of", "2024-12-31", "--json"], env=env)
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["as_of"] == "2024-12-31"
    rows = {row["loan"]: row for row in document["loans"]}
    assert {k: (v["tier"], v["stage"], v["dpd"]) for k, v in rows.items()} == {
        "L001": ("substandard", 3, 260), "L002": ("special_mention", 2, 0),
        "L003": ("substandard", 3, 143), "L004": ("pass", 1, 0)}
    # L002 was paused for flood repairs (a concession): restructured and forborne.
    assert [r["rule"] for r in rows["L002"]["reasons"]][:1] == ["restructured.observation"]
    assert rows["L003"]["ecl"]["currency"] == "CNY"
    summary = document["summary"]
    assert summary["by_tier"]["substandard"]["loans"] == 2
    assert summary["by_stage"]["3"]["exposure"] == {"CNY": "4827802.06"}


def test_one_loan_and_the_table(env: dict[str, str]) -> None:
    runner = CliRunner()
    one = runner.invoke(app, ["classify", "--as-of", "2024-12-31", "--json", "--loan", "L003"],
                        env=env)
    assert [row["loan"] for row in orjson.loads(one.stdout)["loans"]] == ["L003"]
    table = runner.invoke(app, ["classify", "--as-of", "2024-12-31"], env=env)
    assert table.exit_code == 0, table.output
    assert "substandard 次级" in table.output and "By stage" in table.output


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2020-01-01"], "the as-of date 2020-01-01 is before any data"),
    (["--as-of", "31/12/2024"], "--as-of '31/12/2024' is not a date YYYY-MM-DD"),
    (["--loan", "L404"], "unknown loan id(s): L404"),
])
def test_bad_input_is_a_clear_error_without_traceback(
        env: dict[str, str], args: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["loanwatch", "classify", *args])
    with pytest.raises(SystemExit) as caught:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert caught.value.code == 1
    assert message in err and "Traceback" not in err


def test_a_settings_file_with_an_unknown_key_is_refused(
        env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "risk.toml"
    settings.write_text("[classification]\nsubstandard_dayz = 60\n", encoding="utf-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["loanwatch", "classify", "--config", str(settings)])
    with pytest.raises(SystemExit):
        main()
    assert "unknown setting 'substandard_dayz'" in " ".join(capsys.readouterr().err.split())
