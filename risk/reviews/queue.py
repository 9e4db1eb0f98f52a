"""The human review queue: the reviews routed to a person, and their decisions.

A reviewer confirms the computed tier or overrides it, always with a reason. The reviewer
is a user of the front door (:class:`auth.users.User`, looked up by the caller): the role
must carry :data:`REVIEWER_RIGHT`, and the person who proposed the review (the user who ran
it; ``system`` for the scheduler and events) can never decide it (four eyes). A decision is
taken once: the row is locked, its status must still be ``pending``, and the decision, the
decided tier's next review date and the loan's schedule change in one transaction. The
decision then goes to the audit trail (``AuditAction.CHANGE``, the review and the loan as
targets, the tiers and the reason in the detail) through the :class:`AuditSink` given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from auth.audit_events import AuditAction, AuditEvent, AuditSink
from auth.principal import ROLE_RIGHTS, Right, Role
from portfolio.reviews import ReviewRecord, ReviewSchedule, ReviewStatus
from risk.classification.tiers import Tier
from risk.reviews.errors import DecisionRefused, ReviewError, ReviewNotFound
from risk.reviews.policy import DEFAULT_POLICY, ReviewPolicy
from risk.reviews.record import Review

__all__ = ["MAX_REASON_LENGTH", "REVIEWER_RIGHT", "Reviewer", "decide", "get_review",
           "review_queue"]

#: The right a reviewer's role must carry.
REVIEWER_RIGHT: Final = Right.REVIEW_LOANS
#: The longest reason kept (characters).
MAX_REASON_LENGTH: Final = 2_000


@dataclass(frozen=True, slots=True)
class Reviewer:
    """Who decides: a user's login and role (from :class:`auth.users.UserStore`)."""

    login: str
    role: Role


def get_review(engine: Engine, review_id: int) -> Review:
    """The review ``review_id``.

    Raises:
        ReviewNotFound: no such review.
    """
    with Session(engine) as session:
        row = session.get(ReviewRecord, review_id)
        if row is None:
            raise ReviewNotFound(review_id)
        return Review.of(row)


def review_queue(engine: Engine, *, limit: int = 100, after: int | None = None) -> list[Review]:
    """The reviews waiting for a person (``pending``), oldest first, at most ``limit``; with
    ``after`` those whose id comes after it.

    Raises:
        ReviewError: ``limit`` below 1.
    """
    if limit < 1:
        raise ReviewError(f"limit must be at least 1, got {limit}")
    query = select(ReviewRecord).where(col(ReviewRecord.status) == ReviewStatus.PENDING.value)
    if after is not None:
        query = query.where(col(ReviewRecord.id) > after)
    with Session(engine) as session:
        return [Review.of(row) for row in session.execute(
            query.order_by(col(ReviewRecord.id)).limit(limit)).scalars()]


def decide(engine: Engine, review_id: int, *, reviewer: Reviewer, reason: str,
           audit: AuditSink, override: Tier | None = None,
           policy: ReviewPolicy = DEFAULT_POLICY, client_id: str = "cli", source: str = "cli",
           now: Callable[[], datetime] | None = None) -> Review:
    """Confirm review ``review_id``'s tier, or ``override`` it, for ``reason``; the decided
    tier sets the loan's next review date by ``policy``.

    Raises:
        ReviewNotFound: no such review.
        DecisionRefused: no reason; the reviewer's role may not decide reviews; the reviewer
            proposed the review; the review is not waiting for a decision; an override to
            the tier computed (confirm it instead).
    """
    text = reason.strip()
    if not text:
        raise DecisionRefused("a decision needs a reason", suggestion="give --reason TEXT")
    if len(text) > MAX_REASON_LENGTH:
        raise DecisionRefused(f"the reason is {len(text)} characters; at most "
                              f"{MAX_REASON_LENGTH}")
    if REVIEWER_RIGHT not in ROLE_RIGHTS.get(reviewer.role, frozenset()):
        raise DecisionRefused(f"{reviewer.login} is a {reviewer.role.value}: deciding reviews "
                              f"needs the right {REVIEWER_RIGHT.value}",
                              suggestion="ask a manager or an investigator")
    at = (now or (lambda: datetime.now(UTC)))()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = session.get(ReviewRecord, review_id, with_for_update=True)
        if row is None:
            raise ReviewNotFound(review_id)
        if row.proposed_by == reviewer.login:
            raise DecisionRefused(f"{reviewer.login} proposed review {review_id}: another "
                                  "person must decide it", suggestion="ask a second reviewer")
        if row.status != ReviewStatus.PENDING.value:
            by = f" by {row.decided_by} on {row.decided_at:%Y-%m-%d}" if row.decided_by else ""
            raise DecisionRefused(f"review {review_id} is {row.status}{by}, not waiting for a "
                                  "decision")
        assert row.tier is not None  # a repaid loan's review is never pending
        computed = Tier.from_slug(row.tier)
        if override is not None and override == computed:
            raise DecisionRefused(f"review {review_id} already has the tier {computed.slug}",
                                  suggestion="confirm it with --confirm")
        decided = override or computed
        row.status = (ReviewStatus.CONFIRMED if override is None
                      else ReviewStatus.OVERRIDDEN).value
        row.decided_tier = decided.slug
        row.decided_by = reviewer.login
        row.decided_at = at
        row.decision_reason = text
        row.next_review = policy.next_review(row.as_of, decided, row.pd)
        held = session.get(ReviewSchedule, row.loan_id, with_for_update=True)
        if held is not None and held.last_review_id == row.id:
            held.next_review = row.next_review
            held.tier = decided.slug
            held.updated_at = at
        session.flush()
        result = Review.of(row)
    audit.record(AuditEvent(
        at=at, action=AuditAction.CHANGE, client_id=client_id, user=reviewer.login,
        operation="reviews decide", targets=(f"review:{review_id}", result.loan_id),
        source=source, detail={"decision": result.status, "computed_tier": computed.slug,
                               "decided_tier": decided.slug, "reason": text,
                               "next_review": None if result.next_review is None
                               else result.next_review.isoformat()}))
    return result
