"""The contact rules of collections: borrowers' stated preferences (stored, audited), the
channel a message goes on, the first instant inside the borrower's contact hours, and the
frequency limits per borrower per channel.

* **channel**: a ``reminder`` goes on the borrower's preferred channel (else the rules'
  default); an ``sms`` or ``email`` on that channel unless the borrower refused it, then on
  the preferred one, then the default; ``None`` when every candidate was refused.
* **contact hours**: ``start`` to ``end`` local time in the borrower's time zone (else the
  rules'); a message planned for a day goes at the first instant of that day inside the
  window that is not before now, else at the next day's start.
* **frequency**: at most ``count`` messages on a channel per borrower in ``days`` days
  (the day of the step and the days before), every limit of the channel at once; a message
  over a limit waits for a later step.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from portfolio.alerts import ACTOR_LENGTH
from portfolio.collection_strategies import (
    TIMEZONE_LENGTH,
    CollectionAction,
    ContactPreference,
)
from risk.collections.errors import ContactPreferenceRefused
from risk.collections.strategy_config import CHANNELS, ActionKind, ContactRules, FrequencyLimit

__all__ = [
    "DISPATCHED",
    "FrequencyCounter",
    "Preference",
    "choose_channel",
    "contact_preferences",
    "get_contact_preference",
    "send_time",
    "set_contact_preference",
]

#: The status of a message handed to the dispatcher.
DISPATCHED: Final = "dispatched"
_IDS_PER_QUERY: Final = 500

_preference: Final[Table] = ContactPreference.__table__  # type: ignore[attr-defined]
_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Preference:
    """What a borrower said about being contacted."""

    party_id: str
    preferred_channel: str | None = None
    refused: tuple[str, ...] = ()
    timezone: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"party": self.party_id, "preferred_channel": self.preferred_channel,
                "refused": list(self.refused), "timezone": self.timezone,
                "updated_by": self.updated_by,
                "updated_at": None if self.updated_at is None else self.updated_at.isoformat()}


def _check(preferred: str | None, refused: Collection[str], timezone: str | None) -> None:
    for i, channel in enumerate([preferred, *refused]):
        if channel is not None and channel not in CHANNELS:
            raise ContactPreferenceRefused("preferred_channel" if i == 0 else "refused",
                                           f"unknown channel {channel!r}; known: "
                                           f"{', '.join(CHANNELS)}")
    if preferred is not None and preferred in refused:
        raise ContactPreferenceRefused("preferred_channel", f"{preferred} is also refused")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ContactPreferenceRefused("timezone", f"unknown time zone {timezone!r} "
                                           "(an IANA name: Asia/Shanghai)") from None
        if len(timezone) > TIMEZONE_LENGTH:
            raise ContactPreferenceRefused("timezone", "too long")


def set_contact_preference(engine: Engine, party_id: str, *, preferred_channel: str | None,
                           refused: Iterable[str] = (), timezone: str | None = None,
                           actor: str, audit: AuditSink, client_id: str = "cli",
                           now: Callable[[], datetime] | None = None) -> Preference:
    """Store what ``party_id`` said (replacing what they said before), reported to
    ``audit`` once committed.

    Raises:
        ContactPreferenceRefused: an unknown channel or time zone, the preferred channel
            also refused, or no actor.
    """
    refused_list = sorted(set(refused))
    _check(preferred_channel, refused_list, timezone)
    party = party_id.strip()
    if not party:
        raise ContactPreferenceRefused("party", "a party id is required")
    who = actor.strip()
    if not who or len(who) > ACTOR_LENGTH:
        raise ContactPreferenceRefused("actor", "a change needs the user's login")
    at = (now or (lambda: datetime.now(UTC)))()
    values = {"preferred_channel": preferred_channel, "refused": refused_list,
              "timezone": timezone, "updated_by": who, "updated_at": at}
    with engine.begin() as connection:
        found = connection.execute(select(_preference.c.party_id).where(
            _preference.c.party_id == party).with_for_update()).first()
        if found is None:
            connection.execute(insert(_preference).values(party_id=party, **values))
        else:
            connection.execute(update(_preference).where(_preference.c.party_id == party)
                               .values(**values))
    audit.record(AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id, user=who,
        operation="collections contact preference", targets=(party,), source=client_id,
        detail={"preferred_channel": preferred_channel, "refused": refused_list,
                "timezone": timezone}))
    return Preference(party, preferred_channel, tuple(refused_list), timezone, who, at)


def contact_preferences(connection: Connection, parties: Collection[str]) \
        -> dict[str, Preference]:
    """The stored preferences of ``parties`` (those who said nothing are left out)."""
    found: dict[str, Preference] = {}
    ids = sorted(parties)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        for row in connection.execute(select(_preference).where(
                _preference.c.party_id.in_(ids[start:start + _IDS_PER_QUERY]))):
            found[row.party_id] = Preference(row.party_id, row.preferred_channel,
                                             tuple(row.refused), row.timezone, row.updated_by,
                                             row.updated_at)
    return found


def get_contact_preference(engine: Engine, party_id: str) -> Preference:
    """What ``party_id`` said (an empty preference when nothing)."""
    with engine.connect() as connection:
        return contact_preferences(connection, [party_id]).get(party_id, Preference(party_id))


def choose_channel(kind: ActionKind, preference: Preference | None,
                   rules: ContactRules) -> str | None:
    """The channel of a message of ``kind`` (see the module)."""
    refused = set(preference.refused) if preference else set()
    preferred = preference.preferred_channel if preference else None
    candidates = [] if kind is ActionKind.REMINDER else [kind.value]
    candidates += [c for c in (preferred, rules.default_channel) if c is not None]
    return next((c for c in candidates if c not in refused), None)


def send_time(rules: ContactRules, timezone: str | None, day: date, now: datetime) -> datetime:
    """The first instant (UTC) inside the contact hours, on ``day`` or later, not before
    ``now``."""
    zone = rules.zone(timezone)
    start_of_day = datetime.combine(day, rules.start, zone)
    local = max(now.astimezone(zone), start_of_day)
    when = local
    if local.time() >= rules.end:
        when = datetime.combine(local.date() + timedelta(days=1), rules.start, zone)
    elif local.time() < rules.start:
        when = datetime.combine(local.date(), rules.start, zone)
    return when.astimezone(UTC)


class FrequencyCounter:
    """The messages each borrower got per channel and day, read once for a step and kept
    up to date as it dispatches."""

    def __init__(self, connection: Connection, limits: tuple[FrequencyLimit, ...],
                 day: date, parties: Collection[str]) -> None:
        self._limits = limits
        self._sent: dict[tuple[str, str], dict[date, int]] = {}
        longest = max((limit.days for limit in limits), default=1)
        since = day - timedelta(days=longest - 1)
        ids = sorted(parties)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            rows = connection.execute(
                select(_action.c.party_id, _action.c.channel, _action.c.executed_on,
                       func.count()).where(
                    _action.c.party_id.in_(ids[start:start + _IDS_PER_QUERY]),
                    _action.c.status == DISPATCHED, _action.c.executed_on >= since,
                    _action.c.executed_on <= day)
                .group_by(_action.c.party_id, _action.c.channel, _action.c.executed_on))
            for party, channel, on, count in rows:
                self._sent.setdefault((party, channel), {})[on] = int(count)

    def over(self, party: str, channel: str, day: date) -> FrequencyLimit | None:
        """The first limit another message on ``channel`` to ``party`` on ``day`` breaks."""
        sent = self._sent.get((party, channel), {})
        for limit in self._limits:
            if limit.channel != channel:
                continue
            since = day - timedelta(days=limit.days - 1)
            if sum(n for on, n in sent.items() if since <= on <= day) >= limit.count:
                return limit
        return None

    def add(self, party: str, channel: str, day: date) -> None:
        sent = self._sent.setdefault((party, channel), {})
        sent[day] = sent.get(day, 0) + 1
