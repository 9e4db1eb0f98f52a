"""``concentration``: one slice of the portfolio holds too large a share of it.

``scope: sector`` is evaluated now: the principal of the loans live on the as-of date
(disbursed on or before it, maturing after it) whose borrower is a company of that
``sector``, against the principal of every live loan, currency by currency (no exchange
rates). ``scope: group`` and ``scope: circle`` need the corporate groups and guarantee
circles of :mod:`risk.network`; the evaluator reports them as skipped until it is wired in.

The alert's subject is the segment ``sector:<code>``; its path is the sector's borrowers →
BORROWS → loans (the largest part of it, see :data:`risk.rules.evidence.MAX_EVIDENCE_EDGES`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from graph.model import Label, RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.schema import Concentration
from risk.rules.signals.guarantors import live_on

__all__ = ["evaluate_sector_concentration"]


def evaluate_sector_concentration(rule: Concentration,
                                  ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per (sector, currency) above ``rule.max_share`` of live principal."""
    graph = ctx.projection([RelType.BORROWS])
    as_of = ctx.as_of.isoformat()
    totals: dict[str, int] = defaultdict(int)
    by_sector: dict[tuple[str, str], int] = defaultdict(int)
    loans_of: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for borrower, loan_id in graph.edges():
        loan = graph.nodes[loan_id]
        if not live_on(loan, as_of) or "principal_minor" not in loan:
            continue
        code = str(loan.get("principal_currency") or loan.get("currency", ""))
        minor = int(loan["principal_minor"])
        totals[code] += minor
        party = graph.nodes[borrower]
        sector = party.get("sector")
        if party.get("label") == Label.COMPANY.value and sector:
            by_sector[(str(sector), code)] += minor
            loans_of[str(sector)].append((borrower, loan_id, minor))
    flagged: dict[str, list[dict[str, object]]] = defaultdict(list)
    for (sector, code), minor in sorted(by_sector.items()):
        share = Decimal(minor) / Decimal(totals[code])
        if share > Decimal(str(rule.max_share)):
            flagged[sector].append({
                "signal": rule.signal, "scope": "sector", "sector": sector, "currency": code,
                "exposure_minor": minor, "portfolio_minor": totals[code],
                "share": str(share.quantize(Decimal("0.0001"))), "max_share": rule.max_share})
    drafts = []
    for sector, signals in sorted(flagged.items()):
        evidence = Evidence()
        for borrower, loan_id, minor in sorted(loans_of[sector], key=lambda x: (-x[2], x[1])):
            evidence.node(borrower, Label.COMPANY.value).node(loan_id, Label.LOAN.value).edge(
                RelType.BORROWS.value, borrower, loan_id, principal_minor=minor)
        drafts.append(ctx.draft(rule, SubjectKind.SEGMENT, f"sector:{sector}", signals,
                                evidence))
    return drafts
