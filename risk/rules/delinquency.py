"""What the delinquency rules need to know, as a protocol the evaluator takes.

Days past due, missed installments and defaults come from the repayment history; computing
them is the job of :mod:`risk.classification.delinquency`. The evaluator does not compute
them itself: it takes any object with these methods (the composition root passes the real
one), so that there is one definition of "past due" in Loanwatch.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Protocol, runtime_checkable

__all__ = ["DelinquencySource"]


@runtime_checkable
class DelinquencySource(Protocol):
    """Delinquency of the portfolio as of a date, from data dated on or before it."""

    def days_past_due(self, as_of: date) -> Mapping[str, int]:
        """Days past due of each loan past due on ``as_of`` (loans not past due may be left
        out), by loan id."""

    def missed_installments(self, as_of: date, since: date) -> Mapping[str, int]:
        """How many installments of each loan fell due in ``since..as_of`` and were not paid
        in full by their due date, by loan id (zero counts may be left out)."""

    def defaulted_parties(self, as_of: date) -> Collection[str]:
        """The ids of the parties in default on ``as_of``."""
