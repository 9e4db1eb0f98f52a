"""Promises to pay on SQLite and PostgreSQL: recorded once with their checks, kept from
the repayments (partial payments added up), broken the day after their date, and a broken
promise escalates its case once (a recorded, audited transition, and the strategy's
escalation steps), while actions wait during a pending promise.

The book is :mod:`tests.risk.collections.test_strategies`'s: L2 (P2) and L4 (P4) owe
installments of 11.00 CNY and have cases opened on 2024-02-15.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from auth.audit_records import AuditLogRow
from portfolio.collections import CaseEvent
from risk.collections.actions import case_actions
from risk.collections.cases import CaseEventKind, get_case, transition_case
from risk.collections.errors import CaseNotFound, CollectionsError, PromiseRefused
from risk.collections.promises import RecordedPromise, list_promises, record_promise
from tests.audit.trails import trail
from tests.risk.classification.books import pay
from tests.risk.collections.test_strategies import OPENED, Recorder, _book, _step

MADE = date(2024, 2, 20)
NOW = datetime(2024, 2, 20, 3, 0, tzinfo=UTC)


def _promise(engine: Engine, case_id: str, amount: str, by: date, *, channel: str = "call",
             actor: str = "ann") -> RecordedPromise:
    audit = trail(engine)
    try:
        return record_promise(engine, case_id, amount=Decimal(amount), promised_for=by,
                              channel=channel, actor=actor, audit=audit, made_on=MADE,
                              now=lambda: NOW)
    finally:
        audit.close()


def _escalations(engine: Engine, case_id: str) -> int:
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table).where(
            table.c.case_id == case_id, table.c.event == "escalated")).scalar_one())


def test_recording_checks_and_replays(database: Engine) -> None:
    _book(database)
    first = _promise(database, "L2@2024-02-15", "15.00", date(2024, 3, 12))
    assert not first.replayed
    again = _promise(database, "L2@2024-02-15", "15", date(2024, 3, 12))
    assert again.replayed and again.promise.id == first.promise.id
    with pytest.raises(PromiseRefused, match=r"already promises 15\.00 CNY"):
        _promise(database, "L2@2024-02-15", "16.00", date(2024, 3, 12))
    with pytest.raises(PromiseRefused, match="more decimals than CNY"):
        _promise(database, "L2@2024-02-15", "1.005", date(2024, 3, 13))
    with pytest.raises(PromiseRefused, match="amount: must be a positive amount"):
        _promise(database, "L2@2024-02-15", "0", date(2024, 3, 13))
    with pytest.raises(PromiseRefused, match="before the day the promise was made"):
        _promise(database, "L2@2024-02-15", "1", date(2024, 2, 19))
    with pytest.raises(PromiseRefused, match="more than 90 days"):
        _promise(database, "L2@2024-02-15", "1", date(2024, 6, 1))
    with pytest.raises(PromiseRefused, match="unknown channel 'pigeon'"):
        _promise(database, "L2@2024-02-15", "1", date(2024, 3, 13), channel="pigeon")
    with pytest.raises(PromiseRefused, match="recorded_by"):
        _promise(database, "L2@2024-02-15", "1", date(2024, 3, 13), actor="system")
    with pytest.raises(CaseNotFound):
        _promise(database, "L9@2024-02-15", "1", date(2024, 3, 13))
    with pytest.raises(CollectionsError, match="unknown promise status"):
        list_promises(database, statuses=["maybe"])
    # Only the first recording reached the audit trail.
    table = AuditLogRow.__table__  # type: ignore[attr-defined]
    with database.connect() as connection:
        operations = list(connection.execute(select(table.c.operation)).scalars())
    assert operations.count("collections promise recorded") == 1


def test_kept_with_partial_payments_and_broken_with_escalation(database: Engine) -> None:
    # Given L2 promises 15.00 by 03-12 and L4 promises 5.00 by 02-25
    _book(database)
    recorder = Recorder()
    _step(database, OPENED, recorder)
    _promise(database, "L2@2024-02-15", "15.00", date(2024, 3, 12))
    _promise(database, "L4@2024-02-15", "5.00", date(2024, 2, 25))

    # When the step runs on 02-25: nothing is decided; the cases' actions wait
    day = _step(database, date(2024, 2, 25), recorder)
    assert day.promises == {"kept": 0, "broken": 0}
    assert day.waiting.get("promise", 0) >= 1
    notes = {a.step: a.note for a in case_actions(database, "L4@2024-02-15")}
    assert notes["s.4"] == "waits: a promise to pay is pending until 2024-02-25"

    # When L4 paid 3.00 of its 5.00 and the step runs on 02-26, twice
    pay(database, "L4", [(date(2024, 2, 24), 300)])
    broken = _step(database, date(2024, 2, 26), recorder)
    _step(database, date(2024, 2, 26), recorder)
    assert broken.promises == {"kept": 0, "broken": 1} and broken.escalated == 1
    (promise,) = list_promises(database, case_id="L4@2024-02-15")
    assert (promise.status, promise.paid_minor, promise.resolved_on) == \
        ("broken", 300, date(2024, 2, 26))
    assert _escalations(database, "L4@2024-02-15") == 1
    entry = get_case(database, "L4@2024-02-15").history[-1]
    assert (entry.event, entry.from_state, entry.to_state, entry.actor) == \
        ("escalated", "open", "open", "system")
    assert entry.reason == "promise 2 broken: 3.00 of 5.00 CNY paid by 2024-02-25"
    escalation = [(a.step, a.kind, a.planned_on, a.status) for a in
                  case_actions(database, "L4@2024-02-15") if a.step.startswith("e")]
    assert escalation == [("e1.1", "call_task", date(2024, 2, 26), "open")]

    # When L2 pays 11.00 on 03-10 and 5.00 on 03-11: kept on 03-11, before its date
    pay(database, "L2", [(date(2024, 3, 10), 1_100), (date(2024, 3, 11), 500)])
    assert _step(database, date(2024, 3, 10), recorder).promises == {"kept": 0, "broken": 0}
    assert _step(database, date(2024, 3, 11), recorder).promises == {"kept": 1, "broken": 0}
    (kept,) = list_promises(database, case_id="L2@2024-02-15")
    assert (kept.status, kept.paid_minor) == ("kept", 1_600)
    assert _escalations(database, "L2@2024-02-15") == 0


def test_a_broken_promise_works_a_held_case_again(database: Engine) -> None:
    _book(database)
    audit = trail(database)
    _step(database, OPENED, Recorder())
    _promise(database, "L4@2024-02-15", "5.00", date(2024, 2, 25))
    transition_case(database, "L4@2024-02-15", CaseEventKind.HELD, actor="ann",
                    reason="promised to pay", audit=audit)
    _step(database, date(2024, 2, 26), Recorder())
    found = get_case(database, "L4@2024-02-15")
    assert found.state == "open"
    assert [h.event for h in found.history][-2:] == ["held", "escalated"]
    audit.close()
