"""A loan's risk assessment and a party's risk findings, as the latest scan stored them.

Read-only: ``loanwatch scan`` computes and stores them (``risk/scan.py``); these types read
them through :mod:`risk.scan_results`, batched per request by the loaders. A field is null
(or an empty list) until a scan has run, and for a loan or party the latest scan did not
cover.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from risk.scan_results import FindingResult, LoanResult
from schema.types.money import Money

__all__ = ["AssessmentReason", "Finding", "LoanAssessment", "PathEdge", "ReviewFlag",
           "assessment_from_result", "finding_from_result", "path_edges"]


@strawberry.type(description="One edge of an evidence path, ready to draw.")
class PathEdge:
    type: str = strawberry.field(description="The relationship type (GUARANTEES, OWNS, ...).")
    source: strawberry.ID = strawberry.field(description="The id of the node it starts at.")
    target: strawberry.ID = strawberry.field(description="The id of the node it ends at.")
    key: str = strawberry.field(description="Separates parallel edges; usually empty.")


@strawberry.type(description="Why a loan is at least its tier: a rule, a sentence, figures.")
class AssessmentReason:
    rule: str = strawberry.field(description="Stable rule id, e.g. `overdue.over_90`.")
    tier: str = strawberry.field(description="The tier the rule sets at least.")
    text: str = strawberry.field(description="The reason in words.")
    figures: JSON = strawberry.field(description="The figures the rule used.")


@strawberry.type(description="A flag for downgrade review: a guarantor, controlling owner or "
                 "circle partner of the loan is non-performing. It never changes the tier "
                 "by itself.")
class ReviewFlag:
    kind: str = strawberry.field(
        description="guarantor, controlling_owner or circle_partner.")
    party: strawberry.ID = strawberry.field(description="The related party.")
    npl_loan: strawberry.ID = strawberry.field(description="Its worst non-performing loan.")
    npl_tier: str = strawberry.field(description="The tier of that loan.")
    loan_non_performing: bool = strawberry.field(
        description="The flagged loan is itself non-performing already.")
    text: str = strawberry.field(description="The flag in words.")
    path: list[PathEdge] = strawberry.field(
        description="The typed edges from the flagged loan to the party's loan.")


@strawberry.type(description="A loan as the latest scan classified and provisioned it.")
class LoanAssessment:
    scan_run: int = strawberry.field(description="The scan run these figures come from.")
    tier: str = strawberry.field(
        description="pass, special_mention, substandard, doubtful or loss (正常, 关注, 次级, "
        "可疑, 损失).")
    stage: int = strawberry.field(description="IFRS 9 stage: 1, 2 or 3.")
    days_past_due: int = strawberry.field(description="Days past due on the scan's date.")
    exposure: Money = strawberry.field(description="Outstanding principal.")
    ecl: Money = strawberry.field(description="Expected credit loss (IFRS 9).")
    reasons: list[AssessmentReason] = strawberry.field(
        description="Why the loan holds its tier, worst first.")
    review_flags: list[ReviewFlag] = strawberry.field(
        description="Flags for downgrade review from the graph.")


@strawberry.type(description="A risk structure a party belongs to in the latest scan.")
class Finding:
    scan_run: int = strawberry.field(description="The scan run that found it.")
    kind: str = strawberry.field(
        description="circle, mutual, joint (guarantee circles and 互保/联保), group or ring.")
    members: list[strawberry.ID] = strawberry.field(description="The party ids of the finding.")
    evidence: JSON = strawberry.field(
        description="Loans, exposure and edges (circles), control edges (groups) or shared "
        "identifiers (rings), as the scan stored them.")


def path_edges(edges: list[dict[str, Any]]) -> list[PathEdge]:
    """Stored evidence edges (``type``, ``source``, ``target``, optional ``key``) as
    GraphQL path edges."""
    return [PathEdge(type=str(e["type"]), source=strawberry.ID(str(e["source"])),
                     target=strawberry.ID(str(e["target"])), key=str(e.get("key", "")))
            for e in edges]


def assessment_from_result(result: LoanResult) -> LoanAssessment:
    """The GraphQL view of one stored loan result."""
    return LoanAssessment(
        scan_run=result.run_id, tier=result.tier, stage=result.stage,
        days_past_due=result.dpd,
        exposure=Money(amount=result.exposure, currency=result.currency),
        ecl=Money(amount=result.ecl, currency=result.currency),
        reasons=[AssessmentReason(rule=r["rule"], tier=r["tier"], text=r["text"],
                                  figures=r.get("figures", {})) for r in result.reasons],
        review_flags=[ReviewFlag(
            kind=f["kind"], party=strawberry.ID(f["party"]),
            npl_loan=strawberry.ID(f["npl_loan"]), npl_tier=f["npl_tier"],
            loan_non_performing=bool(f["loan_non_performing"]), text=f["text"],
            path=path_edges(f["path"])) for f in result.review_flags])


def finding_from_result(result: FindingResult) -> Finding:
    """The GraphQL view of one stored finding."""
    return Finding(scan_run=result.run_id, kind=result.kind,
                   members=[strawberry.ID(m) for m in result.members],
                   evidence=result.evidence)
