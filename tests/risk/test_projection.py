"""The portfolio projection: ids to dense indices, relations as CSR, the party guarantee
graph with its loans and exact amounts, read through each real graph store."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from graph.model import Edge, Label, Node, RelType
from graph.store import GraphStore
from risk.projection import NO_CURRENCY, NO_DAY, NO_PARTY, project_portfolio
from tests.graph.conftest import postgres_graph_store, store  # noqa: F401 - fixtures

B, G = RelType.BORROWS, RelType.GUARANTEES


def _loan(loan_id: str, minor: int | None, currency: str | None) -> Node:
    props: dict[str, object] = {}
    if minor is not None:
        props.update(principal_minor=minor, principal_currency=currency, currency=currency)
    return Node(loan_id, Label.LOAN, props)


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:  # noqa: F811 - the fixture imported above
    store.upsert_batch(
        [Node(p, Label.COMPANY, {}) for p in ("C1", "C2", "C3")]
        + [Node("P1", Label.PERSON, {}), Node("P9", Label.PERSON, {})]
        + [_loan("L1", 1_000_00, "CNY"), _loan("L2", 500, "JPY"), _loan("L3", 7_00, "USD"),
           _loan("L4", None, None)],
        [Edge(B, "C1", "L1"), Edge(B, "C2", "L2"), Edge(B, "C3", "L2"),  # L2: co-borrowers
         Edge(B, "P1", "L3"),
         Edge(G, "C2", "L1", props={"amount_minor": 400_00, "amount_currency": "CNY"}),
         Edge(G, "C1", "L2", props={"amount_minor": 300}),  # no currency: the loan's
         Edge(G, "C1", "L3", props={"amount_minor": 5_00, "amount_currency": "USD"}),
         Edge(G, "P1", "L3", props={"amount_minor": 1_00, "amount_currency": "USD"}),  # own
         Edge(G, "P9", "L4", props={"amount_minor": 9, "amount_currency": "CNY"})],
    )
    return store


def test_ids_become_sorted_dense_indices(loaded: GraphStore) -> None:
    p = project_portfolio(loaded)
    assert p.party_ids.tolist() == ["C1", "C2", "C3", "P1", "P9"]
    assert p.loan_ids.tolist() == ["L1", "L2", "L3", "L4"]
    assert p.party_index(["P1", "nope", "C1"]).tolist() == [3, -1, 0]
    assert p.loan_index(["L4"]).tolist() == [3]
    assert (p.n_parties, p.n_loans) == (5, 4)


def test_loans_keep_borrower_principal_and_currency(loaded: GraphStore) -> None:
    p = project_portfolio(loaded)
    assert p.loan_borrower.tolist() == [0, 1, 3, NO_PARTY]  # L2: the smallest borrower
    assert p.loan_principal_minor.tolist() == [1_000_00, 500, 7_00, 0]
    currencies = [p.currencies[c] if c != NO_CURRENCY else None
                  for c in p.loan_currency.tolist()]
    assert currencies == ["CNY", "JPY", "USD", None]
    assert p.currencies == ("CNY", "JPY", "USD")
    assert p.borrows.shape == (5, 4) and p.borrows.nnz == 4
    assert sorted(p.borrows[:, 1].nonzero()[0].tolist()) == [1, 2]
    assert p.loan_exposure(np.array([0, 1, 1, 2])) == {"CNY": 1_000_00, "JPY": 500,
                                                       "USD": 7_00}


def test_party_exposure_sums_the_loans_each_party_borrows(loaded: GraphStore) -> None:
    p = project_portfolio(loaded)
    exposure = p.party_exposure_minor()  # columns: CNY, JPY, USD
    assert exposure.dtype == np.int64
    assert exposure.tolist() == [[1_000_00, 0, 0], [0, 500, 0], [0, 500, 0], [0, 0, 7_00],
                                 [0, 0, 0]]


def test_guarantees_keep_exact_amounts_in_their_currency(loaded: GraphStore) -> None:
    p = project_portfolio(loaded)
    rows = [(p.party_ids[g], p.loan_ids[l_], m, p.currencies[c])
            for g, l_, m, c in zip(p.guarantee_party, p.guarantee_loan,
                                   p.guarantee_amount_minor, p.guarantee_currency,
                                   strict=True)]
    assert rows == [("C1", "L2", 300, "JPY"), ("C1", "L3", 5_00, "USD"),
                    ("C2", "L1", 400_00, "CNY"), ("P1", "L3", 1_00, "USD"),
                    ("P9", "L4", 9, "CNY")]
    assert p.guarantees.nnz == 5


def test_the_party_graph_joins_guarantees_with_borrowers(loaded: GraphStore) -> None:
    p = project_portfolio(loaded)
    ids = p.party_ids
    coo = p.party_graph.tocoo()
    pairs = sorted((ids[a], ids[b]) for a, b in zip(coo.row, coo.col, strict=True))
    # C1 guarantees L2 (borrowed by C2 and C3) and L3 (P1's); C2 guarantees L1 (C1's).
    # P1 guaranteeing its own loan is no edge; L4 has no borrower, so P9 leads nowhere.
    assert pairs == [("C1", "C2"), ("C1", "C3"), ("C1", "P1"), ("C2", "C1")]
    c1, c3, p1 = p.party_index(["C1", "C3", "P1"]).tolist()
    behind = p.pair_edges(c1, c3)
    assert [p.loan_ids[p.guarantee_loan[e]] for e in behind] == ["L2"]
    assert p.guarantee_amount_minor[p.pair_edges(c1, p1)].tolist() == [5_00]
    assert p.pair_edges(p1, p1).size == 0 and p.pair_position(c3, c1) == -1
    assert len(p.pair_ptr) == p.party_graph.nnz + 1


def test_small_batches_project_the_same(loaded: GraphStore) -> None:
    whole, batched = project_portfolio(loaded), project_portfolio(loaded, batch_size=1)
    assert (whole.party_graph != batched.party_graph).nnz == 0
    assert whole.guarantee_amount_minor.tolist() == batched.guarantee_amount_minor.tolist()
    assert whole.pair_guarantees.tolist() == batched.pair_guarantees.tolist()


def test_disbursement_dates_are_kept_and_unknown_ones_are_no_day(
        store: GraphStore) -> None:  # noqa: F811 - the fixture imported above
    store.upsert_batch(
        [Node("C1", Label.COMPANY, {}),
         Node("L1", Label.LOAN, {"disbursed_on": "2024-03-01"}),
         Node("L2", Label.LOAN, {"disbursed_on": "2024-13-45"}),  # malformed: unknown
         Node("L3", Label.LOAN, {}),
         Node("L4", Label.LOAN, {"disbursed_on": "2025-01-31T00:00:00"})],
        [Edge(B, "C1", loan) for loan in ("L1", "L2", "L3", "L4")])

    p = project_portfolio(store)

    epoch = date(1970, 1, 1)
    assert p.loan_disbursed.tolist() == [(date(2024, 3, 1) - epoch).days, NO_DAY, NO_DAY,
                                         (date(2025, 1, 31) - epoch).days]
    # Undated loans are kept by an as-of pass; a loan disbursed after the date is not.
    assert p.disbursed_by(date(2024, 12, 31)).tolist() == [True, True, True, False]
    assert p.disbursed_by(date(2025, 1, 31)).tolist() == [True, True, True, True]
