"""The loss models of a stored book as of a date, for a risk officer to inspect: the LGD
table (where each segment's LGD comes from) and the EAD of the book by currency and part.

The same estimates the classification uses (:func:`risk.classification.assessment.assess`
estimates them on the same book): read-only, nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Engine

from graph.store import GraphStore
from portfolio.money import minor_to_decimal
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.classification.provisioning_config import DEFAULT_PROVISIONING, ProvisioningConfig
from risk.models.collateral import loan_collateral
from risk.models.ead import Exposure, exposure_at_default
from risk.models.lgd import LgdModel, coverage_band, estimate_lgd

__all__ = ["LossModels", "loss_models"]

_PARTS = ("outstanding", "overdue_interest", "accrued_interest", "undrawn", "ead")


@dataclass(frozen=True, slots=True)
class LossModels:
    """The LGD table and the EAD totals (per currency: loans, and each part in minor
    units) of the book as of ``as_of``."""

    as_of: date
    lgd: LgdModel
    ead: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "lgd": self.lgd.as_json(),
                "ead": {currency: {"loans": parts["loans"], **{
                    name: str(minor_to_decimal(parts[name], currency)) for name in _PARTS}}
                    for currency, parts in sorted(self.ead.items())}}


def _totals(exposure: Exposure, currency: np.ndarray, live: np.ndarray) -> dict[str, dict[str,
                                                                                        int]]:
    totals: dict[str, dict[str, int]] = {}
    for code in sorted(set(currency[live].tolist())):
        mine = live & (currency == code)
        totals[str(code)] = {"loans": int(mine.sum()), **{
            name: int(getattr(exposure, name)[mine].sum()) for name in _PARTS}}
    return totals


def loss_models(engine: Engine, store: GraphStore, as_of: date, *,
                provisioning: ProvisioningConfig = DEFAULT_PROVISIONING) -> LossModels:
    """LGD and EAD of the stored book as of ``as_of`` (loans repaid in full left out of
    the EAD totals).

    Raises:
        AsOfBeforeData: ``as_of`` is before the first disbursement.
        ClassificationError: no loans are stored.
    """
    book = load_book(engine, as_of)
    dq = delinquency(book)
    collateral = loan_collateral(store, book.loan_ids.tolist())
    exposure = exposure_at_default(book, dq, ccf=provisioning.ccf,
                                   ccf_default=provisioning.ccf_default)
    live = (dq.outstanding + dq.overdue) > 0
    band = coverage_band(collateral, collateral.value_in(book.currency), exposure.ead)
    lgd = estimate_lgd(book, dq, collateral, np.where(live, band, -1),
                       provisioning.lgd_settings())
    return LossModels(as_of=as_of, lgd=lgd, ead=_totals(exposure, book.currency, live))
