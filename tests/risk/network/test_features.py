"""Graph features per party on a hand graph, through the real stores (embedded on SQLite and
PostgreSQL, Neo4j), each feature computed by hand.

The risk graph of the hand portfolio (``-`` a risk link, by the edge that makes it)::

    clique 1: A-B (B guarantees LA), A-C (C owns A), A-D (D owns A), B-C (shared phone),
              B-D (RELATED), C-D (shared account)
    bridge:   D-X (X guarantees LD), X-E (RELATED)
    clique 2: E, F, G, H all RELATED to one another; F directs H (not a risk link)
    Q, R, S, T share one phone used by four parties: public (threshold 3), no link.

Loans: LA 1,000.00 CNY (A), LB 500.00 USD (B), LD 400.00 CNY (D), LE 200.00 CNY (E),
LX 300.00 CNY (X), LZ 9.99 CNY (H, disbursed after the as-of date).
Repayments as of 2025-03-31: LD unpaid since 2024-12-01 (120 days: D defaulted), LE's
2025-03-01 installment unpaid (30 days: E delinquent), LA paid on time.
"""

from __future__ import annotations

import math
import os
import sys
from datetime import date
from pathlib import Path

import networkx as nx
import orjson
import pytest
from typer.testing import CliRunner

from graph.model import Edge, RelType
from loanwatch.cli.main import app, main
from risk.classification.history import RepaymentHistory
from risk.network.features import (
    DEGREE_NAMES,
    FeatureParameters,
    InvalidFeatureParameters,
    PartyFeatures,
    party_features,
)
from tests.ingest.importing import EXAMPLES
from tests.portfolio.databases import postgres_engine, sqlite_engine  # noqa: F401
from tests.risk.classification.books import pay
from tests.risk.network.hand_graph import AS_OF, PARAMS, PARTIES, RISK_EDGES, build_hand_portfolio
from tests.risk.rules.stores import Stores

# The fixture running each test on every backend, re-exported so that pytest finds it.
from tests.risk.rules.stores import stores as stores


def _features(stores: Stores, as_of: date | None = AS_OF,
              params: FeatureParameters = PARAMS) -> PartyFeatures:
    return party_features(stores.graph, RepaymentHistory(stores.engine), as_of=as_of,
                          params=params)


def _degrees(features: PartyFeatures, party: str) -> dict[str, int]:
    row = features.party(party)
    return {name: int(row[name]) for name in DEGREE_NAMES if row[name]}  # type: ignore[call-overload]


def test_degrees_by_relationship(stores: Stores) -> None:
    build_hand_portfolio(stores)
    f = _features(stores)
    assert f.party_ids.tolist() == PARTIES
    assert _degrees(f, "A") == {"borrows": 1, "guaranteed_by": 1, "owns_in": 2,
                                "risk_degree": 3}
    assert _degrees(f, "B") == {"borrows": 1, "guarantees_given": 1, "uses": 1,
                                "related": 1, "risk_degree": 3}
    assert _degrees(f, "C") == {"owns_out": 1, "uses": 1, "holds": 1, "risk_degree": 3}
    assert _degrees(f, "D") == {"borrows": 1, "guaranteed_by": 1, "owns_out": 1, "holds": 1,
                                "related": 1, "risk_degree": 4}
    assert _degrees(f, "X") == {"borrows": 1, "guarantees_given": 1, "related": 1,
                                "risk_degree": 2}
    assert _degrees(f, "F") == {"directs_out": 1, "related": 3, "risk_degree": 3}
    # LZ is disbursed after the as-of date: H borrows it only when read as it stands.
    assert _degrees(f, "H") == {"directs_in": 1, "related": 3, "risk_degree": 3}
    assert _degrees(_features(stores, None), "H")["borrows"] == 1


def test_public_identifier_links_nobody(stores: Stores) -> None:
    build_hand_portfolio(stores)
    f = _features(stores)
    for party in ("Q", "R", "S", "T"):
        assert _degrees(f, party) == {"uses": 1}
        assert f.party(party)["delinquent_neighbour_share"] is None
    # With a higher threshold the phone is private and links its four users.
    wider = _features(stores, params=FeatureParameters(public_above=4))
    assert _degrees(wider, "Q") == {"uses": 1, "risk_degree": 3}


def test_dated_relationships_count_only_while_in_force(stores: Stores) -> None:
    build_hand_portfolio(stores)
    stores.graph.upsert_edges([
        Edge(RelType.RELATED, "Q", "R", props={"valid_from": "2025-04-01"}),
        Edge(RelType.RELATED, "S", "T", props={"valid_from": "2024-01-01",
                                               "valid_to": "2025-02-28"}),
        Edge(RelType.OWNS, "Q", "H", props={"pct": 0.1, "valid_to": "2025-12-31"})])
    then = _features(stores)
    assert _degrees(then, "R") == {"uses": 1}
    assert _degrees(then, "T") == {"uses": 1}
    assert _degrees(then, "Q") == {"uses": 1, "owns_out": 1, "risk_degree": 1}
    now = _features(stores, None)
    assert _degrees(now, "R") == {"uses": 1, "related": 1, "risk_degree": 1}


