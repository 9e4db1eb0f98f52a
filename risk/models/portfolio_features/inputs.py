"""What every feature family reads, as of one date, read once: the book and its delinquency
as of D (cut from the whole history, see :func:`book_as_of`), the rows (the borrowers
scored), the graph as of D (:class:`.as_of_graph.AsOfGraph`), the events and the default
dates of every party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine

from risk.classification.book import BureauFigures, LoanBook, Modifications, day_number
from risk.classification.delinquency import Delinquency
from risk.models.labels import DefaultEvents, EventRows
from risk.models.portfolio_features.as_of_graph import AsOfGraph
from risk.rules.inputs import RuleInputs, text_array

__all__ = ["DAYS_PER_MONTH", "AsOfInputs", "FeatureBlock", "book_as_of", "major",
           "row_index"]

#: Average days of a month, for ages and terms in months.
DAYS_PER_MONTH: Final = 30.4375
#: Minor units per major unit (every currency the generator and the importer meet has 2
#: decimals; features are model inputs, not amounts to book).
_MINOR_PER_MAJOR: Final = 100.0


def major(minor: np.ndarray) -> np.ndarray:
    """Minor units as float major units."""
    return np.asarray(minor, dtype=np.float64) / _MINOR_PER_MAJOR


def book_as_of(book: LoanBook, as_of: date) -> LoanBook:
    """The book as :func:`risk.classification.book.load_book` would read it on ``as_of``
    (loans disbursed by then, installments due, repayments paid and modifications effective
    by then), cut from a book read at a later date without reading again. Bureau figures
    are left unknown (the features read the snapshots themselves)."""
    d = day_number(as_of)
    keep = book.disbursed <= d
    index = np.cumsum(keep) - 1
    inst = keep[book.inst_loan] & (book.inst_due <= d)
    rep = keep[book.rep_loan] & (book.rep_day <= d)
    mods = book.modifications
    mod = keep[mods.loan] & (mods.effective <= d) if len(mods.loan) else np.zeros(0, bool)
    n = int(keep.sum())
    return LoanBook(
        as_of=as_of, loan_ids=book.loan_ids[keep], borrower_ids=book.borrower_ids[keep],
        product=book.product[keep], currency=book.currency[keep],
        principal=book.principal[keep], annual_rate=book.annual_rate[keep],
        disbursed=book.disbursed[keep], maturity=book.maturity[keep],
        repayment_method=book.repayment_method[keep],
        origination_pd=book.origination_pd[keep],
        inst_loan=index[book.inst_loan[inst]], inst_due=book.inst_due[inst],
        inst_principal=book.inst_principal[inst], inst_interest=book.inst_interest[inst],
        rep_loan=index[book.rep_loan[rep]], rep_day=book.rep_day[rep],
        rep_amount=book.rep_amount[rep],
        modifications=Modifications(
            ids=mods.ids[mod], loan=index[mods.loan[mod]], kind=mods.kind[mod],
            effective=mods.effective[mod], pause_end=mods.pause_end[mod],
            restructured=mods.restructured[mod], reason=mods.reason[mod]),
        bureau=BureauFigures(as_of=np.full(n, -1, dtype=np.int64),
                             total_debt=np.full(n, -1, dtype=np.int64),
                             overdue_90=np.full(n, -1, dtype=np.int64),
                             currency=np.full(n, None, dtype=object)))


def row_index(rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The row of each of ``ids`` among the sorted ``rows`` (both :func:`text_array`), -1
    where it is not one."""
    if not len(rows) or not len(ids):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(rows, ids), len(rows) - 1)
    return np.where(rows[at] == ids, at, -1).astype(np.int64)


@dataclass
class AsOfInputs:
    """The inputs of one as-of pass.

    ``rows``: the borrowers scored (sorted :func:`text_array`); ``book``/``dq``: the book
    and delinquency as of D; ``loan_row``: the row of each loan's borrower (-1 where the
    borrower is not scored); ``defaults``: the default dates of every party (only days on
    or before D may be read as of D); ``events``: every mention (only those dated on or
    before D may be read); ``graph``: the graph as of D.
    """

    engine: Engine
    graph: AsOfGraph
    as_of: date
    rows: np.ndarray
    book: LoanBook
    dq: Delinquency
    defaults: DefaultEvents
    events: EventRows
    rule_inputs: RuleInputs = field(init=False)
    loan_row: np.ndarray = field(init=False)
    _cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rule_inputs = RuleInputs(self.graph)
        self.loan_row = row_index(self.rows, text_array(self.book.borrower_ids))

    @property
    def day(self) -> int:
        return day_number(self.as_of)

    @property
    def n(self) -> int:
        return len(self.rows)

    def defaulted_days(self, ids: np.ndarray) -> np.ndarray:
        """Each id's first default day when it is on or before D, else -1 (as of D nothing
        later is known)."""
        days = self.defaults.days_of(ids)
        return np.where(days <= self.day, days, -1)


@dataclass(frozen=True, slots=True)
class FeatureBlock:
    """One family's columns (aligned with the rows), which of them are categories, and
    per-row facts the words of reason codes name (``facts[column][row]``: a tuple such as
    ``(party id, day number)``, absent when there is nothing to name)."""

    columns: dict[str, np.ndarray]
    categories: frozenset[str] = frozenset()
    facts: dict[str, dict[int, tuple[Any, ...]]] = field(default_factory=dict)
