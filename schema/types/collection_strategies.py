"""GraphQL views of the collections strategies: a case's actions, promises to pay, and the
champion/challenger report. Built from the plain views of :mod:`risk.collections`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import strawberry

from portfolio.money import minor_to_decimal
from risk.collections.actions import ActionView
from risk.collections.promises import PromiseView
from risk.collections.strategy_report import StrategyOutcome as OutcomeView
from risk.collections.strategy_report import StrategyReport
from schema.global_ids import RecordKind, record_global_id
from schema.pagination import Window, encode_cursor, page_info
from schema.types.connection import PageInfo
from schema.types.money import Money
from schema.types.node import Node

__all__ = [
    "ActionCost",
    "CollectionAction",
    "NamedCount",
    "PromiseConnection",
    "PromiseToPay",
    "StrategiesReport",
    "StrategyOutcome",
    "action_from_view",
    "promise_from_view",
    "report_from_view",
]


def _money(minor: int, currency: str) -> Money:
    return Money(amount=minor_to_decimal(minor, currency), currency=currency)


@strawberry.type(description="One step of a case's collections strategy: a message or a "
                 "task for collectors, and where it stands.")
class CollectionAction(Node):
    @strawberry.field(description="`CollectionAction:<number>`, its global id (`node(id:)` "
                      "takes it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.COLLECTION_ACTION, self.number))

    number: int = strawberry.field(description="The action's number (`loanwatch collections "
                                   "tasks done NUMBER`).")
    case_id: strawberry.ID = strawberry.field(description="The case (`LOAN@OPENED_ON`).")
    step: str = strawberry.field(description="The step's key in the strategy (`s.2`; `e1.1` "
                                 "for the first escalation's steps).")
    strategy: str = strawberry.field(description="The strategy that planned it.")
    kind: str = strawberry.field(description="reminder, sms, email, call_task, letter, "
                                 "field_visit or legal_referral.")
    planned_on: date = strawberry.field(description="The day it falls due.")
    status: str = strawberry.field(description="planned, dispatched (a message), open (a "
                                   "task), done, cancelled.")
    channel: str | None = strawberry.field(description="The channel a message went on.")
    not_before: datetime | None = strawberry.field(
        description="A message's first instant inside the borrower's contact hours.")
    executed_on: date | None = strawberry.field(description="The day it was dispatched or "
                                                "became a task.")
    cost: Money | None = strawberry.field(description="What it cost (the strategies file's "
                                          "cost of its kind).")
    note: str | None = strawberry.field(description="Why it waits or was cancelled; a "
                                        "task's outcome once done.")
    done_by: str | None = strawberry.field(description="Who closed the task.")


def action_from_view(view: ActionView) -> CollectionAction:
    return CollectionAction(
        number=view.id, case_id=strawberry.ID(view.case_id), step=view.step,
        strategy=view.strategy, kind=view.kind, planned_on=view.planned_on,
        status=view.status, channel=view.channel, not_before=view.not_before,
        executed_on=view.executed_on,
        cost=None if view.cost_minor is None or view.cost_currency is None
        else _money(view.cost_minor, view.cost_currency),
        note=view.note, done_by=view.done_by)


@strawberry.type(description="A borrower's promise to pay on a collection case.")
class PromiseToPay(Node):
    @strawberry.field(description="`PromiseToPay:<number>`, its global id (`node(id:)` "
                      "takes it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.PROMISE, self.number))

    number: int = strawberry.field(description="The promise's number.")
    case_id: strawberry.ID = strawberry.field(description="The case (`LOAN@OPENED_ON`).")
    loan_id: strawberry.ID = strawberry.field(description="The case's loan.")
    borrower_id: strawberry.ID = strawberry.field(description="Who promised.")
    amount: Money = strawberry.field(description="What was promised.")
    made_on: date = strawberry.field(description="The day it was made (repayments count "
                                     "from this day).")
    promised_for: date = strawberry.field(description="The day it will be paid by.")
    channel: str = strawberry.field(description="How it was made: call, sms, email, chat, "
                                    "visit, letter, branch.")
    recorded_by: str = strawberry.field(description="Who took it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    note: str | None = strawberry.field(description="What the collector kept with it.")
    status: str = strawberry.field(description="pending, kept or broken (a broken promise "
                                   "escalates its case).")
    paid: Money | None = strawberry.field(description="What the repayments from `madeOn` to "
                                          "`promisedFor` came to, once settled.")
    resolved_on: date | None = strawberry.field(description="The day it was settled.")


def promise_from_view(view: PromiseView) -> PromiseToPay:
    return PromiseToPay(
        number=view.id, case_id=strawberry.ID(view.case_id), loan_id=strawberry.ID(view.loan_id),
        borrower_id=strawberry.ID(view.borrower_id),
        amount=_money(view.amount_minor, view.currency), made_on=view.made_on,
        promised_for=view.promised_for, channel=view.channel, recorded_by=view.recorded_by,
        recorded_at=view.recorded_at, note=view.note, status=view.status,
        paid=None if view.paid_minor is None else _money(view.paid_minor, view.currency),
        resolved_on=view.resolved_on)


@strawberry.type(description="One promise of a page, with the cursor that points at it.")
class PromiseEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: PromiseToPay = strawberry.field(description="The promise.")


@strawberry.type(description="A page of promises to pay, the soonest date first.")
class PromiseConnection:
    edges: list[PromiseEdge] = strawberry.field(description="The page's promises.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, views: list[PromiseView], page: Window) -> PromiseConnection:
        """``views`` fetched from ``page.offset``: the page and at most one more."""
        edges = [PromiseEdge(cursor=encode_cursor(page.offset + i), node=promise_from_view(v))
                 for i, v in enumerate(views[:page.size])]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(views) > page.size))


@strawberry.type(description="A count under a name.")
class NamedCount:
    name: str = strawberry.field(description="What is counted (a case state, a status).")
    count: int = strawberry.field(description="How many.")


def _counts(counts: Mapping[str, int]) -> list[NamedCount]:
    return [NamedCount(name=k, count=v) for k, v in sorted(counts.items())]


@strawberry.type(description="The actions of one kind a strategy executed, and their cost.")
class ActionCost:
    kind: str = strawberry.field(description="The kind of action.")
    count: int = strawberry.field(description="How many were executed.")
    cost: Money = strawberry.field(description="What they cost together.")


@strawberry.type(description="The outcomes of one strategy and arm (champion or challenger).")
class StrategyOutcome:
    strategy: str = strawberry.field(description="The strategy.")
    arm: str = strawberry.field(description="champion or challenger.")
    cases: int = strawberry.field(description="The cases it was given in the window.")
    states: list[NamedCount] = strawberry.field(description="Those cases by state on the "
                                                "report's date.")
    cured: int = strawberry.field(description="Those cured (back to current).")
    cure_rate: float | None = strawberry.field(description="cured / cases; null when none.")
    recovered: list[Money] = strawberry.field(description="Repayments on their loans while "
                                              "it worked them, per currency.")
    cost: list[Money] = strawberry.field(description="What its actions cost, per currency.")
    actions: list[ActionCost] = strawberry.field(description="Its executed actions by kind.")
    promises: list[NamedCount] = strawberry.field(description="Promises taken on its cases, "
                                                  "by status.")


@strawberry.type(description="Champion and challenger measured: per strategy and arm, cure "
                 "rate, amount recovered, cost per action kind and promises.")
class StrategiesReport:
    as_of: date = strawberry.field(description="The day the outcomes are read on.")
    start: date | None = strawberry.field(name="from", description="Only cases assigned on "
                                          "or after this day.")
    end: date | None = strawberry.field(name="to", description="Only cases assigned on or "
                                        "before this day.")
    strategies: list[StrategyOutcome] = strawberry.field(description="One line per strategy "
                                                         "and arm.")


def _outcome(view: OutcomeView) -> StrategyOutcome:
    return StrategyOutcome(
        strategy=view.strategy, arm=view.arm, cases=view.cases, states=_counts(view.states),
        cured=view.cured, cure_rate=view.cure_rate,
        recovered=[_money(m, c) for c, m in sorted(view.recovered.items())],
        cost=[_money(m, c) for c, m in sorted(view.cost().items())],
        actions=[ActionCost(kind=a.kind, count=a.count, cost=_money(a.cost_minor, a.currency))
                 for a in view.actions],
        promises=_counts(view.promises))


def report_from_view(view: StrategyReport) -> StrategiesReport:
    return StrategiesReport(as_of=view.as_of, start=view.start, end=view.end,
                            strategies=[_outcome(o) for o in view.outcomes])
