"""``decideReview``: a reviewer confirms a review's computed tier or overrides it, with a
reason (:func:`risk.reviews.queue.decide`).

The reviewer is the caller's user (its login and role from the access token), never a
name typed in: a client without a user behind it (an integration) cannot decide, and the
person who proposed a review can never decide it (four eyes). A decision is taken once:
sent again, it answers ``AlreadyDecided`` and changes nothing. The decision goes to the
audit trail with the tiers and the reason.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Annotated, Final

import strawberry

from auth.principal import Right
from risk.classification.tiers import Tier
from risk.reviews.errors import DecisionRefused, ReviewNotFound
from risk.reviews.queue import Reviewer, decide, get_review
from risk.reviews.record import Review as ReviewView
from schema.context import Info
from schema.errors import SchemaError
from schema.mutations.audit_sinks import audit_sink
from schema.mutations.errors import InvalidInput, NotFound, UserErrorCode
from schema.mutations.post_loan_errors import AlreadyDecided, DecisionByProposer
from schema.permissions import needs
from schema.post_loan.reviews import review_number
from schema.types.reviews import Review, review_from_view

__all__ = ["ReviewMutations", "TierChoice"]

_FIELD: Final = ["input", "reviewId"]


@strawberry.enum(description="A five-tier loan class (五级分类).")
class TierChoice(Enum):
    PASS = strawberry.enum_value(Tier.PASS.slug, description="正常 Pass.")
    SPECIAL_MENTION = strawberry.enum_value(Tier.SPECIAL_MENTION.slug,
                                            description="关注 Special mention.")
    SUBSTANDARD = strawberry.enum_value(Tier.SUBSTANDARD.slug, description="次级 Substandard.")
    DOUBTFUL = strawberry.enum_value(Tier.DOUBTFUL.slug, description="可疑 Doubtful.")
    LOSS = strawberry.enum_value(Tier.LOSS.slug, description="损失 Loss.")


@strawberry.input(description="Confirm a pending review's computed tier, or override it.")
class DecideReviewInput:
    review_id: strawberry.ID = strawberry.field(
        description="The review: its global id (`Review:17`) or its number.")
    reason: str = strawberry.field(description="Why (required; kept with the decision and "
                                   "in the audit trail).")
    override: TierChoice | None = strawberry.field(
        default=None, description="The tier decided instead of the computed one; omit it to "
        "confirm the computed tier.")


@strawberry.type(description="The review decided.")
class ReviewDecided:
    review: Review = strawberry.field(description="The review as the decision left it (its "
                                      "status, decided tier and next review date).")


DecideReviewResult = Annotated[
    ReviewDecided | DecisionByProposer | AlreadyDecided | NotFound | InvalidInput,
    strawberry.union("DecideReviewResult",
                     description="The review decided, or why it was not.")]


def _refusal(exc: DecisionRefused, review: ReviewView, login: str) -> DecideReviewResult:
    """The typed error of a refused decision, told from the review as it is now."""
    if review.status != "pending":
        return AlreadyDecided(code=UserErrorCode.ALREADY_DECIDED, message=str(exc),
                              field=_FIELD, state=review.status,
                              decided_by=review.decided_by)
    if review.proposed_by == login:
        return DecisionByProposer(code=UserErrorCode.FOUR_EYES, message=str(exc),
                                  field=_FIELD, proposed_by=review.proposed_by)
    return InvalidInput(code=UserErrorCode.INVALID_VALUE, message=str(exc), field=None)


def _decide(info: Info, number: int, reason: str,
            override: TierChoice | None) -> DecideReviewResult:
    engine = info.context.records
    if engine is None:
        raise SchemaError("this server has no SQL database to record decisions in")
    principal = info.context.principal
    if principal is None or principal.user is None:
        return InvalidInput(code=UserErrorCode.INVALID_VALUE, field=None,
                            message="a review is decided by a person: this token has no user "
                                    "behind it")
    reviewer = Reviewer(login=principal.user, role=principal.role)
    try:
        decided = decide(engine, number, reviewer=reviewer, reason=reason,
                         audit=audit_sink(info.context),
                         override=None if override is None else Tier.from_slug(override.value),
                         client_id=principal.client_id, source=info.context.source or "api")
    except ReviewNotFound as exc:
        return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
    except DecisionRefused as exc:
        return _refusal(exc, get_review(engine, number), reviewer.login)
    return ReviewDecided(review=review_from_view(decided))


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="Confirm or override a review of the human review queue, "
                         "with a reason; the decided tier sets the loan's next review date. "
                         "Needs a person who did not propose the review.",
                         metadata=needs(Right.REVIEW_LOANS))
    async def decide_review(
        self, info: Info,
        input_: Annotated[DecideReviewInput, strawberry.argument(name="input")],
    ) -> DecideReviewResult:
        try:
            number = review_number(str(input_.review_id))
        except SchemaError as exc:
            return NotFound(code=UserErrorCode.NOT_FOUND, message=str(exc), field=_FIELD)
        return await asyncio.to_thread(_decide, info, number, input_.reason, input_.override)
