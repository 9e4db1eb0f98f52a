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
from schema.document_cache import DocumentCache, KeptDocument

__all__ = [
    "DEFAULT_MAX_ALIASES",
    "DEFAULT_MAX_COST",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_TOKENS",
    "DocumentChecks",
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


class DocumentChecks(CostLimiter):
    """Every check of one document, as one extension (each extension and hook costs every
    request some work in Strawberry): at most ``max_tokens`` tokens while parsing, the
    ``rules`` while validating, both skipped for a document the ``cache`` kept; then the
    variables, the cost and the admission (:class:`schema.cost_limit.CostLimiter`).

    Args:
        rules: validation rules made once per schema (see the module).
        max_tokens: the most tokens a document may have.
        max_cost: the most an operation may cost.
        cache: the schema's documents and costs.
    """

    def __init__(self, *, rules: tuple[type[ASTValidationRule], ...], max_tokens: int,
                 max_cost: int, cache: DocumentCache) -> None:
        super().__init__(max_cost=max_cost, cache=cache)
        self.rules = rules
        self.max_tokens = max_tokens
        self.documents = cache
        self._kept: KeptDocument | None = None

    def __repr__(self) -> str:
        return (f"DocumentChecks(max_tokens={self.max_tokens}, rules={len(self.rules)}, "
                f"max_cost={self.max_cost})")

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        self._kept = self.documents.reuse(context)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self.rules)
        skipped = self.documents.skip_validation(context, self._kept)
        yield
        if not skipped:
            self.documents.keep(context)


def limit_extensions(limits: QueryLimits, cache: DocumentCache | None = None
                     ) -> list[Callable[[], SchemaExtension]]:
    """Factories of the limiting extensions, so each request gets fresh instances.

    Args:
        cache: where the schema keeps its valid documents and accepted costs (a new
            one when omitted: one per schema, never shared between schemas).
    """
    cache = cache if cache is not None else DocumentCache()
    rules = (depth_rule(limits.max_depth, None), aliases_rule(limits.max_aliases))
    return [partial(DocumentChecks, rules=rules, max_tokens=limits.max_tokens,
                    max_cost=limits.max_cost, cache=cache)]
