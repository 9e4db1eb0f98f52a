"""The whole pass over the book as of a date: delinquency, five tiers, IFRS 9 stage and
expected credit loss per loan, with every reason, and the summary by tier and stage.

Manual overrides: an officer may overrule a loan's tier, stage or ECL (a rebutted 90-day
presumption, a known fraud). :func:`assess` takes any :class:`OverrideSource` (the audited
store is :class:`risk.classification.overrides.StoredOverrides`) and applies what it
returns, recording the override, its actor and its reason first among the loan's reasons.
An overridden tier never goes below the loan's computed tier, which is the highest of its
regulatory floors: it is held at the floor, and the reason says so. The loan is then staged
from its overridden tier (non-performing is credit-impaired), and an overridden stage and
ECL replace the computed ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Final, Protocol

import numpy as np
from sqlalchemy import Engine

from graph.model import RelType
from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from risk.classification.book import LoanBook, load_book
from risk.classification.config import DEFAULT_CLASSIFICATION, ClassificationConfig
from risk.classification.delinquency import Delinquency, delinquency
from risk.classification.five_tier import QualitativeSignal, borrower_is_retail, classify_tiers
from risk.classification.ifrs9 import expected_credit_loss, stage_loans
from risk.classification.provisioning_config import DEFAULT_PROVISIONING, ProvisioningConfig
from risk.classification.tiers import Reason, Tier

__all__ = ["Assessment", "LoanAssessment", "ManualOverride", "OverrideSource", "assess",
           "assess_book"]

_EDGE_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class ManualOverride:
    """An officer's decision about one loan; ``None`` fields leave the computed value."""

    actor: str
    reason: str
    tier: Tier | None = None
    stage: int | None = None
    ecl_minor: int | None = None
    #: The stored override's id and first day, when it comes from the audited store.
    override_id: int | None = None
    valid_from: date | None = None


class OverrideSource(Protocol):
    """Where audited manual overrides come from (the alert/audit store, once it exists)."""

    def overrides_for(self, loan_ids: Sequence[str], as_of: date) -> Mapping[str,
                                                                             ManualOverride]:
        """The overrides in force on ``as_of`` for any of ``loan_ids``."""
        ...


