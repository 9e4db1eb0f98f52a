"""``loanwatch stress`` on the stored portfolio: the JSON, the loss table, every bad input
named, and a planted group of a generated portfolio."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from graph.model import Label, Node
from graph.stores.embedded import EmbeddedGraphStore
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.command_line import command_line_database, run_loanwatch
from tests.ingest.importing import import_files
from tests.risk.contagion.test_portfolio import hand_portfolio


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An empty migrated SQLite database that the command line opens."""
    return command_line_database(tmp_path, monkeypatch, columns=220)


@pytest.fixture
def hand(cli_database: Engine) -> Engine:
    nodes, edges = hand_portfolio()
    # a company with a sector but no link at all: nothing can pass from it
    nodes.append(Node("C0", Label.COMPANY, {"sector": "A01"}))
    EmbeddedGraphStore(cli_database).upsert_batch(nodes, edges)
    return cli_database


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    return run_loanwatch(monkeypatch, "stress", *args)


def test_json_reports_parties_loans_paths_and_losses(
        hand: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run(monkeypatch, "--party", "C1", "--json")

    out = capsys.readouterr()
    assert code == 0, out.err
    document = orjson.loads(out.out)
    assert (document["method"], document["currency"], document["shock"], document["lgd"]) == \
        ("debtrank", "CNY", 1.0, 0.45)
    assert document["shocked"] == ["C1"] and document["rounds"] == 2
    assert document["exposure_at_risk"] == {"CNY": "350000.00"}
    assert document["expected_loss"] == {"CNY": "112500.00"}
    p2 = next(p for p in document["parties_hit"] if p["id"] == "P2")
    assert p2 == {"id": "P2", "initial": 0.0, "distress": pytest.approx(0.2), "round": 2,
                  "via": "P1", "links": ["guarantee"], "path": ["C1", "P1", "P2"],
                  "loans": 0, "exposure": {}, "expected_loss": {}}
    assert document["loans_hit"][1] == {"id": "L2", "borrower": "P1", "distress": 0.5,
                                        "currency": "CNY", "principal": "50000.00"}
    assert document["links"] == {"guarantee": 2, "ownership": 3, "supply": 1}
    assert document["buffers"] == {"floor": 1, "income": 2, "override": 1,
                                   "registered_capital": 4}
    assert out.out.count("\n") == 1


def test_the_loss_table_names_paths_and_totals(
        hand: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run(monkeypatch, "--sector", "C13", "--shock", "0.5", "--top", "3")

    out = capsys.readouterr().out
    assert code == 0
    # C1 and C4 (both C13) at 0.5, then P1, C3, P2; C1 carries the largest expected loss
    assert "debtrank on the portfolio (CNY): 5 parties hit, 3 loans" in out
    assert "… and 2 more (--top N shows more, --json all)" in out
    assert "shocked: 2 at 0.5   rounds: 2" in out
    # 0.45 × (0.5 × 20,000,000 + 0.25 × 5,000,000 + 0.125 × 10,000,000) = 5,625,000
    assert "exposure at risk: 350,000.00 CNY   expected loss (LGD 0.45): 56,250.00 CNY" in out
    assert out.index("C1") < out.index("P1 ")


def test_the_cascade_and_the_lgd_reach_the_portfolio(
        hand: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run(monkeypatch, "--region", "南京", "--method", "cascade", "--lgd", "1", "--json")

    document = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert document["method"] == "cascade" and document["additional_stress"] is None
    # C3 defaults; nobody is exposed to it: its own loan of 100,000.00, all lost
    assert [p["id"] for p in document["parties_hit"]] == ["C3"]
    assert document["expected_loss"] == {"CNY": "100000.00"}


@pytest.mark.parametrize(("args", "message"), [
    (["--party", "X404"], "error: --party X404: no node has the id 'X404'"),
    (["--sector", "Z99"], "error: --sector Z99: no party with a loan, guarantee, ownership "
                          "or supply link has the sector 'Z99'"),
    (["--sector", "A01"], "has the sector 'A01'"),  # C0 is in it, but has no link
    (["--group", "P1"], "error: --group P1: no corporate group is headed by 'P1'"),
    (["--party", "C1", "--shock", "1.5"], "error: --shock 1.5 is outside [0, 1]"),
    (["--party", "C1", "--shock", "-0.2"], "error: --shock -0.2 is outside [0, 1]"),
    (["--party", "C1", "--shock", "C1=1"], "error: --shock C1=1: ID=FRACTION is the form of "
                                           "a network from files"),
    (["--party", "C1", "--shock", "half"], "error: --shock 'half' is not a number"),
    (["--party", "C1", "--nodes", "n.csv"], "error: --nodes (a network from files) cannot "
                                            "be mixed with --party"),
    (["--party", "C1", "--sector", "C13"], "error: --party and --sector: choose one"),
    (["--party", "C1", "--lgd", "2"], "error: --lgd 2 is outside [0, 1]"),
    (["--party", "C1", "--min-distress", "-1"], "error: --min-distress -1 is outside [0, 1]"),
    (["--party", "C1", "--currency", "USD"], "error: no loan of the portfolio is in 'USD'"),
    (["--nodes", "n.csv", "--exposures", "e.csv", "--shock", "A=1", "--currency", "CNY"],
     "error: --currency belongs to a shock on the stored portfolio"),
])
def test_bad_input_is_named_and_never_a_traceback(
        hand: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str) -> None:
    code = run(monkeypatch, *args)

    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert "Traceback" not in err


def test_an_empty_portfolio_says_so(cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = run(monkeypatch, "--party", "C1")

    err = capsys.readouterr().err
    assert code == 1
    assert "error: the portfolio holds no loans: there is nothing to stress" in err


def test_a_planted_group_of_a_generated_portfolio_prints_a_loss_table(
        tmp_path: Path, cli_database: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=1_000, seed=5, group_count=6), out)
    import_files([out], EmbeddedGraphStore(cli_database), cli_database)
    truth = orjson.loads((out / "ground_truth" / "ground_truth.json").read_bytes())
    planted = max(truth["groups"], key=lambda g: (len(g["members"]), g["controller"]))

    code = run(monkeypatch, "--group", planted["controller"], "--json")
    document = orjson.loads(capsys.readouterr().out)
    table_code = run(monkeypatch, "--group", planted["controller"])
    table = capsys.readouterr().out

    assert code == table_code == 0
    assert set(document["shocked"]) == set(planted["members"])
    hit = {p["id"]: p for p in document["parties_hit"]}
    assert all(hit[m]["distress"] == 1.0 and hit[m]["round"] == 0 for m in planted["members"])
    # every party hit traces back to a member of the group
    assert all(p["path"][0] in planted["members"] for p in hit.values())
    assert document["exposure_at_risk"]["CNY"] != "0.00"
    assert f"debtrank on the portfolio (CNY): {len(hit):,} parties hit" in table
    assert "exposure at risk:" in table and "expected loss (LGD 0.45):" in table
