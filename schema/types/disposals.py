"""Disposals in the API: restructurings, write-offs, recoveries and collateral disposals,
each with its terms, the new schedule it brings, what its approval did, and the trail of
who proposed and who decided (see :mod:`risk.disposals`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from portfolio import disposals as records
from portfolio.money import minor_to_decimal
from risk.disposals.views import DisposalView
from schema.global_ids import RecordKind, record_global_id
from schema.pagination import Window, encode_cursor, page_info
from schema.types.money import Money
from schema.types.node import Node

__all__ = ["Disposal", "DisposalConnection", "DisposalKind", "DisposalState",
           "DisposalTransition", "ScheduledInstallment", "disposal_of"]


def _mirror(source: type[StrEnum], description: str) -> type[StrEnum]:
    return strawberry.enum(StrEnum(source.__name__, [(m.name, m.value) for m in source]),
                           description=description)


DisposalKind = _mirror(records.DisposalKind, "What a disposal does: a restructuring (term "
                       "extension, payment holiday, reduced installments), a write-off, a "
                       "recovery after write-off, or a collateral disposal.")
DisposalState = _mirror(records.DisposalState, "Where a disposal stands: proposed (waiting "
                        "for a second person), approved (applied) or rejected.")


@strawberry.type(description="One installment of a schedule a restructuring brings or "
                 "replaces.")
class ScheduledInstallment:
    seq: int = strawberry.field(description="Its number in the loan's schedule.")
    due_on: date = strawberry.field(description="When it falls due.")
    principal: Money = strawberry.field(description="The principal it repays.")
    interest: Money = strawberry.field(description="The interest it pays (capitalised "
                                       "interest included).")
    total: Money = strawberry.field(description="Principal plus interest.")


@strawberry.type(description="One transition of a disposal: who moved it, why, when.")
class DisposalTransition:
    seq: int = strawberry.field(description="1 for the proposal, then 2.")
    event: str = strawberry.field(description="proposed, approved or rejected.")
    from_state: str | None = strawberry.field(description="The state it left (none first).")
    to_state: str = strawberry.field(description="The state it entered.")
    actor: str = strawberry.field(description="The user's login.")
    reason: str = strawberry.field(description="Why.")
    recorded_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="A disposal proposed by one person and approved or rejected by "
                 "another (maker-checker).")
class Disposal(Node):
    @strawberry.field(description="`Disposal:<number>`, its global id (`node(id:)` takes "
                      "it).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(record_global_id(RecordKind.DISPOSAL, self.number))

    number: int = strawberry.field(
        description="The disposal's number (`disposal(number:)`, the CLI's DISPOSAL).")
    loan_id: strawberry.ID = strawberry.field(description="The loan it disposes of.")
    kind: DisposalKind = strawberry.field(description="What it does.")  # type: ignore[valid-type]
    state: DisposalState = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands.")
    effective_on: date = strawberry.field(description="When it takes effect.")
    amount: Money | None = strawberry.field(
        description="Written off, recovered, or the net sale proceeds applied; null for a "
        "restructuring.")
    collateral_id: strawberry.ID | None = strawberry.field(
        description="The collateral sold (a collateral disposal).")
    terms: JSON = strawberry.field(description="The terms asked for (extendBy, holiday, "
                                   "reduced, payment, amount, proceeds, costs), amounts as "
                                   "decimal text.")
    schedule: list[ScheduledInstallment] = strawberry.field(
        description="The new schedule a restructuring brings (empty for other kinds).")
    replaces: list[ScheduledInstallment] = strawberry.field(
        description="The installments a restructuring replaces (empty for other kinds).")
    plan: JSON = strawberry.field(description="Everything computed at the proposal: the "
                                  "loan's figures on the date, the amounts, the schedule.")
    outcome: JSON | None = strawberry.field(description="What the approval did (the "
                                            "modification, the repayment, the loan's status).")
    reason: str = strawberry.field(description="Why it was proposed.")
    proposed_by: str = strawberry.field(description="The proposer's login.")
    proposed_at: datetime = strawberry.field(description="When it was proposed (UTC).")
    decided_by: str | None = strawberry.field(description="Who approved or rejected it.")
    decided_at: datetime | None = strawberry.field(description="When (UTC).")
    decision_reason: str | None = strawberry.field(description="Why.")
    history: list[DisposalTransition] = strawberry.field(
        description="Every transition, oldest first (read on `disposal(number:)` and on the "
        "mutations' results; empty in lists).")


def _installments(rows: Sequence[dict[str, Any]], currency: str) -> list[ScheduledInstallment]:
    def money(minor: int) -> Money:
        return Money(amount=minor_to_decimal(minor, currency), currency=currency)

    return [ScheduledInstallment(
        seq=int(r["seq"]), due_on=date.fromisoformat(r["due_on"]),
        principal=money(int(r["principal_minor"])), interest=money(int(r["interest_minor"])),
        total=money(int(r["principal_minor"]) + int(r["interest_minor"]))) for r in rows]


def disposal_of(view: DisposalView) -> Disposal:
    """The GraphQL view of a stored disposal."""
    return Disposal(
        number=view.id, loan_id=strawberry.ID(view.loan_id), kind=DisposalKind(view.kind),
        state=DisposalState(view.state), effective_on=view.effective_on,
        amount=None if view.amount_minor is None else Money(
            amount=minor_to_decimal(view.amount_minor, view.currency), currency=view.currency),
        collateral_id=None if view.collateral_id is None else strawberry.ID(view.collateral_id),
        terms=view.terms, schedule=_installments(view.plan.get("schedule", []), view.currency),
        replaces=_installments(view.plan.get("replaces", []), view.currency), plan=view.plan,
        outcome=view.outcome, reason=view.reason, proposed_by=view.proposed_by,
        proposed_at=view.proposed_at, decided_by=view.decided_by, decided_at=view.decided_at,
        decision_reason=view.decision_reason,
        history=[DisposalTransition(seq=h.seq, event=h.event, from_state=h.from_state,
                                    to_state=h.to_state, actor=h.actor, reason=h.reason,
                                    recorded_at=h.recorded_at) for h in view.history])


@strawberry.type(description="One disposal of a page, with the cursor that points at it.")
class DisposalEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: Disposal = strawberry.field(description="The disposal.")


@strawberry.type(description="A page of disposals, oldest first.")
class DisposalConnection:
    edges: list[DisposalEdge] = strawberry.field(description="The page's disposals.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, views: Sequence[DisposalView], page: Window) -> DisposalConnection:
        """``views`` fetched from ``page.offset``: the page and at most one more."""
        edges = [DisposalEdge(cursor=encode_cursor(page.offset + i), node=disposal_of(v))
                 for i, v in enumerate(views[:page.size])]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(views) > page.size))
