"""``loanwatch purge-rejected``: blank the raw text of old rejected rows.

Rejected rows keep the source line they came from, which is personal data; after
``LOANWATCH_REJECTED_ROW_RETENTION_DAYS`` (90 by default) it has done its job. Run this
daily (cron, a scheduled job): see :mod:`portfolio.retention`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from loanwatch.settings import Settings
from loanwatch.wiring import create_engine_from_settings
from portfolio.retention import purge_rejected_raw

__all__ = ["purge_rejected"]


def purge_rejected(
    older_than: int | None = typer.Option(
        None, "--older-than", min=0, metavar="DAYS",
        help="Purge batches started more than DAYS days ago "
             "(default: LOANWATCH_REJECTED_ROW_RETENTION_DAYS, else 90)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count the rows that would be blanked; change nothing."),
) -> None:
    """Blank the raw source text of rejected rows of old import batches.

    File, line, field and reason stay; the copy of the row's data goes.
    """
    settings = Settings.from_environ()
    days = settings.rejected_row_retention_days if older_than is None else older_than
    cutoff = datetime.now(UTC) - timedelta(days=days)
    engine = create_engine_from_settings(settings)
    try:
        purge = purge_rejected_raw(engine, started_before=cutoff, dry_run=dry_run)
    finally:
        engine.dispose()
    verb = "would blank" if dry_run else "blanked"
    Console().print(
        f"{verb} the raw text of {purge.rows:,} rejected rows in {purge.batches:,} import "
        f"batches started before {cutoff:%Y-%m-%d %H:%M} UTC ({days} days ago)",
        highlight=False)
