"""The errors of the job machinery. A leaf of ``jobs``: it imports nothing of the package."""

from __future__ import annotations

from loanwatch.errors import LoanwatchError

__all__ = [
    "DeadLetterNotFound",
    "DeadLetterResolved",
    "JobError",
    "JobPayloadError",
    "ScheduleError",
    "UnknownUnit",
]


class JobError(LoanwatchError):
    """Base of the job machinery's errors."""


class JobPayloadError(JobError):
    """A message cannot be run as it is (a malformed payload): never retried, dead-lettered
    at once."""


class UnknownUnit(JobPayloadError):
    """A message names a unit of work the database does not hold."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no unit of work {key!r} in the database",
                         suggestion="units are created by the scheduler or enqueue_unit; "
                                    "a message sent by hand must name one")
        self.key = key


class DeadLetterNotFound(JobError):
    """No dead letter has that id."""

    def __init__(self, dead_letter_id: int) -> None:
        super().__init__(f"no dead letter with id {dead_letter_id}",
                         suggestion="list them with `loanwatch jobs list`")
        self.dead_letter_id = dead_letter_id


class DeadLetterResolved(JobError):
    """The dead letter was already retried or discarded."""


class ScheduleError(JobError):
    """A periodic schedule is malformed (an interval below one second, no name)."""
