"""Reading the scan: the latest run, a loan's result, a party's findings.

Everything here reads one run: the one the ``latest`` pointer names (see :mod:`risk.scan`),
or a run asked for by id. A run that is still running or that failed has no readable results:
its summary can be read (``run_summary``), its loans and findings cannot, so a reader never
sees half a run. Plain functions over an engine, returning plain data classes; the GraphQL
schema and the CLI turn them into their own shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import orjson
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from portfolio.models import ScanPartyScore, model_key
from portfolio.money import minor_to_decimal
from portfolio.scan_features import ScanPartyExposure, ScanPartyFeatures
from portfolio.scan_runs import (
    LATEST_POINTER,
    ScanAlert,
    ScanFinding,
    ScanFindingMember,
    ScanLoanResult,
    ScanPointer,
    ScanRun,
    ScanStatus,
)
from risk.errors import RiskError
from risk.network.features import DEGREE_NAMES

__all__ = [
    "FindingResult",
    "LoanResult",
    "RunSummary",
    "ScanNotFound",
    "StoredFeatures",
    "StoredScore",
    "findings_by_party",
    "latest_run",
    "list_runs",
    "loan_result",
    "loan_results",
    "lowest_scores_between",
    "party_features",
    "party_findings",
    "party_scores",
    "run_alert_ids",
    "run_summary",
    "top_features_by_pagerank",
    "top_scores",
]


#: Ids per query of the batched readers.
_IDS_PER_QUERY: Final = 500


class ScanNotFound(RiskError):
    """No scan run has the id asked for, or no scan has succeeded yet."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    as_of: date
    status: str
    started_at: datetime
    finished_at: datetime | None
    code_version: str
    settings: dict[str, Any]
    phases: dict[str, Any]
    summary: dict[str, Any]
    error: str | None
    latest: bool

    def as_json(self) -> dict[str, Any]:
        return {"run": self.id, "as_of": self.as_of.isoformat(), "status": self.status,
                "latest": self.latest, "started_at": self.started_at.isoformat(),
                "finished_at": None if self.finished_at is None
                else self.finished_at.isoformat(),
                "code_version": self.code_version, "settings": self.settings,
                "phases": self.phases, "summary": self.summary, "error": self.error}


@dataclass(frozen=True, slots=True)
class LoanResult:
    """One loan in one run; ``exposure`` and ``ecl`` exact in ``currency``."""

    run_id: int
    loan_id: str
    borrower_id: str
    tier: str
    stage: int
    dpd: int
    currency: str
    exposure: Decimal
    ecl: Decimal
    reasons: list[dict[str, Any]]
    review_flags: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FindingResult:
    """One finding of a run that a party belongs to."""

    run_id: int
    id: int
    kind: str
    members: list[str]
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredFeatures:
    """One party's graph features as run ``run_id`` (as of ``as_of``) stored them.

    ``degrees`` by the names of :data:`risk.network.features.DEGREE_NAMES`; ``exposure``
    (the party's own loans) and ``exposure_within`` (the other parties within ``hops``) exact
    per currency; the shares ``None`` without neighbours; ``distance_to_default`` ``None``
    beyond the search cap.
    """

    run_id: int
    as_of: date
    party_id: str
    hops: int
    degrees: dict[str, int]
    exposure: dict[str, Decimal]
    exposure_within: dict[str, Decimal]
    delinquent: bool
    defaulted: bool
    delinquent_share: float | None
    defaulted_share: float | None
    distance_to_default: int | None
    community: int
    pagerank: float
    betweenness: float

    def as_json(self) -> dict[str, Any]:
        """The shape of :meth:`risk.network.features.PartyFeatures.party` (money as decimal
        strings per currency), with the run."""
        return {"party": self.party_id, **self.degrees,
                "exposure": {c: str(v) for c, v in self.exposure.items()},
                f"exposure_{self.hops}_hops": {c: str(v)
                                               for c, v in self.exposure_within.items()},
                "delinquent": self.delinquent, "defaulted": self.defaulted,
                "delinquent_neighbour_share": self.delinquent_share,
                "defaulted_neighbour_share": self.defaulted_share,
                "distance_to_default": self.distance_to_default, "community": self.community,
                "pagerank": self.pagerank, "betweenness": self.betweenness,
                "scan_run": self.run_id}


