"""Portfolio lists: borrowers and loans of the latest scan, filtered and sorted, a page at a
time.

The figures are those the latest ``loanwatch scan`` stored per loan (tier, IFRS 9 stage,
days past due, exposure; :class:`portfolio.scan_runs.ScanLoanResult`); a borrower's are the
worst (tier, stage, days past due) and the sum (exposure, in one currency) over its loans.
Before any scan the lists are empty.

Filters combine with AND:

* ``dpd_buckets``, ``tiers``, ``stages``: the loan's figure, or the borrower's worst, falls
  in one of them;
* ``products``: only loans of these products count (a borrower's figures are over those);
* ``region`` (a party's province or city) and ``sector``: the borrower's attribute in the
  graph, ignoring case (:meth:`graph.store.GraphStore.party_ids_where`);
* ``group`` (the ultimate controller of a corporate group) and ``circle`` (a finding id of
  the latest scan): the borrower belongs to it;
* ``exposure_min`` / ``exposure_max``: the exposure in ``currency`` lies between them.

Sorting is done by the database, then the graph-side filters (region, sector) are applied
while reading the sorted rows, so a page costs one aggregate query (plus one graph read
per graph-side filter) whatever the portfolio's size, and reading stops at the page's end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Engine, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from graph.store import GraphStore
from portfolio.loans import Loan
from portfolio.money import CURRENCY_EXPONENTS, minor_to_decimal
from portfolio.scan_runs import ScanFinding, ScanFindingMember, ScanLoanResult
from risk.classification.tiers import Tier
from risk.errors import RiskError
from risk.scan_results import latest_run

__all__ = [
    "DPD_BUCKETS",
    "REGION_KEYS",
    "SECTOR_KEYS",
    "BorrowerRow",
    "ListFilter",
    "ListOrder",
    "LoanRow",
    "PortfolioListError",
    "borrower_page",
    "loan_page",
]

#: Days-past-due buckets by name, inclusive bounds (``None``: no upper bound).
DPD_BUCKETS: Final[dict[str, tuple[int, int | None]]] = {
    "current": (0, 0),
    "dpd_1_30": (1, 30),
    "dpd_31_60": (31, 60),
    "dpd_61_90": (61, 90),
    "dpd_91_180": (91, 180),
    "dpd_over_180": (181, None),
}
#: The graph properties a region and a sector filter match.
REGION_KEYS: Final = ("province", "city")
SECTOR_KEYS: Final = ("sector",)
#: Rows fetched from the database at a time while graph-side filters skip some.
_FETCH_ROWS: Final = 2_000


class PortfolioListError(RiskError):
    """A list's filter names something impossible (an unknown bucket, tier or currency)."""


