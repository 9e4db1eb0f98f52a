"""Loan reviews (定期复审 and triggered reviews) as the API shows them: what the risk core
found for one loan on one date, why it went to a person, and what the person decided."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from risk.reviews.record import Review as ReviewView
from schema import relations
from schema.context import Info
from schema.global_ids import RecordKind, record_global_id
from schema.pagination import encode_cursor
from schema.types.money import Money
from schema.types.node import Node
from schema.types.party import Party, party_from_node

if TYPE_CHECKING:
    from schema.types.loan import Loan

__all__ = ["Review", "ReviewConnection", "ReviewEdge", "review_from_view"]


@strawberry.type(description="One review of one loan as of a date: the risk core's tier, "
                 "stage, PD, ECL and exposure, the inputs it read, why it went to the human "
                 "review queue (when it did) and the reviewer's decision.")
class Review(Node):
    view: strawberry.Private[ReviewView]

    @strawberry.field(description="`Review:<number>`, its global id (`review(id:)` and "
                      "`node(id:)` take it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.REVIEW, self.view.id))

    @strawberry.field(description="The review's number, as `loanwatch reviews` shows it.")
    def number(self) -> int:
        return self.view.id

    @strawberry.field(description="The loan reviewed.")
    def loan_id(self) -> strawberry.ID:
        return strawberry.ID(self.view.loan_id)

    @strawberry.field(description="The loan reviewed, as the graph holds it.")
    async def loan(self, info: Info) -> Annotated[Loan, strawberry.lazy("schema.types.loan")]:
        from schema.types.loan import Loan
        return Loan(node=await relations.loan_or_raise(info.context, self.view.loan_id))

    @strawberry.field(description="The loan's borrower.")
    def borrower_id(self) -> strawberry.ID:
        return strawberry.ID(self.view.borrower_id)

    @strawberry.field(description="The loan's borrower, as the graph holds it (personal data "
                      "masked unless the caller may read it).")
    async def borrower(self, info: Info) -> Party:
        return party_from_node(await relations.party_or_raise(info.context,
                                                              self.view.borrower_id))

    @strawberry.field(description="The date the review looked at (figures as of that day).")
    def as_of(self) -> date:
        return self.view.as_of

    @strawberry.field(description="periodic (its date came) or triggered (an alert or event "
                      "asked).")
    def kind(self) -> str:
        return self.view.kind

    @strawberry.field(description="What triggered it (the alert or event), null for a "
                      "periodic review.")
    def trigger(self) -> JSON | None:
        return self.view.trigger

    @strawberry.field(description="closed (nothing for a person), pending (in the review "
                      "queue), confirmed or overridden.")
    def status(self) -> str:
        return self.view.status

    @strawberry.field(description="The five-tier class computed (pass, special_mention, "
                      "substandard, doubtful, loss); null for a loan repaid in full.")
    def tier(self) -> str | None:
        return self.view.tier

    @strawberry.field(description="The IFRS 9 stage computed (1, 2 or 3).")
    def stage(self) -> int | None:
        return self.view.stage

    @strawberry.field(description="The 12-month probability of default, 0..1.")
    def pd(self) -> float | None:
        return self.view.pd

    @strawberry.field(description="The exposure at the review date, exact.")
    def exposure(self) -> Money:
        return Money(amount=self.view.exposure, currency=self.view.currency)

    @strawberry.field(description="The expected credit loss, exact.")
    def ecl(self) -> Money:
        return Money(amount=self.view.ecl, currency=self.view.currency)

    @strawberry.field(description="Why it went to a person (`[{rule, text, ...}]`); empty "
                      "when it did not.")
    def route(self) -> JSON:
        return self.view.route

    @strawberry.field(description="What the risk core read: the loan, days past due, "
                      "outstanding, the parties (ids), the policy.")
    def inputs(self) -> JSON:
        return self.view.inputs

    @strawberry.field(description="What the risk core found: tier, stage, PD and its "
                      "reasons, ECL, graph exposure, signals and flags.")
    def outputs(self) -> JSON:
        return self.view.outputs

    @strawberry.field(description="The models and scan the review used.")
    def models(self) -> JSON:
        return self.view.models

    @strawberry.field(description="The loan's next review date this review set (by the "
                      "decided tier once decided); null when nothing is left to review.")
    def next_review(self) -> date | None:
        return self.view.next_review

    @strawberry.field(description="Who ran it: `system` (the scheduler, an event) or a "
                      "user's login; that person can never decide it.")
    def proposed_by(self) -> str:
        return self.view.proposed_by

    @strawberry.field(description="When it was written.")
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field(description="The tier the reviewer decided (the computed one when "
                      "confirmed).")
    def decided_tier(self) -> str | None:
        return self.view.decided_tier

    @strawberry.field(description="The reviewer's login.")
    def decided_by(self) -> str | None:
        return self.view.decided_by

    @strawberry.field(description="When it was decided.")
    def decided_at(self) -> datetime | None:
        return self.view.decided_at

    @strawberry.field(description="The reviewer's reason.")
    def decision_reason(self) -> str | None:
        return self.view.decision_reason


def review_from_view(view: ReviewView) -> Review:
    """The GraphQL view of a stored review."""
    return Review(view=view)


@strawberry.type(description="One review of a page, with its cursor.")
class ReviewEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the reviews after "
                                   "it.")
    node: Review = strawberry.field(description="The review.")


@strawberry.type(description="A page of reviews.")
class ReviewConnection:
    edges: list[ReviewEdge] = strawberry.field(description="The page's reviews.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def keyed(cls, views: list[ReviewView], size: int, *, after: bool) -> ReviewConnection:
        """A page of ``views`` (read by id: the page and at most one more), each cursor its
        review's number, so a review decided meanwhile shifts no other off the page;
        ``after``: the page follows another."""
        edges = [ReviewEdge(cursor=encode_cursor(v.id), node=review_from_view(v))
                 for v in views[:size]]
        cursors = [edge.cursor for edge in edges]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=len(views) > size, has_previous_page=after,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None))