@dataclass(frozen=True, slots=True)
class LoanAssessment:
    """One loan's classification and provision as of the date."""

    loan_id: str
    borrower_id: str
    retail: bool
    tier: Tier
    stage: int
    days_past_due: int
    currency: str
    exposure: Decimal
    ecl: Decimal
    reasons: tuple[Reason, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "loan": self.loan_id, "borrower": self.borrower_id, "retail": self.retail,
            "tier": self.tier.slug, "stage": self.stage, "dpd": self.days_past_due,
            "exposure": {"amount": str(self.exposure), "currency": self.currency},
            "ecl": {"amount": str(self.ecl), "currency": self.currency},
            "reasons": [reason.as_json() for reason in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every assessed loan, and totals by tier and by stage per currency."""

    as_of: date
    loans: list[LoanAssessment]
    summary: dict[str, Any] = field(default_factory=dict)

    def as_json(self, loan_ids: Collection[str] | None = None) -> dict[str, Any]:
        shown = self.loans if loan_ids is None else [
            loan for loan in self.loans if loan.loan_id in loan_ids]
        return {"as_of": self.as_of.isoformat(), "loans": [loan.as_json() for loan in shown],
                "summary": self.summary}


#: Loans above which :func:`secured_loans` streams every ``SECURED_BY`` edge.
_STREAM_ABOVE: Final = 5_000


def secured_loans(store: GraphStore, loan_ids: Sequence[str]) -> np.ndarray:
    """Whether each loan has collateral (a ``SECURED_BY`` edge), as the graph stands.

    For many loans (a whole book) the ``SECURED_BY`` edges are streamed once and matched
    in numpy, instead of asking for every loan's edges; for a few, their edges are asked.
    """
    if len(loan_ids) > _STREAM_ABOVE:
        secured = [source for batch in store.iter_edges([RelType.SECURED_BY])
                   for _, source, _, _, _ in batch]
        return np.isin(np.asarray(loan_ids).astype(str),
                       np.asarray(secured, dtype=str) if secured else np.empty(0, dtype=str))
    flags: list[bool] = []
    for start in range(0, len(loan_ids), _EDGE_BATCH):
        chunk = list(loan_ids[start:start + _EDGE_BATCH])
        flags.extend(bool(edges) for edges in store.edges_of(chunk, [RelType.SECURED_BY], "out"))
    return np.array(flags, dtype=bool)


def _summary(loans: Sequence[LoanAssessment]) -> dict[str, Any]:
    def table(key: str) -> dict[str, Any]:
        rows: dict[str, dict[str, Any]] = {}
        sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0),
                                                                          Decimal(0)])
        counts: dict[str, int] = defaultdict(int)
        for loan in loans:
            group = loan.tier.slug if key == "tier" else str(loan.stage)
            counts[group] += 1
            pair = sums[(group, loan.currency)]
            pair[0] += loan.exposure
            pair[1] += loan.ecl
        order = [t.slug for t in Tier] if key == "tier" else ["1", "2", "3"]
        for group in order:
            if counts.get(group):
                rows[group] = {
                    "loans": counts[group],
                    "exposure": {c: str(v[0]) for (g, c), v in sorted(sums.items()) if g == group},
                    "ecl": {c: str(v[1]) for (g, c), v in sorted(sums.items()) if g == group}}
        return rows

    return {"loans": len(loans), "by_tier": table("tier"), "by_stage": table("stage")}


def _override_reason(override: ManualOverride, tier: Tier, floor: Tier, computed_stage: int,
                     computed_ecl: Decimal) -> Reason:
    """The reason an override puts first among a loan's reasons: who, why, what it set."""
    changes = []
    if override.tier is not None:
        changes.append(f"tier {override.tier.slug}" if override.tier >= floor else
                       f"tier {override.tier.slug}, held at the floor {floor.slug}")
    if override.stage is not None:
        changes.append(f"stage {override.stage}")
    if override.ecl_minor is not None:
        changes.append("ECL")
    label = "manual override" if override.override_id is None else \
        f"manual override #{override.override_id}"
    since = "" if override.valid_from is None else \
        f" from {override.valid_from.isoformat()}"
    return Reason("override.manual", tier, (
        f"{label} by {override.actor}{since} ({', '.join(changes)}): {override.reason}"),
        {"actor": override.actor, "override": override.override_id,
         "valid_from": None if override.valid_from is None else
         override.valid_from.isoformat(),
         "tier": None if override.tier is None else override.tier.slug,
         "stage": override.stage, "held_at_floor": override.tier is not None
         and override.tier < floor, "computed_tier": floor.slug,
         "computed_stage": computed_stage, "computed_ecl": str(computed_ecl)})


def assess_book(book: LoanBook, dq: Delinquency, retail: np.ndarray, secured: np.ndarray, *,
                classification: ClassificationConfig = DEFAULT_CLASSIFICATION,
                provisioning: ProvisioningConfig = DEFAULT_PROVISIONING,
                qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
                overrides: Mapping[str, ManualOverride] | None = None) -> Assessment:
    """Tiers, stages and ECL of ``book`` from arrays already at hand; loans repaid in full
    by the date are left out."""
    tiers = classify_tiers(book, dq, retail, config=classification, qualitative=qualitative)
    overrides = overrides or {}
    floors = [result.tier for result in tiers]
    staging = computed = stage_loans(book, dq, tiers, config=provisioning)
    if any(o.tier is not None for o in overrides.values()):
        # An overridden tier, held at the regulatory floor, stages the loan like any tier.
        tiers = [result if (o := overrides.get(result.loan_id)) is None or o.tier is None
                 else replace(result, tier=max(o.tier, result.tier)) for result in tiers]
        staging = stage_loans(book, dq, tiers, config=provisioning)
    tier_array = np.array([int(t.tier) for t in tiers], dtype=np.int64)
    stage = staging.stage.copy()
    for i, result in enumerate(tiers):
        override = overrides.get(result.loan_id)
        if override is not None and override.stage is not None:
            stage[i] = override.stage
    ecl, inputs = expected_credit_loss(book, dq, tier_array, stage, secured, config=provisioning)
    loans: list[LoanAssessment] = []
    for i, result in enumerate(tiers):
        if inputs.ead[i] == 0 and dq.overdue[i] == 0:
            continue  # repaid in full by the date: nothing to classify or provide for
        currency = str(book.currency[i])
        ecl_minor = int(ecl[i])
        reasons = list(result.reasons) + staging.reasons.get(i, [])
        override = overrides.get(result.loan_id)
        if override is not None:
            if override.ecl_minor is not None:
                ecl_minor = override.ecl_minor
            reasons.insert(0, _override_reason(override, Tier(int(tier_array[i])),
                                               floors[i], int(computed.stage[i]),
                                               minor_to_decimal(int(ecl[i]), currency)))
        horizon = "12-month" if stage[i] == 1 else "lifetime"
        reasons.append(Reason("ecl", Tier(int(tier_array[i])), (
            f"{horizon} ECL over {int(inputs.periods[i])} yearly period(s): PD "
            f"{inputs.pd[i]:.4f} a year, LGD {inputs.lgd[i]:.2f} "
            f"({'secured' if secured[i] else 'unsecured'}), EAD "
            f"{minor_to_decimal(int(inputs.ead[i]), currency)}, discounted at "
            f"{float(book.annual_rate[i]):.4%}, weighted over "
            f"{len(provisioning.scenarios)} scenarios"), {
            "horizon": horizon, "horizon_years": round(float(inputs.horizon_years[i]), 4),
            "pd": round(float(inputs.pd[i]), 6), "lgd": float(inputs.lgd[i]),
            "ead": str(minor_to_decimal(int(inputs.ead[i]), currency)),
            "eir": float(book.annual_rate[i]),
            "scenarios": {s.name: s.weight for s in provisioning.scenarios}}))
        loans.append(LoanAssessment(
            loan_id=result.loan_id, borrower_id=str(book.borrower_ids[i]),
            retail=result.retail, tier=Tier(int(tier_array[i])), stage=int(stage[i]),
            days_past_due=int(dq.days_past_due[i]), currency=currency,
            exposure=minor_to_decimal(int(inputs.ead[i]), currency),
            ecl=minor_to_decimal(ecl_minor, currency), reasons=tuple(reasons)))
    return Assessment(as_of=book.as_of, loans=loans, summary=_summary(loans))


def assess(engine: Engine, store: GraphStore, as_of: date, *,
           loans: Collection[str] | None = None,
           classification: ClassificationConfig = DEFAULT_CLASSIFICATION,
           provisioning: ProvisioningConfig = DEFAULT_PROVISIONING,
           qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
           override_source: OverrideSource | None = None) -> Assessment:
    """Classify and provide for the book as of ``as_of`` (with ``loans``: those loans and
    the other loans of their borrowers, which the debtor-level rules need).

    Raises:
        AsOfBeforeData: ``as_of`` is before any loan was disbursed.
        ClassificationError: no loans, or an unknown loan id.
    """
    book = load_book(engine, as_of, loans=loans)
    ids = book.loan_ids.tolist()
    retail = borrower_is_retail(store, book.borrower_ids.tolist(),
                                unknown_retail=classification.unknown_borrower_retail)
    secured = secured_loans(store, ids)
    overrides = override_source.overrides_for(ids, as_of) if override_source else None
    return assess_book(book, delinquency(book), retail, secured,
                       classification=classification, provisioning=provisioning,
                       qualitative=qualitative, overrides=overrides)
