"""Errors of the collections services. A leaf: it imports only the risk error root."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from risk.errors import RiskError

__all__ = [
    "ActionNotFound",
    "ActionRefused",
    "CaseNotFound",
    "CaseTransitionRefused",
    "CollectionsConfigError",
    "CollectionsError",
    "ContactPreferenceRefused",
    "HistoryNotCovered",
    "PromiseRefused",
    "RunOutOfOrder",
]


class CollectionsError(RiskError):
    """Base class of the collections errors."""


class CollectionsConfigError(CollectionsError):
    """The collections settings are unusable; ``field`` names the setting (``buckets[2].
    min_days``), ``where`` the file and line when they came from a file."""

    def __init__(self, field: str, problem: str, *, where: str | None = None) -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field}: {problem}",
                         suggestion="see the README's \"Collections\" section for the format")
        self.field = field
        self.problem = problem
        self.where = where


class RunOutOfOrder(CollectionsError):
    """A run for a date before the latest run's date, which was never run: the history
    is written forwards only."""

    def __init__(self, as_of: date, latest: date) -> None:
        super().__init__(
            f"{as_of.isoformat()} was never run and is before the latest collections run "
            f"({latest.isoformat()}): runs go forwards, one day after another",
            suggestion=f"run {latest.isoformat()} or a later date; the history already "
                       "answers for earlier dates (`loanwatch collections bucket`)")
        self.as_of = as_of
        self.latest = latest


class HistoryNotCovered(CollectionsError):
    """A date outside the days the collections runs have covered."""

    def __init__(self, what: str, when: date, first: date | None, last: date | None) -> None:
        covered = "no collections run has been made yet" if first is None or last is None \
            else f"the runs cover {first.isoformat()} to {last.isoformat()}"
        super().__init__(f"{what} on {when.isoformat()} is not in the history: {covered}",
                         suggestion="run `loanwatch collections run --as-of DATE` first")
        self.when = when


class CaseNotFound(CollectionsError):
    """No collection case has the id asked for."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no collection case {case_id!r}",
                         suggestion="`loanwatch collections cases` lists them")
        self.case_id = case_id


class CaseTransitionRefused(CollectionsError):
    """A case cannot take the transition asked for from its state."""

    def __init__(self, case_id: str, state: str, event: str, allowed: Sequence[str]) -> None:
        can = ", ".join(allowed) if allowed else "nothing (the case is closed)"
        super().__init__(f"case {case_id} is {state}: {event} is not allowed "
                         f"(from {state}: {can})")
        self.case_id = case_id
        self.state = state
        self.event = event


class PromiseRefused(CollectionsError):
    """A promise to pay cannot be recorded as given; ``field`` names the bad input."""

    def __init__(self, field: str, problem: str, *, suggestion: str | None = None) -> None:
        super().__init__(f"{field}: {problem}", suggestion=suggestion)
        self.field = field
        self.problem = problem


class ActionNotFound(CollectionsError):
    """No collection action has the id asked for."""

    def __init__(self, action_id: int) -> None:
        super().__init__(f"no collection action {action_id}",
                         suggestion="`loanwatch collections tasks` lists the open tasks")
        self.action_id = action_id


class ActionRefused(CollectionsError):
    """A collection action cannot do what was asked from its status."""

    def __init__(self, action_id: int, status: str, problem: str) -> None:
        super().__init__(f"action {action_id} is {status}: {problem}")
        self.action_id = action_id
        self.status = status


class ContactPreferenceRefused(CollectionsError):
    """Contact preferences that cannot be stored; ``field`` names the bad input."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
