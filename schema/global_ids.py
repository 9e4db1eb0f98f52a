"""Global object ids: what ``Node.id`` holds and ``node(id:)`` / ``nodes(ids:)`` read.

Relay and Apollo clients cache and refetch objects by one id that is unique across the
whole schema. Loanwatch keeps the ids clients already use:

* an object that is a node of the graph (a person, company, loan, account, collateral,
  external event, phone, address or device) has the source system's id, unchanged
  (``C00004230``, ``L000000003``): the graph model makes those unique across the graph;
* any other object (a record kept in SQL, or a monthly transfer aggregate) has its type
  name, a colon and its key: ``Alert:17``, ``Repayment:R-2024-1``, ``BureauSnapshot:B7``,
  ``ImportBatch:3``, ``Review:12``, ``CollectionCase:L1@2025-03-01`` (the case's own
  natural key), ``Disposal:4``, ``PromiseToPay:9``, ``CollectionAction:31``,
  ``Installment:L1/3`` (loan and sequence number), ``Transaction:A1/A2/2025-03`` (source
  account, target account, month). A key of several
  parts joins them with ``/``, each part percent-encoded, so any id round-trips.

``node(id:)`` reads an id with one of those type prefixes as that record, and any other id
as a graph node. Clients treat ids as opaque strings either way; the only rule a source
system must follow is not to give a graph node an id that starts with one of the type
prefixes (``Alert:``...), which no Loanwatch importer produces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import quote, unquote

from schema.errors import InvalidArgument

__all__ = ["GlobalId", "RecordKind", "parse_global_id", "record_global_id"]


class RecordKind(StrEnum):
    """The objects whose global id carries a type prefix (everything not a graph node)."""

    ALERT = "Alert"
    INSTALLMENT = "Installment"
    REPAYMENT = "Repayment"
    BUREAU_SNAPSHOT = "BureauSnapshot"
    IMPORT_BATCH = "ImportBatch"
    TRANSACTION = "Transaction"
    CONTACT_NOTE = "ContactNote"
    REVIEW = "Review"
    COLLECTION_CASE = "CollectionCase"
    DISPOSAL = "Disposal"
    PROMISE = "PromiseToPay"
    COLLECTION_ACTION = "CollectionAction"


#: How many key parts each kind's id has.
_PARTS: Final[dict[RecordKind, int]] = {
    RecordKind.ALERT: 1, RecordKind.INSTALLMENT: 2, RecordKind.REPAYMENT: 1,
    RecordKind.BUREAU_SNAPSHOT: 1, RecordKind.IMPORT_BATCH: 1, RecordKind.TRANSACTION: 3,
    RecordKind.CONTACT_NOTE: 1, RecordKind.REVIEW: 1, RecordKind.COLLECTION_CASE: 1,
    RecordKind.DISPOSAL: 1, RecordKind.PROMISE: 1, RecordKind.COLLECTION_ACTION: 1,
}
_BY_PREFIX: Final = {f"{kind.value}:": kind for kind in RecordKind}
#: Kinds whose first key part is a whole number.
_NUMBERED: Final = frozenset({RecordKind.ALERT, RecordKind.IMPORT_BATCH,
                             RecordKind.CONTACT_NOTE, RecordKind.REVIEW,
                             RecordKind.DISPOSAL, RecordKind.PROMISE,
                             RecordKind.COLLECTION_ACTION})


@dataclass(frozen=True, slots=True)
class GlobalId:
    """A parsed global id: ``kind`` ``None`` for a graph node (``parts`` is its id)."""

    kind: RecordKind | None
    parts: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.parts[0]


def record_global_id(kind: RecordKind, *parts: object) -> str:
    """The global id of the ``kind`` record keyed by ``parts``."""
    if len(parts) != _PARTS[kind]:
        raise ValueError(f"a {kind.value} id has {_PARTS[kind]} parts, got {len(parts)}")
    if len(parts) == 1:
        return f"{kind.value}:{parts[0]}"
    return f"{kind.value}:" + "/".join(quote(str(part), safe="") for part in parts)


def parse_global_id(value: str) -> GlobalId:
    """What ``value`` names.

    Raises:
        InvalidArgument: ``value`` is blank, or has a type prefix but a malformed key.
    """
    text = str(value).strip()
    if not text:
        raise InvalidArgument("id must not be blank")
    colon = text.find(":")
    kind = _BY_PREFIX.get(text[:colon + 1]) if colon > 0 else None
    if kind is None:
        return GlobalId(None, (text,))
    rest = text[colon + 1:]
    expected = _PARTS[kind]
    parts = (rest,) if expected == 1 else tuple(unquote(p) for p in rest.split("/"))
    malformed = len(parts) != expected or not all(parts)
    if kind is RecordKind.INSTALLMENT and not malformed:
        malformed = not parts[1].isdigit()
    if kind in _NUMBERED and not malformed:
        malformed = not parts[0].isdigit()
    if malformed:
        raise InvalidArgument(f"id {text!r} is not a valid {kind.value} id",
                              suggestion="pass an id exactly as the API returned it")
    return GlobalId(kind, parts)
