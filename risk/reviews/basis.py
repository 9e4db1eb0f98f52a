"""What every review of one date shares: the portfolio-wide figures the risk core derives
from the whole book, computed once per date and then read by each review.

Two figures of a loan's review depend on more than the loan and its parties, and a review
must use the very same ones the portfolio scan uses, or its tier, stage, PD and ECL would
not agree with the scan's:

* the PD of the borrower by the production model: its features include graph measures
  over the whole graph (PageRank, approximate betweenness), so a borrower's PD cannot be
  recomputed from its neighbourhood without changing the number. When a succeeded scan run
  of the same date scored with the current production model, the review reads the PD that
  run stored (no scoring at all); otherwise the basis scores the portfolio once with
  :func:`risk.models.scoring.score_portfolio`, the function the scan's phase calls;
* the LGD table, estimated from the book's own workouts (:func:`risk.classification.ifrs9.
  book_lgd`, the estimate the scan's ECL makes when it is given none).

The basis also names the scan runs a review reads what the scan knows from: the latest
succeeded run on or before the date (the graph review flags: a guarantor, controlling owner
or circle partner non-performing) and the latest before it (the tier to compare with, for
a loan never reviewed).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine, select
from sqlmodel import Session

from graph.store import GraphStore
from portfolio.models import ScanPartyScore
from portfolio.scan_runs import ScanRun, ScanStatus
from risk.classification.assessment import secured_loans
from risk.classification.book import load_book
from risk.classification.delinquency import delinquency
from risk.classification.ifrs9 import book_lgd
from risk.models.lgd import LgdModel
from risk.models.registry import parse_model_id, production_model
from risk.models.scores import PartyScores
from risk.models.scoring import score_portfolio
from risk.reviews.errors import ReviewError
from risk.scan_results import party_scores

__all__ = ["DEFAULT_BASIS_MAX_AGE_S", "BasisCache", "BorrowerPd", "ReviewBasis",
           "review_basis"]

#: How long a worker keeps a date's basis before building it again (seconds).
DEFAULT_BASIS_MAX_AGE_S: Final = 3_600.0


@dataclass(frozen=True, slots=True)
class BorrowerPd:
    """One borrower's PD as the scan has or would have it."""

    pd: float
    in_default: bool
    reasons: list[dict[str, Any]]


@dataclass
class ReviewBasis:
    """The shared figures of every review as of ``as_of`` (see the module)."""

    as_of: date
    lgd: LgdModel
    #: The production model's id, ``None`` when none was promoted.
    model_id: str | None
    #: Where PDs come from: ``"scan run N"`` (stored), ``"scored"`` or ``"none"``.
    pd_source: str
    #: The succeeded scan run on or before ``as_of`` whose flags reviews read.
    flags_run: int | None
    flags_run_as_of: date | None
    #: The latest succeeded scan run before ``as_of`` (the tier a first review compares with).
    previous_run: int | None
    _engine: Engine = field(repr=False)
    _scores: PartyScores | None = field(default=None, repr=False)
    _stored_run: int | None = field(default=None, repr=False)

    def pd_of(self, borrower_ids: Sequence[str]) -> dict[str, BorrowerPd]:
        """The PD of each borrower that has one (absent: no model, or no live loan)."""
        if self._stored_run is not None:
            return {p: BorrowerPd(s.pd, s.pd >= 1.0 and bool(s.reasons) and
                                  s.reasons[0].get("feature") == "in_default", s.reasons)
                    for p, s in party_scores(self._engine, borrower_ids,
                                             self._stored_run).items()}
        if self._scores is None:
            return {}
        ids = np.asarray(list(borrower_ids), dtype=str)
        at = self._scores.positions(ids)
        return {party: BorrowerPd(float(self._scores.pd[row]),
                                  bool(self._scores.in_default[row]),
                                  self._scores.reasons[row])
                for party, row in zip(ids.tolist(), at.tolist(), strict=True) if row >= 0}

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "pd_model": self.model_id,
                "pd_source": self.pd_source, "lgd_segments": len(self.lgd.segments),
                "flags_run": self.flags_run,
                "flags_run_as_of": None if self.flags_run_as_of is None
                else self.flags_run_as_of.isoformat(),
                "previous_run": self.previous_run}


