"""Documents parsed and validated once, and the costs of the operations they ran.

Parsing and validating a GraphQL document took about a third of every request's time
in a profile of the API under load (validation alone walks the document once per
graphql-core rule). Clients send the same few documents again and again, so one schema
keeps, by query text, each document that parsed and passed validation (the schema's
limits included: tokens, depth, aliases); the next request with the same text skips both
steps and executes the very same :class:`graphql.DocumentNode`. graphql-core never changes
a document while executing it, so requests may share one.

Likewise the cost check (:mod:`schema.cost_limit`) remembers the cost of an operation it
accepted, by query text, ``operationName`` and variable values: the same request is not
walked and coerced again.

A kept document is used only under the parse options and the validation rules it passed
(the same tuple of rule classes): validation rules must depend on the document alone.
A check that depends on the request (the caller's rights, say) belongs in an extension
hook, or in a rule class made per request, which this cache then never matches.

Only documents and operations that passed are kept: a document with errors is parsed and
validated again on every request, so its errors (which the error extension annotates)
are never shared between requests. Both caches hold at most ``max_entries`` entries and
drop the least recently used; a query text longer than ``max_query_chars`` is never kept,
so a client cannot fill the memory with a few huge documents.

The extension that uses it is :class:`schema.limits.DocumentChecks`.

Example::

    cache = DocumentCache()
    kept = cache.reuse(execution_context)              # while parsing
    cache.skip_validation(execution_context, kept)     # while validating
    cache.keep(execution_context)                      # once validated
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import orjson
from graphql import ASTValidationRule, DocumentNode
from strawberry.types import ExecutionContext

__all__ = [
    "DEFAULT_MAX_CACHED_QUERY_CHARS",
    "DEFAULT_MAX_CACHED_VARIABLES_BYTES",
    "DEFAULT_MAX_DOCUMENTS",
    "DocumentCache",
    "KeptDocument",
    "LruCache",
    "OperationKey",
]

#: Documents (and accepted operations) kept per schema: far more than the documents of
#: any front end, so only a client inventing documents sees misses.
DEFAULT_MAX_DOCUMENTS: Final = 1_024
#: Longer query texts are not kept (the token limit refuses most of them anyway).
DEFAULT_MAX_CACHED_QUERY_CHARS: Final = 16 * 1024
#: Operations whose variables serialise to more bytes are not kept.
DEFAULT_MAX_CACHED_VARIABLES_BYTES: Final = 2 * 1024

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: What decides an operation's cost besides the schema: the query text, the
#: ``operationName`` the client gave, and the variables as canonical JSON.
OperationKey = tuple[str, str | None, bytes]


class LruCache(Generic[K, V]):
    """A mapping of at most ``max_entries`` entries that drops the least recently used.

    Safe to use from several threads (a schema may run synchronously in worker threads).

    Raises:
        ValueError: ``max_entries`` is below 1.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("LruCache needs max_entries >= 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"LruCache({len(self._entries)} of {self.max_entries})"

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (now the most recently used), else ``None``."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, dropping the least recently used entry when full."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True, slots=True)
class KeptDocument:
    """A document that parsed with ``parse_options`` and passed ``validation_rules``."""

    document: DocumentNode
    parse_options: Mapping[str, Any]
    validation_rules: tuple[type[ASTValidationRule], ...]


class DocumentCache:
    """The valid documents of one schema by query text, and the costs of the operations
    it accepted (see the module).

    Args:
        max_entries: documents kept, and accepted operations kept.
        max_query_chars: longer query texts are never kept.
        max_variables_bytes: operations whose variables are larger (as JSON) are never
            kept.
    """

    def __init__(self, *, max_entries: int = DEFAULT_MAX_DOCUMENTS,
                 max_query_chars: int = DEFAULT_MAX_CACHED_QUERY_CHARS,
                 max_variables_bytes: int = DEFAULT_MAX_CACHED_VARIABLES_BYTES) -> None:
        self.max_query_chars = max_query_chars
        self.max_variables_bytes = max_variables_bytes
        self.documents: LruCache[str, KeptDocument] = LruCache(max_entries)
        self.costs: LruCache[OperationKey, int] = LruCache(max_entries)

    def __repr__(self) -> str:
        return f"DocumentCache(documents={self.documents!r}, costs={self.costs!r})"

    def reuse(self, context: ExecutionContext) -> KeptDocument | None:
        """Give ``context`` the document its query text parsed to earlier, under the same
        parse options, so that Strawberry does not parse it again (call while parsing);
        the document kept, else ``None``."""
        if context.graphql_document is not None or context.query is None:
            return None
        kept = self.documents.get(context.query)
        if kept is None or kept.parse_options != context.parse_options:
            return None
        context.graphql_document = kept.document
        return kept

    def skip_validation(self, context: ExecutionContext, kept: KeptDocument | None) -> bool:
        """Whether ``kept`` passed the very rules ``context`` validates with; then mark
        ``context`` valid, so that Strawberry does not validate it again (call while
        validating, once every rule is in place)."""
        if kept is None or kept.validation_rules != context.validation_rules:
            return False
        context.pre_execution_errors = []
        return True

    def keep(self, context: ExecutionContext) -> None:
        """Keep the document of ``context`` if it passed validation (call after it)."""
        query, document = context.query, context.graphql_document
        if context.pre_execution_errors == [] and document is not None and query is not None \
                and len(query) <= self.max_query_chars:
            self.documents.put(query, KeptDocument(document, dict(context.parse_options),
                                                   tuple(context.validation_rules)))

    def operation_key(self, query: str | None, operation_name: str | None,
                      variables: Mapping[str, Any] | None) -> OperationKey | None:
        """The key of an operation's cost; ``None`` when it is not to be kept (no text, a
        text or variables too large, variables that are not JSON)."""
        if query is None or len(query) > self.max_query_chars:
            return None
        try:
            encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        if len(encoded) > self.max_variables_bytes:
            return None
        return query, operation_name, encoded
