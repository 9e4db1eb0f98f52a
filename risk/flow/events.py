"""The events that start the flow: what was recorded, on which date, about whom.

A :class:`FlowEvent` is built from a row recorded through the API
(:func:`flow_event`) and travels as the job's arguments (:meth:`FlowEvent.as_args`,
:meth:`FlowEvent.from_args`: JSON values only). Its date is the date the event speaks of
(the payment day, the bureau report's date, the day an external event happened, the last
day of a month of transfers): the flow re-scores the portfolio as it stood then.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from risk.errors import RiskError

__all__ = ["FLOW_ENTITIES", "FlowEvent", "flow_event"]

#: The recorded entities that start the flow.
FLOW_ENTITIES: Final = ("repayments", "transactions", "bureau", "events")


@dataclass(frozen=True, slots=True)
class FlowEvent:
    """One recorded event: its id in the sending system, what was recorded (``entity``, an
    import file's name), its date, and the loans, accounts and parties it names."""

    event_id: str
    entity: str
    as_of: date
    loans: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.event_id.strip():
            raise RiskError("a flow event needs its event id")
        if self.entity not in FLOW_ENTITIES:
            raise RiskError(f"{self.entity!r} does not start the flow; one of: "
                            f"{', '.join(FLOW_ENTITIES)}")
        if not (self.loans or self.accounts or self.parties):
            raise RiskError(f"event {self.event_id!r} names no loan, account or party")

    def as_args(self) -> tuple[Any, ...]:
        """The job's arguments after its unit key (JSON values)."""
        return (self.entity, self.as_of.isoformat(), list(self.loans), list(self.accounts),
                list(self.parties))

    @classmethod
    def from_args(cls, event_id: str, args: Sequence[Any]) -> FlowEvent:
        """The event of a job's arguments.

        Raises:
            RiskError: the arguments are not :meth:`as_args`'s (a malformed message).
        """
        try:
            entity, day, loans, accounts, parties = args
            ids = [tuple(str(v) for v in values) for values in (loans, accounts, parties)
                   if isinstance(values, list)]
            if len(ids) != 3 or not isinstance(entity, str) or not isinstance(day, str):
                raise TypeError("expected entity, date, loans, accounts, parties")
            return cls(event_id=event_id, entity=entity, as_of=date.fromisoformat(day),
                       loans=ids[0], accounts=ids[1], parties=ids[2])
        except (TypeError, ValueError) as exc:
            raise RiskError(f"malformed flow event {event_id!r}: {exc}; got {list(args)!r:.200}"
                            ) from exc


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def flow_event(entity: str, event_id: str, values: Mapping[str, Any]) -> FlowEvent:
    """The flow event of a row recorded as ``entity`` under ``event_id`` (``values`` as
    :func:`ingest.recording.record_row` stored them).

    Raises:
        RiskError: ``entity`` does not start the flow, or a value it needs is missing.
    """
    try:
        if entity == "repayments":
            return FlowEvent(event_id, entity, _day(values["paid_on"]),
                             loans=(str(values["loan_id"]),))
        if entity == "transactions":
            year, month = (int(part) for part in str(values["month"]).split("-"))
            last = date(year, month, calendar.monthrange(year, month)[1])
            return FlowEvent(event_id, entity, last, accounts=(
                str(values["source_account"]), str(values["target_account"])))
        if entity == "bureau":
            return FlowEvent(event_id, entity, _day(values["as_of"]),
                             parties=(str(values["party_id"]),))
        if entity == "events":
            parties = values["party_ids"]
            if isinstance(parties, str):
                parties = [p for p in parties.replace(";", ",").split(",") if p.strip()]
            return FlowEvent(event_id, entity, _day(values["occurred_on"]),
                             parties=tuple(str(p).strip() for p in parties))
    except (KeyError, ValueError) as exc:
        raise RiskError(f"recorded {entity} {event_id!r} lacks what the flow needs: {exc}"
                        ) from exc
    raise RiskError(f"{entity!r} does not start the flow; one of: {', '.join(FLOW_ENTITIES)}")
