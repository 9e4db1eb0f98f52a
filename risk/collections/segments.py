"""Segments of collection cases: risk tier × balance band × behaviour, what a collections
strategy is chosen by (the strategies themselves read ``collection_case.segment``; choosing
and running them is not done here).

* **risk tier**: the loan's five-tier classification in the latest succeeded scan dated on
  or before the run's date (``unrated`` when no scan covers it);
* **balance band**: the outstanding principal, in major units of the loan's currency, by
  the bands of :class:`risk.collections.config.CollectionsConfig`;
* **behaviour**: ``paying`` when the borrower repaid something on this loan within the
  last ``paying_window_days`` (a partial payer), else ``repeat`` when the loan had a case
  before (it cured and fell behind again), else ``new``.

The key is ``tier/band/behaviour`` (``substandard/medium/repeat``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Connection, Table, select

from portfolio.money import minor_to_decimal
from portfolio.scan_runs import ScanLoanResult, ScanRun, ScanStatus
from risk.collections.config import CollectionsConfig

__all__ = ["NEW", "PAYING", "REPEAT", "UNRATED", "Segment", "had_cases", "risk_tiers",
           "segment_of"]

UNRATED: Final = "unrated"
PAYING: Final = "paying"
REPEAT: Final = "repeat"
NEW: Final = "new"
_IDS_PER_QUERY: Final = 500

_run: Final[Table] = ScanRun.__table__  # type: ignore[attr-defined]
_result: Final[Table] = ScanLoanResult.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Segment:
    risk_tier: str
    balance_band: str
    behaviour: str

    @property
    def key(self) -> str:
        return f"{self.risk_tier}/{self.balance_band}/{self.behaviour}"


def risk_tiers(connection: Connection, as_of: date, loans: Sequence[str]) -> dict[str, str]:
    """The tier of each of ``loans`` in the latest succeeded scan dated on or before
    ``as_of`` (loans it did not classify are left out)."""
    if not loans:
        return {}
    run_id = connection.execute(
        select(_run.c.id).where(_run.c.status == ScanStatus.SUCCEEDED.value,
                                _run.c.as_of <= as_of)
        .order_by(_run.c.as_of.desc(), _run.c.id.desc()).limit(1)).scalar()
    if run_id is None:
        return {}
    tiers: dict[str, str] = {}
    for start in range(0, len(loans), _IDS_PER_QUERY):
        chunk = list(loans[start:start + _IDS_PER_QUERY])
        tiers.update(connection.execute(
            select(_result.c.loan_id, _result.c.tier).where(
                _result.c.run_id == run_id, _result.c.loan_id.in_(chunk))).all())
    return tiers


def segment_of(config: CollectionsConfig, *, tier: str | None, outstanding_minor: int,
               currency: str, repaid_within_window: bool, had_case: bool) -> Segment:
    """The segment of one delinquent loan (see the module)."""
    behaviour = PAYING if repaid_within_window else REPEAT if had_case else NEW
    return Segment(risk_tier=tier or UNRATED,
                   balance_band=config.band_of(minor_to_decimal(outstanding_minor, currency)),
                   behaviour=behaviour)


def had_cases(connection: Connection, table: Table, loans: Collection[str]) -> set[str]:
    """Which of ``loans`` have a closed case in ``table`` (``collection_case``)."""
    found: set[str] = set()
    ids = sorted(loans)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        found.update(connection.execute(select(table.c.loan_id).distinct().where(
            table.c.loan_id.in_(chunk), table.c.closed_on.is_not(None))).scalars())
    return found

