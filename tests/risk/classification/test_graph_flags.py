"""Review flags that follow the graph, on a hand portfolio written through the real stores
(SQLite and PostgreSQL records with the embedded graph, and Neo4j): who is flagged, by which
kind, with which exact path; nothing as of a date before the related loan turned
non-performing; tiers never changed by a flag."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from graph.model import Edge, Label, Node, RelType
from loanwatch.cli.main import app
from risk.classification.assessment import assess
from risk.classification.graph_flags import GraphFlags, graph_flags
from risk.classification.tiers import Tier
from tests.ingest.importing import EXAMPLES
from tests.risk.classification.books import add_loan
from tests.risk.rules.stores import Stores, stores

__all__ = ["stores"]

DUE = date(2024, 3, 31)
#: A loan due then and never paid is 100 days past due: Substandard (non-performing).
NPL_DAY = DUE + timedelta(days=100)
#: 40 days past due: Special mention only, not non-performing.
SPECIAL_MENTION_DAY = DUE + timedelta(days=40)
LATER = DUE + timedelta(days=400)

COMPANIES = ("G", "B", "H", "S", "A", "M", "N", "Q", "T", "K", "J")
# loan -> (borrower, due): due on DUE and unpaid, or due LATER (performing).
LOANS = {
    "LG": ("G", DUE), "LB": ("B", LATER),                 # G guarantees LB
    "LO": ("O", DUE), "LH": ("H", LATER), "LS": ("S", LATER),  # O -51%-> H -51%-> S
    "LN": ("N", DUE), "LT": ("T", LATER),                 # N holds 20% of T, Q 60%
    "LA": ("A", DUE), "LM": ("M", LATER),                 # A and M guarantee each other
    "LK": ("K", DUE), "LJ": ("J", DUE),                   # K guarantees LJ; both NPL
}


def _edge(source: str, rel: RelType, target: str, **props: Any) -> Edge:
    return Edge(rel, source, target, props=props)


def _portfolio(stores: Stores) -> None:
    nodes = [Node("O", Label.PERSON, {"name": "O"})]
    nodes += [Node(c, Label.COMPANY, {"name": c}) for c in COMPANIES]
    nodes += [Node(loan, Label.LOAN, {"principal_minor": 1_000, "currency": "CNY"})
              for loan in LOANS]
    edges = [_edge(borrower, RelType.BORROWS, loan) for loan, (borrower, _) in LOANS.items()]
    edges += [
        _edge("G", RelType.GUARANTEES, "LB", amount_minor=1_000, amount_currency="CNY"),
        _edge("A", RelType.GUARANTEES, "LM", amount_minor=1_000, amount_currency="CNY"),
        _edge("M", RelType.GUARANTEES, "LA", amount_minor=1_000, amount_currency="CNY"),
        _edge("K", RelType.GUARANTEES, "LJ", amount_minor=1_000, amount_currency="CNY"),
        _edge("O", RelType.OWNS, "H", pct=0.51),
        _edge("H", RelType.OWNS, "S", pct=0.51),
        _edge("N", RelType.OWNS, "T", pct=0.20),
        _edge("Q", RelType.OWNS, "T", pct=0.60),
    ]
    stores.graph.upsert_batch(nodes, edges)
    for loan, (borrower, due) in LOANS.items():
        add_loan(stores.engine, loan, borrower, [due], interest_each=0)


def _flags(stores: Stores, as_of: date) -> GraphFlags:
    return graph_flags(assess(stores.engine, stores.graph, as_of), stores.graph)


def _path(*edges: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"source": s, "type": t, "target": d, "key": ""} for s, t, d in edges]


def _bare(path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: edge[k] for k in ("source", "type", "target", "key")} for edge in path]


def test_related_non_performing_parties_flag_with_the_exact_path(stores: Stores) -> None:
    _portfolio(stores)

    flags = _flags(stores, NPL_DAY)

    found = {loan: [(f.kind, f.party, f.npl_loan, f.npl_tier) for f in fs]
             for loan, fs in flags.flags.items()}
    npl = Tier.SUBSTANDARD
    assert found == {
        "LB": [("guarantor", "G", "LG", npl)],
        "LH": [("controlling_owner", "O", "LO", npl)],
        "LS": [("controlling_owner", "O", "LO", npl)],
        "LM": [("guarantor", "A", "LA", npl), ("circle_partner", "A", "LA", npl)],
        "LJ": [("guarantor", "K", "LK", npl)],
    }
    paths = {(loan, f.kind): f.as_json()["path"] for loan, fs in flags.flags.items()
             for f in fs}
    assert _bare(paths["LB", "guarantor"]) == _path(
        ("G", "GUARANTEES", "LB"), ("G", "BORROWS", "LG"))
    # The chain from the 51% controller down, each stake on its edge.
    assert paths["LS", "controlling_owner"] == [
        {"source": "S", "type": "BORROWS", "target": "LS", "key": ""},
        {"source": "O", "type": "OWNS", "target": "H", "key": "", "pct": 0.51},
        {"source": "H", "type": "OWNS", "target": "S", "key": "", "pct": 0.51},
        {"source": "O", "type": "BORROWS", "target": "LO", "key": ""}]
    assert _bare(paths["LH", "controlling_owner"]) == _path(
        ("H", "BORROWS", "LH"), ("O", "OWNS", "H"), ("O", "BORROWS", "LO"))
    # The mutual partner's guarantee of this loan, then its own non-performing loan.
    assert _bare(paths["LM", "circle_partner"]) == _path(
        ("M", "BORROWS", "LM"), ("A", "GUARANTEES", "LM"), ("A", "BORROWS", "LA"))
    circle = flags.of("LM")[1]
    assert circle.figures == {"circle": "mutual", "scope": "pair", "members": ["A", "M"],
                              "steps": 1}
    assert flags.of("LS")[0].figures == {"depth": 2, "ultimate": True, "rule": "majority"}
    assert "O" in flags.of("LS")[0].text and "LO" in flags.of("LS")[0].text
    # A 20% holder is no controller: T's loan is not flagged (Q controls T).
    assert "LT" not in flags.flags
    # A loan that is non-performing itself is flagged, and marked so.
    assert [f.loan_non_performing for f in flags.of("LJ")] == [True]
    assert not any(f.loan_non_performing for f in flags.of("LB"))
    assert flags.summary == {
        "loans_flagged": 5, "already_non_performing": 1,
        "by_kind": {"guarantor": 3, "controlling_owner": 2, "circle_partner": 1}}


def test_no_flag_while_the_related_loan_is_only_special_mention_or_later(
        stores: Stores) -> None:
    _portfolio(stores)

    early = assess(stores.engine, stores.graph, SPECIAL_MENTION_DAY)

    assert {a.loan_id: a.tier for a in early.loans}["LG"] is Tier.SPECIAL_MENTION
    assert graph_flags(early, stores.graph).flags == {}
    # Before anything fell due: the defaults to come do not flag an earlier date.
    assert _flags(stores, DUE - timedelta(days=1)).flags == {}


def test_flags_never_change_a_tier(stores: Stores) -> None:
    _portfolio(stores)
    result = assess(stores.engine, stores.graph, NPL_DAY)
    before = {a.loan_id: (a.tier, a.stage, a.ecl) for a in result.loans}

    flags = graph_flags(result, stores.graph)

    assert {a.loan_id: (a.tier, a.stage, a.ecl) for a in result.loans} == before
    assert before["LB"][0] is Tier.PASS and before["LS"][0] is Tier.PASS
    assert flags.of("LB") and flags.of("LS")


def test_a_circle_partner_two_steps_away_is_flagged_by_the_fewest_guarantees(
        stores: Stores) -> None:
    # W guarantees X's loan, X guarantees Y's, Y guarantees Z's, Z guarantees W's (under two
    # contracts, keyed): a circle of four. Z's own loan is non-performing.
    circle = {"W": "LX", "X": "LY", "Y": "LZ", "Z": "LW"}
    stores.graph.upsert_batch(
        [Node(p, Label.COMPANY, {"name": p}) for p in circle]
        + [Node(loan, Label.LOAN, {}) for loan in circle.values()],
        [Edge(RelType.BORROWS, loan[1], loan) for loan in circle.values()]
        + [Edge(RelType.GUARANTEES, p, loan, key="G-7" if p == "Z" else "")
           for p, loan in circle.items()]
        + [Edge(RelType.GUARANTEES, "Z", "LW", key="G-8")])  # a second contract
    for loan in circle.values():
        add_loan(stores.engine, loan, loan[1], [DUE if loan == "LZ" else LATER],
                 interest_each=0)

    flags = _flags(stores, NPL_DAY)

    partner = {loan: [f for f in found if f.kind == "circle_partner"]
               for loan, found in flags.flags.items()}
    assert sorted(partner) == ["LW", "LX", "LY"]
    assert [f.figures["steps"] for f in partner["LX"]] == [2]
    assert partner["LX"][0].figures["members"] == ["W", "X", "Y", "Z"]
    # Two steps either way round; the search meets W before Y (ids in order).
    assert [edge.as_json() for edge in partner["LX"][0].path] == [
        {"source": "X", "type": "BORROWS", "target": "LX", "key": ""},
        {"source": "W", "type": "GUARANTEES", "target": "LX", "key": ""},
        {"source": "Z", "type": "GUARANTEES", "target": "LW", "key": "G-7"},
        {"source": "W", "type": "BORROWS", "target": "LW", "key": ""},
        {"source": "Z", "type": "BORROWS", "target": "LZ", "key": ""}]
    assert _bare(partner["LY"][0].as_json()["path"]) == _path(
        ("Y", "BORROWS", "LY"), ("Y", "GUARANTEES", "LZ"), ("Z", "BORROWS", "LZ"))
    # Z guarantees W's loan: W is flagged as guaranteed by Z as well, once for both
    # contracts, and the path names the first.
    assert [f.kind for f in flags.of("LW")] == ["guarantor", "circle_partner"]
    assert flags.of("LW")[0].path[0].key == "G-7"


@pytest.fixture
def example_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The import examples in a fresh SQLite database (embedded graph)."""
    for name in list(os.environ):
        if name.startswith("LOANWATCH_"):
            monkeypatch.delenv(name)
    values = {"LOANWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'lw.db'}",
              "LOANWATCH_NEO4J_URI": "", "COLUMNS": "220"}
    imported = CliRunner().invoke(app, ["import", str(EXAMPLES)], env=values)
    assert imported.exit_code == 0, imported.output
    return values