def _latest_id(session: Session) -> int | None:
    pointer = session.get(ScanPointer, LATEST_POINTER)
    return None if pointer is None else pointer.run_id


def _summary(run: ScanRun, latest: int | None) -> RunSummary:
    assert run.id is not None
    return RunSummary(id=run.id, as_of=run.as_of, status=run.status,
                      started_at=run.started_at, finished_at=run.finished_at,
                      code_version=run.code_version, settings=run.settings,
                      phases=run.phases, summary=run.summary, error=run.error,
                      latest=run.id == latest)


def latest_run(engine: Engine) -> RunSummary | None:
    """The run readers see (the last scan that stored everything), or ``None`` before any."""
    with Session(engine) as session:
        latest = _latest_id(session)
        run = None if latest is None else session.get(ScanRun, latest)
        return None if run is None else _summary(run, latest)


def run_summary(engine: Engine, run_id: int) -> RunSummary:
    """Any stored run by id, whatever its status.

    Raises:
        ScanNotFound: no run has that id (it never existed, or retention removed it).
    """
    with Session(engine) as session:
        run = session.get(ScanRun, run_id)
        if run is None:
            raise ScanNotFound(f"no scan run with id {run_id}",
                               suggestion="`loanwatch scan show` shows the latest run")
        return _summary(run, _latest_id(session))


def list_runs(engine: Engine, limit: int = 20) -> list[RunSummary]:
    """The stored runs, newest first."""
    with Session(engine) as session:
        latest = _latest_id(session)
        runs = session.execute(select(ScanRun).order_by(
            ScanRun.id.desc()).limit(limit)).scalars().all()  # type: ignore[union-attr]
        return [_summary(run, latest) for run in runs]


def _readable(session: Session, run_id: int | None) -> int | None:
    """The run to read results from: ``run_id`` if it succeeded, else the latest."""
    if run_id is None:
        return _latest_id(session)
    run = session.get(ScanRun, run_id)
    if run is None:
        raise ScanNotFound(f"no scan run with id {run_id}")
    if run.status != ScanStatus.SUCCEEDED.value:
        raise ScanNotFound(f"scan run {run_id} {run.status}: it has no results to read",
                           suggestion="read the latest run (no run id)")
    return run_id


def loan_result(engine: Engine, loan_id: str, run_id: int | None = None) -> LoanResult | None:
    """``loan_id``'s tier, stage, days past due, exposure, ECL and reasons in the latest run
    (or in succeeded run ``run_id``); ``None`` when there is no run or the loan is not in it.
    """
    return loan_results(engine, [loan_id], run_id).get(loan_id)


def loan_results(engine: Engine, loan_ids: Sequence[str],
                 run_id: int | None = None) -> dict[str, LoanResult]:
    """:func:`loan_result` of many loans in one query per chunk of ids (a page of loans in
    the API costs one round trip): the loans found, by id."""
    found: dict[str, LoanResult] = {}
    with Session(engine) as session:
        run = _readable(session, run_id)
        if run is None:
            return found
        wanted = list(dict.fromkeys(loan_ids))
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            for row in session.execute(select(ScanLoanResult).where(
                    ScanLoanResult.run_id == run,  # type: ignore[arg-type]
                    col(ScanLoanResult.loan_id).in_(chunk))).scalars():
                found[row.loan_id] = LoanResult(
                    run_id=row.run_id, loan_id=row.loan_id, borrower_id=row.borrower_id,
                    tier=row.tier, stage=row.stage, dpd=row.dpd, currency=row.currency,
                    exposure=minor_to_decimal(row.exposure_minor, row.currency),
                    ecl=minor_to_decimal(row.ecl_minor, row.currency),
                    reasons=row.reasons, review_flags=row.review_flags)
    return found


def party_findings(engine: Engine, party_id: str,
                   run_id: int | None = None) -> list[FindingResult]:
    """The circles, mutual and joint guarantees, groups and rings ``party_id`` belongs to in
    the latest run (or succeeded run ``run_id``), in the order they were found."""
    return findings_by_party(engine, [party_id], run_id).get(party_id, [])


