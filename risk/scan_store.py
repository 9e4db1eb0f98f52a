"""Where a scan run's results are written: the loan results and findings under the run's
id, then the ``latest`` pointer flipped with the status ``succeeded`` in one last small
transaction (old runs pruned), or, on failure, the run's rows deleted and the run kept as
``failed`` with its error. See :mod:`risk.scan` for why a pointer and not one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlmodel import Session

from portfolio.models import ScanPartyScore
from portfolio.money import exponent_of
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
from risk.alerts.lifecycle import RaiseOutcome
from risk.classification.assessment import LoanAssessment
from risk.classification.graph_flags import GraphFlags
from risk.models.registry import parse_model_id
from risk.models.scores import PartyScores
from risk.network.features import DEGREE_NAMES, PartyFeatures

__all__ = ["Finding", "fail_run", "finish_run", "store_features", "store_results",
           "store_scores"]

#: Rows per insert statement when storing results.
_INSERT_CHUNK: Final = 5_000


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding to store: ``kind``, member party ids, and the evidence (JSON-ready)."""

    kind: str
    members: list[str]
    evidence: dict[str, Any]


def _loan_row(run_id: int, loan: LoanAssessment,
              flags: GraphFlags | None = None) -> dict[str, Any]:
    exponent = exponent_of(loan.currency)
    return {"run_id": run_id, "loan_id": loan.loan_id, "borrower_id": loan.borrower_id,
            "tier": loan.tier.slug, "stage": loan.stage, "dpd": loan.days_past_due,
            "currency": loan.currency,
            "exposure_minor": int(loan.exposure.scaleb(exponent)),
            "ecl_minor": int(loan.ecl.scaleb(exponent)),
            "reasons": [reason.as_json() for reason in loan.reasons],
            "review_flags": [] if flags is None else [
                flag.as_json() for flag in flags.of(loan.loan_id)]}


def store_results(engine: Engine, run_id: int, loans: Sequence[LoanAssessment],
                  findings: Sequence[Finding], flags: GraphFlags | None) -> None:
    """The run's loan results (with their review ``flags``) and findings under its id, in
    one transaction."""
    loan_table = ScanLoanResult.__table__  # type: ignore[attr-defined]
    finding_table = ScanFinding.__table__  # type: ignore[attr-defined]
    members = ScanFindingMember.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        for start in range(0, len(loans), _INSERT_CHUNK):
            connection.execute(insert(loan_table), [
                _loan_row(run_id, loan, flags) for loan in loans[start:start + _INSERT_CHUNK]])
        for start in range(0, len(findings), _INSERT_CHUNK):
            chunk = findings[start:start + _INSERT_CHUNK]
            ids = connection.execute(
                insert(finding_table).returning(finding_table.c.id,
                                                sort_by_parameter_order=True),
                [{"run_id": run_id, "kind": f.kind, "members": f.members,
                  "evidence": f.evidence} for f in chunk]).scalars().all()
            rows = [{"finding_id": finding_id, "party_id": party, "run_id": run_id}
                    for finding_id, f in zip(ids, chunk, strict=True)
                    for party in dict.fromkeys(f.members)]
            for at in range(0, len(rows), _INSERT_CHUNK):
                connection.execute(insert(members), rows[at:at + _INSERT_CHUNK])


def _nullable(values: list[float]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values]


def _insert_many(connection: Connection, table: Table, names: list[str],
                 rows: list[tuple[object, ...]]) -> None:
    """Insert ``rows`` (tuples in the order of ``names``): on PostgreSQL (psycopg) one
    ``COPY ... FROM STDIN`` (measured 4x faster than ``executemany`` at 200,000 parties); on
    SQLite a plain driver ``executemany`` in chunks (SQLAlchemy's per-row parameter processing
    was two thirds of the time of its own ``insert``, and these values need none).
    """
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        raw = connection.connection.driver_connection  # psycopg's, in our transaction
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(connection.dialect.paramstyle)
    if marks is None:  # another driver: SQLAlchemy's own executemany
        for start in range(0, len(rows), _INSERT_CHUNK):
            connection.execute(insert(table), [dict(zip(names, row, strict=True))
                                               for row in rows[start:start + _INSERT_CHUNK]])
        return
    statement = (f"INSERT INTO {table.name} ({', '.join(names)}) "
                 f"VALUES ({', '.join([marks] * len(names))})")
    for start in range(0, len(rows), _INSERT_CHUNK):
        connection.exec_driver_sql(statement, rows[start:start + _INSERT_CHUNK])


