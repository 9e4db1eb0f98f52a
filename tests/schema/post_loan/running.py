"""Running a post-loan document as one request would: a fresh context over the test's
graph store and records, the caller given, its audit events and case changes kept."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import ExecutionResult

from auth.principal import Principal, Role
from risk.collections.feed import LocalCaseFeed
from schema import build_context, build_schema
from tests.principals import ListAuditSink, principal_of
from tests.writes.conftest import Stores

__all__ = ["SCHEMA", "Request", "codes"]

SCHEMA = build_schema(mask_errors=True)


class Request:
    """Runs documents against ``stores`` as ``caller`` (a manager unless told)."""

    def __init__(self, stores: Stores, caller: Principal | None = None) -> None:
        self.stores = stores
        self.caller = caller or principal_of(Role.MANAGER)
        self.audit = ListAuditSink()
        self.feed = LocalCaseFeed()

    def __call__(self, document: str, *, caller: Principal | None = None,
                 **variables: Any) -> ExecutionResult:
        async def run() -> ExecutionResult:
            return await SCHEMA.execute(document, variable_values=variables or None,
                                        context_value=build_context(
                                            self.stores.graph,
                                            principal=caller or self.caller,
                                            records=self.stores.engine, audit=self.audit,
                                            case_feed=self.feed))
        return asyncio.run(run())


def codes(result: ExecutionResult) -> list[str]:
    """The ``extensions.code`` of each error, in order."""
    return [(error.extensions or {}).get("code", "") for error in result.errors or []]