def test_exposure_within_one_and_two_hops(stores: Stores) -> None:
    build_hand_portfolio(stores)
    one = _features(stores, params=FeatureParameters(public_above=3, hops=1))
    two = _features(stores)
    assert two.party("A")["exposure"] == {"CNY": "1000.00"}
    assert two.party("B")["exposure"] == {"USD": "500.00"}
    assert one.party("A")["exposure_1_hops"] == {"CNY": "400.00", "USD": "500.00"}
    assert one.party("X")["exposure_1_hops"] == {"CNY": "600.00"}
    assert one.party("E")["exposure_1_hops"] == {"CNY": "300.00"}
    assert two.party("A")["exposure_2_hops"] == {"CNY": "700.00", "USD": "500.00"}
    assert two.party("X")["exposure_2_hops"] == {"CNY": "1600.00", "USD": "500.00"}
    assert two.party("E")["exposure_2_hops"] == {"CNY": "700.00"}
    # Exact minor units per currency, as arrays too.
    cny = two.currencies.index("CNY")
    assert int(two.exposure_k[two.index_of("X"), cny]) == 160_000
    assert two.party("Q")["exposure_2_hops"] == {}


def test_delinquent_and_defaulted_neighbours_and_distance(stores: Stores) -> None:
    build_hand_portfolio(stores)
    f = _features(stores)
    flags = {p: (f.party(p)["delinquent"], f.party(p)["defaulted"]) for p in PARTIES}
    assert {p for p, (late, _) in flags.items() if late} == {"D", "E"}
    assert {p for p, (_, gone) in flags.items() if gone} == {"D"}
    shares = {p: (f.party(p)["delinquent_neighbour_share"],
                  f.party(p)["defaulted_neighbour_share"]) for p in ("A", "X", "E", "F", "D")}
    assert shares["A"] == pytest.approx((1 / 3, 1 / 3))
    assert shares["X"] == pytest.approx((1.0, 0.5))
    assert shares["E"] == (0.0, 0.0)
    assert shares["F"] == pytest.approx((1 / 3, 0.0))
    assert shares["D"] == (0.0, 0.0)
    distance = {p: f.party(p)["distance_to_default"] for p in PARTIES}
    assert distance == {"D": 0, "A": 1, "B": 1, "C": 1, "X": 1, "E": 2, "F": 3, "G": 3,
                        "H": 3, "Q": None, "R": None, "S": None, "T": None}
    capped = _features(stores, params=FeatureParameters(public_above=3, distance_cap=2))
    assert capped.party("E")["distance_to_default"] == 2
    assert capped.party("F")["distance_to_default"] is None
    assert math.isinf(capped.distance_to_default[capped.index_of("F")])


def test_later_repayments_leave_earlier_features_alone(stores: Stores) -> None:
    build_hand_portfolio(stores)
    before = _features(stores)
    pay(stores.engine, "LE", [(date(2025, 4, 10), 1_100)])
    pay(stores.engine, "LD", [(date(2025, 4, 10), 4_400)])
    after = _features(stores)
    assert [after.party(p) for p in PARTIES] == [before.party(p) for p in PARTIES]
    later = _features(stores, date(2025, 4, 15))
    assert not later.party("E")["delinquent"]
    assert not later.party("D")["defaulted"]
    assert later.party("A")["defaulted_neighbour_share"] == 0.0
    assert later.party("A")["distance_to_default"] is None


def _hand_graph() -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(PARTIES)
    graph.add_edges_from(RISK_EDGES)
    return graph


def test_pagerank_community_and_betweenness(stores: Stores) -> None:
    build_hand_portfolio(stores)
    f = _features(stores)
    graph = _hand_graph()
    expected = nx.pagerank(graph, tol=1e-12)
    for p in PARTIES:
        assert f.party(p)["pagerank"] == pytest.approx(expected[p], rel=1e-7)
    assert f.top_by_pagerank(1) == [max(expected, key=expected.__getitem__)]
    community = {p: f.party(p)["community"] for p in PARTIES}
    assert len({community[p] for p in "ABCD"}) == 1
    assert len({community[p] for p in "EFGH"}) == 1
    assert community["A"] != community["E"]
    # Isolated parties: a community each.
    assert len({community[p] for p in "QRST"} | {community["A"], community["E"]}) == 6
    exact = nx.betweenness_centrality(graph)
    for p in PARTIES:
        assert f.party(p)["betweenness"] == pytest.approx(exact[p], abs=1e-12)
    assert max(PARTIES, key=lambda p: f.party(p)["betweenness"]) == "X"  # type: ignore[arg-type,return-value]
    # A sample of 3 sources still finds a non-zero estimate, the same on every run.
    sampled = FeatureParameters(public_above=3, betweenness_k=3)
    assert _features(stores, params=sampled).betweenness.tolist() == \
        _features(stores, params=sampled).betweenness.tolist()