def store_features(engine: Engine, run_id: int, features: PartyFeatures) -> int:
    """Every party's graph features under the run id, in one transaction: one
    ``scan_party_features`` row per party, one ``scan_party_exposure`` row per party and
    currency with a non-zero exposure (exact minor units). Returns the rows written.

    Built column by column from the arrays (``tolist`` once per column), then inserted in
    chunks of plain executemany: linear in the parties, no JSON encoding.
    """
    table = ScanPartyFeatures.__table__  # type: ignore[attr-defined]
    exposure = ScanPartyExposure.__table__  # type: ignore[attr-defined]
    n = features.n_parties
    distance = features.distance_to_default
    columns: dict[str, list[object]] = {
        "run_id": [run_id] * n, "party_id": features.party_ids.tolist(),
        **{name: features.degrees[:, k].tolist() for k, name in enumerate(DEGREE_NAMES)},
        "delinquent": features.delinquent.tolist(), "defaulted": features.defaulted.tolist(),
        "delinquent_share": _nullable(features.delinquent_share.tolist()),
        "defaulted_share": _nullable(features.defaulted_share.tolist()),
        "distance_to_default": [None if math.isinf(d) else int(d) for d in distance.tolist()],
        "community": features.community.tolist(), "pagerank": features.pagerank.tolist(),
        "betweenness": features.betweenness.tolist()}
    rows = list(zip(*columns.values(), strict=True))
    names = list(columns)
    del columns
    at_party, at_currency = np.nonzero((features.exposure_own != 0)
                                       | (features.exposure_k != 0))
    money = list(zip([run_id] * len(at_party), features.party_ids[at_party].tolist(),
                     [features.currencies[c] for c in at_currency.tolist()],
                     features.exposure_own[at_party, at_currency].tolist(),
                     features.exposure_k[at_party, at_currency].tolist(), strict=True))
    with engine.begin() as connection:
        _insert_many(connection, table, names, rows)
        _insert_many(connection, exposure, ["run_id", "party_id", "currency", "own_minor",
                                            "within_minor"], money)
    return len(rows) + len(money)


def store_scores(engine: Engine, run_id: int, scores: PartyScores) -> int:
    """Every borrower's PD under the run id, in one transaction: one ``scan_party_score``
    row per borrower naming the model that produced it, the reason codes as JSON."""
    table = ScanPartyScore.__table__  # type: ignore[attr-defined]
    model = parse_model_id(scores.model_id)
    n = len(scores)
    rows = list(zip([run_id] * n, scores.party_ids.tolist(), [model] * n,
                    scores.pd.tolist(), _nullable(scores.points.tolist()),
                    [orjson.dumps(r).decode() for r in scores.reasons], strict=True))
    with engine.begin() as connection:
        _insert_many(connection, table, ["run_id", "party_id", "model_id", "pd", "points",
                                         "reasons"], rows)
    return n


def finish_run(engine: Engine, run_id: int, timings: dict[str, dict[str, float]],
            summary: dict[str, Any], outcomes: list[RaiseOutcome], retention: int,
            at: datetime) -> None:
    """Point ``latest`` at the run and mark it succeeded, in one transaction; prune."""
    pointers = {o.alert_id: o.outcome for o in outcomes}
    with Session(engine) as session, session.begin():
        for start in range(0, len(pointers), _INSERT_CHUNK):
            session.execute(insert(ScanAlert), [
                {"run_id": run_id, "alert_id": alert_id, "outcome": outcome}
                for alert_id, outcome in list(pointers.items())[start:start + _INSERT_CHUNK]])
        session.execute(update(ScanRun).where(ScanRun.id == run_id).values(  # type: ignore[arg-type]
            status=ScanStatus.SUCCEEDED.value, finished_at=at, phases=timings,
            summary=summary))
        pointer = session.get(ScanPointer, LATEST_POINTER, with_for_update=True)
        if pointer is None:
            session.add(ScanPointer(name=LATEST_POINTER, run_id=run_id))
        else:
            pointer.run_id = run_id
        session.flush()
        kept = select(ScanRun.id).where(ScanRun.status == ScanStatus.SUCCEEDED.value) \
            .order_by(ScanRun.id.desc()).limit(retention)  # type: ignore[union-attr]
        old = session.execute(select(ScanRun.id).where(
            ScanRun.id < run_id, ScanRun.id.not_in(kept.scalar_subquery())  # type: ignore
        )).scalars().all()
        _delete_rows(session, list(old), runs_too=True)


def _delete_rows(session: Session, run_ids: list[int], *, runs_too: bool) -> None:
    if not run_ids:
        return
    for table in (ScanFindingMember, ScanFinding, ScanLoanResult, ScanAlert,
                  ScanPartyExposure, ScanPartyFeatures, ScanPartyScore):
        session.execute(delete(table).where(table.run_id.in_(run_ids)))  # type: ignore
    if runs_too:
        session.execute(delete(ScanRun).where(ScanRun.id.in_(run_ids)))  # type: ignore


def fail_run(engine: Engine, run_id: int, timings: dict[str, dict[str, float]],
          exc: BaseException, at: datetime) -> None:
    """Mark the run failed with its error and delete whatever rows it stored."""
    with Session(engine) as session, session.begin():
        _delete_rows(session, [run_id], runs_too=False)
        session.execute(update(ScanRun).where(ScanRun.id == run_id).values(  # type: ignore[arg-type]
            status=ScanStatus.FAILED.value, finished_at=at, phases=timings,
            error=f"{type(exc).__name__}: {exc}"[:4000]))