def test_classify_json_carries_the_flags_and_their_count_by_kind(
        example_env: dict[str, str]) -> None:
    runner = CliRunner()

    result = runner.invoke(app, ["classify", "--as-of", "2024-12-31", "--json"],
                           env=example_env)

    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    rows = {row["loan"]: row for row in document["loans"]}
    # C001's L001 is 260 days past due; C001 guarantees C003's L002, holds 51% of C003,
    # and the two guarantee each other.
    assert [(f["kind"], f["party"], f["npl_loan"]) for f in rows["L002"]["review_flags"]] == [
        ("guarantor", "C001", "L001"), ("controlling_owner", "C001", "L001"),
        ("circle_partner", "C001", "L001")]
    assert _bare(rows["L002"]["review_flags"][1]["path"]) == _path(
        ("C003", "BORROWS", "L002"), ("C001", "OWNS", "C003"), ("C001", "BORROWS", "L001"))
    assert rows["L002"]["tier"] == "special_mention"  # flags do not move the tier
    assert all(rows[loan]["review_flags"] == [] for loan in ("L001", "L003", "L004"))
    assert document["summary"]["review_flags"] == {
        "loans_flagged": 1, "already_non_performing": 0,
        "by_kind": {"guarantor": 1, "controlling_owner": 1, "circle_partner": 1}}

    # One loan: its related party's loan is still read for the flags.
    one = runner.invoke(app, ["classify", "--as-of", "2024-12-31", "--json", "--loan", "L002"],
                        env=example_env)
    assert len(orjson.loads(one.stdout)["loans"][0]["review_flags"]) == 3

    off = runner.invoke(app, ["classify", "--as-of", "2024-12-31", "--json",
                              "--no-graph-flags"], env=example_env)
    document = orjson.loads(off.stdout)
    assert "review_flags" not in document["summary"]
    assert all("review_flags" not in row for row in document["loans"])


def test_classify_table_has_a_flag_count_column(example_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["classify", "--as-of", "2024-12-31", "--loan", "L002"],
                                env=example_env)

    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "┃ loan" in line)
    row = next(line for line in result.output.splitlines() if "│ L002" in line)
    columns = [cell.strip() for cell in header.split("┃")]
    cells = [cell.strip() for cell in row.split("│")]
    assert cells[columns.index("flags")] == "3"
    assert "Flagged for downgrade review: 1 loans" in result.output
