"""IFRS 9 stages and expected credit loss, vectorised over the book.

Stages (IFRS 9 5.5.3, 5.5.11, B5.5.37):

* ``stage.credit_impaired`` (3): more than ``impaired_dpd`` (90) days past due - a
  rebuttable presumption (``impaired_presumption``; a loan's own rebuttal comes through the
  manual-override hook of :mod:`risk.classification.assessment`) - or a non-performing
  five-tier tier (Substandard or worse: under the 2023 measures a credit-impaired asset is
  non-performing and vice versa). A forborne loan that is non-performing is stage 3 too.
* ``stage.backstop_30dpd`` (2): more than ``backstop_dpd`` (30) days past due.
* ``stage.sicr_pd`` (2): the annual PD now is at least ``sicr_pd_ratio`` times the PD at
  origination. The PD now is the model's 12-month PD of the loan when the caller gives one
  (``pd_now``, from the production model's scores; the reason names the model), else the
  configured PD of the loan's current tier, scaled by the product's factor (the tier
  table). The PD at origination is the
  loan's stored ``origination_pd`` (imported with the loan, or written by
  :func:`risk.classification.origination.store_origination_pd`) when it has one, else the
  rating proxy: the PD of Pass scaled by the product's factor (a lender originates only
  loans it rates Pass). The reason says which source it used.
* ``stage.forborne`` (2): restructured for financial difficulty within the last
  ``forbearance_months`` (a concession: 展期, grace, a pause granted for difficulty).

Days past due are net of agreed payment pauses (:mod:`risk.classification.delinquency`).

Expected credit loss, per loan and scenario s (weights w_s):

    ECL = sum_s w_s * sum_k [S_s(t_{k-1}) - S_s(t_k)] * LGD_s * EAD_k / (1 + r)^t_k

over yearly periods k with ends t_k = min(k, H) years, where H is 1 year (stage 1) or the
remaining life (stages 2 and 3), both capped by the time to maturity; S_s(t) = (1 - PD_s)^t
is the survival under the scenario's annual PD (the loan's PD now - the model's or the tier
table's, as for staging - times the scenario's PD factor, capped at 1); LGD the estimate of
the loan's collateral segment (kind and coverage band now) from the book's own workouts
(:mod:`risk.models.lgd`), times the scenario's LGD factor, capped at 1; EAD_k the exposure
at the start of period k (:mod:`risk.models.ead`: the outstanding principal plus overdue and
accrued interest plus undrawn amounts by a credit conversion factor, amortising straight to
zero at maturity for annuity and equal-principal loans, flat for bullet and interest-only);
r the loan's annual rate (its effective interest rate: no fees are recorded, so the
contractual rate stands for it). A stage-3 loan has defaulted: PD 1 now, ECL = LGD * EAD,
undiscounted.

Rounding: the ECL is an estimate, so rounding it is legitimate: it is computed in binary
floating point and rounded to the currency's minor unit, half to even, then given as an
exact ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from risk.classification.book import LoanBook, to_date
from risk.classification.delinquency import Delinquency, add_months
from risk.classification.errors import ClassificationError
from risk.classification.five_tier import TierResult
from risk.classification.provisioning_config import DEFAULT_PROVISIONING, ProvisioningConfig
from risk.classification.tiers import Reason, Tier
from risk.models.collateral import LoanCollateral
from risk.models.ead import FLAT_METHODS, Exposure, ead_profile, exposure_at_default
from risk.models.lgd import LgdModel, coverage_band, estimate_lgd

__all__ = ["DAYS_PER_YEAR", "TIER_TABLE", "EclInputs", "PdNow", "Staging", "annual_pd",
           "book_lgd", "expected_credit_loss", "pd_now_of", "stage_loans"]

DAYS_PER_YEAR: Final = 365.25
#: A matured loan still owing is provided for over at least this horizon (years).
_MIN_HORIZON_YEARS: Final = 30 / DAYS_PER_YEAR
#: The source of a PD taken from the tiers' configured table.
TIER_TABLE: Final = "tier table"


@dataclass(frozen=True, slots=True)
class Staging:
    """Per loan: its stage (1, 2, 3) and the reasons for it (stage 1 has none)."""

    stage: np.ndarray
    reasons: dict[int, list[Reason]]


def _pd_factor(book: LoanBook, config: ProvisioningConfig) -> np.ndarray:
    factors = config.product_pd_factor
    return np.array([factors.get(p, 1.0) for p in book.product.tolist()], dtype=np.float64)


def annual_pd(tiers: np.ndarray, book: LoanBook, config: ProvisioningConfig) -> np.ndarray:
    """The annual PD of each loan's tier, scaled by its product's factor (capped at 1)."""
    table = np.array([config.annual_pd[t] for t in Tier], dtype=np.float64)
    return np.minimum(table[tiers] * _pd_factor(book, config), 1.0)


@dataclass(frozen=True, slots=True)
class PdNow:
    """Each loan's annual PD now and where it came from (a model id or the tier table)."""

    pd: np.ndarray
    source: np.ndarray

    @property
    def from_model(self) -> np.ndarray:
        return self.source != TIER_TABLE


