"""No look-ahead: a dataset built as of D does not change, to the last bit, when data dated
after D of every kind is added (repayments, bureau snapshots, events, transfers, accounts,
new loans and guarantees, relationships valid from after D, identifiers, collateral, a
restructuring, a write-off) — on every backend. Only the labels may move."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from graph.model import Edge, Label, Node, RelType
from risk.errors import RiskError
from risk.models.dataset import PortfolioDataset, build_dataset
from risk.models.portfolio_features import AsOfGraph
from seeds.config import PortfolioConfig
from seeds.generate import generate_portfolio
from tests.ingest.importing import import_files
from tests.models.small_world import bureau, event, mark_written_off, modify, transfers
from tests.portfolio.databases import postgres_engine, sqlite_engine
from tests.risk.classification.books import add_loan, pay
from tests.risk.rules.stores import Stores, stores

__all__ = ["postgres_engine", "sqlite_engine", "stores"]

D = date(2024, 6, 30)


def _after(days: int) -> date:
    return D + timedelta(days=days)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("look-ahead") / "portfolio"
    generate_portfolio(PortfolioConfig(borrowers=400, seed=5, transaction_months=24), out)
    return out


def _pick(found: PortfolioDataset, s: Stores) -> tuple[str, str, str, str, str]:
    """A scored person with an account and a live loan, another scored party, and a
    scored company."""
    frame = found.frame
    ids = found.party_ids.tolist()
    person = next(p for i, p in enumerate(ids) if frame["is_company"].iloc[i] == 0
                  and frame["graph_holds"].iloc[i] > 0)
    company = next(p for i, p in enumerate(ids) if frame["is_company"].iloc[i] == 1)
    other = next(p for p in ids if p not in (person, company))
    loan = next(e.target for e in s.graph.edges_of([person], [RelType.BORROWS], "out")[0])
    account = next(e.target for e in s.graph.edges_of([person], [RelType.HOLDS], "out")[0])
    return person, other, company, loan, account


def _add_data_after(s: Stores, person: str, other: str, company: str, loan: str,
                    account: str) -> None:
    pay(s.engine, loan, [(_after(1), 50_000)])
    bureau(s.engine, "B-LATER", person, _after(10), 99_000_000, 99_000_000)
    modify(s.engine, "M-LATER", loan, "restructuring", _after(20), difficulty=True)
    mark_written_off(s.engine, loan)
    event(s.graph, "EV-LATER", [person, other], "court_case", _after(5), "破产清算公告", 5)
    add_loan(s.engine, "L-LATER", person, [_after(40), _after(70)], disbursed=_after(10))
    s.graph.upsert_batch(
        [Node("L-LATER", Label.LOAN, {"principal_minor": 2_000, "principal_currency": "CNY",
                                      "disbursed_on": _after(10).isoformat(),
                                      "maturity_on": _after(70).isoformat()}),
         Node("A-LATER", Label.ACCOUNT, {"opened_on": _after(3).isoformat()}),
         Node("PH-LATER", Label.PHONE, {}),
         Node("COL-LATER", Label.COLLATERAL, {"kind": "vehicle", "value_minor": 10**9,
                                              "valued_on": _after(30).isoformat()})],
        [Edge(RelType.BORROWS, person, "L-LATER"),
         Edge(RelType.GUARANTEES, other, "L-LATER", props={"signed_on": _after(10).isoformat()}),
         Edge(RelType.GUARANTEES, other, loan, props={"signed_on": _after(15).isoformat()}),
         Edge(RelType.HOLDS, person, "A-LATER"),
         Edge(RelType.RELATED, person, other, "family",
              {"kind": "family", "valid_from": _after(1).isoformat()}),
         Edge(RelType.OWNS, other, company, props={"pct": 0.6,
                                                   "valid_from": _after(2).isoformat()}),
         Edge(RelType.USES, person, "PH-LATER", props={"valid_from": _after(4).isoformat()}),
         Edge(RelType.USES, other, "PH-LATER", props={"valid_from": _after(4).isoformat()}),
         Edge(RelType.SECURED_BY, loan, "COL-LATER")])
    transfers(s.graph, "A-LATER", account, [("2024-07", 10**9), ("2024-08", 10**9)])


def test_features_as_of_d_never_change_when_later_data_is_added(
        stores: Stores, portfolio: Path) -> None:
    import_files([portfolio], stores.graph, stores.engine)
    before = build_dataset(stores.engine, stores.graph, D)
    person, other, company, loan, account = _pick(before, stores)

    _add_data_after(stores, person, other, company, loan, account)
    after = build_dataset(stores.engine, stores.graph, D)

    assert after.party_ids.tolist() == before.party_ids.tolist()
    assert after.in_default == before.in_default
    assert after.graph_columns == before.graph_columns
    pd.testing.assert_frame_equal(after.frame, before.frame, check_exact=True)
    # The later data was read: the bankruptcy after D is now the person's default.
    assert after.defaults is not None
    assert after.defaults.first(person) == (_after(5), "bankruptcy", "EV-LATER")
    row = before.party_ids.tolist().index(person)
    assert after.label is not None and after.label[row] == 1


def test_the_as_of_graph_hides_edges_dated_after_the_date_and_refuses_writes(
        stores: Stores) -> None:
    s = stores
    s.graph.upsert_batch(
        [Node("P1", Label.PERSON, {}), Node("P2", Label.PERSON, {}),
         Node("L1", Label.LOAN, {"disbursed_on": "2024-01-01"}),
         Node("L2", Label.LOAN, {"disbursed_on": "2024-06-16"}),
         Node("A1", Label.ACCOUNT, {"opened_on": "2020-01-01"}),
         Node("A2", Label.ACCOUNT, {"opened_on": "2020-01-01"})],
        [Edge(RelType.BORROWS, "P1", "L1"), Edge(RelType.BORROWS, "P1", "L2"),
         Edge(RelType.GUARANTEES, "P2", "L1", props={"signed_on": "2024-06-15"}),
         Edge(RelType.GUARANTEES, "P2", "L2", props={"signed_on": "2024-06-01"}),
         Edge(RelType.RELATED, "P1", "P2", "family", {"valid_from": "2024-06-16"})])
    transfers(s.graph, "A1", "A2", [("2024-05", 1), ("2024-06", 2)])
    view = AsOfGraph(s.graph, date(2024, 6, 15))

    def edges(rel_type: RelType, **props: tuple[str, ...]) -> list[tuple[str, str, str]]:
        return sorted((source, target, key) for batch in view.iter_edges([rel_type], **props)
                      for _, source, target, key, _ in batch)

    assert edges(RelType.BORROWS) == [("P1", "L1", "")]
    # Signed on the day: in; on a loan disbursed after the day: out.
    assert edges(RelType.GUARANTEES, props=("signed_on",)) == [("P2", "L1", "")]
    assert edges(RelType.RELATED) == []
    # June's aggregate is not over on June 15.
    assert edges(RelType.TRANSFERS) == [("A1", "A2", "2024-05")]
    # The dates it reads to decide are not handed on unless asked for.
    assert [row[4] for batch in view.iter_edges([RelType.GUARANTEES], props=("share",))
            for row in batch] == [(None,)]
    with pytest.raises(RiskError, match="read-only"):
        view.upsert_nodes([Node("P3", Label.PERSON, {})])
