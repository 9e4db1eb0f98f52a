"""The alerts of parties (on the party, or on a loan it borrows) on SQLite and PostgreSQL:
newest first, capped per party, filtered by status, one query for many parties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

from risk.alerts.lifecycle import AlertDraft, raise_alerts, resolve
from risk.alerts.subjects import alerts_of_parties
from risk.errors import RiskError

T0 = datetime(2025, 3, 31, 8, 0, tzinfo=UTC)


def _draft(kind: str, subject: str, rule: str = "dpd-30") -> AlertDraft:
    return AlertDraft(rule_id=rule, severity="medium", subject_kind=kind, subject_id=subject,
                      as_of=date(2025, 3, 31), cooldown_days=30)


def _raise(database: Engine) -> dict[str, int]:
    """P1 borrows L1 and L2 (with P2, a co-borrower of L2); P3 has nothing."""
    ids = {}
    for minutes, (kind, subject, rule) in enumerate([
            ("loan", "L1", "dpd-30"), ("party", "P1", "bad-news"), ("loan", "L2", "dpd-30"),
            ("party", "P2", "bad-news"), ("loan", "L9", "dpd-30"), ("segment", "P1", "conc")]):
        [outcome] = raise_alerts(database, [_draft(kind, subject, rule)], actor="bot",
                                 at=T0 + timedelta(minutes=minutes))
        ids[f"{kind}:{subject}"] = outcome.alert_id
    return ids


def test_a_partys_alerts_are_its_own_and_its_loans_newest_first(database: Engine) -> None:
    ids = _raise(database)
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database, "before_cursor_execute", note)
    try:
        found = alerts_of_parties(database, {"P1": ["L1", "L2"], "P2": ["L2"], "P3": []},
                                  limit=10)
    finally:
        event.remove(database, "before_cursor_execute", note)
    assert [a.id for a in found["P1"]] == [ids["loan:L2"], ids["party:P1"], ids["loan:L1"]]
    assert [a.id for a in found["P2"]] == [ids["party:P2"], ids["loan:L2"]]
    assert found["P3"] == []  # a segment alert named like a party is not the party's
    assert sum("FROM alert" in s for s in statements) == 1


def test_the_limit_and_the_status_filter(database: Engine) -> None:
    ids = _raise(database)
    assert [a.id for a in alerts_of_parties(database, {"P1": ["L1", "L2"]}, limit=1)["P1"]] \
        == [ids["loan:L2"]]
    resolve(database, ids["loan:L1"], actor="officer", at=T0 + timedelta(hours=1))
    resolved = alerts_of_parties(database, {"P1": ["L1", "L2"]}, status="resolved", limit=5)
    assert [a.id for a in resolved["P1"]] == [ids["loan:L1"]]
    with pytest.raises(RiskError, match="unknown alert status 'closed'"):
        alerts_of_parties(database, {"P1": []}, status="closed", limit=5)
