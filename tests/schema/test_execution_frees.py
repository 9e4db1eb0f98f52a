"""An operation's objects are freed by reference counting as soon as it is answered, not
left for the cyclic garbage collector (whose full collections paused every request)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from auth.principal import Role
from schema import LoanwatchSchema, build_context
from schema.loaders import reads_in_place
from tests.principals import principal_of
from tests.schema.sample import Counting

BORROWER = """query ($id: ID!) { party(id: $id) { id name loans { id guarantees {
    share guarantor { id name } } } guarantors { id } } }"""


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_query_leaves_no_cycle_behind(schema: LoanwatchSchema, store: Counting,
                                        no_cyclic_gc: None) -> None:
    context = build_context(store, principal=principal_of(Role.INVESTIGATOR),
                            inline_reads=reads_in_place(store, None))
    # The context and its loaders have slots; the loaders' DataLoaders can be watched.
    nodes, edges = weakref.ref(context.loaders.nodes), weakref.ref(context.loaders.edges)

    async def run(context: object) -> object:
        return await schema.execute(BORROWER, variable_values={"id": "C1"},
                                    context_value=context)

    result = asyncio.run(run(context))
    assert result.errors is None and result.data["party"]["loans"]
    assert context.loaders.nodes.cache_map.cache_map  # the nodes were read and cached
    del context, result
    assert nodes() is None and edges() is None
