"""A tiny world written inline for the default-definition, label and feature tests: loans,
repayments, modifications and bureau snapshots in SQL, parties, loans, accounts, transfers,
guarantees and events in the graph, with the dates each test reasons about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine, update

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from portfolio.loans import Loan
from tests.risk.classification.books import add_loan, bureau, modify, pay, write

__all__ = ["MONTH_ENDS", "borrower", "bureau", "event", "mark_written_off", "modify",
           "transfers", "write"]

MONTH_ENDS = (date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31),
              date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30))


def borrower(engine: Engine, graph: GraphStore, party: str, loan: str, dues: Sequence[date], *,
             payments: Sequence[tuple[date, int]] = (), disbursed: date = date(2023, 12, 1),
             company: bool = False) -> None:
    """``party`` borrows ``loan`` (1,000 principal + 100 interest per installment)."""
    add_loan(engine, loan, party, dues, disbursed=disbursed)
    if payments:
        pay(engine, loan, payments)
    props: dict[str, str | int] = (
        {"name": party, "sector": "manufacturing", "size": "small",
         "founded_on": "2010-01-01", "annual_revenue_minor": 12_000_000}
        if company else
        {"name": party, "birth_date": "1984-06-30", "monthly_income_minor": 800_000})
    graph.upsert_batch(
        [Node(party, Label.COMPANY if company else Label.PERSON, props),
         Node(loan, Label.LOAN, {"principal_minor": 1_000 * len(dues),
                                 "principal_currency": "CNY",
                                 "disbursed_on": disbursed.isoformat(),
                                 "maturity_on": dues[-1].isoformat()})],
        [Edge(RelType.BORROWS, party, loan)])


def event(graph: GraphStore, event_id: str, parties: Sequence[str], kind: str, on: date,
          title: str, severity: int = 3) -> None:
    graph.upsert_batch(
        [Node(event_id, Label.EXTERNAL_EVENT, {"kind": kind, "occurred_on": on.isoformat(),
                                               "title": title, "severity": severity})],
        [Edge(RelType.MENTIONED_IN, party, event_id) for party in parties])


def transfers(graph: GraphStore, source: str, target: str,
              amounts: Sequence[tuple[str, int]]) -> None:
    """Monthly aggregates ``source -> target`` (accounts that exist)."""
    graph.upsert_edges([Edge(RelType.TRANSFERS, source, target, month,
                             {"amount_minor": amount, "amount_currency": "CNY", "count": 1})
                        for month, amount in amounts])


def mark_written_off(engine: Engine, loan: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(Loan.__table__).where(  # type: ignore[attr-defined]
            Loan.__table__.c.id == loan).values(status="written_off"))  # type: ignore[attr-defined]