class ListOrder(StrEnum):
    EXPOSURE_DESC = "exposure_desc"
    EXPOSURE_ASC = "exposure_asc"
    DPD_DESC = "dpd_desc"
    TIER_DESC = "tier_desc"
    ID = "id"


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What a list keeps (see the module); empty collections and ``None`` keep all."""

    dpd_buckets: Collection[str] = ()
    tiers: Collection[str] = ()
    stages: Collection[int] = ()
    products: Collection[str] = ()
    region: str | None = None
    sector: str | None = None
    group: str | None = None
    circle: int | None = None
    currency: str | None = None
    exposure_min: Decimal | None = None
    exposure_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BorrowerRow:
    """A borrower of a list: its worst figures and its exposure in ``currency``."""

    party_id: str
    loans: int
    tier: str
    stage: int
    dpd: int
    currency: str
    exposure: Decimal


@dataclass(frozen=True, slots=True)
class LoanRow:
    """A loan of a list, with its figures in the latest scan."""

    loan_id: str
    borrower_id: str
    product: str
    tier: str
    stage: int
    dpd: int
    currency: str
    exposure: Decimal


_LOANS = Loan.__table__  # type: ignore[attr-defined]
_MEMBERS = ScanFindingMember.__table__  # type: ignore[attr-defined]
_R = ScanLoanResult.__table__.c  # type: ignore[attr-defined]
_L = _LOANS.c
_M = _MEMBERS.c
_F = ScanFinding.__table__.c  # type: ignore[attr-defined]
_TIER_RANK: Final = case({tier.slug: int(tier) for tier in Tier}, value=_R.tier, else_=0)


def _tier_slug(rank: int) -> str:
    return Tier(int(rank)).slug


def _check(flt: ListFilter) -> None:
    unknown = [b for b in flt.dpd_buckets if b not in DPD_BUCKETS]
    if unknown:
        raise PortfolioListError(f"unknown days-past-due bucket {unknown[0]!r}",
                                 suggestion=f"one of {', '.join(DPD_BUCKETS)}")
    for tier in flt.tiers:
        try:
            Tier.from_slug(tier)
        except ValueError as exc:
            raise PortfolioListError(str(exc)) from None
    if flt.currency is not None and flt.currency not in CURRENCY_EXPONENTS:
        raise PortfolioListError(f"unknown currency {flt.currency!r}",
                                 suggestion="an ISO 4217 code such as CNY")


def _bucket_condition(column: Any, buckets: Iterable[str]) -> Any:
    parts = []
    for name in buckets:
        low, high = DPD_BUCKETS[name]
        parts.append(column >= low if high is None else column.between(low, high))
    return or_(*parts)


def _to_minor(amount: Decimal, currency: str) -> int:
    return int((amount.scaleb(CURRENCY_EXPONENTS[currency])).to_integral_value())


def _list_currency(session: Session, run_id: int, flt: ListFilter) -> str | None:
    """The currency exposures are summed in: the filter's, else the run's largest."""
    if flt.currency is not None:
        return flt.currency
    row = session.execute(
        select(_R.currency).where(_R.run_id == run_id).group_by(_R.currency)
        .order_by(func.sum(_R.exposure_minor).desc(), _R.currency).limit(1)).first()
    return None if row is None else str(row[0])


def _member_ids(session: Session, run_id: int, flt: ListFilter) -> Any | None:
    """A subquery of the party ids of the filter's group or circle, or ``None``; raises
    when the group names no group of the run (an unknown circle simply matches nothing)."""
    finding_ids: list[int] = []
    if flt.group is not None:
        rows = session.execute(
            select(_F.id, _F.evidence).join(_MEMBERS, _M.finding_id == _F.id)
            .where(_M.run_id == run_id, _M.party_id == flt.group, _F.kind == "group")).all()
        heads = [int(i) for i, evidence in rows if evidence.get("controller") == flt.group]
        if not heads:
            raise PortfolioListError(f"no corporate group of the latest scan is headed by "
                                     f"{flt.group!r}",
                                     suggestion="groups are named by their ultimate controller")
        finding_ids.extend(heads)
    conditions = []
    if finding_ids:
        conditions.append(_M.finding_id.in_(finding_ids))
    if flt.circle is not None:
        conditions.append(_M.finding_id == flt.circle)
    if not conditions:
        return None
    return select(_M.party_id).where(_M.run_id == run_id, *conditions)


def _graph_allowed(graph: GraphStore, flt: ListFilter) -> set[str] | None:
    allowed: set[str] | None = None
    for keys, value in ((REGION_KEYS, flt.region), (SECTOR_KEYS, flt.sector)):
        if value is None:
            continue
        ids = set(graph.party_ids_where(keys, value))
        allowed = ids if allowed is None else allowed & ids
    return allowed


def _scope(records: Engine, graph: GraphStore,
           flt: ListFilter) -> tuple[int, set[str] | None] | None:
    """What a list reads, once ``flt`` is checked: the latest scan's id and the borrowers
    the graph-side filters allow (``None``: all of them); ``None`` when the list is empty
    whatever else it asks (no scan yet, or no borrower passes region and sector).

    Raises:
        PortfolioListError: the filter names an unknown bucket, tier or currency.
    """
    _check(flt)
    run = latest_run(records)
    if run is None:
        return None
    allowed = _graph_allowed(graph, flt)
    if allowed is not None and not allowed:
        return None
    return run.id, allowed


def _page(session: Session, query: Any, allowed: set[str] | None, offset: int,
          limit: int) -> list[Any]:
    """``limit`` rows of ``query`` from ``offset``, counting only rows whose borrower is
    ``allowed`` (all when ``None``: then the database pages; else the sorted rows are read
    a batch at a time until the page is full)."""
    if allowed is None:
        return list(session.execute(query.offset(offset).limit(limit)).all())
    kept: list[Any] = []
    skipped = 0
    for row in session.execute(query.execution_options(yield_per=_FETCH_ROWS)):
        if row.borrower_id not in allowed:
            continue
        if skipped < offset:
            skipped += 1
            continue
        kept.append(row)
        if len(kept) >= limit:
            break
    return kept


def borrower_page(records: Engine, graph: GraphStore, flt: ListFilter, order: ListOrder, *,
                  offset: int, limit: int) -> list[BorrowerRow]:
    """Borrowers of the latest scan that pass ``flt``, sorted by ``order`` (ties by id),
    ``limit`` of them from ``offset``; empty before any scan.

    Raises:
        PortfolioListError: the filter names an unknown bucket, tier, currency or group.
    """
    scope = _scope(records, graph, flt)
    if scope is None:
        return []
    run_id, allowed = scope
    with Session(records) as session:
        currency = _list_currency(session, run_id, flt)
        if currency is None:
            return []
        exposure = func.sum(case((_R.currency == currency, _R.exposure_minor),
                                 else_=literal(0))).label("exposure")
        dpd, stage = func.max(_R.dpd).label("dpd"), func.max(_R.stage).label("stage")
        tier = func.max(_TIER_RANK).label("tier")
        query = select(_R.borrower_id, func.count().label("loans"), tier, stage, dpd, exposure)
        query = query.where(_R.run_id == run_id)
        if flt.products:
            query = query.join(_LOANS, _L.id == _R.loan_id).where(
                _L.product.in_(list(flt.products)))
        members = _member_ids(session, run_id, flt)
        if members is not None:
            query = query.where(_R.borrower_id.in_(members))
        query = query.group_by(_R.borrower_id)
        having = []
        if flt.dpd_buckets:
            having.append(_bucket_condition(dpd, flt.dpd_buckets))
        if flt.tiers:
            having.append(tier.in_([int(Tier.from_slug(t)) for t in flt.tiers]))
        if flt.stages:
            having.append(stage.in_(list(flt.stages)))
        if flt.exposure_min is not None:
            having.append(exposure >= _to_minor(flt.exposure_min, currency))
        if flt.exposure_max is not None:
            having.append(exposure <= _to_minor(flt.exposure_max, currency))
        if having:
            query = query.having(and_(*having))
        sort = {ListOrder.EXPOSURE_DESC: [exposure.desc()], ListOrder.EXPOSURE_ASC: [exposure],
                ListOrder.DPD_DESC: [dpd.desc()], ListOrder.TIER_DESC: [tier.desc()],
                ListOrder.ID: []}[order]
        query = query.order_by(*sort, _R.borrower_id)
        rows = _page(session, query, allowed, offset, limit)
        return [BorrowerRow(party_id=r.borrower_id, loans=int(r.loans),
                            tier=_tier_slug(r.tier), stage=int(r.stage), dpd=int(r.dpd),
                            currency=currency,
                            exposure=minor_to_decimal(int(r.exposure or 0), currency))
                for r in rows]


def loan_page(records: Engine, graph: GraphStore, flt: ListFilter, order: ListOrder, *,
              offset: int, limit: int) -> list[LoanRow]:
    """Loans of the latest scan that pass ``flt`` (``currency`` keeps only loans in it),
    sorted by ``order`` (ties by id), ``limit`` of them from ``offset``; empty before any
    scan.

    Raises:
        PortfolioListError: the filter names an unknown bucket, tier, currency or group.
    """
    scope = _scope(records, graph, flt)
    if scope is None:
        return []
    run_id, allowed = scope
    with Session(records) as session:
        query = (select(_R.loan_id, _R.borrower_id, _L.product, _R.tier, _R.stage, _R.dpd,
                        _R.currency, _R.exposure_minor)
                 .join(_LOANS, _L.id == _R.loan_id).where(_R.run_id == run_id))
        if flt.products:
            query = query.where(_L.product.in_(list(flt.products)))
        if flt.dpd_buckets:
            query = query.where(_bucket_condition(_R.dpd, flt.dpd_buckets))
        if flt.tiers:
            query = query.where(_R.tier.in_([Tier.from_slug(t).slug for t in flt.tiers]))
        if flt.stages:
            query = query.where(_R.stage.in_(list(flt.stages)))
        if flt.currency is not None:
            query = query.where(_R.currency == flt.currency)
            if flt.exposure_min is not None:
                query = query.where(_R.exposure_minor >= _to_minor(flt.exposure_min,
                                                                   flt.currency))
            if flt.exposure_max is not None:
                query = query.where(_R.exposure_minor <= _to_minor(flt.exposure_max,
                                                                   flt.currency))
        elif flt.exposure_min is not None or flt.exposure_max is not None:
            raise PortfolioListError("an exposure range needs a currency",
                                     suggestion="give currency, e.g. CNY")
        members = _member_ids(session, run_id, flt)
        if members is not None:
            query = query.where(_R.borrower_id.in_(members))
        sort = {ListOrder.EXPOSURE_DESC: [_R.exposure_minor.desc()],
                ListOrder.EXPOSURE_ASC: [_R.exposure_minor], ListOrder.DPD_DESC: [_R.dpd.desc()],
                ListOrder.TIER_DESC: [_TIER_RANK.desc()], ListOrder.ID: []}[order]
        query = query.order_by(*sort, _R.loan_id)
        rows = _page(session, query, allowed, offset, limit)
        return [LoanRow(loan_id=r.loan_id, borrower_id=r.borrower_id, product=r.product,
                        tier=r.tier, stage=int(r.stage), dpd=int(r.dpd), currency=r.currency,
                        exposure=minor_to_decimal(int(r.exposure_minor), r.currency))
                for r in rows]
