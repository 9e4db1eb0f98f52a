"""The PD at origination, stored, drives the IFRS 9 significant-increase test on every store;
without one the rating proxy (Pass) does, and the reason says which.

Book as of 2024-02-11 (1,100.00 due on the 1st of each month from 2024-02):

* L1, L2 paid on time: Pass, PD now 0.01. L1's PD at origination is 0.004 (0.01 is 2.5
  times it: a significant increase); L2 has none (the proxy is 0.01 itself: no increase).
* L3, L4 unpaid since 2024-02-01, 10 days past due: Special mention, PD now 0.08. L3 has
  none (8 times the proxy: stage 2); L4 was priced at 0.05 (1.6 times: stage 1).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from graph.model import Label, Node
from risk.classification.assessment import LoanAssessment, assess
from risk.classification.errors import ClassificationError
from risk.classification.origination import store_origination_pd
from tests.risk.classification.books import add_loan, pay
from tests.risk.rules.stores import Stores, stores

__all__ = ["stores"]

DUES = [date(2024, month, 1) for month in range(2, 13)]
AS_OF = date(2024, 2, 11)


@pytest.fixture
def book(stores: Stores) -> Stores:
    ids = ("L1", "L2", "L3", "L4")
    stores.graph.upsert_nodes([Node(f"C{i}", Label.COMPANY, {}) for i in range(1, 5)]
                              + [Node(loan, Label.LOAN, {}) for loan in ids])
    for i, loan in enumerate(ids, start=1):
        add_loan(stores.engine, loan, f"C{i}", DUES)
    for loan in ("L1", "L2"):
        pay(stores.engine, loan, [(DUES[0], 1_100)])
    return stores


def _loans(stores: Stores) -> dict[str, LoanAssessment]:
    return {loan.loan_id: loan for loan in assess(stores.engine, stores.graph, AS_OF).loans}


def _sicr(loan: LoanAssessment) -> dict[str, object] | None:
    found = [r for r in loan.reasons if r.rule == "stage.sicr_pd"]
    return found[0].figures | {"text": found[0].text} if found else None


def test_the_stored_pd_is_compared_and_the_reason_names_its_source(book: Stores) -> None:
    assert store_origination_pd(book.engine, book.graph, {"L1": 0.004, "L4": 0.05}) == 2

    loans = _loans(book)

    assert {k: (v.tier.slug, v.stage) for k, v in loans.items()} == {
        "L1": ("pass", 2), "L2": ("pass", 1), "L3": ("special_mention", 2),
        "L4": ("special_mention", 1)}
    l1, l3 = _sicr(loans["L1"]), _sicr(loans["L3"])
    assert l1 is not None and l3 is not None
    assert (l1["pd_origination"], l1["pd_origination_source"]) == (0.004, "stored")
    assert str(l1["text"]).endswith("times the 0.0040 at origination (stored PD at origination)")
    assert (l3["pd_origination"], l3["pd_origination_source"]) == (0.01, "proxy_pass")
    assert str(l3["text"]).endswith("(rating proxy: Pass)")
    assert _sicr(loans["L2"]) is None and _sicr(loans["L4"]) is None
    # Kept on the loan record and on the Loan node alike.
    with book.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT id, origination_pd FROM loan ORDER BY id")).all() == [
            ("L1", 0.004), ("L2", None), ("L3", None), ("L4", 0.05)]
    node = book.graph.get_node("L4")
    assert node is not None and node.props["origination_pd"] == 0.05


@pytest.mark.parametrize(("pds", "message"), [
    ({"L1": 0.02, "L2": 0.0}, "must be above 0 and below 1; loan L2 has 0.0"),
    ({"L1": 1.0}, "loan L1 has 1.0"),
    ({"L1": float("nan")}, "loan L1 has nan"),
    ({"L1": 0.02, "L9": 0.02}, "unknown loan id(s): L9"),
])
def test_bad_pds_are_refused_and_nothing_is_stored(
        book: Stores, pds: dict[str, float], message: str) -> None:
    with pytest.raises(ClassificationError) as caught:
        store_origination_pd(book.engine, book.graph, pds)
    assert message in caught.value.message
    with book.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT count(*) FROM loan WHERE origination_pd IS NOT NULL")).scalar_one() == 0
    node = book.graph.get_node("L1")
    assert node is not None and "origination_pd" not in node.props
