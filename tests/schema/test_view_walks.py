"""party(id:) and loan(id:) read their selection's walk in one store call, where a store
over the network would otherwise take a round trip per wave; the answer is the one the
loaders give wave by wave."""

from __future__ import annotations

import pytest
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from graph.model import RelType
from graph.walks import MAX_WALK_DEPTH, Hop
from schema import LoanwatchSchema
from schema.view_walks import plan_walk
from tests.schema.running import codes, execute
from tests.schema.sample import Counting

B, G, OWN = RelType.BORROWS, RelType.GUARANTEES, RelType.OWNS

#: The benchmark's borrower view, with a fragment, an alias and a second level of loans.
VIEW = """
query View($id: ID!) {
  party(id: $id) {
    id name
    loans { id status guarantees { share kind guarantor { id name ...Deeper } } }
    given: guarantees { share kind loan { id borrowers { id } } }
    guarantors { id name }
    ... on Company { owners { pct owner { id name } } }
  }
}
fragment Deeper on Party { loans { id } }
"""

LOAN = """
query Loan($id: ID!) {
  loan(id: $id) {
    id borrowers { id name } guarantees { share guarantor { id guarantors { id } } }
  }
}
"""


SEARCH = """
query Search {
  searchParties(text: "o", first: 10) {
    edges { node { id loans { id guarantees { share guarantor { id name } } }
                   guarantors { id } } }
  }
}
"""


def _without_walks(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_walk(*_: object, **__: object) -> None:
        return None

    monkeypatch.setattr("schema.query.walk_selection", no_walk)
    monkeypatch.setattr("schema.query.selection_walk", lambda *_: ())


@pytest.mark.parametrize(("document", "start"), [(VIEW, "C1"), (VIEW, "C2"), (VIEW, "P1"),
                                                 (VIEW, "L1"), (VIEW, "ghost"), (LOAN, "L2"),
                                                 (LOAN, "C1"), (SEARCH, None)])
def test_one_store_call_over_the_network_and_the_same_answer(
        schema: LoanwatchSchema, store: Counting, monkeypatch: pytest.MonkeyPatch,
        document: str, start: str) -> None:
    variables = {} if start is None else {"id": start}
    walked = execute(schema, store, document, **variables)
    calls = dict(store.calls)
    store.calls.clear()
    with monkeypatch.context() as patched:
        _without_walks(patched)
        waves = execute(schema, store, document, **variables)
    assert (walked.data, codes(walked)) == (waves.data, codes(waves))
    searched = {"search_parties": 1} if start is None else {}
    if store.reads_in_process:
        assert "walk" not in calls, calls  # nothing to save: the loaders read as before
    else:
        assert calls == {**searched, "walk": 1}, calls
        if walked.errors is None:
            assert sum(store.calls.values()) > 1 + len(searched), "waves take several calls"


def test_the_view_of_c2_as_walked(schema: LoanwatchSchema, store: Counting) -> None:
    party = execute(schema, store, VIEW, id="C2").data["party"]
    assert party["loans"] == [{"id": "L2", "status": "active", "guarantees": [
        {"share": 0.5, "kind": "mutual",
         "guarantor": {"id": "C1", "name": "Huaxin Trading", "loans": [{"id": "L1"}]}},
        {"share": 0.25, "kind": "single",
         "guarantor": {"id": "C3", "name": "Dongfang Holdings", "loans": []}}]}]
    assert party["given"] == [{"share": 1.0, "kind": "mutual",
                               "loan": {"id": "L1", "borrowers": [{"id": "C1"}]}}]
    assert [g["id"] for g in party["guarantors"]] == ["C1", "C3"]
    assert party["owners"] == [{"pct": 0.6, "owner": {"id": "C3",
                                                      "name": "Dongfang Holdings"}}]


def test_a_missing_party_is_not_found_after_one_call(schema: LoanwatchSchema,
                                                      store: Counting) -> None:
    result = execute(schema, store, VIEW, id="ghost")
    assert codes(result) == ["NOT_FOUND"]
    assert sum(store.calls.values()) == 1


def _field(name: str, *below: Selection) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(below))


def test_the_plan_of_a_selection() -> None:
    selection = [
        _field("id"), _field("name"),
        _field("loans", _field("id"), _field("guarantees", _field("guarantor", _field(
            "loans", _field("id"))))),
        InlineFragment(type_condition="Company", directives={}, selections=[
            _field("guarantors", _field("id")), _field("owners", _field("pct"))]),
        FragmentSpread(name="F", type_condition="Party", directives={}, selections=[
            _field("guarantees", _field("loan", _field("borrowers", _field("id"))))]),
        _field("alerts", _field("id")),
    ]
    assert plan_walk(selection, "Party") == (
        Hop(B, "out", (Hop(G, "in", (Hop(B, "out"),)),)),
        Hop(OWN, "in", nodes=False),  # the owner is not selected: only the edges are read
        Hop(G, "out", (Hop(B, "in"),)),
    )


def test_a_plan_stops_at_the_deepest_walk() -> None:
    selection = [_field("id")]
    for _ in range(MAX_WALK_DEPTH + 2):
        selection = [_field("owners", _field("owner", *selection))]
    hops = plan_walk(selection, "Party")
    depth = 0
    while hops:
        depth += 1
        [hop] = hops
        hops = hop.then
    assert depth == MAX_WALK_DEPTH


def test_a_guarantee_share_alone_reads_no_loan() -> None:
    shares = [_field("guarantees", _field("share")), _field("guarantors", _field("id"))]
    assert plan_walk(shares, "Party") == (
        Hop(G, "out", nodes=False), Hop(B, "out", (Hop(G, "in"),), nodes=False))


def test_nothing_to_walk_plans_nothing() -> None:
    assert plan_walk([_field("id"), _field("alerts", _field("id"))], "Party") == ()
    assert plan_walk([_field("schedule", _field("seq"))], "Loan") == ()
