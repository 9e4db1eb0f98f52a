"""Early-warning alerts, read-only: what was raised, why (the signals with their figures),
and the graph path behind it, ready to draw. Alerts are raised by ``loanwatch alerts run``
and ``loanwatch scan`` and worked on the command line for now (the front-door issue adds
mutations)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from portfolio.alerts import Alert as AlertRecord
from schema.global_ids import RecordKind, record_global_id
from schema.pagination import Window, encode_cursor, page_info
from schema.types.assessment import PathEdge, path_edges
from schema.types.node import Node

__all__ = ["Alert", "AlertConnection", "AlertEdge", "EvidenceNode", "alert_from_record"]


@strawberry.type(description="A node of an alert's evidence path.")
class EvidenceNode:
    id: strawberry.ID = strawberry.field(description="The node's graph id.")
    label: str = strawberry.field(description="The node's label (Person, Loan, ...).")


@strawberry.type(description="An early-warning alert.")
class Alert(Node):
    id: strawberry.ID = strawberry.field(
        description="`Alert:<number>`, its global id (`alert(id:)` takes it, or the number).")
    number: int = strawberry.field(description="The alert's number, as the CLI shows it.")
    rule: str = strawberry.field(description="The id of the rule that raised it.")
    severity: str = strawberry.field(description="low, medium, high or critical.")
    subject_kind: str = strawberry.field(description="loan, party or segment.")
    subject_id: strawberry.ID = strawberry.field(
        description="The id of the loan or party it is about.")
    status: str = strawberry.field(description="open, acknowledged, assigned or resolved.")
    assignee: str | None = strawberry.field(description="Who works on it, once assigned.")
    raised_at: datetime = strawberry.field(description="When it was raised.")
    as_of: date = strawberry.field(description="The date of the figures behind it.")
    signals: JSON = strawberry.field(description="The signals that raised it, with figures.")
    evidence_nodes: list[EvidenceNode] = strawberry.field(
        description="The nodes of its evidence path.")
    evidence_path: list[PathEdge] = strawberry.field(
        description="The typed edges behind the alert (open them with `neighbourhood` or "
        "`shortestPaths`).")


@strawberry.type(description="One alert of a page, with its cursor.")
class AlertEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the alerts after it.")
    node: Alert = strawberry.field(description="The alert.")


@strawberry.type(description="A page of alerts, newest first.")
class AlertConnection:
    edges: list[AlertEdge] = strawberry.field(description="The page's alerts.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")

    @classmethod
    def from_page(cls, records: list[AlertRecord], page: Window) -> AlertConnection:
        """``records`` fetched from ``page.offset``: the page and at most one more."""
        edges = [AlertEdge(cursor=encode_cursor(page.offset + i), node=alert_from_record(r))
                 for i, r in enumerate(records[:page.size])]
        return cls(edges=edges, page_info=page_info(
            [edge.cursor for edge in edges], page, more=len(records) > page.size))


def alert_from_record(record: AlertRecord) -> Alert:
    """The GraphQL view of a stored alert."""
    return Alert(
        id=strawberry.ID(record_global_id(RecordKind.ALERT, record.id)),
        number=int(record.id or 0), rule=record.rule_id, severity=record.severity,
        subject_kind=record.subject_kind, subject_id=strawberry.ID(record.subject_id),
        status=record.status, assignee=record.assignee, raised_at=record.raised_at,
        as_of=record.as_of, signals=record.signals,
        evidence_nodes=[EvidenceNode(id=strawberry.ID(str(n["id"])), label=str(n["label"]))
                        for n in record.evidence.get("nodes", [])],
        evidence_path=path_edges(record.evidence.get("edges", [])))
