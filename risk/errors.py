"""Errors of the risk services. A leaf: it imports only the error root."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loanwatch.errors import LoanwatchError

__all__ = [
    "AlertNotFound",
    "ConcurrentRun",
    "ContagionInputError",
    "InvalidTransition",
    "NoDataAsOf",
    "RiskError",
    "RuleProblem",
    "RulesFileError",
    "ShockError",
]


class RiskError(LoanwatchError):
    """Base class of errors raised by the risk services."""


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with a rules file: where it is and what is wrong."""

    file: str
    line: int | None
    rule_id: str | None
    field: str | None
    problem: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        rule = "" if self.rule_id is None else f" rule {self.rule_id!r}"
        field = "" if self.field is None else f" field {self.field!r}"
        return f"{where}:{rule}{field}: {self.problem}"


class RulesFileError(RiskError):
    """A rules file cannot be used; ``problems`` lists every problem found, in file order."""

    def __init__(self, file: str, problems: Sequence[RuleProblem]) -> None:
        count = len(problems)
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(
            f"{file}: {count} problem{'s' if count != 1 else ''} in the rules file\n{lines}",
            suggestion="fix the rules named above; `loanwatch rules check FILE` checks a file "
                       "without running it")
        self.file = file
        self.problems = tuple(problems)


class AlertNotFound(RiskError):
    """No alert has the id asked for."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"no alert with id {alert_id}",
                         suggestion="`loanwatch alerts list` shows the alerts")
        self.alert_id = alert_id


class InvalidTransition(RiskError):
    """An alert cannot go where it was asked to from the status it is in."""

    def __init__(self, alert_id: int, status: str, action: str, allowed: Sequence[str]) -> None:
        can = ", ".join(allowed) if allowed else "nothing (it is closed)"
        super().__init__(f"alert {alert_id} is {status}: cannot {action} it "
                         f"(from {status} it can go to: {can})")
        self.alert_id = alert_id
        self.status = status
        self.action = action


class NoDataAsOf(RiskError):
    """The portfolio holds nothing on the as-of date asked for."""


class ConcurrentRun(RiskError):
    """Two runs raised the same alert at once; the later one stored nothing."""


class FlowConflict(ConcurrentRun):
    """Two event flows opened a case on the same loan at once; the later one stored nothing
    of that follow-up (run it again: it attaches the alert to the case the other opened)."""


class ContagionInputError(RiskError):
    """An exposure network cannot be stress-tested as given (a file, a line, a field)."""


class ShockError(RiskError):
    """A shock names an unknown node or a fraction outside [0, 1]."""
