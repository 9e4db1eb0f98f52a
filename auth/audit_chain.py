"""The audit trail's MAC chain: what exactly each entry's HMAC covers.

``mac(n) = HMAC-SHA256(key, mac(n-1) || canonical(entry n))``, ``mac(0)`` being
:data:`GENESIS_MAC`. ``canonical`` is a JSON array of every stored column but the MAC, in a
fixed order, the entry's ``seq`` included; so changing a column, removing or inserting an
entry, or moving one (renumbering it) breaks the MAC of that entry, and the chain shows it
without a single trusted row. The key is not in the database (it comes from configuration):
whoever can write the table cannot compute a MAC, unlike a plain hash chain.

Timestamps are stored and chained as one text, UTC ISO 8601 with microseconds
(:func:`instant_text`), so what is read back chains to the same bytes as what was written
on every database.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import orjson

from auth.audit_events import AuditEvent

__all__ = ["GENESIS_MAC", "PreparedEvent", "chain_mac", "instant_text", "key_id",
           "prepare_event"]

#: The "previous MAC" of the first entry.
GENESIS_MAC: Final = "0" * 64
#: NUL cannot be stored in PostgreSQL text; it is kept visible instead of refused.
_NUL: Final = "\x00"
_NUL_SHOWN: Final = "\\u0000"


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (16 hex digits), stored with each entry so verify can
    say which key chained it; it reveals nothing of the key."""
    return hmac.new(key, b"loanwatch audit key id", hashlib.sha256).hexdigest()[:16]


def instant_text(at: datetime) -> str:
    """``at`` as the trail stores it: UTC, ISO 8601, to the microsecond (sorts as instants).

    Raises:
        ValueError: ``at`` has no time zone (its instant is unknown).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; give an aware datetime "
                         "(datetime.now(UTC))")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _text(value: str) -> str:
    return value.replace(_NUL, _NUL_SHOWN) if _NUL in value else value


def _json(value: object) -> str:
    # Anything that is not a plain JSON value is kept as its text: an event is never
    # refused (or lost) for a detail the caller did not convert.
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event as it will be stored, minus its place in the chain (``seq``, ``mac``)."""

    at: str
    action: str
    client_id: str
    user_login: str | None
    operation: str
    targets: str
    source: str
    request_id: str
    detail: str

    def columns(self, seq: int, key: str) -> dict[str, object]:
        """The stored columns of this event as entry ``seq`` chained under ``key`` (id)."""
        return {"seq": seq, "at": self.at, "action": self.action, "client_id": self.client_id,
                "user_login": self.user_login, "operation": self.operation,
                "targets": self.targets, "source": self.source,
                "request_id": self.request_id, "detail": self.detail, "key_id": key}


def prepare_event(event: AuditEvent) -> PreparedEvent:
    """``event`` turned into its stored text now, so a caller that later changes the
    mapping it passed as ``detail`` does not change what is recorded.

    Raises:
        ValueError: ``event.at`` has no time zone (its instant is unknown).
    """
    return PreparedEvent(
        at=instant_text(event.at), action=str(event.action), client_id=_text(event.client_id),
        user_login=None if event.user is None else _text(event.user),
        operation=_text(event.operation), targets=_json([str(t) for t in event.targets]),
        source=_text(event.source), request_id=_text(event.request_id),
        detail=_json(dict(event.detail)))


def _canonical(columns: Mapping[str, object]) -> bytes:
    return orjson.dumps([
        columns["seq"], columns["at"],
        columns["action"], columns["client_id"], columns["user_login"], columns["operation"],
        columns["targets"], columns["source"], columns["request_id"], columns["detail"],
        columns["key_id"],
    ])


def chain_mac(key: bytes, previous_mac: str, columns: Mapping[str, object]) -> str:
    """The MAC (hex) of the entry with stored ``columns`` following ``previous_mac``."""
    digest = hmac.new(key, previous_mac.encode(), hashlib.sha256)
    digest.update(b"\n")
    digest.update(_canonical(columns))
    return digest.hexdigest()
