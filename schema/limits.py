"""Limits on what one GraphQL document may ask, as Strawberry schema extensions.

Depth and aliases are checked while validating, tokens while parsing, and the cost (what
the operation may return and visit, :mod:`schema.cost`) once the variables are known, so
an oversized document is rejected before any resolver runs. Introspection fields do not
count towards the depth or the cost, so GraphiQL's schema query always passes.

A document that passed is kept (:mod:`schema.document_cache`): the next request with the
same text is neither parsed nor validated again, and the same operation with the same
variables is not costed again. The depth and alias rules are made once per schema (the
Strawberry limiters make new rule classes for every request), so a kept document is known
to have passed the very same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Final

from graphql import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from schema.cost_limit import CostLimiter
from schema.document_cache import CachedDocuments, DocumentCache

__all__ = [
    "DEFAULT_MAX_ALIASES",
    "DEFAULT_MAX_COST",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_TOKENS",
    "DocumentLimits",
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


class DocumentLimits(SchemaExtension):
    """Parse with at most ``max_tokens`` tokens; validate with ``rules`` as well.

    Args:
        rules: validation rules made once per schema (see the module).
        max_tokens: the most tokens a document may have.
    """

    def __init__(self, *, rules: tuple[type[ASTValidationRule], ...], max_tokens: int) -> None:
        self.rules = rules
        self.max_tokens = max_tokens

    def __repr__(self) -> str:
        return f"DocumentLimits(max_tokens={self.max_tokens}, rules={len(self.rules)})"

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield


def limit_extensions(limits: QueryLimits, cache: DocumentCache | None = None
                     ) -> list[Callable[[], SchemaExtension]]:
    """Factories of the limiting extensions, so each request gets fresh instances.

    Args:
        cache: where the schema keeps its valid documents and accepted costs (a new
            one when omitted: one per schema, never shared between schemas).
    """
    cache = cache if cache is not None else DocumentCache()
    rules = (depth_rule(limits.max_depth, None), aliases_rule(limits.max_aliases))
    return [
        partial(CachedDocuments, cache=cache),
        partial(DocumentLimits, rules=rules, max_tokens=limits.max_tokens),
        partial(CostLimiter, max_cost=limits.max_cost, cache=cache),
    ]
