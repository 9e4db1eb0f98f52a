"""Limits on what one GraphQL document may ask, as Strawberry schema extensions.

Depth and aliases are checked while validating, tokens while parsing, and the cost (what
the operation may return and visit, :mod:`schema.cost`) once the variables are known, so
an oversized document is rejected before any resolver runs. Introspection fields do not
count towards the depth or the cost, so GraphiQL's schema query always passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.cost_limit import CostLimiter

__all__ = [
    "DEFAULT_MAX_ALIASES",
    "DEFAULT_MAX_COST",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_TOKENS",
    "QueryLimits",
    "limit_extensions",
]

DEFAULT_MAX_DEPTH: Final = 10
DEFAULT_MAX_ALIASES: Final = 15
DEFAULT_MAX_TOKENS: Final = 2_000
#: About three neighbourhoods of 2,000 nodes 6 hops deep (16,001 each); the GraphiQL
#: example costs about 3,500.
DEFAULT_MAX_COST: Final = 50_000


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """How deep, how many aliases and tokens one document may have, and what it may cost.

    Raises:
        ValueError: a limit is below 1.
    """

    max_depth: int = DEFAULT_MAX_DEPTH
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_cost: int = DEFAULT_MAX_COST

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_aliases", "max_tokens", "max_cost"):
            if getattr(self, name) < 1:
                raise ValueError(f"QueryLimits.{name} must be at least 1")


def limit_extensions(limits: QueryLimits) -> list[Callable[[], SchemaExtension]]:
    """Factories of the limiting extensions, so each request gets fresh instances."""
    return [
        partial(QueryDepthLimiter, max_depth=limits.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=limits.max_aliases),
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        partial(CostLimiter, max_cost=limits.max_cost),
    ]
