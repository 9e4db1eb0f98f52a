"""A small portfolio written by hand, and a delinquency source computed from its schedule.

As of 2025-03-31 it holds, on purpose:

* C1 (company, sector C13) borrows L1 (600.00 CNY); C2 (sector F) borrows L2 (300.00 CNY);
  P2 (person) borrows L3 (100.00 CNY): C13 holds 60% of live CNY principal.
* P1 (monthly income 10,000 CNY) guarantees L1 for 400,000 CNY (36 × income = 360,000) and
  L5 for 50,000 USD; C1 guarantees L2 for 300 CNY against its 1,000,000 CNY capital.
* C1 is named in court case E1 (2025-03-01, severity 4); news E2 (2025-01-01) is older.
* C1 holds accounts A1 and A3; C2's A2 pays A1 1,000 CNY a month from 2024-12, then 300 in
  2025-03; A3 → A1 (C1's own money) 5,000 in 2025-03.
* P1's bureau score fell from 700 (2025-01-01) to 600 (2025-03-01); P2's from 700 to 680.
* L2 is unpaid since its second installment (2024-12-01): 120 days past due, so C2 is in
  default; P2 owns C2, C1 and P1 guarantee C2's loans. L1's 2025-03-01 installment was
  paid late (missed, now current).

:func:`add_later_data` adds facts dated after 2025-03-31 that must change nothing then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from graph.model import Edge, Label, Node, RelType
from portfolio.bureau import BureauSnapshot
from tests.risk.rules.stores import Stores

__all__ = ["AS_OF", "HandDelinquency", "add_later_data", "build_portfolio", "hand_delinquency"]

AS_OF = date(2025, 3, 31)
DEFAULT_DAYS = 90


def _loan(loan_id: str, principal: int, code: str = "CNY", disbursed: str = "2024-01-01",
          maturity: str = "2026-01-01") -> Node:
    return Node(loan_id, Label.LOAN, {
        "principal_minor": principal, "principal_currency": code, "currency": code,
        "disbursed_on": disbursed, "maturity_on": maturity, "product": "working_capital"})


def _money(name: str, minor: int, code: str = "CNY") -> dict[str, object]:
    return {f"{name}_minor": minor, f"{name}_currency": code}


def _transfer(source: str, target: str, month: str, minor: int) -> Edge:
    return Edge(RelType.TRANSFERS, source, target, month, _money("amount", minor))


def build_portfolio(stores: Stores) -> None:
    nodes = [
        Node("P1", Label.PERSON, {"name": "Li Wei", **_money("monthly_income", 1_000_000)}),
        Node("P2", Label.PERSON, {"name": "Wang Fang"}),
        Node("C1", Label.COMPANY, {"name": "Acme Textiles", "sector": "C13",
                                   **_money("registered_capital", 100_000_000)}),
        Node("C2", Label.COMPANY, {"name": "Build Co", "sector": "F",
                                   **_money("registered_capital", 100_000_000)}),
        _loan("L1", 60_000), _loan("L2", 30_000), _loan("L3", 10_000),
        _loan("L5", 5_000_000, "USD"),
        Node("E1", Label.EXTERNAL_EVENT, {"kind": "court_case", "occurred_on": "2025-03-01",
                                          "severity": 4, "title": "Supplier sues Acme"}),
        Node("E2", Label.EXTERNAL_EVENT, {"kind": "news", "occurred_on": "2025-01-01",
                                          "severity": 5, "title": "Old news"}),
        Node("A1", Label.ACCOUNT, {"opened_on": "2020-01-01"}),
        Node("A2", Label.ACCOUNT, {"opened_on": "2020-01-01"}),
        Node("A3", Label.ACCOUNT, {"opened_on": "2020-01-01"}),
    ]
    edges = [
        Edge(RelType.BORROWS, "C1", "L1"), Edge(RelType.BORROWS, "C2", "L2"),
        Edge(RelType.BORROWS, "P2", "L3"), Edge(RelType.BORROWS, "C2", "L5"),
        Edge(RelType.GUARANTEES, "P1", "L1", props=_money("amount", 40_000_000)),
        Edge(RelType.GUARANTEES, "P1", "L5", props=_money("amount", 5_000_000, "USD")),
        Edge(RelType.GUARANTEES, "C1", "L2", props=_money("amount", 30_000)),
        Edge(RelType.OWNS, "P2", "C2", props={"pct": 0.8}),
        Edge(RelType.MENTIONED_IN, "C1", "E1"), Edge(RelType.MENTIONED_IN, "C1", "E2"),
        Edge(RelType.HOLDS, "C1", "A1"), Edge(RelType.HOLDS, "C1", "A3"),
        Edge(RelType.HOLDS, "C2", "A2"),
        _transfer("A2", "A1", "2024-12", 100_000), _transfer("A2", "A1", "2025-01", 100_000),
        _transfer("A2", "A1", "2025-02", 100_000), _transfer("A2", "A1", "2025-03", 30_000),
        _transfer("A3", "A1", "2025-03", 500_000),
    ]
    stores.graph.upsert_batch(nodes, edges)
    snapshots = [("B1", "P1", date(2025, 1, 1), 700), ("B2", "P1", date(2025, 3, 1), 600),
                 ("B3", "P2", date(2025, 1, 1), 700), ("B4", "P2", date(2025, 3, 1), 680)]
    with Session(stores.engine) as session, session.begin():
        for snapshot_id, party, on, score in snapshots:
            session.add(BureauSnapshot(id=snapshot_id, party_id=party, as_of=on, score=score))


def add_later_data(stores: Stores) -> None:
    """Facts dated after AS_OF, each of which would change an alert if it were read."""
    nodes = [
        Node("E3", Label.EXTERNAL_EVENT, {"kind": "court_case", "occurred_on": "2025-04-02",
                                          "severity": 5, "title": "Later case"}),
        _loan("L9", 10_000_000, disbursed="2025-04-15"),
        Node("A9", Label.ACCOUNT, {"opened_on": "2025-04-01"}),
    ]
    edges = [
        Edge(RelType.MENTIONED_IN, "P2", "E3"), Edge(RelType.MENTIONED_IN, "C1", "E3"),
        Edge(RelType.BORROWS, "C2", "L9"),
        Edge(RelType.GUARANTEES, "C1", "L1", props={**_money("amount", 900_000_000),
                                                    "signed_on": "2025-04-20"}),
        _transfer("A2", "A1", "2025-04", 0), _transfer("A2", "A1", "2025-03", 30_000),
        Edge(RelType.HOLDS, "C1", "A9"), _transfer("A2", "A9", "2025-03", 10_000_000),
    ]
    stores.graph.upsert_batch(nodes, edges)
    with Session(stores.engine) as session, session.begin():
        session.add(BureauSnapshot(id="B9", party_id="P2", as_of=date(2025, 4, 1), score=400))
        session.add(BureauSnapshot(id="B8", party_id="P1", as_of=date(2025, 4, 1), score=300))


@dataclass
class HandDelinquency:
    """Delinquency computed from hand-written installments and payments: a real
    implementation of :class:`risk.rules.delinquency.DelinquencySource` (payments settle
    installments oldest first; a party is in default with a loan over 90 days past due)."""

    installments: dict[str, list[tuple[date, int]]] = field(default_factory=dict)
    payments: dict[str, list[tuple[date, int]]] = field(default_factory=dict)
    borrowers: dict[str, str] = field(default_factory=dict)

    def _paid(self, loan_id: str, by: date) -> int:
        return sum(amount for on, amount in self.payments.get(loan_id, []) if on <= by)

    def days_past_due(self, as_of: date) -> Mapping[str, int]:
        found: dict[str, int] = {}
        for loan_id, schedule in self.installments.items():
            paid, due = self._paid(loan_id, as_of), 0
            for due_on, amount in sorted(schedule):
                due += amount
                if due_on <= as_of and paid < due:
                    found[loan_id] = (as_of - due_on).days
                    break
        return found

    def missed_installments(self, as_of: date, since: date) -> Mapping[str, int]:
        found: dict[str, int] = defaultdict(int)
        for loan_id, schedule in self.installments.items():
            due = 0
            for due_on, amount in sorted(schedule):
                due += amount
                if since <= due_on <= as_of and self._paid(loan_id, due_on) < due:
                    found[loan_id] += 1
        return dict(found)

    def defaulted_parties(self, as_of: date) -> Collection[str]:
        return {self.borrowers[loan_id] for loan_id, days in self.days_past_due(as_of).items()
                if days > DEFAULT_DAYS}


def hand_delinquency() -> HandDelinquency:
    monthly = [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1),
               date(2025, 3, 1)]
    return HandDelinquency(
        installments={"L1": [(date(2025, 2, 1), 100), (date(2025, 3, 1), 100)],
                      "L2": [(on, 100) for on in monthly]},
        payments={"L1": [(date(2025, 2, 1), 100), (date(2025, 3, 20), 100)],
                  "L2": [(date(2024, 11, 1), 100), (date(2025, 4, 5), 400)]},
        borrowers={"L1": "C1", "L2": "C2"})
