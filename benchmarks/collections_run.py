"""The daily collections run on a generated portfolio: its time against the delinquency
pass it is built on, and against a naive loop over loans.

    python -m benchmarks.collections_run [--size 100000] [--bench-dir var/bench]
                                         [--naive-loans 2000] [--reuse-stale]

The imported embedded store of ``--size`` borrowers (:mod:`benchmarks.portfolios`) is copied
into a temporary folder (the original is never written), migrated, and then, in this
process, as of the generator's date D:

* **delinquency pass**: the book read and every loan's days past due computed
  (:func:`risk.classification.book.load_book` + :func:`risk.classification.delinquency.
  delinquency`), what the scan's classification phase does first: the floor of any run;
* **naive loop**: the same, one loan at a time (``load_book(loans=[id])``) for
  ``--naive-loans`` loans, extrapolated to the whole book: what a per-loan job would cost;
* **first run (D-1)**: the first collections run, which observes every loan once (a
  history row each) and opens a case per delinquent loan;
* **daily run (D)**: the run of the next day, what runs every day after (rows only for what
  changed);
* **rerun (D)**: the same date again (the stored outcome, nothing written);
* **roll rates**: the report from D-1 to D.

Case transitions go to a real audit trail on the copy. The ratios, not the absolute times,
are what to compare between machines. Issue 9's aim: the daily run under a minute at
100,000 borrowers.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_embedded

DEFAULT_SIZE: Final = 100_000
DEFAULT_NAIVE_LOANS: Final = 2_000
_AUDIT_KEY: Final = b"collections-benchmark-audit-key-0123456789"


def measure(database: Path, as_of: Any, naive_loans: int) -> list[tuple[str, float, str]]:
    """The timings on ``database`` (already a copy): (step, seconds, what it did)."""
    from sqlalchemy import text

    from auth.audit import AuditTrail
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from risk.classification.book import load_book
    from risk.classification.delinquency import delinquency
    from risk.collections.rates import roll_rates
    from risk.collections.run import run_collections

    engine = create_sql_engine(f"sqlite:///{database}")
    rows: list[tuple[str, float, str]] = []
    try:
        migrate(engine)
        started = time.perf_counter()
        book = load_book(engine, as_of)
        dq = delinquency(book)
        seconds = time.perf_counter() - started
        late = int((dq.days_past_due > 0).sum())
        rows.append(("delinquency pass", seconds, f"{len(book):,} loans, {late:,} past due"))

        ids = book.loan_ids.tolist()[:naive_loans]
        started = time.perf_counter()
        for loan in ids:
            delinquency(load_book(engine, as_of, loans=[loan]))
        seconds = (time.perf_counter() - started) * len(book) / max(len(ids), 1)
        rows.append(("naive loop (extrapolated)", seconds,
                     f"{len(ids):,} loans one by one, x{len(book) / max(len(ids), 1):.0f}"))

        trail = AuditTrail(engine, key=_AUDIT_KEY)
        try:
            for label, day in (("first run (D-1)", as_of - timedelta(days=1)),
                               ("daily run (D)", as_of), ("rerun (D)", as_of)):
                started = time.perf_counter()
                outcome = run_collections(engine, day, audit=trail, actor="benchmark")
                seconds = time.perf_counter() - started
                summary = outcome.last.summary
                history = summary.get("history_rows", {})
                cases = summary.get("cases", {})
                did = "stored outcome, nothing written" if outcome.last.already_done else (
                    f"{sum(history.values()):,} history rows, "
                    + ", ".join(f"{n:,} {event}" for event, n in cases.items() if n))
                rows.append((label, seconds, did))
            started = time.perf_counter()
            trail.flush()
            rows.append(("audit trail flush", time.perf_counter() - started,
                         "case transitions written to audit_log"))
        finally:
            trail.close()
        started = time.perf_counter()
        rates = roll_rates(engine, as_of - timedelta(days=1), as_of)
        rows.append(("roll rates (D-1 to D)", time.perf_counter() - started,
                     f"{rates.loans:,} loans, cure rate {rates.cure_rate}"))
        with engine.connect() as connection:
            cases_open = connection.execute(text(
                "SELECT count(*) FROM collection_case WHERE closed_on IS NULL")).scalar()
        rows.append(("(open cases)", 0.0, f"{cases_open:,}"))
    finally:
        engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--naive-loans", type=int, default=DEFAULT_NAIVE_LOANS)
    parser.add_argument("--reuse-stale", action="store_true",
                        help="use the imported store even if the generator changed since")
    args = parser.parse_args()
    console = Console()
    store = ensure_embedded(args.size, bench=args.bench_dir, console=console,
                            reuse_stale=args.reuse_stale)
    with tempfile.TemporaryDirectory(prefix="lw-collections-") as folder:
        copy = Path(folder) / "bench.db"
        shutil.copyfile(store.database, copy)
        console.print(f"collections on {args.size:,} borrowers (a copy of {store.database}, "
                      f"as of {store.as_of}) ...")
        rows = measure(copy, store.as_of, args.naive_loans)
    baseline = rows[0][1]
    table = Table(title=f"Daily collections run, {args.size:,} borrowers, as of {store.as_of}")
    for name in ("step", "seconds", "x delinquency pass", "what it did"):
        table.add_column(name, justify="right" if name in ("seconds", "x delinquency pass")
                         else "left")
    for step, seconds, did in rows:
        table.add_row(step, f"{seconds:.2f}" if seconds else "",
                      f"{seconds / baseline:.2f}" if seconds and baseline else "", did)
    console.print(table)


if __name__ == "__main__":
    main()
