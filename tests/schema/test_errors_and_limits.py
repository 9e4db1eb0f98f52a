"""Error codes, masking in production, and the depth, alias and token limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import get_introspection_query

from graph import model
from graph.stores.embedded_schema import metadata
from schema import LoanwatchSchema, QueryLimits, build_schema
from schema.enums import Label, RelType
from schema.error_codes import MASKED_MESSAGE
from tests.schema.running import codes, execute
from tests.schema.sample import EDGES, NODES, CountingStore, sqlite_engine

PARTY_NAME = 'query { party(id: "C1") { name } }'
DEEP = ('query { party(id: "C1") { loans { borrowers { loans { borrowers { loans { '
        'borrowers { loans { borrowers { loans { borrowers { id } } } } } } } } } } } }')
NOT_GRAPHQL = "query { party(id: "


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
