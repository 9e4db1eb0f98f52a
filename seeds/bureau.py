"""Credit-bureau snapshots: one per customer every ``bureau_every_months`` months.

Snapshots are taken at month ends counted back from ``as_of`` (``as_of`` itself first), of
every party with a loan open with this lender on the date (as a lender reviews its
customers). The score (300..900) follows the latent risk
two months earlier plus noise, minus a penalty per account overdue on the date, so it lags
and blurs the truth. ``open_loans``, ``total_debt`` and ``overdue_accounts`` add the party's
loans with this lender (exact on the date) to loans elsewhere drawn from the latent risk;
``inquiries_6m`` rises with it. ``overdue_90_total`` is the outstanding principal of the
party's loans here more than 90 days overdue on the date, plus half of the debt elsewhere
in proportion to the loans overdue there.
"""

from __future__ import annotations

import numpy as np

from seeds import catalogs as cat
from seeds.config import PortfolioConfig
from seeds.loans import LoanBook
from seeds.parties import party_ids
from seeds.randomness import stage_rng
from seeds.repayments import LoanOutcomes
from seeds.risk import RiskOutcome
from seeds.timeline import Timeline
from seeds.writer import PortfolioWriter

__all__ = ["snapshot_days", "snapshot_months", "write_bureau"]


def snapshot_months(config: PortfolioConfig) -> np.ndarray:
    """History month indices of the snapshots, oldest first. O(months)."""
    return np.arange(config.months - 1, -1, -config.bureau_every_months)[::-1]


def snapshot_days(config: PortfolioConfig) -> np.ndarray:
    """Snapshot dates (month ends; ``as_of`` for the last month), oldest first."""
    return Timeline(config.as_of, config.months).month_last_days()[snapshot_months(config)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def write_bureau(config: PortfolioConfig, book: LoanBook, risk: RiskOutcome,
                 outcomes: LoanOutcomes, n_persons: int, writer: PortfolioWriter) -> None:
    """Write the ``bureau`` rows.

    Complexity: O(snapshots × borrowers) time; O(borrowers) memory per snapshot.
    """
    n = len(risk.baseline)
    reference = np.log(config.base_default_intensity)
    is_company = np.arange(n) >= n_persons
    next_id = 1
    for s, (m, day) in enumerate(zip(snapshot_months(config).tolist(),
                                     snapshot_days(config).tolist(), strict=True)):
        rng = stage_rng(config.seed, "bureau", s)
        who = np.flatnonzero(outcomes.snapshot_open[s] > 0)
        excess = risk.latent[who, max(m - 2, 0)].astype(np.float64) - reference
        stress = _sigmoid(excess - 2.0)
        own_overdue = outcomes.snapshot_overdue[s, who]
        other_loans = rng.poisson(0.6 + 1.2 * stress + is_company[who])
        other_overdue = np.minimum(rng.poisson(0.02 + 0.6 * stress), other_loans)
        overdue = own_overdue + other_overdue
        score = 640 - 45 * excess - 60 * overdue + rng.normal(0, 30, len(who))
        score = np.clip(np.round(score), 300, 900).astype(np.int64)
        median = np.where(is_company[who], 2e8, 4e6)  # cents per loan elsewhere
        other_debt = (other_loans * rng.lognormal(np.log(median), 0.8)).astype(np.int64)
        total_debt = (outcomes.snapshot_debt[s, who] + other_debt) // 100 * 100
        # Elsewhere, about half of an overdue loan's balance is more than 90 days overdue.
        other_90 = np.where(other_loans > 0, other_debt * other_overdue
                            // np.maximum(other_loans, 1) // 2, 0)
        overdue_90 = np.minimum((outcomes.snapshot_overdue_90[s, who] + other_90) // 100 * 100,
                                total_debt)
        writer.write("bureau", {
            "id": [f"B{i:010d}" for i in range(next_id, next_id + len(who))],
            "party_id": party_ids(who, n_persons), "as_of": np.full(len(who), day),
            "score": score, "open_loans": outcomes.snapshot_open[s, who] + other_loans,
            "total_debt": total_debt,
            "overdue_accounts": overdue,
            "inquiries_6m": rng.poisson(0.8 + 3.0 * stress),
            "currency": [cat.CURRENCY] * len(who), "overdue_90_total": overdue_90,
        })
        next_id += len(who)
