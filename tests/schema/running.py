"""Running a GraphQL document against a schema and a store, as one request would."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import ExecutionResult

from auth.principal import Principal, Role
from graph.store import GraphStore
from schema import LoanwatchSchema, build_context
from schema.loaders import reads_in_place
from tests.principals import principal_of

#: Who runs a document unless a test says otherwise: reads the portfolio and runs
#: analytics, never sees personal data.
ANALYST = principal_of(Role.ANALYST)


def execute(schema: LoanwatchSchema, store: GraphStore, document: str, *,
            caller: Principal = ANALYST, **variables: Any) -> ExecutionResult:
    """Run ``document`` as ``caller`` with a fresh request context (fresh loaders)."""

    async def run() -> ExecutionResult:
        return await schema.execute(document, variable_values=variables or None,
                                    context_value=build_context(
                                        store, principal=caller,
                                        inline_reads=reads_in_place(store, None)))

    return asyncio.run(run())


def codes(result: ExecutionResult) -> list[str]:
    """The ``extensions.code`` of each error, in order."""
    return [(error.extensions or {}).get("code", "") for error in result.errors or []]
