"""The alerts about parties: raised on the party itself or on one of its loans.

A party's risk view lists the alerts whose subject is the party (``party`` alerts: a
guarantor over its capacity, a related party's default) or one of the loans it borrows
(``loan`` alerts: days past due, missed installments), newest first. Which loans a party
borrows is the graph's to say; the caller passes them, so this reads only the records:
one query per chunk of subject ids, however many parties are asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, select

from portfolio.alerts import Alert, AlertStatus, SubjectKind
from risk.errors import RiskError

__all__ = ["alerts_of_parties"]

#: Subject ids (parties and loans together) per query.
_SUBJECTS_PER_QUERY: Final = 2_000


def alerts_of_parties(engine: Engine, loans_of: Mapping[str, Sequence[str]], *,
                      status: str | None = None, limit: int) -> dict[str, list[Alert]]:
    """For each party of ``loans_of`` (party id → the ids of the loans it borrows), its
    alerts and its loans' alerts, newest first (``raised_at``, then id), at most ``limit``;
    only those of ``status`` when given. Every party asked for is in the result.

    Raises:
        RiskError: ``status`` is not an alert status.
    """
    if status is not None and status not in {s.value for s in AlertStatus}:
        raise RiskError(f"unknown alert status {status!r}; one of: "
                        f"{', '.join(s.value for s in AlertStatus)}")
    owners: dict[tuple[str, str], list[str]] = {}
    for party, loans in loans_of.items():
        owners.setdefault((SubjectKind.PARTY.value, party), []).append(party)
        for loan in dict.fromkeys(loans):
            owners.setdefault((SubjectKind.LOAN.value, loan), []).append(party)
    subjects = list(owners)
    found: dict[int, Alert] = {}
    with Session(engine, expire_on_commit=False) as session:
        for start in range(0, len(subjects), _SUBJECTS_PER_QUERY):
            chunk = subjects[start:start + _SUBJECTS_PER_QUERY]
            by_kind: dict[str, list[str]] = {}
            for kind, subject_id in chunk:
                by_kind.setdefault(kind, []).append(subject_id)
            query = select(Alert).where(or_(*(
                and_(col(Alert.subject_kind) == kind, col(Alert.subject_id).in_(ids))
                for kind, ids in by_kind.items())))
            if status is not None:
                query = query.where(col(Alert.status) == status)
            for alert in session.exec(query).all():
                found[int(alert.id or 0)] = alert
    newest = sorted(found.values(), key=lambda a: (a.raised_at, a.id or 0), reverse=True)
    result: dict[str, list[Alert]] = {party: [] for party in loans_of}
    for alert in newest:
        for party in dict.fromkeys(owners.get((alert.subject_kind, alert.subject_id), [])):
            if len(result[party]) < limit:
                result[party].append(alert)
    return result
