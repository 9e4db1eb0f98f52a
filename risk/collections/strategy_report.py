"""Champion and challenger measured: per strategy and arm, the cases it was given, how they
ended (cure rate), what was recovered on their loans while it worked them, what its
actions cost by kind, and how its promises to pay went.

* **cases** are those assigned in the window (``start`` to ``end`` on the assignment day;
  every assignment when left out), counted by their state on ``as_of``;
* **cure rate** is the share of those cases cured (back to current) by ``as_of``;
* **recovered** is the sum of the repayments on each case's loan from the day it was
  assigned to the day the case ended (or ``as_of``), per currency, in minor units;
* **cost** counts the actions executed by ``as_of`` (messages dispatched, tasks opened or
  done) at the cost the strategies file gave their kind when they were executed;
* **promises** counts the promises to pay taken on the cases, by status.

Plain grouped SQL over the records (no loop over cases), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import Engine, Table, and_, func, or_, select

from portfolio.collection_strategies import CollectionAction, StrategyAssignment
from portfolio.collections import CollectionCase
from portfolio.money import minor_to_decimal
from portfolio.promises import PromiseToPay
from portfolio.repayments import Repayment
from risk.collections.cases import CaseState
from risk.collections.errors import CollectionsError

__all__ = ["ActionCost", "StrategyOutcome", "StrategyReport", "strategy_report"]

_EXECUTED: Final = ("dispatched", "open", "done")

_assignment: Final[Table] = StrategyAssignment.__table__  # type: ignore[attr-defined]
_case: Final[Table] = CollectionCase.__table__  # type: ignore[attr-defined]
_action: Final[Table] = CollectionAction.__table__  # type: ignore[attr-defined]
_promise: Final[Table] = PromiseToPay.__table__  # type: ignore[attr-defined]
_repayment: Final[Table] = Repayment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ActionCost:
    kind: str
    count: int
    cost_minor: int
    currency: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count,
                "cost": str(minor_to_decimal(self.cost_minor, self.currency)),
                "currency": self.currency}


@dataclass(slots=True)
class StrategyOutcome:
    """One strategy and arm (see the module)."""

    strategy: str
    arm: str
    cases: int = 0
    states: dict[str, int] = field(default_factory=dict)
    recovered: dict[str, int] = field(default_factory=dict)
    actions: list[ActionCost] = field(default_factory=list)
    promises: dict[str, int] = field(default_factory=dict)

    @property
    def cured(self) -> int:
        return self.states.get(CaseState.CURED.value, 0)

    @property
    def cure_rate(self) -> float | None:
        return self.cured / self.cases if self.cases else None

    def cost(self) -> dict[str, int]:
        """The cost of every action, per currency (minor units)."""
        total: dict[str, int] = {}
        for action in self.actions:
            total[action.currency] = total.get(action.currency, 0) + action.cost_minor
        return total

    def as_json(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "arm": self.arm, "cases": self.cases,
                "states": self.states, "cured": self.cured, "cure_rate": self.cure_rate,
                "recovered": {c: str(minor_to_decimal(m, c))
                              for c, m in sorted(self.recovered.items())},
                "actions": [a.as_json() for a in self.actions],
                "cost": {c: str(minor_to_decimal(m, c)) for c, m in sorted(self.cost().items())},
                "promises": self.promises}


@dataclass(frozen=True, slots=True)
class StrategyReport:
    as_of: date
    start: date | None
    end: date | None
    outcomes: tuple[StrategyOutcome, ...]

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(),
                "from": None if self.start is None else self.start.isoformat(),
                "to": None if self.end is None else self.end.isoformat(),
                "strategies": [o.as_json() for o in self.outcomes]}


def strategy_report(engine: Engine, as_of: date, *, start: date | None = None,
                    end: date | None = None) -> StrategyReport:
    """The outcomes of every strategy and arm (see the module).

    Raises:
        CollectionsError: ``start`` after ``end``.
    """
    if start is not None and end is not None and start > end:
        raise CollectionsError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    window = [_assignment.c.assigned_on <= as_of]
    if start is not None:
        window.append(_assignment.c.assigned_on >= start)
    if end is not None:
        window.append(_assignment.c.assigned_on <= end)
    arm = (_assignment.c.strategy, _assignment.c.arm)
    joined = _assignment.join(_case, _case.c.id == _assignment.c.case_id)
    outcomes: dict[tuple[str, str], StrategyOutcome] = {}

    def outcome(strategy: str, arm_name: str) -> StrategyOutcome:
        return outcomes.setdefault((strategy, arm_name), StrategyOutcome(strategy, arm_name))

    ended_by = or_(_case.c.closed_on.is_(None), _case.c.closed_on > as_of)
    state = _case.c.state
    with engine.connect() as connection:
        for strategy, arm_name, case_state, open_then, count in connection.execute(
                select(*arm, state, ended_by, func.count()).select_from(joined)
                .where(*window).group_by(*arm, state, ended_by)):
            # A case that ended after as_of was still worked on as_of.
            shown = CaseState.OPEN.value if open_then and case_state not in (
                CaseState.OPEN.value, CaseState.ON_HOLD.value) else case_state
            found = outcome(strategy, arm_name)
            found.cases += int(count)
            found.states[shown] = found.states.get(shown, 0) + int(count)
        paid = joined.join(_repayment, and_(
            _repayment.c.loan_id == _case.c.loan_id,
            _repayment.c.paid_on >= _assignment.c.assigned_on, _repayment.c.paid_on <= as_of,
            or_(_case.c.closed_on.is_(None), _repayment.c.paid_on <= _case.c.closed_on)))
        for strategy, arm_name, currency, total in connection.execute(
                select(*arm, _repayment.c.currency, func.sum(_repayment.c.amount_minor))
                .select_from(paid).where(*window)
                .group_by(*arm, _repayment.c.currency)):
            outcome(strategy, arm_name).recovered[currency] = int(total)
        acted = _assignment.join(_action, _action.c.case_id == _assignment.c.case_id)
        for strategy, arm_name, kind, currency, count, cost in connection.execute(
                select(*arm, _action.c.kind, _action.c.cost_currency, func.count(),
                       func.coalesce(func.sum(_action.c.cost_minor), 0))
                .select_from(acted).where(*window, _action.c.status.in_(_EXECUTED),
                                          _action.c.executed_on <= as_of)
                .group_by(*arm, _action.c.kind, _action.c.cost_currency)
                .order_by(*arm, _action.c.kind)):
            outcome(strategy, arm_name).actions.append(
                ActionCost(kind, int(count), int(cost), currency or "XXX"))
        promised = _assignment.join(_promise, _promise.c.case_id == _assignment.c.case_id)
        for strategy, arm_name, status, count in connection.execute(
                select(*arm, _promise.c.status, func.count()).select_from(promised)
                .where(*window, _promise.c.made_on <= as_of)
                .group_by(*arm, _promise.c.status)):
            outcome(strategy, arm_name).promises[status] = int(count)
    return StrategyReport(as_of, start, end,
                          tuple(outcomes[key] for key in sorted(outcomes)))
