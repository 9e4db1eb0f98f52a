"""``loanwatch seed``: writes the files and prints the summary; rejects bad settings."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from loanwatch.cli.main import app
from seeds.config import InvalidPortfolioConfig


def test_seed_writes_a_portfolio_and_prints_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    result = CliRunner().invoke(app, ["seed", "--out", str(out), "--borrowers", "300",
                                      "--seed", "3", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "loans.jsonl" in result.output and "NPL ratio" in result.output
    assert "guarantee circles" in result.output
    assert (out / "installments.jsonl").stat().st_size > 0
    assert (out / "ground_truth" / "ground_truth.json").is_file()


def test_seed_rejects_a_bad_setting(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["seed", "--out", str(tmp_path), "--borrowers", "10",
                                      "--quiet"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidPortfolioConfig)
    assert "borrowers" in str(result.exception)
