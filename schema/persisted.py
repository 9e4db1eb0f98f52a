"""Persisted (trusted) documents: clients send a document's SHA-256 instead of its text.

Both ways clients send them are understood:

* Apollo: ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``;
* Relay and the GraphQL-over-HTTP persisted documents proposal: ``documentId`` (``"<hex>"``
  or ``"sha256:<hex>"``), which the HTTP view moves into ``extensions.documentId``.

The :class:`PersistedDocuments` extension runs before a document is parsed: it replaces the
hash with the registered text, so parsing, validation, the rights check and their caches
all work on the same text as for a client that sent it in full. With
``only_registered`` (production), a document whose hash is not registered is refused,
whether it came as a hash or as text: clients run only what the front-end teams shipped
and an operator registered (``loanwatch documents register``). No request ever registers a
document (Apollo's automatic persisted queries would let any client do it); a request that
sends a hash *and* a text is checked (the hash must be the text's) and runs like the text.

Error codes: ``PERSISTED_QUERY_NOT_FOUND`` (a hash nobody registered; Apollo clients then
resend the text, which is refused in production), ``PERSISTED_QUERY_NOT_ALLOWED`` (a text
that is not registered, in production), ``BAD_REQUEST`` (a malformed ``persistedQuery``, or
a hash that is not the text's).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from schema.error_codes import ErrorCode

__all__ = [
    "DOCUMENT_CACHE_SIZE",
    "DocumentLookup",
    "PersistedDocuments",
    "cached_lookup",
    "requested_hash",
]

#: Registered documents kept in memory per process (their text, by hash).
DOCUMENT_CACHE_SIZE: Final = 4_096
_HEX: Final = re.compile(r"[0-9a-f]{64}")

#: What runs in place of a refused document: nothing, as on_execute answers the refusal.
_REFUSED: Final = "query RefusedDocument { __typename }"

#: Returns the registered text of a SHA-256 hex digest, or ``None``.
DocumentLookup = Callable[[str], str | None]


def _error(message: str, code: ErrorCode) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value})


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The SHA-256 (lower-case hex) a request names, or ``None`` when it names none.

    Raises:
        GraphQLError: ``BAD_REQUEST``: the hash is malformed or the version unknown.
    """
    if not extensions:
        return None
    persisted = extensions.get("persistedQuery")
    document_id = extensions.get("documentId")
    if persisted is not None:
        if not isinstance(persisted, dict) or persisted.get("version", 1) != 1:
            raise _error("extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": "
                         "\"<64 hex digits>\"}", ErrorCode.BAD_REQUEST)
        value = persisted.get("sha256Hash")
        where = "extensions.persistedQuery.sha256Hash"
    elif document_id is not None:
        value = document_id
        where = "documentId"
        if isinstance(value, str) and value.startswith("sha256:"):
            value = value[len("sha256:"):]
    else:
        return None
    if not isinstance(value, str) or not _HEX.fullmatch(value.lower()):
        raise _error(f"{where} must be a SHA-256 as 64 hex digits", ErrorCode.BAD_REQUEST)
    return value.lower()


class PersistedDocuments(SchemaExtension):
    """Run registered documents named by their hash; in production, only those.

    Strawberry builds the extension anew for each request: give it a lookup that lives
    longer, such as :func:`cached_lookup`'s.

    Args:
        lookup: the registered text of a hash.
        only_registered: refuse every document that is not registered.
    """

    def __init__(self, *, lookup: DocumentLookup, only_registered: bool) -> None:
        self.only_registered = only_registered
        self._lookup = lookup

    def __repr__(self) -> str:
        return f"PersistedDocuments(only_registered={self.only_registered})"

    def registered(self, sha256: str) -> str | None:
        """The registered text of ``sha256``, or ``None``."""
        return self._lookup(sha256)

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        self._refusal: GraphQLError | None = None
        if context.graphql_document is None:
            try:
                self._resolve(context)
            except GraphQLError as refusal:
                # An error raised here would escape Strawberry's handling on the WebSocket
                # transport; instead the refused document is swapped for a no-op query that
                # never executes, and on_execute answers the refusal as the request's error.
                self._refusal = refusal
                context.query = _REFUSED
                context._provided_operation_name = None  # type: ignore[attr-defined]
        yield

    def on_execute(self) -> Iterator[None]:
        if self._refusal is not None:
            self.execution_context.result = ExecutionResult(data=None, errors=[self._refusal])
        yield

    def _resolve(self, context: Any) -> None:
        text = self.document(context.query, context.operation_extensions)
        if text is not None:
            context.query = text

    def document(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The text to run for a request that sent ``query`` and ``extensions`` (``None``
        when it named no hash: then ``query`` runs as sent).

        Every transport asks this before it runs a document: the HTTP view through this
        extension, the WebSocket handler (:mod:`api.websocket_handler`) before it starts
        an operation, so both refuse alike, with the same codes and words.

        Raises:
            GraphQLError: ``PERSISTED_QUERY_NOT_FOUND``, ``PERSISTED_QUERY_NOT_ALLOWED`` or
                ``BAD_REQUEST``, as the module says.
        """
        sha256 = requested_hash(extensions)
        if sha256 is None:
            if query and self.only_registered and self.registered(_digest(query)) is None:
                raise _error("this server runs only registered documents: send the hash of "
                             "a registered document (extensions.persistedQuery.sha256Hash or "
                             "documentId)", ErrorCode.PERSISTED_QUERY_NOT_ALLOWED)
            return None
        if query:
            if _digest(query) != sha256:
                raise _error("the sha256Hash is not the SHA-256 of the query sent with it",
                             ErrorCode.BAD_REQUEST)
            if self.only_registered and self.registered(sha256) is None:
                raise _error("this server runs only registered documents and does not "
                             "register them on request", ErrorCode.PERSISTED_QUERY_NOT_ALLOWED)
            return None
        registered = self.registered(sha256)
        if registered is None:
            raise _error(f"no document is registered under the hash {sha256}",
                         ErrorCode.PERSISTED_QUERY_NOT_FOUND)
        return registered


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_lookup(lookup: DocumentLookup) -> DocumentLookup:
    """``lookup`` with its hits remembered, as a hash always names the same text (misses are
    asked again each time: a document registered a moment ago must be found)."""
    hits: dict[str, str] = {}

    def cached(sha256: str) -> str | None:
        text = hits.get(sha256)
        if text is None:
            text = lookup(sha256)
            if text is not None:
                if len(hits) >= DOCUMENT_CACHE_SIZE:
                    hits.pop(next(iter(hits)))
                hits[sha256] = text
        return text

    return cached