def pd_now_of(tiers: np.ndarray, book: LoanBook, config: ProvisioningConfig,
              pd_now: np.ndarray | None = None, pd_model: str | None = None) -> PdNow:
    """The PD now of every loan: the model's ``pd_now`` where given (not NaN), else the tier
    table's PD. ``pd_model`` names the model (``"model"`` when not given).

    Raises:
        ClassificationError: ``pd_now`` has the wrong length or a PD outside [0, 1].
    """
    table = annual_pd(tiers, book, config)
    if pd_now is None:
        return PdNow(pd=table, source=np.full(len(book), TIER_TABLE, dtype=object))
    given = np.asarray(pd_now, dtype=np.float64)
    if given.shape != (len(book),):
        raise ClassificationError(f"pd_now has {given.size} values for {len(book)} loans")
    bad = ~np.isnan(given) & ((given < 0) | (given > 1))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ClassificationError(f"pd_now of loan {book.loan_ids[first]} is {given[first]}, "
                                  "not a probability in [0, 1]")
    scored = ~np.isnan(given)
    return PdNow(pd=np.where(scored, given, table),
                 source=np.where(scored, pd_model or "model", TIER_TABLE).astype(object))


def _pd_words(source: str) -> str:
    return TIER_TABLE if source == TIER_TABLE else f"model {source}"


def stage_loans(book: LoanBook, dq: Delinquency, tiers: Sequence[TierResult], *,
                config: ProvisioningConfig = DEFAULT_PROVISIONING,
                pd_now: np.ndarray | None = None, pd_model: str | None = None) -> Staging:
    """The IFRS 9 stage of every loan (see the module's rules); ``pd_now`` (annual 12-month
    PD per loan, NaN where unscored) from the model ``pd_model`` replaces the tier table's
    PD in the significant-increase test."""
    n = len(book)
    tier = np.array([int(t.tier) for t in tiers], dtype=np.int64)
    dpd = dq.days_past_due
    stage = np.ones(n, dtype=np.int8)
    reasons: dict[int, list[Reason]] = {}

    all_tiers = list(Tier)
    tier_of = [all_tiers[t] for t in tier.tolist()]

    def add(mask: np.ndarray, level: int, *, rule: str,
            text_of: Callable[[int], tuple[str, dict[str, Any]]]) -> None:
        loans = np.flatnonzero(mask)
        stage[loans] = np.maximum(stage[loans], level)
        for loan in loans.tolist():
            text, figures = text_of(loan)
            reasons.setdefault(loan, []).append(Reason(rule, tier_of[loan], text, figures))

    now = pd_now_of(tier, book, config, pd_now, pd_model)
    pd_now = now.pd
    stored_pd = ~np.isnan(book.origination_pd)
    pd_origin = np.where(stored_pd, book.origination_pd,
                         annual_pd(np.zeros(n, dtype=np.int64), book, config))
    impaired_dpd = (dpd > config.impaired_dpd) & config.impaired_presumption
    npl = tier >= Tier.SUBSTANDARD
    add(impaired_dpd | npl, 3, rule="stage.credit_impaired", text_of=lambda i: (
        f"credit-impaired: {int(dpd[i])} days past due (presumed above "
        f"{config.impaired_dpd})" if impaired_dpd[i] else
        f"credit-impaired: non-performing tier {tier_of[i].slug}",
        {"days_past_due": int(dpd[i]), "tier": tier_of[i].slug}))
    add(dpd > config.backstop_dpd, 2, rule="stage.backstop_30dpd", text_of=lambda i: (
        f"{int(dpd[i])} days past due, more than {config.backstop_dpd}",
        {"days_past_due": int(dpd[i])}))
    sicr = (pd_origin > 0) & (pd_now >= config.sicr_pd_ratio * pd_origin)
    add(sicr, 2, rule="stage.sicr_pd", text_of=lambda i: (
        f"annual PD {pd_now[i]:.4f} ({_pd_words(now.source[i])}) is "
        f"{pd_now[i] / pd_origin[i]:.1f} times the {pd_origin[i]:.4f} at origination ("
        + ("stored PD at origination" if stored_pd[i] else "rating proxy: Pass") + ")",
        {"pd_now": round(float(pd_now[i]), 6), "pd_now_source": str(now.source[i]),
         "pd_origination": round(float(pd_origin[i]), 6),
         "pd_origination_source": "stored" if stored_pd[i] else "proxy_pass"}))
    mods = book.modifications
    window_start = int(add_months(np.array([book.as_of_day]), -config.forbearance_months)[0])
    forborne_rows = np.flatnonzero(mods.restructured & (mods.effective >= window_start))
    forborne = np.zeros(n, dtype=bool)
    latest_mod: dict[int, int] = {}
    for row in forborne_rows.tolist():
        forborne[mods.loan[row]] = True
        latest_mod[int(mods.loan[row])] = row
    add(forborne, 2, rule="stage.forborne", text_of=lambda i: (
        f"forborne: {mods.kind[latest_mod[i]]} for financial difficulty on "
        f"{to_date(mods.effective[latest_mod[i]]).isoformat()}",
        {"modification": str(mods.ids[latest_mod[i]])}))
    return Staging(stage=stage, reasons=reasons)


