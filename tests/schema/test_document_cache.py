"""Documents parsed and validated once, accepted costs kept: the cache must never let a
document or an operation through that the checks would refuse."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from graphql import DocumentNode, GraphQLError, ValidationRule
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types import ExecutionResult

from auth.principal import Role
from schema import LoanwatchSchema, QueryLimits, build_context, build_schema
from schema.document_cache import DocumentCache, LruCache
from schema.error_codes import ErrorCodes
from schema.limits import limit_extensions
from schema.query import Query
from schema.types.party import Company, Person
from tests.principals import principal_of
from tests.schema.running import codes
from tests.schema.sample import EDGES, NODES, CountingStore, sqlite_engine

PARTY = 'query Party($id: ID!) { party(id: $id) { id name loans { id } } }'
DEEP = ('query { party(id: "C1") { loans { borrowers { loans { borrowers { loans { '
        'borrowers { loans { borrowers { loans { borrowers { id } } } } } } } } } } } }')
NEIGHBOURHOOD = ('query Near($hops: Int!) { neighbourhood(id: "C1", hops: $hops, '
                 'limit: 200) { nodes { id } } }')


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[CountingStore]:
    store = CountingStore(sqlite_engine(tmp_path / "graph.db"))
    store.upsert_nodes(NODES)
    store.upsert_edges(EDGES)
    yield store
    store.close()


class Executed(SchemaExtension):
    """Records the document each request executed."""

    documents: ClassVar[list[DocumentNode]] = []

    def on_execute(self) -> Iterator[None]:
        assert self.execution_context.graphql_document is not None
        Executed.documents.append(self.execution_context.graphql_document)
        yield


class CountedRule(ValidationRule):
    """A validation rule that counts the documents it checked."""

    checked: ClassVar[int] = 0

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        CountedRule.checked += 1


def schema_with(cache: DocumentCache, *extra: Any, limits: QueryLimits | None = None
                ) -> LoanwatchSchema:
    return LoanwatchSchema(query=Query, types=[Person, Company], extensions=[
        *limit_extensions(limits or QueryLimits(), cache), *extra,
        lambda: ErrorCodes(mask_internal=True)])


def run(schema: LoanwatchSchema, store: CountingStore, document: str,
        **variables: Any) -> ExecutionResult:
    async def go() -> ExecutionResult:
        return await schema.execute(document, variable_values=variables or None,
                                    context_value=build_context(
                                        store, principal=principal_of(Role.ANALYST)))
    return asyncio.run(go())


def test_a_valid_document_is_parsed_and_validated_once(sample: CountingStore) -> None:
    cache = DocumentCache()
    Executed.documents.clear()
    CountedRule.checked = 0
    schema = schema_with(cache, Executed, lambda: AddValidationRules([CountedRule]))
    first = run(schema, sample, PARTY, id="C1")
    second = run(schema, sample, PARTY, id="C1")
    other = run(schema, sample, PARTY, id="P2")
    assert first.errors is None and second.errors is None and other.errors is None
    assert first.data == second.data
    assert other.data is not None and other.data["party"]["id"] == "P2"
    assert Executed.documents[0] is Executed.documents[1] is Executed.documents[2]
    assert CountedRule.checked == 1
    assert len(cache.documents) == 1


def test_a_document_breaking_a_limit_is_refused_every_time(sample: CountingStore) -> None:
    cache = DocumentCache()
    schema = schema_with(cache)
    for _ in range(2):
        result = run(schema, sample, DEEP)
        assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
        assert result.data is None
    assert len(cache.documents) == 0
    assert sample.calls == {}


def test_a_document_that_does_not_parse_is_not_kept(sample: CountingStore) -> None:
    cache = DocumentCache()
    schema = schema_with(cache)
    for _ in range(2):
        assert codes(run(schema, sample, "query { party(id: ")) == ["GRAPHQL_PARSE_FAILED"]
    assert len(cache.documents) == 0


def test_a_kept_document_is_validated_again_under_other_rules(sample: CountingStore) -> None:
    """A rule made per request (one depending on the caller, say) is never skipped."""

    def refusing() -> AddValidationRules:
        class NoLoans(ValidationRule):
            def enter_field(self, node: Any, *_: Any) -> None:
                if node.name.value == "loans":
                    self.report_error(GraphQLError("loans are not for you"))
        return AddValidationRules([NoLoans])

    cache = DocumentCache()
    assert run(schema_with(cache), sample, PARTY, id="C1").errors is None
    assert len(cache.documents) == 1
    result = run(schema_with(cache, refusing), sample, PARTY, id="C1")
    assert [error.message for error in result.errors or []] == ["loans are not for you"]
    assert result.data is None


def test_costs_are_kept_per_variables_and_never_let_a_costly_one_through(
        sample: CountingStore) -> None:
    cache = DocumentCache()
    schema = schema_with(cache, limits=QueryLimits(max_cost=500))
    assert run(schema, sample, NEIGHBOURHOOD, hops=1).errors is None  # costs 401
    assert len(cache.costs) == 1
    for _ in range(2):
        refused = run(schema, sample, NEIGHBOURHOOD, hops=2)  # costs 601
        assert codes(refused) == ["QUERY_TOO_COSTLY"]
        assert refused.errors is not None and refused.errors[0].extensions is not None
        assert refused.errors[0].extensions["cost"] == 601
    assert len(cache.costs) == 1
    again = run(schema, sample, NEIGHBOURHOOD, hops=1)
    assert again.errors is None and again.data is not None


def test_bad_variables_are_refused_every_time(sample: CountingStore) -> None:
    cache = DocumentCache()
    schema = schema_with(cache)
    for _ in range(2):
        assert codes(run(schema, sample, NEIGHBOURHOOD, hops="two")) == ["BAD_USER_INPUT"]
    assert len(cache.costs) == 0


def test_huge_texts_and_variables_are_not_kept(sample: CountingStore) -> None:
    cache = DocumentCache(max_query_chars=40, max_variables_bytes=8)
    schema = schema_with(cache)
    assert run(schema, sample, PARTY, id="C1").errors is None
    assert len(cache.documents) == 0 and len(cache.costs) == 0
    assert cache.operation_key("{ __typename }", None, {"id": "a long id"}) is None
    assert cache.operation_key("{ __typename }", None, {"x": 1}) is not None


def test_the_schema_built_for_the_api_uses_the_cache_it_is_given(
        sample: CountingStore) -> None:
    cache = DocumentCache()
    schema = build_schema(mask_errors=True, document_cache=cache)
    assert run(schema, sample, PARTY, id="C1").errors is None
    assert len(cache.documents) == 1 and len(cache.costs) == 1


def test_the_lru_cache_drops_the_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    with pytest.raises(ValueError, match="max_entries"):
        LruCache(0)
