"""Running a GraphQL document against a schema and a store, as one request would."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import ExecutionResult

from graph.store import GraphStore
from schema import LoanwatchSchema, build_context


def execute(schema: LoanwatchSchema, store: GraphStore, document: str,
            **variables: Any) -> ExecutionResult:
    """Run ``document`` with a fresh request context (fresh loaders)."""

    async def run() -> ExecutionResult:
        return await schema.execute(document, variable_values=variables or None,
                                    context_value=build_context(store))

    return asyncio.run(run())


def codes(result: ExecutionResult) -> list[str]:
    """The ``extensions.code`` of each error, in order."""
    return [(error.extensions or {}).get("code", "") for error in result.errors or []]
