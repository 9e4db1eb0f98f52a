"""The risk view of one party, read through the request's loaders: the circles, group and
rings it belongs to in the latest scan, and the alerts on it and its loans.

Each reads the party's findings through ``loaders.findings`` (one query for a page of
parties), ring identifiers through ``loaders.nodes`` (one store call) and alerts through
``loaders.party_alerts`` (one store call and one query), so a page of parties with their
risk view costs a constant number of round trips.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from graph.model import RelType
from portfolio.alerts import AlertStatus
from risk.classification.tiers import Tier
from risk.scan_circles import CIRCLE_KINDS
from schema.arguments import MAX_PAGE_SIZE, check_range
from schema.context import Context
from schema.errors import InvalidArgument
from schema.loaders import EdgeKey, PartyAlertsKey
from schema.types.alerts import Alert, alert_from_record
from schema.types.circles import GuaranteeCircle, circle_from_finding
from schema.types.money import Money
from schema.types.structures import (
    CorporateGroup,
    IdentityRing,
    group_from_finding,
    ring_from_finding,
)

__all__ = ["ALERT_STATUSES", "LoanSummary", "alerts_of", "check_status", "circles_of",
           "group_of", "loan_summary", "rings_of"]

ALERT_STATUSES: Final = frozenset(status.value for status in AlertStatus)
_BORROWS: Final = frozenset({RelType.BORROWS})


@dataclass(frozen=True, slots=True)
class LoanSummary:
    """A borrower's worst figures over its loans in the latest scan (``None``: none of its
    loans is in it) and its exposure per currency."""

    tier: str | None = None
    stage: int | None = None
    dpd: int | None = None
    exposure: list[Money] = field(default_factory=list)


async def loan_summary(context: Context, party_id: str) -> LoanSummary:
    """The worst tier, stage and days past due, and the exposure, of ``party_id``'s loans
    (two batched loads: its BORROWS edges and its loans' results)."""
    loans = await context.loaders.edges.load(EdgeKey(party_id, _BORROWS, "out"))
    results = [r for r in await context.loaders.loan_results.load_many(
        [edge.target for edge in loans]) if r is not None]
    if not results:
        return LoanSummary()
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in results:
        totals[r.currency] += r.exposure
    return LoanSummary(
        tier=max(Tier.from_slug(r.tier) for r in results).slug,
        stage=max(r.stage for r in results), dpd=max(r.dpd for r in results),
        exposure=[Money(amount=totals[c], currency=c) for c in sorted(totals)])


def check_status(status: str | None) -> str | None:
    """``status`` when it is an alert status (or ``None``).

    Raises:
        InvalidArgument: it is not.
    """
    if status is not None and status not in ALERT_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(sorted(ALERT_STATUSES))};"
                              f" got {status!r}")
    return status


async def circles_of(context: Context, party_id: str) -> list[GuaranteeCircle]:
    """The circles, mutual and joint guarantees ``party_id`` belongs to."""
    found = await context.loaders.findings.load(party_id)
    return [circle_from_finding(f) for f in found if f.kind in CIRCLE_KINDS]


async def group_of(context: Context, party_id: str) -> CorporateGroup | None:
    """The corporate group ``party_id`` heads or belongs to (the first found)."""
    found = await context.loaders.findings.load(party_id)
    return next((group_from_finding(f) for f in found if f.kind == "group"), None)


async def rings_of(context: Context, party_id: str) -> list[IdentityRing]:
    """The identity rings ``party_id`` belongs to, identifiers masked unless visible."""
    rings = [f for f in await context.loaders.findings.load(party_id) if f.kind == "ring"]
    ids = list(dict.fromkeys(str(s["id"]) for f in rings
                             for s in f.evidence.get("shared", [])))
    nodes = dict(zip(ids, await context.loaders.nodes.load_many(ids), strict=True))
    return [ring_from_finding(f, nodes, personal_data_visible=context.personal_data_visible)
            for f in rings]


async def alerts_of(context: Context, party_id: str, status: str | None,
                    first: int) -> list[Alert]:
    """The alerts on ``party_id`` and its loans, newest first, at most ``first``."""
    check_range("first", first, 1, MAX_PAGE_SIZE)
    key = PartyAlertsKey(party_id, check_status(status), first)
    return [alert_from_record(r) for r in await context.loaders.party_alerts.load(key)]
