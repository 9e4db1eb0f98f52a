"""``loanwatch model loss`` on the import examples: the LGD table and the EAD totals, in JSON
and as tables, the same table in ``loanwatch classify``, and bad input."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from loanwatch.cli.main import app, main

# The same examples database and settings-free environment as the classify command's tests.
from tests.risk.classification.test_classify_cli import _no_loanwatch_environment, env

__all__ = ["_no_loanwatch_environment", "env"]


def test_json_gives_every_segment_with_its_sources_and_the_ead(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["model", "loss", "--as-of", "2024-12-31", "--json"],
                                env=env)
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    segments = {(s["collateral"], s["coverage"]): s for s in document["lgd"]["segments"]}
    # L003 (unsecured) and L001 (real estate worth more than it owes) are in default since
    # 2024: too recent to count, so both segments stand on their priors.
    assert segments[("unsecured", "unsecured")] == {
        "collateral": "unsecured", "coverage": "unsecured", "observations": 0, "recent": 1,
        "awaiting_disposal": 0, "realised_mean": None, "prior": 0.45, "estimate": 0.45,
        "floored": False}
    assert segments[("real_estate", ">=100%")]["estimate"] == 0.25
    # L004's vehicle covers under half of it: a quarter of the way from 0.45 to 0.25.
    assert segments[("vehicle", "<50%")]["prior"] == pytest.approx(0.25 * 0.25 + 0.75 * 0.45)
    ead = document["ead"]["CNY"]
    assert ead["loans"] == 4
    assert Decimal(ead["ead"]) == sum(Decimal(ead[part]) for part in (
        "outstanding", "overdue_interest", "accrued_interest", "undrawn"))
    assert ead["undrawn"] == "0.00" and Decimal(ead["accrued_interest"]) > 0
    assert document["lgd"]["settings"]["workout_months"] == 12


def test_the_tables_and_the_same_lgd_in_classify(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["model", "loss", "--as-of", "2024-12-31"], env=env)
    assert table.exit_code == 0, table.output
    assert "LGD by segment" in table.output and "real_estate >=100%" in table.output
    assert "EAD of the live loans" in table.output
    settings = tmp_path / "loanwatch.toml"
    settings.write_text("[provisioning]\nlgd_unsecured = 0.6\n", encoding="utf-8")
    loss = orjson.loads(runner.invoke(app, ["model", "loss", "--as-of", "2024-12-31",
                                            "--json", "--config", str(settings)],
                                      env=env).stdout)
    classified = orjson.loads(runner.invoke(app, ["classify", "--as-of", "2024-12-31",
                                                  "--json", "--config", str(settings)],
                                            env=env).stdout)
    assert classified["lgd"] == loss["lgd"]
    assert loss["lgd"]["segments"][0]["estimate"] == 0.6
    l003 = next(row for row in classified["loans"] if row["loan"] == "L003")
    assert l003["reasons"][-1]["figures"]["lgd"] == 0.6
    assert "LGD by segment" in runner.invoke(app, ["classify", "--as-of", "2024-12-31"],
                                             env=env).output


@pytest.mark.parametrize(("args", "settings", "message"), [
    (["--as-of", "2020-01-01"], None, "the as-of date 2020-01-01 is before any data"),
    (["--as-of", "2024-12-31"], "lgd_floor = 2\n", "lgd_floor must lie in [0, 1]"),
    (["--as-of", "2024-12-31"], "lgd_credibility = \"many\"\n",
     "lgd_credibility: expected float"),
])
def test_bad_input_is_a_clear_error_without_traceback(
        env: dict[str, str], args: list[str], settings: str | None, message: str,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if settings is not None:
        path = tmp_path / "bad.toml"
        path.write_text(f"[provisioning]\n{settings}", encoding="utf-8")
        args = [*args, "--config", str(path)]
    monkeypatch.setattr(sys, "argv", ["loanwatch", "model", "loss", *args])
    with pytest.raises(SystemExit) as caught:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert caught.value.code == 1
    assert message in err and "Traceback" not in err
