"""searchParties: a Relay-style connection over the ranked search."""

from __future__ import annotations

from auth.principal import Role
from schema import LoanwatchSchema
from tests.principals import principal_of
from tests.schema.running import codes, execute
from tests.schema.sample import CountingStore

SEARCH = """
query Search($text: String!, $first: Int!, $after: String) {
  searchParties(text: $text, first: $first, after: $after) {
    edges { cursor node { __typename id name label } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def names(data: dict) -> list[str]:
    return [edge["node"]["name"] for edge in data["searchParties"]["edges"]]


def test_pages_follow_each_other_through_end_cursors(schema: LoanwatchSchema,
                                                      store: CountingStore) -> None:
    first = execute(schema, store, SEARCH, text="dong", first=1)
    assert first.errors is None
    page = first.data["searchParties"]
    assert names(first.data) == ["Dongfang Holdings"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["startCursor"] == page["pageInfo"]["endCursor"]

    second = execute(schema, store, SEARCH, text="dong", first=1,
                     after=page["pageInfo"]["endCursor"])
    assert names(second.data) == ["Dongfang Steel"]
    assert second.data["searchParties"]["pageInfo"]["hasNextPage"] is False
    assert second.data["searchParties"]["pageInfo"]["hasPreviousPage"] is True


def test_nodes_come_as_their_concrete_party_type(schema: LoanwatchSchema,
                                                 store: CountingStore) -> None:
    result = execute(schema, store, SEARCH, text="n", first=10,
                     caller=principal_of(Role.INVESTIGATOR))
    nodes = [edge["node"] for edge in result.data["searchParties"]["edges"]]
    assert [(n["__typename"], n["id"], n["label"]) for n in nodes] == [
        ("Company", "C3", "COMPANY"), ("Company", "C2", "COMPANY"),
        ("Company", "C1", "COMPANY"), ("Person", "P2", "PERSON"), ("Person", "P1", "PERSON"),
    ]


def test_without_the_right_to_search_persons_their_names_are_not_searched(
        schema: LoanwatchSchema, store: CountingStore) -> None:
    result = execute(schema, store, SEARCH, text="n", first=10)  # an analyst
    nodes = [edge["node"] for edge in result.data["searchParties"]["edges"]]
    assert [(n["__typename"], n["id"]) for n in nodes] == [
        ("Company", "C3"), ("Company", "C2"), ("Company", "C1")]
    assert result.data["searchParties"]["pageInfo"]["hasNextPage"] is False


def test_an_exact_id_comes_first(schema: LoanwatchSchema, store: CountingStore) -> None:
    result = execute(schema, store, SEARCH, text="p1", first=5)
    assert names(result.data) == ["Zhang *"]  # a person's name comes masked


def test_no_match_is_an_empty_page(schema: LoanwatchSchema, store: CountingStore) -> None:
    result = execute(schema, store, SEARCH, text="nobody", first=5)
    assert result.errors is None
    assert result.data["searchParties"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None,
                     "endCursor": None},
    }


def test_bad_paging_arguments_are_user_errors(schema: LoanwatchSchema,
                                              store: CountingStore) -> None:
    too_many = execute(schema, store, SEARCH, text="dong", first=101)
    not_a_cursor = execute(schema, store, SEARCH, text="dong", first=1, after="bm9wZQ==")
    blank = execute(schema, store, SEARCH, text="  ", first=1)
    assert [codes(r) for r in (too_many, not_a_cursor, blank)] == [["BAD_USER_INPUT"]] * 3
    assert too_many.errors[0].message == "first must be between 1 and 100, got 101"
    assert store.calls["search_parties"] == 0, "bad arguments never reach the store"
