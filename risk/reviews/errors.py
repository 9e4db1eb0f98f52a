"""The errors of the review service. A leaf: it imports only the risk error root."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from risk.errors import RiskError

__all__ = ["DecisionRefused", "PolicyError", "ReviewBeforeLoan", "ReviewError",
           "ReviewNotFound", "UnknownLoan"]


class ReviewError(RiskError):
    """Base class of the review service's errors."""


class PolicyError(ReviewError):
    """A review policy (file or values) is malformed: every problem, each naming its field."""

    def __init__(self, where: str, problems: Sequence[str]) -> None:
        listed = "\n".join(f"  {where}: {problem}" for problem in problems)
        super().__init__(f"the review policy has {len(problems)} problem(s):\n{listed}",
                         suggestion="fix the fields named and run again; nothing was reviewed")
        self.where = where
        self.problems = list(problems)


class UnknownLoan(ReviewError):
    """No loan has the id asked for."""

    def __init__(self, loan_ids: Sequence[str]) -> None:
        shown = ", ".join(loan_ids[:5]) + (" ..." if len(loan_ids) > 5 else "")
        super().__init__(f"no loan with id {shown}",
                         suggestion="check the loan id (loans are named as imported)")
        self.loan_ids = list(loan_ids)


class ReviewBeforeLoan(ReviewError):
    """The review date is before the loan was disbursed."""

    def __init__(self, loan_id: str, disbursed: date, as_of: date) -> None:
        super().__init__(f"loan {loan_id} was disbursed on {disbursed.isoformat()}, after the "
                         f"review date {as_of.isoformat()}",
                         suggestion="review it as of its disbursement date or later")
        self.loan_id = loan_id


class ReviewNotFound(ReviewError):
    """No review has the id asked for."""

    def __init__(self, review_id: int) -> None:
        super().__init__(f"no review with id {review_id}",
                         suggestion="`loanwatch reviews queue` lists the reviews waiting")
        self.review_id = review_id


class DecisionRefused(ReviewError):
    """A reviewer's decision cannot be taken (wrong person, already decided, no reason)."""
