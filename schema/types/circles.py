"""Guarantee circles (担保圈), mutual guarantees (互保) and joint-guarantee groups (联保) as
the latest scan found them, typed, each with the guarantee edges that make it and its
evidence path ready to draw; and the Relay connection of ``Query.circles``.

A circle's evidence path is, for each guarantee edge ``guarantor -> borrower`` of the
finding (the edges ``loanwatch circles --json`` prints) and each loan of it, the two graph
edges ``guarantor -[GUARANTEES]-> loan`` and ``borrower -[BORROWS]-> loan``, in that order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.relay import PageInfo

from graph.model import RelType
from risk.scan_results import FindingResult
from schema.pagination import Window, encode_cursor, page_info
from schema.types.assessment import PathEdge
from schema.types.money import Money

__all__ = [
    "CircleConnection",
    "CircleEdge",
    "CircleGuarantee",
    "CircleKind",
    "GuaranteeCircle",
    "circle_from_finding",
    "circle_path",
    "money_list",
]


@strawberry.enum(description="What kind of guarantee circle a finding is.")
class CircleKind(Enum):
    #: Parties guaranteeing one another round a closed loop (担保圈).
    CIRCLE = "circle"
    #: Two parties each guaranteeing a loan of the other (互保).
    MUTUAL = "mutual"
    #: Three or more parties each guaranteeing every other's loans (联保).
    JOINT = "joint"


@strawberry.type(description="One guarantee edge of a circle: `guarantor` guarantees "
                 "`loans` that `borrower` borrows, for `amount`.")
class CircleGuarantee:
    guarantor: strawberry.ID = strawberry.field(description="The guarantor's id.")
    borrower: strawberry.ID = strawberry.field(
        description="The id of the borrower whose loans it guarantees.")
    loans: list[strawberry.ID] = strawberry.field(description="The loans guaranteed.")
    amount: list[Money] = strawberry.field(description="Guaranteed, per currency.")


@strawberry.type(description="A guarantee circle, mutual guarantee or joint-guarantee group "
                 "of the latest `loanwatch scan`.")
class GuaranteeCircle:
    id: strawberry.ID = strawberry.field(description="The finding's id in its scan run.")
    scan_run: int = strawberry.field(description="The scan run that found it.")
    kind: CircleKind = strawberry.field(description="circle, mutual or joint.")
    scope: str = strawberry.field(
        description="component (a whole strongly connected part), cycle (a simple cycle "
        "inside a larger one), pair (mutual) or group (joint).")
    component: int | None = strawberry.field(
        description="The strongly connected part holding it; findings of one part share it.")
    members: list[strawberry.ID] = strawberry.field(
        description="Party ids; in cycle order for a cycle (each guarantees the next).")
    member_count: int = strawberry.field(description="How many parties it holds.")
    loans: list[strawberry.ID] = strawberry.field(
        description="The loans guaranteed among the members.")
    exposure: list[Money] = strawberry.field(
        description="Principal of `loans`, per currency, exact.")
    guaranteed: list[Money] = strawberry.field(
        description="Guaranteed amount of the edges, per currency.")
    guarantees: list[CircleGuarantee] = strawberry.field(
        description="The guarantee edges that make it (as `loanwatch circles --json`).")
    evidence_path: list[PathEdge] = strawberry.field(
        description="The graph edges behind it, ready to draw: GUARANTEES guarantor→loan "
        "and BORROWS borrower→loan for each guarantee edge and loan.")


@strawberry.type(description="One circle of a page, with its cursor.")
class CircleEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read what follows.")
    node: GuaranteeCircle = strawberry.field(description="The circle.")


@strawberry.type(description="A page of guarantee circles, largest exposure first.")
class CircleConnection:
    edges: list[CircleEdge] = strawberry.field(description="The page's circles.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")
    total_count: int = strawberry.field(description="Circles matching the filters.")
    scan_run: int | None = strawberry.field(
        description="The scan run they come from; null before any scan.")

    @classmethod
    def from_page(cls, findings: Sequence[FindingResult], page: Window, *, total: int,
                  run_id: int | None) -> CircleConnection:
        """``findings``: the page's circles in rank order, starting at ``page.offset``."""
        edges = [CircleEdge(cursor=encode_cursor(page.offset + i),
                            node=circle_from_finding(f)) for i, f in enumerate(findings)]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=total > page.offset + page.size),
            total_count=total, scan_run=run_id)


def money_list(amounts: Mapping[str, Any] | None) -> list[Money]:
    """``{"CNY": "12.50"}`` as money, by currency code."""
    return [Money(amount=Decimal(str(amount)), currency=code)
            for code, amount in sorted((amounts or {}).items())]


def circle_path(edges: Sequence[Mapping[str, Any]]) -> list[PathEdge]:
    """The drawable graph edges of a circle's stored guarantee edges (module docstring)."""
    path: list[PathEdge] = []
    for edge in edges:
        guarantor, borrower = str(edge["guarantor"]), str(edge["borrower"])
        for loan in edge.get("loans", []):
            path.append(PathEdge(type=RelType.GUARANTEES.value, source=strawberry.ID(guarantor),
                                 target=strawberry.ID(str(loan)), key=""))
            path.append(PathEdge(type=RelType.BORROWS.value, source=strawberry.ID(borrower),
                                 target=strawberry.ID(str(loan)), key=""))
    return path


def circle_from_finding(finding: FindingResult) -> GuaranteeCircle:
    """The GraphQL view of a stored circle, mutual or joint finding."""
    evidence = finding.evidence
    edges = evidence.get("edges", [])
    component = evidence.get("component")
    return GuaranteeCircle(
        id=strawberry.ID(str(finding.id)), scan_run=finding.run_id,
        kind=CircleKind(finding.kind), scope=str(evidence.get("scope", "")),
        component=component if isinstance(component, int) else None,
        members=[strawberry.ID(m) for m in finding.members],
        member_count=len(finding.members),
        loans=[strawberry.ID(str(loan)) for loan in evidence.get("loans", [])],
        exposure=money_list(evidence.get("exposure")),
        guaranteed=money_list(evidence.get("guaranteed")),
        guarantees=[CircleGuarantee(
            guarantor=strawberry.ID(str(e["guarantor"])),
            borrower=strawberry.ID(str(e["borrower"])),
            loans=[strawberry.ID(str(loan)) for loan in e.get("loans", [])],
            amount=money_list(e.get("amount"))) for e in edges],
        evidence_path=circle_path(edges))
