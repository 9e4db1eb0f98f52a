"""Choosing a strategy for each live case and planning its steps.

A case is assigned once, by the first strategy step that sees it live: the first segment
rule matching the case's segment names a champion and challengers with shares; the case's
**split** (the first 8 bytes of the SHA-256 of its id, reduced to [0, 10000)) falls in a
challenger's share or leaves it to the champion. The same case always gets the same arm,
whatever runs the step and however often. The assignment and the rows of every step of
the strategy (``collection_action``, status ``planned``, keyed by ``(case, step)``) are
written in one transaction.

Each step is due ``day`` days after its anchor: the day the case opened, or the due date of
the loan's first installment falling due on or after that day (a step counted from ``due``
on a loan with no installment left is planned cancelled). A broken promise adds the
strategy's ``on_broken_promise`` steps, counted from the day it broke
(:func:`escalation_rows`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Table, func, insert, select

from portfolio.collection_strategies import CollectionAction, StrategyAssignment
from portfolio.collections import CollectionCase
from portfolio.schedule import Installment
from risk.collections.strategy_config import (
    SPLIT_SCALE,
    Anchor,
    Step,
    Strategy,
    StrategyConfig,
)

__all__ = [
    "CANCELLED",
    "PLANNED",
    "Assignment",
    "assign_cases",
    "escalation_rows",
    "split_of",
    "step_rows",
]

PLANNED: Final = "planned"
CANCELLED: Final = "cancelled"
_IDS_PER_QUERY: Final = 500

_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_assignment: Final[Table] = StrategyAssignment.__table__  # type: ignore[attr-defined]
_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]
_installment: Final[Table] = Installment.__table__  # type: ignore[attr-defined]


def split_of(case_id: str) -> int:
    """The case's place in [0, :data:`SPLIT_SCALE`): deterministic, evenly spread."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % SPLIT_SCALE


@dataclass(frozen=True, slots=True)
class Assignment:
    case_id: str
    strategy: str
    arm: str
    split: int
    segment: str
    assigned_on: date
    escalations: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "strategy": self.strategy, "arm": self.arm,
                "split": self.split, "segment": self.segment,
                "assigned_on": self.assigned_on.isoformat(), "escalations": self.escalations}


def _first_dues(connection: Connection, cases: Sequence[Any]) -> dict[str, date]:
    """The first installment due on or after each case's opening day, by case id."""
    by_loan: dict[str, list[date]] = {}
    loans = sorted({c.loan_id for c in cases})
    for start in range(0, len(loans), _IDS_PER_QUERY):
        for loan, due in connection.execute(
                select(_installment.c.loan_id, _installment.c.due_on).where(
                    _installment.c.loan_id.in_(loans[start:start + _IDS_PER_QUERY]))):
            by_loan.setdefault(loan, []).append(due)
    firsts: dict[str, date] = {}
    for case in cases:
        later = [d for d in by_loan.get(case.loan_id, ()) if d >= case.opened_on]
        if later:
            firsts[case.id] = min(later)
    return firsts


def step_rows(case: Any, strategy: Strategy, steps: Sequence[Step], *, prefix: str,
              opened: date, due: date | None, at: datetime) -> list[dict[str, Any]]:
    """The ``collection_action`` rows of ``steps`` for ``case`` (keys ``PREFIX.N``)."""
    rows = []
    for i, step in enumerate(steps):
        anchor = opened if step.anchor is Anchor.OPENED else due
        rows.append({
            "case_id": case.id, "step": f"{prefix}.{i + 1}", "strategy": strategy.name,
            "kind": step.action.value, "party_id": case.borrower_id,
            "planned_on": (anchor or opened) + timedelta(days=step.day),
            "status": PLANNED if anchor is not None else CANCELLED,
            "note": None if anchor is not None else "no installment falls due after the "
            "case opened", "updated_at": at})
    return rows


def assign_cases(connection: Connection, as_of: date, config: StrategyConfig,
                 at: datetime) -> tuple[list[Assignment], int]:
    """Assign every live case that has no strategy yet and plan its steps (see the
    module); the assignments made and how many cases no rule matched."""
    cases = connection.execute(
        select(_case.c.id, _case.c.loan_id, _case.c.borrower_id, _case.c.opened_on,
               _case.c.segment)
        .outerjoin(_assignment, _assignment.c.case_id == _case.c.id)
        .where(_case.c.closed_on.is_(None), _assignment.c.case_id.is_(None),
               _case.c.opened_on <= as_of)
        .order_by(_case.c.id)).fetchall()
    if not cases:
        return [], 0
    dues = _first_dues(connection, cases)
    made: list[Assignment] = []
    unmatched = 0
    actions: list[dict[str, Any]] = []
    for case in cases:
        rule = config.rule_for(case.segment)
        if rule is None:
            unmatched += 1
            continue
        split = split_of(case.id)
        name, arm = rule.choose(split)
        strategy = config.strategy(name)
        made.append(Assignment(case.id, name, arm, split, case.segment, as_of))
        actions += step_rows(case, strategy, strategy.steps, prefix="s", opened=case.opened_on,
                             due=dues.get(case.id), at=at)
    if made:
        connection.execute(insert(_assignment), [
            {"case_id": a.case_id, "strategy": a.strategy, "arm": a.arm, "split": a.split,
             "segment": a.segment, "assigned_on": a.assigned_on, "escalations": 0,
             "assigned_at": at} for a in made])
    if actions:
        connection.execute(insert(_action), actions)
    return made, unmatched


def escalation_rows(connection: Connection, case: Any, config: StrategyConfig, day: date,
                    at: datetime) -> tuple[int, list[dict[str, Any]]]:
    """The escalation number and the ``on_broken_promise`` rows of ``case`` broken on
    ``day`` (none when the case has no strategy yet: it gets one on the next step)."""
    row = connection.execute(select(_assignment.c.strategy, _assignment.c.escalations)
                             .where(_assignment.c.case_id == case.id)).first()
    if row is None:
        return 0, []
    number = int(row.escalations) + 1
    strategy = config.strategy(row.strategy)
    taken = connection.execute(select(func.count()).select_from(_action).where(
        _action.c.case_id == case.id, _action.c.step.like(f"e{number}.%"))).scalar() or 0
    if taken:
        return number, []
    return number, step_rows(case, strategy, strategy.on_broken_promise,
                             prefix=f"e{number}", opened=day, due=day, at=at)
