"""Disposals as callers read them: one with its transitions, or a page of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Engine, Table, select

from portfolio.disposals import Disposal, DisposalEvent, DisposalKind, DisposalState
from portfolio.key_chunks import key_chunks
from risk.disposals.errors import DisposalError, DisposalNotFound

__all__ = ["DEFAULT_LISTED", "DisposalHistoryEntry", "DisposalView", "disposals_by_id",
           "disposals_of_loans", "get_disposal", "list_disposals"]

#: How many disposals a list shows unless told otherwise.
DEFAULT_LISTED: Final = 100
_disposal: Final[Table] = Disposal.__table__  # type: ignore[attr-defined]
_event: Final[Table] = DisposalEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DisposalHistoryEntry:
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor: str
    reason: str
    recorded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "event": self.event, "from_state": self.from_state,
                "to_state": self.to_state, "actor": self.actor, "reason": self.reason,
                "recorded_at": self.recorded_at.isoformat()}


@dataclass(frozen=True, slots=True)
class DisposalView:
    """A disposal as stored, with its transitions (oldest first) when asked for.

    ``replayed`` is true when the call that answered it had already been made under the
    same event id: nothing was written the second time."""

    id: int
    loan_id: str
    kind: str
    state: str
    effective_on: date
    currency: str
    amount_minor: int | None
    collateral_id: str | None
    terms: dict[str, Any]
    plan: dict[str, Any]
    outcome: dict[str, Any] | None
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    history: tuple[DisposalHistoryEntry, ...] = ()
    replayed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "loan": self.loan_id, "kind": self.kind, "state": self.state,
                "effective_on": self.effective_on.isoformat(), "currency": self.currency,
                "amount_minor": self.amount_minor, "collateral": self.collateral_id,
                "terms": self.terms, "plan": self.plan, "outcome": self.outcome,
                "reason": self.reason, "proposed_by": self.proposed_by,
                "proposed_at": self.proposed_at.isoformat(), "decided_by": self.decided_by,
                "decided_at": None if self.decided_at is None else self.decided_at.isoformat(),
                "decision_reason": self.decision_reason,
                "history": [h.as_json() for h in self.history]}


_COLUMNS: Final = ("id", "loan_id", "kind", "state", "effective_on", "currency",
                   "amount_minor", "collateral_id", "terms", "plan", "outcome", "reason",
                   "proposed_by", "proposed_at", "decided_by", "decided_at", "decision_reason")


def _view(row: Any, history: Sequence[DisposalHistoryEntry] = ()) -> DisposalView:
    return DisposalView(**{name: getattr(row, name) for name in _COLUMNS},
                        history=tuple(history))


def _history(row: Any) -> DisposalHistoryEntry:
    return DisposalHistoryEntry(seq=row.seq, event=row.event, from_state=row.from_state,
                                to_state=row.to_state, actor=row.actor, reason=row.reason,
                                recorded_at=row.recorded_at)


def disposals_by_id(engine: Engine, disposal_ids: Sequence[int]) -> dict[int, DisposalView]:
    """The disposals of ``disposal_ids`` that exist, each with its transitions."""
    found: dict[int, DisposalView] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(disposal_ids):
            rows = connection.execute(select(_disposal).where(_disposal.c.id.in_(chunk))).all()
            events: dict[int, list[DisposalHistoryEntry]] = {}
            for event in connection.execute(select(_event).where(
                    _event.c.disposal_id.in_(chunk)).order_by(_event.c.disposal_id,
                                                              _event.c.seq)):
                events.setdefault(event.disposal_id, []).append(_history(event))
            for row in rows:
                found[row.id] = _view(row, events.get(row.id, ()))
    return found


def get_disposal(engine: Engine, disposal_id: int) -> DisposalView:
    """Disposal ``disposal_id`` with its transitions.

    Raises:
        DisposalNotFound: no such disposal.
    """
    with engine.connect() as connection:
        row = connection.execute(select(_disposal).where(_disposal.c.id == disposal_id)).first()
        if row is None:
            raise DisposalNotFound(disposal_id)
        events = connection.execute(select(_event).where(_event.c.disposal_id == disposal_id)
                                    .order_by(_event.c.seq)).fetchall()
    return _view(row, [_history(e) for e in events])


def disposals_of_loans(engine: Engine, loan_ids: Sequence[str]
                       ) -> dict[str, list[DisposalView]]:
    """The disposals of each loan of ``loan_ids`` (without their transitions), oldest first
    (loans without any absent)."""
    found: dict[str, list[DisposalView]] = {}
    with engine.connect() as connection:
        for chunk in key_chunks(loan_ids):
            rows = connection.execute(select(_disposal).where(_disposal.c.loan_id.in_(chunk))
                                      .order_by(_disposal.c.loan_id, _disposal.c.id))
            for row in rows:
                found.setdefault(row.loan_id, []).append(_view(row))
    return found


def _known(values: Sequence[str] | None, allowed: type[DisposalKind] | type[DisposalState],
           what: str) -> list[str] | None:
    if not values:
        return None
    unknown = sorted(set(values) - {v.value for v in allowed})
    if unknown:
        raise DisposalError(f"unknown disposal {what}(s): {', '.join(unknown)}; known: "
                            f"{', '.join(v.value for v in allowed)}")
    return list(values)


def list_disposals(engine: Engine, *, states: Sequence[str] | None = None,
                   kinds: Sequence[str] | None = None, loan_id: str | None = None,
                   limit: int = DEFAULT_LISTED, after: int | None = None,
                   offset: int = 0) -> list[DisposalView]:
    """Disposals (without their transitions), oldest first; ``states``, ``kinds`` and
    ``loan_id`` narrow the list; ``after`` starts after that id, ``offset`` skips that many
    (the next page).

    Raises:
        DisposalError: an unknown state or kind, or ``limit`` below 1.
    """
    if limit < 1 or offset < 0:
        raise DisposalError(f"limit must be at least 1 and offset at least 0, got {limit} "
                            f"and {offset}")
    statement = select(_disposal)
    wanted_states = _known(states, DisposalState, "state")
    wanted_kinds = _known(kinds, DisposalKind, "kind")
    if wanted_states:
        statement = statement.where(_disposal.c.state.in_(wanted_states))
    if wanted_kinds:
        statement = statement.where(_disposal.c.kind.in_(wanted_kinds))
    if loan_id is not None:
        statement = statement.where(_disposal.c.loan_id == loan_id)
    if after is not None:
        statement = statement.where(_disposal.c.id > after)
    with engine.connect() as connection:
        return [_view(row) for row in connection.execute(
            statement.order_by(_disposal.c.id).offset(offset).limit(limit))]
