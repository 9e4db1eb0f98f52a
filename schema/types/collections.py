"""Collections as the API shows them: collection cases with their transitions, a loan's
delinquency bucket and days past due on any date, its bucket history, and roll and cure
rates between two dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.relay import PageInfo

from portfolio.money import minor_to_decimal
from risk.collections.cases import CaseHistoryEntry, CaseTrigger, CaseView
from risk.collections.history import BucketPosition
from risk.collections.rates import RollRates as RollRatesView
from risk.collections.reading import BucketEntry
from schema import relations
from schema.context import Info
from schema.global_ids import RecordKind, record_global_id
from schema.pagination import Window, encode_cursor, page_info
from schema.post_loan.loaders import post_loan_loaders
from schema.types.alerts import EvidenceNode
from schema.types.assessment import PathEdge, path_edges
from schema.types.collection_strategies import (
    CollectionAction,
    PromiseToPay,
    action_from_view,
    promise_from_view,
)
from schema.types.money import Money
from schema.types.node import Node
from schema.types.party import Party, party_from_node

if TYPE_CHECKING:
    from schema.types.loan import Loan

__all__ = ["BucketHistoryEntry", "CaseConnection", "CaseSegment", "CaseTransition",
           "CollectionCase", "DelinquencyPosition", "RollRateRow", "RollRates",
           "bucket_entry", "case_from_view", "delinquency_position", "roll_rates_from_view"]


@strawberry.type(description="What a collections strategy is chosen by: the borrower's risk "
                 "tier, the balance band and the repayment behaviour, computed when the case "
                 "opened and on every bucket move.")
class CaseSegment:
    risk_tier: str = strawberry.field(description="The risk tier (low, medium, high).")
    balance_band: str = strawberry.field(description="The band of the outstanding balance.")
    behaviour: str = strawberry.field(description="paying, silent or repeat (a cured loan "
                                      "fallen behind again).")
    key: str = strawberry.field(description="The three joined, as `collections cases "
                                "--segment` takes it.")


@strawberry.type(description="One transition of a collection case: who moved it, why, from "
                 "what to what.")
class CaseTransition:
    seq: int = strawberry.field(description="Its number within the case: 1, 2, ...")
    event: str = strawberry.field(description="opened, moved, held, resumed, cured, "
                                  "written_off or closed.")
    from_state: str | None = strawberry.field(description="The state it left (null: opened).")
    to_state: str = strawberry.field(description="The state it entered.")
    from_bucket: str | None = strawberry.field(description="The bucket before.")
    to_bucket: str | None = strawberry.field(description="The bucket after.")
    days_past_due: int | None = strawberry.field(description="Days past due at the time.")
    effective_on: date = strawberry.field(description="The day it took effect.")
    actor: str = strawberry.field(description="`system` (the daily run) or a user's login.")
    reason: str = strawberry.field(description="Why.")
    run_number: int | None = strawberry.field(
        description="The collections run that made it (null: a person).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")


def _transition(entry: CaseHistoryEntry) -> CaseTransition:
    return CaseTransition(seq=entry.seq, event=entry.event, from_state=entry.from_state,
                          to_state=entry.to_state, from_bucket=entry.from_bucket,
                          to_bucket=entry.to_bucket, days_past_due=entry.dpd,
                          effective_on=entry.effective_on, actor=entry.actor,
                          reason=entry.reason, run_number=entry.run_id,
                          recorded_at=entry.recorded_at)


@strawberry.type(description="A loan's delinquency episode, from the day it entered a "
                 "delinquent bucket until it cured, was written off or closed; a state "
                 "machine whose every transition is kept with who and why.")
class CollectionCase(Node):
    view: strawberry.Private[CaseView]

    @strawberry.field(description="`CollectionCase:<case id>`, its global id "
                      "(`collectionCase(id:)` and `node(id:)` take it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.COLLECTION_CASE, self.view.id))

    @strawberry.field(description="The case's own id, `LOAN@OPENED_ON`, as the CLI shows it.")
    def case_id(self) -> str:
        return self.view.id

    @strawberry.field(description="The delinquent loan.")
    def loan_id(self) -> strawberry.ID:
        return strawberry.ID(self.view.loan_id)

    @strawberry.field(description="The delinquent loan, as the graph holds it.")
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

    @strawberry.field(description="open, on_hold, cured, written_off or closed.")
    def state(self) -> str:
        return self.view.state

    @strawberry.field(description="The day it opened.")
    def opened_on(self) -> date:
        return self.view.opened_on

    @strawberry.field(description="The day it ended (null while open or on hold).")
    def closed_on(self) -> date | None:
        return self.view.closed_on

    @strawberry.field(description="Its delinquency bucket (as of `asOf`).")
    def bucket(self) -> str:
        return self.view.bucket

    @strawberry.field(description="Since when it is in that bucket.")
    def bucket_since(self) -> date:
        return self.view.bucket_since

    @strawberry.field(description="Days past due as of `asOf`.")
    def days_past_due(self) -> int:
        return self.view.dpd

    @strawberry.field(description="The date of the collections run that last changed it.")
    def as_of(self) -> date:
        return self.view.as_of

    @strawberry.field(description="The loan's outstanding balance as of `asOf`, exact.")
    def outstanding(self) -> Money:
        return Money(amount=minor_to_decimal(self.view.outstanding_minor, self.view.currency),
                     currency=self.view.currency)

    @strawberry.field(description="The segment a strategy is chosen by.")
    def segment(self) -> CaseSegment:
        return CaseSegment(risk_tier=self.view.risk_tier, balance_band=self.view.balance_band,
                           behaviour=self.view.behaviour, key=self.view.segment)

    @strawberry.field(description="Its transitions, oldest first: opened, bucket moves, "
                      "holds and resumptions, and how it ended.")
    async def history(self, info: Info) -> list[CaseTransition]:
        if self.view.history:
            return [_transition(entry) for entry in self.view.history]
        entries = await post_loan_loaders(info.context).case_history.load(self.view.id)
        return [_transition(entry) for entry in entries]

    @strawberry.field(description="Its strategy's actions in plan order: messages sent or "
                      "waiting (and why), collectors' tasks, cancelled steps (`caseActions`).")
    async def actions(self, info: Info) -> list[CollectionAction]:
        found = await post_loan_loaders(info.context).case_actions.load(self.view.id)
        return [action_from_view(view) for view in found]

    @strawberry.field(description="Its promises to pay, the soonest date first, with what "
                      "became of them (pending, kept, broken).")
    async def promises(self, info: Info) -> list[PromiseToPay]:
        found = await post_loan_loaders(info.context).case_promises.load(self.view.id)
        return [promise_from_view(view) for view in found]

    @strawberry.field(description="The serious network alerts that opened or joined it "
                      "through the event flow, each with the graph path that raised it "
                      "(empty for a case the daily run opened from days past due).")
    async def triggers(self, info: Info) -> list[CaseTriggerInfo]:
        found = self.view.triggers or await post_loan_loaders(
            info.context).case_triggers.load(self.view.id)
        return [CaseTriggerInfo(trigger=trigger) for trigger in found]


@strawberry.type(description="A serious network alert that opened a case, or joined a live "
                 "one, through the event flow: the alert, the event that re-scored its "
                 "neighbourhood, and the graph path that raised it as it stood then (the "
                 "alert itself, `alert(id:)`, shows its path now).")
class CaseTriggerInfo:
    trigger: strawberry.Private[CaseTrigger]

    @strawberry.field(description="The alert's global id (`Alert:N`; `alert(id:)` and "
                      "`node(id:)` read it).")
    def alert_id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.ALERT, self.trigger.alert_id))

    @strawberry.field(description="The rule that raised the alert.")
    def rule_id(self) -> str:
        return self.trigger.rule_id

    @strawberry.field(description="The alert's severity when it opened or joined the case.")
    def severity(self) -> str:
        return self.trigger.severity

    @strawberry.field(description="The id of the event recorded through the API whose flow "
                      "raised it.")
    def event_id(self) -> str:
        return self.trigger.event_id

    @strawberry.field(description="The triggered review it opened (`Review:N`; null: none).")
    def review_id(self) -> strawberry.ID | None:
        review = self.trigger.review_id
        return None if review is None else strawberry.ID(
            record_global_id(RecordKind.REVIEW, review))

    @strawberry.field(description="The nodes of the evidence path, in order.")
    def evidence_nodes(self) -> list[EvidenceNode]:
        return [EvidenceNode(id=strawberry.ID(str(node["id"])), label=str(node["label"]))
                for node in self.trigger.path.get("nodes", [])]

    @strawberry.field(description="The edges of the evidence path (typed, source to target).")
    def evidence_path(self) -> list[PathEdge]:
        return path_edges(self.trigger.path.get("edges", []))

    @strawberry.field(description="When it was recorded on the case.")
    def recorded_at(self) -> datetime:
        return self.trigger.recorded_at


def case_from_view(view: CaseView) -> CollectionCase:
    """The GraphQL view of a stored case."""
    return CollectionCase(view=view)


@strawberry.type(description="One case of a page, with its cursor.")
class CaseEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the cases after it.")
    node: CollectionCase = strawberry.field(description="The case.")


@strawberry.type(description="A page of collection cases, the most days past due first.")
class CaseConnection:
    edges: list[CaseEdge] = strawberry.field(description="The page's cases.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, views: list[CaseView], page: Window) -> CaseConnection:
        """``views`` read from ``page.offset``: the page and at most one more."""
        edges = [CaseEdge(cursor=encode_cursor(page.offset + i), node=case_from_view(v))
                 for i, v in enumerate(views[:page.size])]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(views) > page.size))


@strawberry.type(description="Where a loan stood on a date: its delinquency bucket and days "
                 "past due, from the bucket history the daily collections runs keep.")
class DelinquencyPosition:
    as_of: date = strawberry.field(description="The date asked about.")
    bucket: str = strawberry.field(description="The bucket (current, 1-30, ..., or the pseudo "
                                   "buckets closed and written_off).")
    days_past_due: int = strawberry.field(description="Days past due on that date.")
    since: date = strawberry.field(description="Since when the history row behind it holds.")
    run_number: int = strawberry.field(description="The collections run that wrote that row.")


def delinquency_position(position: BucketPosition) -> DelinquencyPosition:
    return DelinquencyPosition(as_of=position.as_of, bucket=position.bucket,
                               days_past_due=position.dpd, since=position.since,
                               run_number=position.run_id)


@strawberry.type(description="One row of a loan's bucket history: from `effectiveOn` on, "
                 "the loan is in `toBucket` (its days past due ageing a day per day while "
                 "delinquent, until the next row).")
class BucketHistoryEntry:
    effective_on: date = strawberry.field(description="The day the row takes effect.")
    from_bucket: str | None = strawberry.field(description="The bucket before (null: the "
                                               "loan's first observation).")
    to_bucket: str = strawberry.field(description="The bucket from that day.")
    days_past_due: int = strawberry.field(description="Days past due on that day.")
    kind: str = strawberry.field(description="opening (first observation), move (another "
                                 "bucket) or restate (same bucket, days past due not what "
                                 "ageing predicts: a partial payment, a pause).")
    run_number: int = strawberry.field(description="The collections run that wrote it.")


def bucket_entry(entry: BucketEntry) -> BucketHistoryEntry:
    return BucketHistoryEntry(effective_on=entry.effective_on, from_bucket=entry.from_bucket,
                              to_bucket=entry.to_bucket, days_past_due=entry.dpd,
                              kind=entry.kind, run_number=entry.run_id)


@strawberry.type(description="One cell of a roll-rate row: the loans that went to a bucket.")
class RollRateCell:
    to_bucket: str = strawberry.field(description="The bucket on the end date.")
    loans: int = strawberry.field(description="How many loans went there.")
    rate: float | None = strawberry.field(description="That count over the row's loans "
                                          "(null for an empty row).")


@strawberry.type(description="Where the loans of one bucket on the start date were on the "
                 "end date.")
class RollRateRow:
    from_bucket: str = strawberry.field(description="The bucket on the start date.")
    loans: int = strawberry.field(description="The loans in it on the start date.")
    cells: list[RollRateCell] = strawberry.field(description="Where they went, in column "
                                                 "order.")
    cure_rate: float | None = strawberry.field(
        description="The share back in the current bucket (null for the current bucket "
        "itself, or an empty row).")


@strawberry.type(description="The roll-rate matrix and cure rates between two dates, from "
                 "the bucket history: for each loan in a live bucket on `start`, where it is "
                 "on `end`. Rates are plain ratios rounded to 4 places; counts are exact.")
class RollRates:
    start: date = strawberry.field(description="The start date.")
    end: date = strawberry.field(description="The end date.")
    buckets: list[str] = strawberry.field(description="The row order: live buckets, the "
                                          "current one first.")
    columns: list[str] = strawberry.field(description="The column order: the rows' buckets, "
                                          "then closed and written_off.")
    rows: list[RollRateRow] = strawberry.field(description="One row per bucket.")
    cure_rate: float | None = strawberry.field(
        description="The share of every loan delinquent on `start` that is current on `end`.")
    loans: int = strawberry.field(description="The loans counted (live on `start`).")
    new_loans: int = strawberry.field(description="Loans first observed after `start` (not "
                                      "in the matrix).")


def roll_rates_from_view(view: RollRatesView) -> RollRates:
    rows = [RollRateRow(
        from_bucket=bucket, loans=sum(view.counts[bucket].values()),
        cells=[RollRateCell(to_bucket=column, loans=view.counts[bucket][column],
                            rate=view.rates[bucket][column]) for column in view.columns],
        cure_rate=view.cure_rates.get(bucket)) for bucket in view.buckets]
    return RollRates(start=view.start, end=view.end, buckets=list(view.buckets),
                     columns=list(view.columns), rows=rows, cure_rate=view.cure_rate,
                     loans=view.loans, new_loans=view.new_loans)