@dataclass(frozen=True, slots=True)
class EclInputs:
    """What the ECL of each loan was computed from (for its rationale): the EAD now and
    its parts, the PD now and its source, the LGD and its segment, and the LGD table."""

    exposure: Exposure
    pd: np.ndarray
    pd_source: np.ndarray
    lgd: np.ndarray
    lgd_kind: np.ndarray
    lgd_band: np.ndarray
    lgd_model: LgdModel
    horizon_years: np.ndarray
    periods: np.ndarray

    @property
    def ead(self) -> np.ndarray:
        return self.exposure.ead


def _estimated_lgd(book: LoanBook, dq: Delinquency, collateral: LoanCollateral,
                   band: np.ndarray, config: ProvisioningConfig) -> LgdModel:
    live = np.where((dq.outstanding + dq.overdue) > 0, band, -1)
    return estimate_lgd(book, dq, collateral, live, config.lgd_settings())


def book_lgd(book: LoanBook, dq: Delinquency, collateral: LoanCollateral | np.ndarray, *,
             config: ProvisioningConfig = DEFAULT_PROVISIONING) -> LgdModel:
    """The LGD table :func:`expected_credit_loss` estimates from ``book`` when it is given
    none: estimated once on the whole book, it lets the ECL of a few loans (a review) be the
    ECL the whole pass gives them (``lgd_model=``)."""
    if not isinstance(collateral, LoanCollateral):
        collateral = LoanCollateral.from_flags(collateral)
    exposure = exposure_at_default(book, dq, ccf=config.ccf, ccf_default=config.ccf_default)
    band = coverage_band(collateral, collateral.value_in(book.currency), exposure.ead)
    return _estimated_lgd(book, dq, collateral, band, config)


def expected_credit_loss(book: LoanBook, dq: Delinquency, tiers: np.ndarray,
                         stage: np.ndarray, collateral: LoanCollateral | np.ndarray, *,
                         config: ProvisioningConfig = DEFAULT_PROVISIONING,
                         pd_now: np.ndarray | None = None, pd_model: str | None = None,
                         lgd_model: LgdModel | None = None,
                         ) -> tuple[np.ndarray, EclInputs]:
    """ECL per loan in minor units of its currency (int64, rounded half to even), and the
    inputs used. See the module's formula. ``collateral``: each loan's collateral (or just
    whether it is secured: then fully covered); ``pd_now``/``pd_model``: as for
    :func:`stage_loans`; ``lgd_model``: an LGD table already estimated (else it is
    estimated from ``book``). O(loans × periods × scenarios)."""
    n = len(book)
    if not isinstance(collateral, LoanCollateral):
        collateral = LoanCollateral.from_flags(collateral)
    exposure = exposure_at_default(book, dq, ccf=config.ccf, ccf_default=config.ccf_default)
    ead0 = exposure.ead
    band = coverage_band(collateral, collateral.value_in(book.currency), ead0)
    if lgd_model is None:
        lgd_model = _estimated_lgd(book, dq, collateral, band, config)
    lgd = lgd_model.estimate(collateral.kind, band)
    remaining = np.maximum((book.maturity - book.as_of_day) / DAYS_PER_YEAR, _MIN_HORIZON_YEARS)
    horizon = np.where(stage == 1, np.minimum(1.0, remaining), remaining)
    periods = np.ceil(horizon - 1e-12).astype(np.int64)
    k_max = int(periods.max()) if n else 0
    now = pd_now_of(tiers, book, config, pd_now, pd_model)
    pd = now.pd
    rate = book.annual_rate
    flat = np.isin(book.repayment_method, list(FLAT_METHODS))
    ecl = np.zeros(n, dtype=np.float64)
    k = np.arange(1, k_max + 1, dtype=np.float64)[None, :]
    t_end = np.minimum(k, horizon[:, None])
    t_start = np.minimum(k - 1, horizon[:, None])
    live_period = (k <= periods[:, None])
    ead = ead_profile(ead0, flat, t_start, remaining)
    discount = (1.0 + rate[:, None]) ** (-t_end)
    defaulted = stage == 3
    for scenario in config.scenarios:
        pd_s = np.minimum(pd * scenario.pd_factor, 1.0)[:, None]
        lgd_s = np.minimum(lgd * scenario.lgd_factor, 1.0)
        survival_start = (1.0 - pd_s) ** t_start
        survival_end = (1.0 - pd_s) ** t_end
        marginal = np.where(live_period, survival_start - survival_end, 0.0)
        performing = (marginal * ead * discount).sum(axis=1) * lgd_s
        ecl += scenario.weight * np.where(defaulted, lgd_s * ead0, performing)
    minor = np.rint(ecl).astype(np.int64)
    return minor, EclInputs(exposure=exposure, pd=np.where(defaulted, 1.0, pd),
                            pd_source=now.source, lgd=lgd, lgd_kind=collateral.kind,
                            lgd_band=band, lgd_model=lgd_model, horizon_years=horizon,
                            periods=periods)
