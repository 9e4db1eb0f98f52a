"""Error codes, masking in production, the depth, alias, token and cost limits, variables,
operation names, and stopping a request."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from graphql import get_introspection_query, parse
from graphql.execution import get_variable_values

from graph import model
from graph.stores.embedded_schema import metadata
from graph.traversal import expand_neighbourhood, traversal_checkpoint
from schema import LoanwatchSchema, QueryLimits, build_context, build_schema
from schema.control import QueryControl
from schema.cost import DEFAULT_LIST_SIZE, operation_cost
from schema.enums import Label, RelType
from schema.error_codes import MASKED_MESSAGE
from schema.errors import QueryCancelled, QueryTimedOut
from tests.schema.running import codes, execute
from tests.schema.sample import EDGES, NODES, CountingStore, sqlite_engine

PARTY_NAME = 'query { party(id: "C1") { name } }'
DEEP = ('query { party(id: "C1") { loans { borrowers { loans { borrowers { loans { '
        'borrowers { loans { borrowers { loans { borrowers { id } } } } } } } } } } } }')
NOT_GRAPHQL = "query { party(id: "
NEIGHBOURHOOD = ('query Near($hops: Int! = 2, $limit: Int! = 200) { neighbourhood(id: "C1", '
                 'hops: $hops, limit: $limit) { nodes { id } edges { type } } }')
TWO_OPERATIONS = 'query A { party(id: "C1") { name } } query B { party(id: "P2") { name } }'


def aliases(count: int) -> str:
    fields = " ".join(f'a{i}: party(id: "C1") {{ id }}' for i in range(count))
    return f"query {{ {fields} }}"


@pytest.fixture
def broken(tmp_path: Path) -> CountingStore:
    """A store whose tables vanished after start-up: every read fails in SQL."""
    engine = sqlite_engine(tmp_path / "broken.db")
    store = CountingStore(engine)
    store.upsert_nodes(NODES)
    store.upsert_edges(EDGES)
    metadata.drop_all(engine)
    return store


def test_unexpected_errors_are_masked_in_production(broken: CountingStore) -> None:
    result = execute(build_schema(mask_errors=True), broken, PARTY_NAME)
    assert codes(result) == ["INTERNAL"]
    assert result.errors[0].message == MASKED_MESSAGE
    assert result.errors[0].path == ["party"]


def test_unexpected_errors_keep_their_message_in_development(broken: CountingStore) -> None:
    result = execute(build_schema(mask_errors=False), broken, PARTY_NAME)
    assert codes(result) == ["INTERNAL"]
    assert "no such table: graph_node" in result.errors[0].message


def test_domain_errors_are_not_masked_in_production(store: CountingStore) -> None:
    result = execute(build_schema(mask_errors=True), store, 'query { party(id: "X") { id } }')
    assert codes(result) == ["NOT_FOUND"]
    assert result.errors[0].message == "no node with id 'X'"


def test_a_malformed_document_fails_to_parse(schema: LoanwatchSchema,
                                             store: CountingStore) -> None:
    assert codes(execute(schema, store, NOT_GRAPHQL)) == ["GRAPHQL_PARSE_FAILED"]


def test_too_deep_a_document_is_rejected(schema: LoanwatchSchema, store: CountingStore) -> None:
    result = execute(schema, store, DEEP)
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0].message == "'anonymous' exceeds maximum operation depth of 10"
    assert result.data is None
    assert store.calls == {}, "nothing is read for a rejected document"


def test_too_many_aliases_are_rejected(schema: LoanwatchSchema, store: CountingStore) -> None:
    assert execute(schema, store, aliases(15)).errors is None
    result = execute(schema, store, aliases(16))
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0].message == "16 aliases found. Allowed: 15"


def test_too_many_tokens_are_rejected_while_parsing(store: CountingStore) -> None:
    limited = build_schema(mask_errors=False, limits=QueryLimits(max_tokens=50))
    document = "query { party(id: \"C1\") { " + "id " * 60 + "} }"
    result = execute(limited, store, document)
    assert codes(result) == ["GRAPHQL_PARSE_FAILED"]
    assert result.errors[0].message.endswith("Document contains more than 50 tokens. "
                                             "Parsing aborted.")


def test_graphiql_introspection_fits_the_limits(schema: LoanwatchSchema,
                                                store: CountingStore) -> None:
    document = get_introspection_query(descriptions=True, specified_by_url=True,
                                       directive_is_repeatable=True, schema_description=True,
                                       input_value_deprecation=True)
    result = execute(schema, store, document)
    assert result.errors is None


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="max_depth must be at least 1"):
        QueryLimits(max_depth=0)


def test_enums_mirror_the_graph_model() -> None:
    assert [(m.name, m.value) for m in Label] == [(m.name, m.value) for m in model.Label]
    assert [(m.name, m.value) for m in RelType] == [(m.name, m.value) for m in model.RelType]


def cost(schema: LoanwatchSchema, document: str, **variables: object) -> int:
    graphql_schema = schema._schema
    parsed = parse(document)
    operation = parsed.definitions[0]
    values = get_variable_values(graphql_schema, operation.variable_definitions or (),
                                 variables)
    assert not isinstance(values, list), values
    return operation_cost(graphql_schema, parsed, operation, values)


def test_the_cost_counts_what_a_walk_visits_and_returns(schema: LoanwatchSchema) -> None:
    # hops × limit visited, plus the subgraph, its nodes and its edges.
    assert cost(schema, NEIGHBOURHOOD) == 2 * 200 + 1 + 200 + 200
    assert cost(schema, NEIGHBOURHOOD, hops=6, limit=2000) == 6 * 2000 + 1 + 2000 + 2000
    assert cost(schema, 'query { party(id: "C1") { name city } }') == 1


def test_the_cost_multiplies_list_sizes_through_nesting(schema: LoanwatchSchema) -> None:
    # first: 5 parties, each with its loans (no size argument: DEFAULT_LIST_SIZE) and
    # each loan's borrowers (again DEFAULT_LIST_SIZE).
    document = ('query { searchParties(text: "a", first: 5) { edges { node { '
                'loans { borrowers { id } } } } } }')
    loans = DEFAULT_LIST_SIZE * (1 + DEFAULT_LIST_SIZE)
    assert cost(schema, document) == 1 + 5 * (1 + 1 + loans)


def test_nodes_by_ids_count_one_per_id(schema: LoanwatchSchema) -> None:
    document = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Party { loans { id } } } }"
    each = 1 + DEFAULT_LIST_SIZE
    assert cost(schema, document, ids=[f"C{i}" for i in range(40)]) == 40 * each
    assert cost(schema, 'query { node(id: "C1") { id } }') == 1


def test_each_alias_and_fragment_counts(schema: LoanwatchSchema) -> None:
    one = 'n{i}: neighbourhood(id: "C1", hops: 3, limit: 100) {{ nodes {{ id }} }}'
    document = "query { " + " ".join(one.format(i=i) for i in range(4)) + " }"
    assert cost(schema, document) == 4 * (3 * 100 + 1 + 100)
    with_fragment = ('query { party(id: "C1") { ...Loans ... on Company { loans { id } } } } '
                     'fragment Loans on Party { loans { id } }')
    assert cost(schema, with_fragment) == 1 + 2 * DEFAULT_LIST_SIZE


def test_a_path_holds_max_hops_plus_one_nodes(schema: LoanwatchSchema) -> None:
    document = ('query { shortestPaths(source: "C1", target: "C3", maxHops: 3, limit: 2) '
                '{ nodes { id } } }')
    assert cost(schema, document) == 2 * 3 + 2 * (1 + 4)


def test_a_query_over_the_cost_limit_is_refused_unread(store: CountingStore) -> None:
    limited = build_schema(mask_errors=True, limits=QueryLimits(max_cost=700))
    assert execute(limited, store, NEIGHBOURHOOD, hops=1).errors is None  # 601
    store.calls.clear()
    result = execute(limited, store, NEIGHBOURHOOD)  # 801
    assert codes(result) == ["QUERY_TOO_COSTLY"]
    assert result.errors[0].message == ("the query costs 801, more than the limit of 700: "
                                        "ask for fewer hops, smaller limits or fewer aliases")
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COSTLY", "cost": 801,
                                           "maxCost": 700}
    assert result.data is None
    assert store.calls == {}


def test_graphiql_introspection_costs_nothing(store: CountingStore) -> None:
    limited = build_schema(mask_errors=False, limits=QueryLimits(max_cost=1))
    assert execute(limited, store, get_introspection_query()).errors is None


@pytest.mark.parametrize(("variables", "message"), [
    ({"hops": "two"}, "Variable '$hops' has invalid value: Int cannot represent "
                      "non-integer value: 'two'"),
    ({"hops": None}, "Variable '$hops' has invalid value: Expected value of non-null type "
                     "'Int!' not to be None."),
])
def test_a_bad_variable_is_bad_user_input_and_not_logged(
        store: CountingStore, variables: dict[str, object], message: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = execute(build_schema(mask_errors=True), store, NEIGHBOURHOOD, **variables)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].message == message
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert store.calls == {}


def test_a_missing_variable_is_bad_user_input(schema: LoanwatchSchema,
                                              store: CountingStore) -> None:
    result = execute(schema, store, 'query Q($id: ID!) { party(id: $id) { id } }')
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "Variable '$id'" in result.errors[0].message


def test_two_operations_without_a_name_run_neither(schema: LoanwatchSchema,
                                                   store: CountingStore) -> None:
    result = execute(schema, store, TWO_OPERATIONS)
    assert codes(result) == ["BAD_REQUEST"]
    assert result.data is None
    assert store.calls == {}

    async def named() -> object:
        return await schema.execute(TWO_OPERATIONS, operation_name="B",
                                    context_value=build_context(store))

    assert asyncio.run(named()).data == {"party": {"name": "Li *"}}


def test_a_stopped_request_reads_nothing_more(schema: LoanwatchSchema,
                                              store: CountingStore) -> None:
    control = QueryControl()
    control.stop(QueryCancelled("the client disconnected"))

    async def run() -> object:
        return await schema.execute(NEIGHBOURHOOD, context_value=build_context(store, control))

    result = asyncio.run(run())
    assert codes(result) == ["CANCELLED"]
    assert store.calls["neighbourhood"] == 0


def test_a_request_past_its_deadline_times_out() -> None:
    now = [0.0]
    control = QueryControl(time_limit_s=2.0, clock=lambda: now[0])
    control.check()
    now[0] = 2.5
    with pytest.raises(QueryTimedOut, match="time limit of 2 s"):
        control.check()
    assert control.stopped


def test_the_checkpoint_stops_a_walk_between_hops() -> None:
    asked: list[list[str]] = []

    def fetch(frontier: list[str], types: object) -> list[model.Edge]:
        asked.append(list(frontier))
        if len(asked) == 2:
            control.stop(QueryCancelled("gone"))
        hop = len(asked)
        return [model.Edge(model.RelType.OWNS, node, f"{node}.{hop}") for node in frontier]

    control = QueryControl()
    token = traversal_checkpoint.set(control.check)
    try:
        with pytest.raises(QueryCancelled):
            expand_neighbourhood("a", 5, 100, types=None, labels=None,
                                 fetch_incident=fetch, fetch_labels=dict)
    finally:
        traversal_checkpoint.reset(token)
    assert asked == [["a"], ["a.1"]], "stopped before the third hop"
    # Without a checkpoint the same walk runs to the end.
    asked.clear()
    control = QueryControl()
    ids, _ = expand_neighbourhood("a", 5, 100, types=None, labels=None,
                                  fetch_incident=fetch, fetch_labels=dict)
    assert len(asked) == 5 and len(ids) == 6
