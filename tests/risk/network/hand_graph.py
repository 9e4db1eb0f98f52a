"""The hand portfolio of the graph-feature tests, written to real stores.

The risk graph (``-`` a risk link, by the edge that makes it)::

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

from datetime import date

from graph.model import Edge, Label, Node, RelType
from risk.network.features import FeatureParameters
from tests.risk.classification.books import add_loan, pay
from tests.risk.rules.stores import Stores

__all__ = ["AS_OF", "PARAMS", "PARTIES", "RISK_EDGES", "build_hand_portfolio"]

AS_OF = date(2025, 3, 31)
PARAMS = FeatureParameters(public_above=3, betweenness_k=1_000)
PARTIES = ["A", "B", "C", "D", "E", "F", "G", "H", "Q", "R", "S", "T", "X"]
RISK_EDGES = [("A", "B"), ("A", "C"), ("A", "D"), ("B", "C"), ("B", "D"), ("C", "D"),
              ("D", "X"), ("X", "E"), ("E", "F"), ("E", "G"), ("E", "H"), ("F", "G"),
              ("F", "H"), ("G", "H")]


def _loan(loan_id: str, minor: int, code: str = "CNY",
          disbursed: str = "2024-01-01") -> Node:
    return Node(loan_id, Label.LOAN, {"principal_minor": minor, "principal_currency": code,
                                      "currency": code, "disbursed_on": disbursed})


def build_hand_portfolio(stores: Stores) -> None:
    """Write the hand portfolio (graph and repayment records) to ``stores``."""
    companies = {"A", "D", "X", "E", "H"}
    nodes = [Node(p, Label.COMPANY if p in companies else Label.PERSON, {"name": p})
             for p in PARTIES]
    nodes += [_loan("LA", 100_000), _loan("LB", 50_000, "USD"), _loan("LD", 40_000),
              _loan("LE", 20_000), _loan("LX", 30_000), _loan("LZ", 999, disbursed="2025-05-01"),
              Node("phone:bc", Label.PHONE, {"value": "+861"}),
              Node("phone:pub", Label.PHONE, {"value": "+862"}),
              Node("acct:cd", Label.ACCOUNT, {"opened_on": "2020-01-01"})]
    related = [("B", "D"), ("X", "E"), ("E", "F"), ("E", "G"), ("E", "H"), ("F", "G"),
               ("F", "H"), ("G", "H")]
    edges = [
        Edge(RelType.BORROWS, "A", "LA"), Edge(RelType.BORROWS, "B", "LB"),
        Edge(RelType.BORROWS, "D", "LD"), Edge(RelType.BORROWS, "E", "LE"),
        Edge(RelType.BORROWS, "X", "LX"), Edge(RelType.BORROWS, "H", "LZ"),
        Edge(RelType.GUARANTEES, "B", "LA", props={"amount_minor": 100_000,
                                                   "amount_currency": "CNY"}),
        Edge(RelType.GUARANTEES, "X", "LD", props={"amount_minor": 40_000,
                                                   "amount_currency": "CNY"}),
        Edge(RelType.OWNS, "C", "A", props={"pct": 0.6}),
        Edge(RelType.OWNS, "D", "A", props={"pct": 0.4}),
        Edge(RelType.USES, "B", "phone:bc"), Edge(RelType.USES, "C", "phone:bc"),
        Edge(RelType.HOLDS, "C", "acct:cd"), Edge(RelType.HOLDS, "D", "acct:cd"),
        Edge(RelType.DIRECTS, "F", "H"),
        *[Edge(RelType.RELATED, a, b) for a, b in related],
        *[Edge(RelType.USES, p, "phone:pub") for p in ("Q", "R", "S", "T")],
    ]
    stores.graph.upsert_batch(nodes, edges)
    monthly = [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1),
               date(2025, 3, 1), date(2025, 5, 1)]
    add_loan(stores.engine, "LA", "A", monthly)
    pay(stores.engine, "LA", [(d, 1_100) for d in monthly[:5]])
    add_loan(stores.engine, "LD", "D", monthly)
    pay(stores.engine, "LD", [(monthly[0], 1_100)])
    add_loan(stores.engine, "LE", "E", monthly)
    pay(stores.engine, "LE", [(d, 1_100) for d in monthly[:4]])
