"""Loan reviews (定期复审 and triggered reviews): the risk core run for one loan and its
parties as of a date, recorded once, routed to a person when the policy says so.

The service knows nothing of queues or workers: a job (or the CLI) calls
:func:`~risk.reviews.review.run_reviews` with a batch of loans that
:func:`~risk.reviews.schedule.due_reviews` found due, or :func:`~risk.reviews.review.
run_review` for one loan (``kind="triggered"`` with the alert or event that asked); a
reviewer's confirmation or override goes through :func:`~risk.reviews.queue.decide`.
"""

from risk.reviews.basis import BasisCache, ReviewBasis, review_basis
from risk.reviews.errors import (
    DecisionRefused,
    PolicyError,
    ReviewBeforeLoan,
    ReviewError,
    ReviewNotFound,
    UnknownLoan,
)
from risk.reviews.policy import DEFAULT_POLICY, DEFAULT_POLICY_FILE, ReviewPolicy, load_policy
from risk.reviews.queue import Reviewer, decide, get_review, review_queue
from risk.reviews.record import Review
from risk.reviews.review import run_review, run_reviews
from risk.reviews.schedule import DEFAULT_REVIEW_BATCH, DueReview, due_reviews

__all__ = ["DEFAULT_POLICY", "DEFAULT_POLICY_FILE", "DEFAULT_REVIEW_BATCH", "BasisCache",
           "DecisionRefused", "DueReview", "PolicyError", "Review", "ReviewBasis",
           "ReviewBeforeLoan", "ReviewError", "ReviewNotFound", "ReviewPolicy", "Reviewer",
           "UnknownLoan", "decide", "due_reviews", "get_review", "load_policy", "review_basis",
           "review_queue", "run_review", "run_reviews"]
