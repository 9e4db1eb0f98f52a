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

PD, LGD and EAD: a caller that has model scores (the scan, from the production model) gives
them as ``pd_now`` (annual 12-month PD per loan) with the model's id; loans without a score
take the tier table's PD. LGD and EAD come from :mod:`risk.models.lgd` (estimated from the
book's own workouts, by collateral kind and coverage) and :mod:`risk.models.ead`. Each
loan's ``ecl`` reason says which source every figure came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Engine

from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from risk.classification.book import LoanBook, load_book
from risk.classification.config import DEFAULT_CLASSIFICATION, ClassificationConfig
from risk.classification.delinquency import Delinquency, delinquency
from risk.classification.five_tier import QualitativeSignal, borrower_is_retail, classify_tiers
from risk.classification.ifrs9 import TIER_TABLE, EclInputs, expected_credit_loss, stage_loans
from risk.classification.provisioning_config import DEFAULT_PROVISIONING, ProvisioningConfig
from risk.classification.tiers import Reason, Tier
from risk.models.collateral import LoanCollateral, loan_collateral
from risk.models.lgd import BANDS, LgdModel

__all__ = ["Assessment", "LoanAssessment", "ManualOverride", "OverrideSource", "assess",
           "assess_book", "secured_loans"]


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
    #: The LGD table the ECL used (``None`` only for an assessment built by hand).
    lgd: LgdModel | None = None

    def as_json(self, loan_ids: Collection[str] | None = None) -> dict[str, Any]:
        shown = self.loans if loan_ids is None else [
            loan for loan in self.loans if loan.loan_id in loan_ids]
        return {"as_of": self.as_of.isoformat(), "loans": [loan.as_json() for loan in shown],
                "summary": self.summary}


def secured_loans(store: GraphStore, loan_ids: Sequence[str]) -> LoanCollateral:
    """Each loan's collateral (kind, value, any recorded disposal), as the graph stands:
    :func:`risk.models.collateral.loan_collateral`, under the name the scan calls."""
    return loan_collateral(store, loan_ids)


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


def _ecl_reason(i: int, tier: Tier, stage: int, inputs: EclInputs, book: LoanBook,
                provisioning: ProvisioningConfig) -> Reason:
    """The rationale of loan ``i``'s ECL: each figure and where it came from."""
    currency = str(book.currency[i])
    horizon = "12-month" if stage == 1 else "lifetime"
    source = str(inputs.pd_source[i])
    pd_words = "defaulted" if stage == 3 else source if source == TIER_TABLE \
        else f"model {source}"
    model = inputs.lgd_model
    segment = model.segment(str(inputs.lgd_kind[i]), int(inputs.lgd_band[i]))
    seen = "no workouts" if segment.observations == 0 else (
        f"{segment.observations} workout(s), realised {segment.realised_mean:.2f}")
    exposure = inputs.exposure

    def money(values: np.ndarray) -> str:
        return str(minor_to_decimal(int(values[i]), currency))

    return Reason("ecl", tier, (
        f"{horizon} ECL over {int(inputs.periods[i])} yearly period(s): PD "
        f"{inputs.pd[i]:.4f} a year ({pd_words}), LGD {inputs.lgd[i]:.2f} ({segment.label}: "
        f"{seen}, prior {segment.prior:.2f}), EAD {money(exposure.ead)} (accrued interest "
        f"{money(exposure.accrued_interest)}), discounted at "
        f"{float(book.annual_rate[i]):.4%}, weighted over "
        f"{len(provisioning.scenarios)} scenarios"), {
        "horizon": horizon, "horizon_years": round(float(inputs.horizon_years[i]), 4),
        "pd": round(float(inputs.pd[i]), 6), "pd_source": source,
        "lgd": round(float(inputs.lgd[i]), 6),
        "lgd_segment": {"collateral": segment.collateral,
                        "coverage": BANDS[segment.band],
                        "observations": segment.observations,
                        "realised_mean": None if segment.realised_mean is None
                        else round(segment.realised_mean, 6),
                        "prior": round(segment.prior, 6)},
        "ead": money(exposure.ead),
        "ead_parts": {"outstanding": money(exposure.outstanding),
                      "overdue_interest": money(exposure.overdue_interest),
                      "accrued_interest": money(exposure.accrued_interest),
                      "undrawn": money(exposure.undrawn), "ccf": float(exposure.ccf[i])},
        "eir": float(book.annual_rate[i]),
        "scenarios": {s.name: s.weight for s in provisioning.scenarios}})


