"""``concentration``: one slice of the portfolio holds too large a share of it.

Every scope compares the principal of the loans *live* on the as-of date (disbursed on or
before it, maturing after it) with the live principal of the whole portfolio, currency by
currency (no exchange rates), and alerts above ``max_share``:

* ``scope: sector``: the loans whose borrower is a company of that ``sector`` (a loan
  counts once per ``BORROWS`` edge, in the slice and in the portfolio). Subject
  ``sector:<code>``; path the sector's borrowers → BORROWS → loans.
* ``scope: group``: a corporate group of :mod:`risk.network.groups` (the companies under
  one ultimate controller): the loans of its members and of their guarantors from outside
  the group (if the group fails, the guarantees it leans on are called at once), each loan
  once, against every live loan once. Subject ``group:<controller id>``; path the control
  edges (OWNS, with the percentage), the members' and guarantors' loans (BORROWS) and the
  outside guarantees (GUARANTEES).
* ``scope: circle``: a guarantee circle, mutual guarantee or joint-guarantee group of
  :mod:`risk.network.circles`: the loans of the guarantees among its members, each once.
  Subject ``circle:<smallest member>:<digest of the members>`` (the same members give the
  same subject on every run); path the guarantees (GUARANTEES) and the loans' borrowers
  (BORROWS).

The groups and circles are those of :class:`risk.rules.inputs.RuleInputs` (found by the
scan's earlier phases, or by :mod:`risk.network` on a standalone run). Sums are exact
integers (int64 minor units); shares are compared in ``Decimal``. An evidence path longer
than :data:`risk.rules.evidence.MAX_EVIDENCE_EDGES` is cut there (the figures stay whole).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np

from graph.model import Label, RelType
from portfolio.alerts import SubjectKind
from risk.alerts.lifecycle import AlertDraft
from risk.network.circles import Circle
from risk.network.groups import CorporateGroup
from risk.projection import PortfolioProjection
from risk.rules.context import EvaluationContext
from risk.rules.evidence import Evidence
from risk.rules.inputs import text_array, texts
from risk.rules.schema import Concentration

__all__ = ["circle_subject", "evaluate_concentration"]

_DIGEST_CHARS = 12


def circle_subject(members: Iterable[str]) -> str:
    """The alert subject of a circle: its smallest member and a digest of all of them."""
    names = sorted(members)
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:_DIGEST_CHARS]
    return f"circle:{names[0]}:{digest}"


def evaluate_concentration(rule: Concentration, ctx: EvaluationContext) -> list[AlertDraft]:
    """The alerts of a concentration rule of any scope."""
    if rule.scope == "sector":
        return _sector(rule, ctx)
    projection = ctx.inputs.projection
    live = projection.live_on(ctx.as_of) & (projection.loan_currency >= 0)
    portfolio = _by_currency(projection, np.flatnonzero(live))
    if rule.scope == "group":
        return _groups(rule, ctx, projection, live, portfolio)
    return _circles(rule, ctx, projection, live, portfolio)


def _by_currency(projection: PortfolioProjection, loans: np.ndarray,
                 weights: np.ndarray | None = None) -> dict[str, int]:
    """Principal of ``loans`` (indices, each ``weights`` times, default once) per code."""
    principal = projection.loan_principal_minor[loans]
    if weights is not None:
        principal = principal * weights
    totals = np.zeros(len(projection.currencies), dtype=np.int64)
    np.add.at(totals, projection.loan_currency[loans].astype(np.int64), principal)
    return {projection.currencies[c]: int(totals[c]) for c in np.flatnonzero(totals).tolist()}


def _signals(rule: Concentration, exposure: dict[str, int], portfolio: dict[str, int],
             **about: Any) -> list[dict[str, Any]]:
    limit = Decimal(str(rule.max_share))
    found = []
    for code, minor in sorted(exposure.items()):
        share = Decimal(minor) / Decimal(portfolio[code])
        if share > limit:
            found.append({"signal": rule.signal, "scope": rule.scope, **about, "currency": code,
                          "exposure_minor": minor, "portfolio_minor": portfolio[code],
                          "share": str(share.quantize(Decimal("0.0001"))),
                          "max_share": rule.max_share})
    return found


def _sector(rule: Concentration, ctx: EvaluationContext) -> list[AlertDraft]:
    """One alert per sector above ``rule.max_share`` of live principal in a currency."""
    projection = ctx.inputs.projection
    edges = projection.borrows.tocoo()
    live = projection.live_on(ctx.as_of) & (projection.loan_currency >= 0)
    keep = live[edges.col]
    party, loan, count = edges.row[keep], edges.col[keep], edges.data[keep].astype(np.int64)
    totals = _by_currency(projection, loan, count)
    companies = ctx.inputs.companies()
    # The sector of each party of the projection ("" for persons and companies without).
    is_company = ctx.inputs.party_is_company()
    company_rows = np.flatnonzero(is_company)
    sector_of_party = np.full(projection.n_parties, "", dtype=object)
    if len(company_rows):
        at = np.searchsorted(companies.ids, text_array(projection.party_ids[company_rows]))
        sector_of_party[company_rows] = texts(companies.props["sector"][at])
    sector = sector_of_party[party]
    in_sector = np.flatnonzero(sector != "")
    if not len(in_sector):
        return []
    names, sector_of = np.unique(text_array(sector[in_sector]), return_inverse=True)
    borrowers = projection.party_ids[party]
    drafts = []
    for s, name in enumerate(names.tolist()):
        rows = in_sector[sector_of == s]
        signals = _signals(rule, _by_currency(projection, loan[rows], count[rows]), totals,
                           sector=name)
        if not signals:
            continue
        evidence = Evidence()
        for borrower, loan_id, minor in zip(
                borrowers[rows].tolist(), projection.loan_ids[loan[rows]].tolist(),
                projection.loan_principal_minor[loan[rows]].tolist(), strict=True):
            evidence.node(borrower, Label.COMPANY.value).node(loan_id, Label.LOAN.value).edge(
                RelType.BORROWS.value, borrower, loan_id, principal_minor=minor)
        drafts.append(ctx.draft(rule, SubjectKind.SEGMENT, f"sector:{name}", signals,
                                evidence))
    return drafts


def _live_loans(ctx: EvaluationContext, live: np.ndarray, loan_ids: Iterable[str]
                ) -> np.ndarray:
    position = ctx.inputs.loan_position()
    at = np.array(sorted({position.get(loan, -1) for loan in loan_ids} - {-1}), dtype=np.int64)
    return at[live[at]]


def _borrowed(ctx: EvaluationContext, evidence: Evidence, projection: PortfolioProjection,
              loans: np.ndarray) -> None:
    """Add borrower → BORROWS → loan for every borrower of ``loans``."""
    by_loan = ctx.inputs.loan_borrowers()
    pairs = [(str(projection.loan_ids[j]), str(projection.party_ids[i]),
              int(projection.loan_principal_minor[j]))
             for j in loans.tolist()
             for i in by_loan.indices[by_loan.indptr[j]:by_loan.indptr[j + 1]].tolist()]
    labels = ctx.labels({borrower for _, borrower, _ in pairs})
    for loan_id, borrower, minor in pairs:
        evidence.node(loan_id, Label.LOAN.value).node(borrower, labels[borrower]).edge(
            RelType.BORROWS.value, borrower, loan_id, principal_minor=minor)


def _groups(rule: Concentration, ctx: EvaluationContext, projection: PortfolioProjection,
            live: np.ndarray, portfolio: dict[str, int]) -> list[AlertDraft]:
    flagged: list[tuple[CorporateGroup, np.ndarray, list[dict[str, Any]]]] = []
    for group in ctx.inputs.groups:
        loans = _live_loans(ctx, live, group.loans)
        signals = _signals(rule, _by_currency(projection, loans), portfolio,
                           group=group.controller, companies=len(group.members),
                           loans=len(loans))
        if signals:
            flagged.append((group, loans, signals))
    labels = ctx.labels({party for group, _, _ in flagged
                         for party in (*group.guarantors,
                                       *(holder for holder, _, _ in group.control_edges))})
    drafts = []
    for group, loans, signals in sorted(flagged, key=lambda found: found[0].controller):
        evidence = Evidence().node(group.controller, group.controller_label.value)
        for holder, held, pct in group.control_edges:
            evidence.node(holder, labels[holder]).node(
                held, Label.COMPANY.value).edge(RelType.OWNS.value, holder, held, pct=pct)
        _borrowed(ctx, evidence, projection, loans)
        members = projection.party_index(group.members)
        member_loans = np.unique(projection.borrows[members[members >= 0]].indices)
        for guarantor in group.guarantors:
            g = projection.party_index([guarantor])[0]
            if g < 0:
                continue
            row = projection.guarantees[g].indices
            for j in np.intersect1d(row, member_loans).tolist():
                loan_id = str(projection.loan_ids[j])
                evidence.node(guarantor, labels[guarantor]).node(loan_id, Label.LOAN.value)
                evidence.edge(RelType.GUARANTEES.value, guarantor, loan_id)
        drafts.append(ctx.draft(rule, SubjectKind.SEGMENT, f"group:{group.controller}",
                                signals, evidence))
    return drafts


def _circles(rule: Concentration, ctx: EvaluationContext, projection: PortfolioProjection,
             live: np.ndarray, portfolio: dict[str, int]) -> list[AlertDraft]:
    flagged: list[tuple[Circle, np.ndarray, list[dict[str, Any]]]] = []
    for circle in ctx.inputs.circles.circles:
        loans = _live_loans(ctx, live, circle.loans)
        signals = _signals(rule, _by_currency(projection, loans), portfolio, kind=circle.kind,
                           members=len(circle.members), loans=len(loans))
        if signals:
            flagged.append((circle, loans, signals))
    labels = ctx.labels({member for circle, _, _ in flagged for member in circle.members})
    drafts = []
    for circle, loans, signals in sorted(flagged, key=lambda found: sorted(found[0].members)):
        evidence = Evidence()
        for member in circle.members:
            evidence.node(member, labels[member])
        _borrowed(ctx, evidence, projection, loans)
        counted = set(projection.loan_ids[loans].tolist())
        for edge in circle.edges:
            for loan_id in edge.loans:
                if loan_id in counted:
                    evidence.edge(RelType.GUARANTEES.value, edge.guarantor, loan_id)
        drafts.append(ctx.draft(rule, SubjectKind.SEGMENT, circle_subject(circle.members),
                                signals, evidence))
    return drafts
