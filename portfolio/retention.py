"""How long rejected rows keep their raw text, and the purge that enforces it.

A rejected row stores the source line it came from (``rejected_row.raw``), so that whoever
fixes the file sees what was wrong. Those lines are personal data (a person's name, national
id, income, phone), and they are only needed while a file is being corrected. The purge
blanks ``raw`` of batches started before a cut-off, keeping file, line, field and reason:
the record of what was rejected and why stays, the copy of the person's data goes.
``loanwatch purge-rejected`` runs it with ``LOANWATCH_REJECTED_ROW_RETENTION_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, distinct, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from portfolio.errors import PortfolioError
from portfolio.imports import ImportBatch, RejectedRow

__all__ = ["RejectedRowPurge", "purge_rejected_raw"]

_BATCH = ImportBatch.__table__  # type: ignore[attr-defined]
_REJECTED = RejectedRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class RejectedRowPurge:
    """What a purge blanked (or, on a dry run, would blank)."""

    #: Batches started before this instant were purged.
    cutoff: datetime
    #: Import batches that had rejected rows with raw text.
    batches: int
    #: Rejected rows whose raw text was blanked.
    rows: int
    dry_run: bool = False


def purge_rejected_raw(engine: Engine, *, started_before: datetime,
                       dry_run: bool = False) -> RejectedRowPurge:
    """Blank ``raw`` of every rejected row of the import batches started before
    ``started_before``; keep the rest of each row. One transaction; repeating it changes
    nothing.

    Args:
        engine: the migrated SQL database.
        started_before: a timezone-aware instant; batches whose ``started_at`` is earlier
            are purged.
        dry_run: count what would be blanked, change nothing.

    Raises:
        ValueError: ``started_before`` is naive.
        PortfolioError: the database refused (the message names the cause).
    """
    if started_before.tzinfo is None or started_before.utcoffset() is None:
        raise ValueError("started_before must be timezone-aware")
    old_batches = select(_BATCH.c.id).where(_BATCH.c.started_at < started_before)
    kept_raw = and_(_REJECTED.c.batch_id.in_(old_batches), _REJECTED.c.raw != "")
    try:
        with engine.begin() as conn:
            rows, batches = conn.execute(
                select(func.count(), func.count(distinct(_REJECTED.c.batch_id))).where(kept_raw)
            ).one()
            if rows and not dry_run:
                conn.execute(update(_REJECTED).where(kept_raw).values(raw=""))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise PortfolioError(f"purging rejected rows failed: {reason}",
                             suggestion="run the migrations (loanwatch migrate)") from exc
    return RejectedRowPurge(cutoff=started_before, batches=batches, rows=rows, dry_run=dry_run)
