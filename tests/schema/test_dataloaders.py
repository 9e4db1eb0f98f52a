"""A page of parties with loans, guarantees and guarantors costs a fixed number of store
calls, whatever its size: the per-request loaders batch them."""

from __future__ import annotations

import pytest

from graph.model import Edge, Label, Node, RelType
from schema import LoanwatchSchema
from tests.schema.running import execute
from tests.schema.sample import Counting

FIRMS = 120

PAGE = """
query Page($first: Int!) {
  searchParties(text: "firm", first: $first) {
    edges {
      node {
        id
        loans { id borrowers { id } guarantees { amount { amount } guarantor { id name } } }
        guarantees { loan { id } }
        guarantors { id name }
      }
    }
  }
}
"""


@pytest.fixture
def ring(blank_store: Counting) -> Counting:
    """FIRMS companies; each borrows one loan, guaranteed by the next firm in a ring."""
    store = blank_store
    firms = [f"F{i:03d}" for i in range(FIRMS)]
    store.upsert_nodes([Node(f, Label.COMPANY, {"name": f"Firm {f}"}) for f in firms]
                       + [Node(f"L-{f}", Label.LOAN, {"principal": 1000.0}) for f in firms])
    store.upsert_edges(
        [Edge(RelType.BORROWS, f, f"L-{f}") for f in firms]
        + [Edge(RelType.GUARANTEES, firms[(i + 1) % FIRMS], f"L-{f}", props={"amount": 500.0})
           for i, f in enumerate(firms)]
    )
    store.calls.clear()
    return store


def calls_for_page(schema: LoanwatchSchema, store: Counting, first: int) -> dict[str, int]:
    store.calls.clear()
    result = execute(schema, store, PAGE, first=first)
    assert result.errors is None, result.errors
    page = result.data["searchParties"]["edges"]
    assert len(page) == first
    assert page[0]["node"]["guarantors"] == [{"id": "F001", "name": "Firm F001"}]
    return dict(store.calls)


def within(calls: dict[str, int], bound: dict[str, int]) -> bool:
    return set(calls) == set(bound) and all(1 <= calls[k] <= bound[k] for k in bound)


#: The most store calls PAGE can cause, whatever the page size. One search. edges_of: one
#: per relation and wave (BORROWS out, GUARANTEES out; then BORROWS in, and GUARANTEES in
#: reached both from Loan.guarantees and from guarantors, possibly in two waves).
#: get_nodes: one per wave of ids (loans; then borrowers and guarantors, in up to two
#: waves). How loads fall into waves depends on when worker threads finish, hence bounds.
BOUND = {"search_parties": 1, "edges_of": 5, "get_nodes": 3}
#: Over the network (Neo4j, PostgreSQL) the page's walk is read at once
#: (:mod:`schema.view_walks`): the search, then one walk.
WALKED = {"search_parties": 1, "walk": 1}


def bound_of(store: Counting) -> dict[str, int]:
    return BOUND if store.reads_in_process else WALKED


@pytest.mark.parametrize("first", [5, 100])
def test_store_calls_do_not_grow_with_the_page(schema: LoanwatchSchema, ring: Counting,
                                               first: int) -> None:
    calls = calls_for_page(schema, ring, first)
    assert within(calls, bound_of(ring)), calls


def test_loaders_are_per_request(schema: LoanwatchSchema, ring: Counting) -> None:
    calls_for_page(schema, ring, 5)
    again = calls_for_page(schema, ring, 5)
    # A loader shared between requests would answer from its cache: no store calls.
    assert within(again, bound_of(ring)), again