def assess_book(book: LoanBook, dq: Delinquency, retail: np.ndarray,
                secured: LoanCollateral | np.ndarray, *,
                classification: ClassificationConfig = DEFAULT_CLASSIFICATION,
                provisioning: ProvisioningConfig = DEFAULT_PROVISIONING,
                qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
                overrides: Mapping[str, ManualOverride] | None = None,
                pd_now: np.ndarray | None = None, pd_model: str | None = None,
                lgd_model: LgdModel | None = None) -> Assessment:
    """Tiers, stages and ECL of ``book`` from arrays already at hand; loans repaid in full
    by the date are left out.

    ``secured``: each loan's collateral (:func:`secured_loans`), or only whether it is
    secured (then counted fully covered). ``pd_now``: the annual 12-month PD per loan of
    the book from the model ``pd_model`` (NaN where a loan has no score); without it, the
    tier table's PD. ``lgd_model``: an LGD table already estimated on this book.

    Raises:
        ClassificationError: ``pd_now`` does not match the book or is not a probability.
    """
    tiers = classify_tiers(book, dq, retail, config=classification, qualitative=qualitative)
    overrides = overrides or {}
    floors = [result.tier for result in tiers]
    staging = computed = stage_loans(book, dq, tiers, config=provisioning, pd_now=pd_now,
                                     pd_model=pd_model)
    if any(o.tier is not None for o in overrides.values()):
        # An overridden tier, held at the regulatory floor, stages the loan like any tier.
        tiers = [result if (o := overrides.get(result.loan_id)) is None or o.tier is None
                 else replace(result, tier=max(o.tier, result.tier)) for result in tiers]
        staging = stage_loans(book, dq, tiers, config=provisioning, pd_now=pd_now,
                              pd_model=pd_model)
    tier_array = np.array([int(t.tier) for t in tiers], dtype=np.int64)
    stage = staging.stage.copy()
    for i, result in enumerate(tiers):
        override = overrides.get(result.loan_id)
        if override is not None and override.stage is not None:
            stage[i] = override.stage
    ecl, inputs = expected_credit_loss(book, dq, tier_array, stage, secured, config=provisioning,
                                       pd_now=pd_now, pd_model=pd_model, lgd_model=lgd_model)
    balance = inputs.exposure.balance
    loans: list[LoanAssessment] = []
    for i, result in enumerate(tiers):
        if balance[i] == 0 and dq.overdue[i] == 0:
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
        reasons.append(_ecl_reason(i, Tier(int(tier_array[i])), int(stage[i]), inputs, book,
                                   provisioning))
        loans.append(LoanAssessment(
            loan_id=result.loan_id, borrower_id=str(book.borrower_ids[i]),
            retail=result.retail, tier=Tier(int(tier_array[i])), stage=int(stage[i]),
            days_past_due=int(dq.days_past_due[i]), currency=currency,
            exposure=minor_to_decimal(int(balance[i]), currency),
            ecl=minor_to_decimal(ecl_minor, currency), reasons=tuple(reasons)))
    return Assessment(as_of=book.as_of, loans=loans, summary=_summary(loans),
                      lgd=inputs.lgd_model)


def assess(engine: Engine, store: GraphStore, as_of: date, *,
           loans: Collection[str] | None = None,
           classification: ClassificationConfig = DEFAULT_CLASSIFICATION,
           provisioning: ProvisioningConfig = DEFAULT_PROVISIONING,
           qualitative: Mapping[str, Sequence[QualitativeSignal]] | None = None,
           override_source: OverrideSource | None = None,
           pd_now: Mapping[str, float] | None = None, pd_model: str | None = None,
           ) -> Assessment:
    """Classify and provide for the book as of ``as_of`` (with ``loans``: those loans and
    the other loans of their borrowers, which the debtor-level rules need). ``pd_now``:
    the model ``pd_model``'s annual PD per loan id (loans it does not name take the tier
    table's PD).

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
    scores = None if pd_now is None else np.array(
        [pd_now.get(loan_id, np.nan) for loan_id in ids], dtype=np.float64)
    return assess_book(book, delinquency(book), retail, secured,
                       classification=classification, provisioning=provisioning,
                       qualitative=qualitative, overrides=overrides, pd_now=scores,
                       pd_model=pd_model)