def findings_by_party(engine: Engine, party_ids: Sequence[str],
                      run_id: int | None = None) -> dict[str, list[FindingResult]]:
    """:func:`party_findings` of many parties in one query per chunk of ids: the parties
    that belong to a finding, by id, each list in the order the findings were found."""
    found: dict[str, list[FindingResult]] = {}
    with Session(engine) as session:
        run = _readable(session, run_id)
        if run is None:
            return found
        wanted = list(dict.fromkeys(party_ids))
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            rows = session.execute(
                select(ScanFindingMember.party_id, ScanFinding)
                .join(ScanFinding, ScanFindingMember.finding_id == ScanFinding.id)
                .where(ScanFindingMember.run_id == run,  # type: ignore[arg-type]
                       col(ScanFindingMember.party_id).in_(chunk))
                .order_by(ScanFinding.id)).all()  # type: ignore[arg-type]
            for party, r in rows:
                found.setdefault(party, []).append(FindingResult(
                    run_id=run, id=int(r.id or 0), kind=r.kind, members=r.members,
                    evidence=r.evidence))
    return found


def run_alert_ids(engine: Engine, run_id: int | None = None) -> dict[int, str]:
    """The alerts the latest run (or succeeded run ``run_id``) raised or touched:
    ``{alert id: outcome}``."""
    with Session(engine) as session:
        run = _readable(session, run_id)
        if run is None:
            return {}
        rows = session.execute(select(ScanAlert.alert_id, ScanAlert.outcome).where(
            ScanAlert.run_id == run).order_by(ScanAlert.alert_id)).all()  # type: ignore
        return {int(a): str(o) for a, o in rows}


def party_features(engine: Engine, party_ids: Sequence[str],
                   run: int | None = None) -> dict[str, StoredFeatures]:
    """The graph features of ``party_ids`` that the latest run (or succeeded run ``run``)
    stored, by party id, in two queries per chunk of ids (a page of parties in the API costs
    one round trip per table). A party the run has no features for is absent; so is every
    party before any scan.

    Raises:
        ScanNotFound: ``run`` does not exist or did not succeed.
    """
    found: dict[str, StoredFeatures] = {}
    with Session(engine) as session:
        run_id = _readable(session, run)
        scan = None if run_id is None else session.get(ScanRun, run_id)
        if scan is None:
            return found
        hops = int(scan.settings.get("feature_hops", 0))
        wanted = list(dict.fromkeys(party_ids))
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            money: dict[str, tuple[dict[str, Decimal], dict[str, Decimal]]] = {}
            for m in session.execute(select(ScanPartyExposure).where(
                    ScanPartyExposure.run_id == run_id,  # type: ignore[arg-type]
                    col(ScanPartyExposure.party_id).in_(chunk)).order_by(
                    col(ScanPartyExposure.currency))).scalars():
                own, within = money.setdefault(m.party_id, ({}, {}))
                if m.own_minor:
                    own[m.currency] = minor_to_decimal(m.own_minor, m.currency)
                if m.within_minor:
                    within[m.currency] = minor_to_decimal(m.within_minor, m.currency)
            for r in session.execute(select(ScanPartyFeatures).where(
                    ScanPartyFeatures.run_id == run_id,  # type: ignore[arg-type]
                    col(ScanPartyFeatures.party_id).in_(chunk))).scalars():
                own, within = money.get(r.party_id, ({}, {}))
                found[r.party_id] = StoredFeatures(
                    run_id=run_id, as_of=scan.as_of, party_id=r.party_id, hops=hops,
                    degrees={name: int(getattr(r, name)) for name in DEGREE_NAMES},
                    exposure=own, exposure_within=within, delinquent=bool(r.delinquent),
                    defaulted=bool(r.defaulted), delinquent_share=r.delinquent_share,
                    defaulted_share=r.defaulted_share,
                    distance_to_default=r.distance_to_default, community=int(r.community),
                    pagerank=float(r.pagerank), betweenness=float(r.betweenness))
    return found