def _run_on_or_before(session: Session, as_of: date, *, strictly: bool
                      ) -> tuple[int, date] | None:
    query = select(ScanRun.id, ScanRun.as_of).where(
        ScanRun.status == ScanStatus.SUCCEEDED.value,  # type: ignore[arg-type]
        (ScanRun.as_of < as_of) if strictly else (ScanRun.as_of <= as_of))  # type: ignore
    row = session.execute(query.order_by(ScanRun.as_of.desc(),  # type: ignore[attr-defined]
                                         ScanRun.id.desc())  # type: ignore[union-attr]
                          .limit(1)).first()
    return None if row is None else (int(row[0]), row[1])


def _stored_scores_run(session: Session, as_of: date, model_id: str) -> int | None:
    """The newest succeeded run of ``as_of`` that stored scores of ``model_id``."""
    model = parse_model_id(model_id)
    runs = session.execute(select(ScanRun.id).where(
        ScanRun.status == ScanStatus.SUCCEEDED.value,  # type: ignore[arg-type]
        ScanRun.as_of == as_of).order_by(ScanRun.id.desc())).scalars().all()  # type: ignore
    for run_id in runs:
        scored = session.execute(select(ScanPartyScore.model_id).where(
            ScanPartyScore.run_id == run_id).limit(1)).scalar()  # type: ignore[arg-type]
        if scored is not None and int(scored) == model:
            return int(run_id)
    return None


def review_basis(engine: Engine, graph: GraphStore, as_of: date) -> ReviewBasis:
    """The basis of every review as of ``as_of`` (see the module): one read of the whole
    book for the LGD table, and the borrowers' PDs from the scan of that date or scored
    once.

    Raises:
        AsOfBeforeData: no loan was disbursed on or before ``as_of``.
    """
    book = load_book(engine, as_of, bureau=False)  # the LGD table reads no bureau figure
    dq = delinquency(book)
    lgd = book_lgd(book, dq, secured_loans(graph, book.loan_ids.tolist()))
    registered = production_model(engine)
    with Session(engine) as session:
        flags = _run_on_or_before(session, as_of, strictly=False)
        previous = _run_on_or_before(session, as_of, strictly=True)
        stored = None if registered is None \
            else _stored_scores_run(session, as_of, registered.id)
    scores = None
    if registered is None:
        source = "none"
    elif stored is not None:
        source = f"scan run {stored}"
    else:
        scores = score_portfolio(engine, graph, as_of, registered).scores
        source = "scored"
    return ReviewBasis(
        as_of=as_of, lgd=lgd, model_id=None if registered is None else registered.id,
        pd_source=source, flags_run=None if flags is None else flags[0],
        flags_run_as_of=None if flags is None else flags[1],
        previous_run=None if previous is None else previous[0], _engine=engine,
        _scores=scores, _stored_run=stored)


class BasisCache:
    """The basis of each date a worker reviews, kept for ``max_age_s`` seconds: a worker
    reviewing batch after batch of one date (or one triggered review after another) builds
    the date's basis once, and again after ``max_age_s`` (a new scan or a promoted model is
    then picked up). Holds at most ``max_dates`` dates, the least recently used dropped."""

    def __init__(self, *, max_age_s: float = DEFAULT_BASIS_MAX_AGE_S, max_dates: int = 2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_age_s <= 0 or max_dates < 1:
            raise ReviewError("a basis cache needs max_age_s > 0 and max_dates >= 1")
        self._max_age_s = max_age_s
        self._max_dates = max_dates
        self._clock = clock
        self._held: OrderedDict[date, tuple[float, ReviewBasis]] = OrderedDict()

    def get(self, engine: Engine, graph: GraphStore, as_of: date) -> ReviewBasis:
        """The basis of ``as_of``, built when not held or too old."""
        now = self._clock()
        held = self._held.pop(as_of, None)
        if held is None or now - held[0] > self._max_age_s:
            held = (now, review_basis(engine, graph, as_of))
        self._held[as_of] = held
        while len(self._held) > self._max_dates:
            self._held.popitem(last=False)
        return held[1]