def test_csv_export_and_unknown_party(stores: Stores, tmp_path: Path) -> None:
    build_hand_portfolio(stores)
    f = _features(stores)
    out = tmp_path / "features.csv"
    assert f.write_csv(out) == len(PARTIES)
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["party", "borrows", "guarantees_given"]
    x_row = dict(zip(header, next(r for r in lines if r.startswith("X,")).split(","),
                     strict=True))
    assert x_row["exposure_2_hops_CNY"] == "1600.00"
    assert x_row["distance_to_default"] == "1"
    with pytest.raises(KeyError):
        f.party("nobody")


def test_bad_parameters_are_named() -> None:
    with pytest.raises(InvalidFeatureParameters, match="hops 0"):
        FeatureParameters(hops=0).check()
    with pytest.raises(InvalidFeatureParameters, match="damping"):
        FeatureParameters(pagerank_alpha=1.0).check()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The import examples in an embedded SQLite database, and the environment naming it."""
    for name in [n for n in os.environ if n.startswith("LOANWATCH_")]:
        monkeypatch.delenv(name)
    values = {"LOANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
              "LOANWATCH_NEO4J_URI": "", "COLUMNS": "200"}
    imported = CliRunner().invoke(app, ["import", str(EXAMPLES)], env=values)
    assert imported.exit_code == 0, imported.output
    return values


def test_cli_json_table_and_csv(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "all.csv"
    result = runner.invoke(app, ["features", "--as-of", "2024-12-31", "--json", "--party",
                                 "C001", "--hops", "1", "--out", str(out)], env=cli_env)
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["as_of"], document["hops"]) == ("2024-12-31", 1)
    [row] = document["parties"]
    assert row["party"] == "C001" and row["defaulted"] is True
    assert row["distance_to_default"] == 0 and "exposure_1_hops" in row
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("party,") and len(lines) == 1 + 7
    table = runner.invoke(app, ["features", "--as-of", "2024-12-31", "--show", "3"],
                          env=cli_env)
    assert table.exit_code == 0, table.output
    assert "Graph features of 3 of 7 parties" in table.output


def test_cli_reads_the_latest_scans_features(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    scanned = runner.invoke(app, ["scan", "--as-of", "2024-12-31", "--json"], env=cli_env)
    assert scanned.exit_code == 0, scanned.output
    run = orjson.loads(scanned.stdout)["run"]

    stored = runner.invoke(app, ["features", "--from-scan", "--json", "--party", "C001",
                                 "--party", "P001"], env=cli_env)
    computed = runner.invoke(app, ["features", "--as-of", "2024-12-31", "--json", "--party",
                                   "C001", "--party", "P001"], env=cli_env)

    assert stored.exit_code == 0 and computed.exit_code == 0, stored.output + computed.output
    document = orjson.loads(stored.stdout)
    assert (document["as_of"], document["hops"], document["scan_run"]) == (
        "2024-12-31", 2, run)
    rows = document["parties"]
    assert all(row.pop("scan_run") == run for row in rows)
    assert rows == orjson.loads(computed.stdout)["parties"]
    table = runner.invoke(app, ["features", "--from-scan", "--show", "3"], env=cli_env)
    assert table.exit_code == 0, table.output
    assert f"Graph features of 3 of 7 parties, stored by scan run {run}" in table.output


@pytest.mark.parametrize(("args", "message"), [
    (["--party", "NOPE"], "--party NOPE: no such party in the graph"),
    (["--as-of", "2020-01-01"], "the as-of date 2020-01-01 is before any data"),
    (["--as-of", "31/12/2024"], "--as-of '31/12/2024' is not a date YYYY-MM-DD"),
    (["--from-scan", "--hops", "3", "--out", "x.csv"],
     "--hops, --out cannot be used with --from-scan"),
    (["--run", "42"], "no scan run with id 42"),
    (["--from-scan"], "no scan has succeeded yet"),
])
def test_cli_bad_input_is_a_clear_error(
        cli_env: dict[str, str], args: list[str], message: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["loanwatch", "features", *args])
    with pytest.raises(SystemExit) as caught:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert caught.value.code == 1
    assert message in err and "Traceback" not in err