def top_features_by_pagerank(engine: Engine, count: int,
                             run: int | None = None) -> list[StoredFeatures]:
    """The ``count`` parties of highest PageRank in the latest run (or succeeded run
    ``run``), highest first (ties by id), as :func:`party_features` reads them."""
    with Session(engine) as session:
        run_id = _readable(session, run)
        if run_id is None or count <= 0:
            return []
        ids = list(session.execute(select(ScanPartyFeatures.party_id).where(
            ScanPartyFeatures.run_id == run_id).order_by(  # type: ignore[arg-type]
            col(ScanPartyFeatures.pagerank).desc(), col(ScanPartyFeatures.party_id))
            .limit(count)).scalars())
    found = party_features(engine, ids, run_id)
    return [found[p] for p in ids]


@dataclass(frozen=True, slots=True)
class StoredScore:
    """A borrower's PD as a scan stored it, with the model that produced it and its reason
    codes (``feature``, ``value``, ``contribution``, ``text``), largest first."""

    run_id: int
    as_of: date
    party_id: str
    model_id: str
    pd: float
    points: float | None
    reasons: list[dict[str, Any]]


def party_scores(engine: Engine, party_ids: Sequence[str],
                 run: int | None = None) -> dict[str, StoredScore]:
    """The PD of ``party_ids`` that the latest run (or succeeded run ``run``) stored, by
    party id, one query per chunk of ids; a party without a score is absent (no production
    model at the time of the run, or not a borrower).

    Raises:
        ScanNotFound: ``run`` does not exist or did not succeed.
    """
    found: dict[str, StoredScore] = {}
    with Session(engine) as session:
        run_id = _readable(session, run)
        scan = None if run_id is None else session.get(ScanRun, run_id)
        if scan is None:
            return found
        wanted = list(dict.fromkeys(party_ids))
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            for r in session.execute(select(ScanPartyScore).where(
                    ScanPartyScore.run_id == run_id,  # type: ignore[arg-type]
                    col(ScanPartyScore.party_id).in_(chunk))).scalars():
                found[r.party_id] = StoredScore(
                    run_id=run_id, as_of=scan.as_of, party_id=r.party_id,
                    model_id=model_key(r.model_id), pd=float(r.pd), points=r.points,
                    reasons=orjson.loads(r.reasons))
    return found


def lowest_scores_between(engine: Engine, start: date, end: date
                          ) -> tuple[dict[str, float], list[date]]:
    """For the PD-rise rule: per borrower, the lowest PD stored by the succeeded runs dated
    ``start <= as_of < end`` (one grouped query), and the dates of those runs, oldest first.
    Empty when no succeeded run falls in the window."""
    with Session(engine) as session:
        runs = dict(session.execute(select(ScanRun.id, ScanRun.as_of).where(
            ScanRun.status == ScanStatus.SUCCEEDED.value,  # type: ignore[arg-type]
            ScanRun.as_of >= start, ScanRun.as_of < end)).all())  # type: ignore[operator]
        if not runs:
            return {}, []
        lowest = select(ScanPartyScore.party_id, func.min(ScanPartyScore.pd)).where(
            col(ScanPartyScore.run_id).in_(list(runs))).group_by(ScanPartyScore.party_id)
        return ({str(p): float(v) for p, v in session.execute(lowest).all()},
                sorted(set(runs.values())))


def top_scores(engine: Engine, count: int, *, in_default: bool = False,
               run: int | None = None) -> list[StoredScore]:
    """The ``count`` highest PDs of the latest run (or succeeded run ``run``), highest first
    (ties by party id); borrowers already in default (PD 1) only with ``in_default``."""
    with Session(engine) as session:
        run_id = _readable(session, run)
        if run_id is None or count <= 0:
            return []
        query = select(ScanPartyScore.party_id).where(
            ScanPartyScore.run_id == run_id)  # type: ignore[arg-type]
        if not in_default:
            query = query.where(ScanPartyScore.pd < 1.0)  # type: ignore[arg-type]
        ids = list(session.execute(query.order_by(
            col(ScanPartyScore.pd).desc(), col(ScanPartyScore.party_id)).limit(count)).scalars())
    found = party_scores(engine, ids, run_id)
    return [found[p] for p in ids]
