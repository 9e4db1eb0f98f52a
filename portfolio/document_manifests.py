"""Reading the manifests front-end build tools write of their GraphQL documents.

Two formats are read, told apart by their shape:

* Apollo's ``persisted-query-manifest.json`` (``@apollo/generate-persisted-query-manifest``)::

      {"format": "apollo-persisted-query-manifest", "version": 1,
       "operations": [{"id": "<sha256>", "name": "Borrower", "type": "query", "body": "..."}]}

* Relay's ``persisted-queries.json`` (``relay-compiler`` with ``persistConfig``): one object,
  document id to text, ``{"<id>": "query Borrower { ... }"}``.

The API names a document by the SHA-256 of its text, as Apollo does by default; Relay must
be told to (``"persistConfig": {"file": ..., "algorithm": "SHA256"}``). An id that is not
the SHA-256 of its text is refused, naming the entry, since clients would send an id the
API cannot find.
"""

from __future__ import annotations

import json
from typing import Any, Final

from portfolio.errors import PortfolioError
from portfolio.persisted_documents import document_hash

__all__ = ["APOLLO_FORMAT", "ManifestError", "read_manifest"]

APOLLO_FORMAT: Final = "apollo-persisted-query-manifest"


class ManifestError(PortfolioError):
    """A manifest cannot be read; the message names the file and the entry."""


def read_manifest(text: str, source: str) -> list[tuple[str, str | None]]:
    """The ``(body, name)`` of every document of the manifest ``text`` read from ``source``.

    Raises:
        ManifestError: not JSON, neither format, or an entry whose id is not the SHA-256
            of its text.
    """
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{source}: not JSON: {exc.msg} (line {exc.lineno}, column "
                            f"{exc.colno})") from None
    if not isinstance(document, dict):
        raise ManifestError(f"{source}: a manifest is a JSON object (Apollo's or Relay's)")
    if "operations" in document or document.get("format") == APOLLO_FORMAT:
        return _apollo(document, source)
    return _relay(document, source)


def _checked(source: str, where: str, given_id: object, body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ManifestError(f"{source}: {where}: the document text is missing or empty")
    if not isinstance(given_id, str) or given_id.lower().removeprefix("sha256:") \
            != document_hash(body):
        raise ManifestError(
            f"{source}: {where}: id {given_id!r} is not the SHA-256 of its text "
            f"({document_hash(body)}); configure the build to hash documents with SHA-256 "
            "(Relay: persistConfig.algorithm \"SHA256\")")
    return body


def _apollo(document: dict[str, Any], source: str) -> list[tuple[str, str | None]]:
    if document.get("format", APOLLO_FORMAT) != APOLLO_FORMAT or document.get("version", 1) != 1:
        raise ManifestError(f"{source}: unknown manifest format {document.get('format')!r} "
                            f"version {document.get('version')!r}; expected "
                            f"{APOLLO_FORMAT!r} version 1")
    operations = document.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{source}: \"operations\" must be a list")
    found = []
    for position, operation in enumerate(operations):
        where = f"operations[{position}]"
        if not isinstance(operation, dict):
            raise ManifestError(f"{source}: {where} is not an object")
        body = _checked(source, where, operation.get("id"), operation.get("body"))
        name = operation.get("name")
        found.append((body, name if isinstance(name, str) else None))
    return found


def _relay(document: dict[str, Any], source: str) -> list[tuple[str, str | None]]:
    return [(_checked(source, f"entry {key!r}", key, body), None)
            for key, body in document.items()]
