"""A borrower's probability of default as the latest scan stored it: ``Party.pd``.

Read-only: the scan's ``scoring`` phase scores every borrower with the production PD model
(``loanwatch model promote``) and stores the PD with the model id and the reason codes;
this type reads them through :func:`risk.scan_results.party_scores`, batched per request.
A reason code built from personal data (income, age) is masked unless the caller may see
personal data: the factor is named, its value and words are not.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from risk.scan_results import StoredScore
from schema.permissions import personal

__all__ = ["PdScore", "ReasonCode", "pd_score_from_stored"]

#: Shown instead of the words of a reason built from personal data.
MASKED_REASON = "a personal-data factor (masked)"


@strawberry.type(description="One factor that raised a borrower's PD, in words a risk "
                 "officer reads, largest first.")
class ReasonCode:
    feature: str = strawberry.field(description="The model's feature (column) name.")
    text: str = strawberry.field(description="What the factor says about this borrower, "
                                 "e.g. \"3 missed installments in 6 months\"; personal "
                                 "data when `personal`.", metadata=personal())
    contribution: float = strawberry.field(
        description="How much it raised the score, in log-odds (0.69 doubles the odds).")
    personal: bool = strawberry.field(
        description="Built from personal data: its words are masked unless the caller may "
        "see personal data.")
    #: The borrower it was computed for (the audit trail's target when shown in clear).
    node_id: strawberry.Private[str]


@strawberry.type(description="The probability that the borrower defaults within 12 months "
                 "of the scan's date (default as configured: 90+ days past due, write-off, "
                 "restructuring for financial difficulty or bankruptcy), by the production "
                 "model at the time of the scan.")
class PdScore:
    pd: float = strawberry.field(description="Probability of default within 12 months, "
                                 "0..1 (1 for a borrower already in default).")
    model: str = strawberry.field(description="The registered model that produced it "
                                  "(`loanwatch model show ID`).")
    points: float | None = strawberry.field(
        description="Scorecard points (higher is safer) when the model is a scorecard.")
    scan_run: int = strawberry.field(description="The scan run that stored it.")
    as_of: datetime.date = strawberry.field(description="The date the scan read the "
                                            "portfolio as of.")
    in_default: bool = strawberry.field(description="The borrower was already in default "
                                        "on that date (PD 1).")
    reasons: list[ReasonCode] = strawberry.field(
        description="The top factors that raised the score, largest first.")


def _reason(found: dict[str, Any], personal_data_visible: bool, party_id: str) -> ReasonCode:
    personal = bool(found.get("personal", False))
    text = str(found.get("text", ""))
    return ReasonCode(feature=str(found.get("feature", "")),
                      text=MASKED_REASON if personal and not personal_data_visible else text,
                      contribution=float(found.get("contribution", 0.0)), personal=personal,
                      node_id=party_id)


def pd_score_from_stored(stored: StoredScore, *, personal_data_visible: bool) -> PdScore:
    """The GraphQL view of one borrower's stored PD."""
    return PdScore(pd=stored.pd, model=stored.model_id, points=stored.points,
                   scan_run=stored.run_id, as_of=stored.as_of,
                   in_default=any(r.get("feature") == "in_default" for r in stored.reasons),
                   reasons=[_reason(r, personal_data_visible, stored.party_id)
                            for r in stored.reasons])
