"""A page of cases costs a constant number of store round trips: each case's loan (its
reviews, its case, its bucket history, its bucket on a day, its disposals), borrower,
transitions, strategy actions, promises to pay and triggers are read by per-request
DataLoaders, one batched read per relation, whatever the page size. Promises and actions are
Relay nodes, read back by their ids one query per kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from portfolio.disposals import DisposalKind
from risk.collections.dispatch import ActionLogDispatcher
from risk.collections.promises import record_promise
from risk.collections.reading import cases_of_loans
from risk.collections.run import run_collections
from risk.collections.strategy_config import DEFAULT_STRATEGIES
from risk.collections.strategy_step import run_strategy_step
from risk.disposals import Terms, propose
from tests.ingest.importing import import_files, write
from tests.portfolio.databases import empty_database, postgres_engine
from tests.principals import ListAuditSink
from tests.risk.disposals.loans import COLLECTOR
from tests.schema.post_loan.conftest import given_reviews
from tests.schema.post_loan.running import Request
from tests.writes.conftest import Stores

__all__ = ["postgres_engine"]

LOANS = 6
MARCH_FIRST = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
PAGE = """query P($first: Int!) { collectionCases(first: $first) { edges { node {
  caseId history { seq event }
  actions { kind status } promises { status amount { amount } } triggers { ruleId }
  borrower { id name }
  loan { id status reviews { number status } collectionCase { caseId }
         disposals { kind state }
         bucketHistory { kind toBucket }
         delinquencyAsOf(date: "2025-03-01") { bucket daysPastDue } } } } } }"""


def _portfolio(folder: Path, stores: Stores) -> None:
    """``LOANS`` companies each borrowing one loan, none of them paid: all delinquent."""
    folder.mkdir()
    ids = range(1, LOANS + 1)
    write(folder, "companies.csv", "id,name\n" + "".join(f"C{i},Firm {i}\n" for i in ids))
    write(folder, "loans.csv", "id,borrower_id,product,principal,currency,annual_rate,"
          "term_months,disbursed_on,maturity_on,repayment_method\n" + "".join(
              f"L{i},C{i},working_capital,{i}00000.00,CNY,0.05,12,2025-01-{10 + i},"
              f"2026-01-{10 + i},annuity\n" for i in ids))
    write(folder, "installments.csv", "loan_id,seq,due_on,principal_due,interest_due\n"
          + "".join(f"L{i},1,2025-02-{10 + i},{i}000.00,100.00\n" for i in ids))
    report = import_files([folder], graph=stores.graph, engine=stores.engine)
    assert report.rows_rejected == 0, report.rejects
    run_collections(stores.engine, date(2025, 3, 1), audit=ListAuditSink())
    run_strategy_step(stores.engine, date(2025, 3, 1), config=DEFAULT_STRATEGIES,
                      dispatcher=ActionLogDispatcher(), audit=ListAuditSink(),
                      now=lambda: MARCH_FIRST)
    first_case = cases_of_loans(stores.engine, ["L1"])["L1"].id
    record_promise(stores.engine, first_case, amount=Decimal("500.00"),
                   promised_for=date(2025, 3, 10), channel="call", actor="ann",
                   audit=ListAuditSink(), made_on=date(2025, 3, 1), now=lambda: MARCH_FIRST)
    propose(stores.engine, None, Terms(DisposalKind.WRITE_OFF, date(2025, 3, 1)),
            loan_id="L2", reason="the firm is gone", proposer=COLLECTOR,
            audit=ListAuditSink(), now=lambda: MARCH_FIRST)
    given_reviews(stores.engine)


@pytest.fixture(params=["embedded-sqlite",
                        pytest.param("embedded-postgres", marks=pytest.mark.postgres)])
def many(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "embedded-sqlite":
        engine = create_sql_engine(f"sqlite:///{tmp_path / 'lw.db'}")
        migrate(engine)
    else:
        engine = request.getfixturevalue("postgres_engine")
        empty_database(engine)
    stores = Stores(EmbeddedGraphStore(engine), engine, request.param)
    _portfolio(tmp_path / "portfolio", stores)
    yield stores


def _statements(engine: Engine, request: Request, first: int) -> tuple[list[str], Any]:
    return _statements_of(engine, request, PAGE, first=first)


def test_a_page_of_cases_costs_the_same_round_trips_for_two_cases_as_for_six(
        many: Stores) -> None:
    request = Request(many)

    two, small = _statements(many.engine, request, 2)
    six, large = _statements(many.engine, request, LOANS)

    assert len(small["collectionCases"]["edges"]) == 2
    assert len(large["collectionCases"]["edges"]) == LOANS
    assert len(six) == len(two)
    assert sum("collection_case_event" in s for s in six) == 1
    assert sum("FROM review" in s for s in six) == 1
    assert sum("FROM bucket_move" in s for s in six) == 2  # the history, the positions
    for table in ("collection_action", "promise_to_pay", "alert_follow_up", "disposal"):
        assert sum(f"FROM {table}" in s for s in six) == 1, table
    by_case = {e["node"]["caseId"]: e["node"] for e in large["collectionCases"]["edges"]}
    assert all(node["actions"] for node in by_case.values())  # every case's strategy planned
    by_loan = {node["loan"]["id"]: node for node in by_case.values()}
    assert by_loan["L1"]["promises"] == [{"status": "pending", "amount": {"amount": "500.00"}}]
    assert by_loan["L2"]["loan"]["disposals"] == [{"kind": "WRITE_OFF", "state": "PROPOSED"}]
    assert sum(bool(node["promises"]) for node in by_case.values()) == 1
    assert sum(bool(node["loan"]["disposals"]) for node in by_case.values()) == 1
    assert all(node["triggers"] == [] for node in by_case.values())
    reviewed = next(e["node"]["loan"] for e in large["collectionCases"]["edges"]
                    if e["node"]["loan"]["id"] == "L1")
    assert [r["number"] for r in reviewed["reviews"]] == [3, 2, 1, 4]
    assert all(e["node"]["loan"]["collectionCase"]["caseId"] == e["node"]["caseId"]
               and e["node"]["history"] == [{"seq": 1, "event": "opened"}]
               and e["node"]["borrower"]["name"].startswith("Firm")
               and e["node"]["loan"]["delinquencyAsOf"]["bucket"] == "1-30"
               for e in large["collectionCases"]["edges"])


IDS = """query I { collectionCases(first: 6) { edges { node {
  actions { id number kind status } promises { id number status } } } } }"""
NODES = """query N($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on CollectionAction { number kind status }
  ... on PromiseToPay { number status } } }"""


def test_promises_and_actions_are_relay_nodes_read_back_by_their_ids(many: Stores) -> None:
    request = Request(many)
    cases = request(IDS)
    assert cases.errors is None, cases.errors
    shown = [item for edge in cases.data["collectionCases"]["edges"]
             for item in (*edge["node"]["actions"], *edge["node"]["promises"])]
    assert {item["id"].split(":")[0] for item in shown} == {"CollectionAction", "PromiseToPay"}
    ids = [item["id"] for item in shown] + ["PromiseToPay:999999", "CollectionAction:999999"]

    seen, found = _statements_of(many.engine, request, NODES, ids=ids)
    assert found is not None
    read = found["nodes"]
    assert read[-2:] == [None, None]  # numbers that name nothing
    assert [{k: v for k, v in node.items() if k != "__typename"} for node in read[:-2]] == shown
    for table in ("collection_action", "promise_to_pay"):  # one read per kind, not per id
        assert sum(f"FROM {table}" in s for s in seen) == 1, table
    bad = request(NODES, ids=["PromiseToPay:x"])
    assert bad.errors and "is not a valid PromiseToPay id" in bad.errors[0].message


def _statements_of(engine: Engine, request: Request, document: str,
                   **variables: Any) -> tuple[list[str], Any]:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        result = request(document, **variables)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert result.errors is None, result.errors
    return seen, result.data
