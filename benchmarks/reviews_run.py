"""Reviews of every loan of a generated portfolio in one process, against the scan's time per
loan in the same run: reviews/s, and where a review's time goes.

    python -m benchmarks.reviews_run [--size 100000] [--bench-dir var/bench] [--batch 500]
                                     [--limit N] [--profile-batches 10] [--model]
                                     [--work-dir DIR]
    python -m benchmarks.reviews_run --broker-url redis://HOST:PORT/DB [--workers 2]
                                     [--threads 1] ...   (benchmarks/reviews_broker.py)

The imported store (``<bench-dir>/embedded-<size>.db``, made by
:func:`benchmarks.portfolios.ensure_embedded` when absent) is copied into a temporary folder
(never written), migrated, scanned once as of the generator's date (the baseline: the scan's
seconds per loan it classified), then every loan due on that date is reviewed in batches of
``--batch`` through :func:`risk.reviews.run_reviews` with one
:class:`~risk.reviews.ReviewBasis`, as one worker process would. ``--model`` first fits and
promotes a gradient-boosting PD model a year before the date, so the scan scores and the
reviews read its stored PDs. The first ``--profile-batches`` batches run under cProfile: the
table splits their time between the steps of a review (reading the sub-book, classifying,
the graph, the alerts, the scan's flags, writing). Issue 9's aim is 100,000 reviews in under
two minutes with two workers, about 420 reviews/s per worker.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_embedded, portfolio_as_of
from benchmarks.reviews_broker import measure_broker, report_broker

DEFAULT_SIZE: Final = 100_000
#: The steps of a review, as the functions of ``risk.reviews.review`` and what they call.
STEPS: Final = (
    ("already stored?", "stored_reviews"),
    ("loan ids checked", "check_loans"),
    ("sub-book read (load_book)", "load_book"),
    ("classification + ECL (assess_book)", "assess_book"),
    ("graph: retail, collateral", "borrower_is_retail"),
    ("graph: collateral", "loan_collateral"),
    ("graph: guarantees", "_guarantees"),
    ("PD (basis)", "pd_of"),
    ("overrides", "overrides_for"),
    ("alerts", "_alerts"),
    ("scan flags (loan_results)", "loan_results"),
    ("previous tiers", "_previous_tiers"),
    ("records built", "_record"),
    ("write (one transaction)", "_write"),
)


def _fit_model(engine: Any, graph: Any, as_of: date) -> str:
    from risk.models.dataset import build_dataset
    from risk.models.default_definition import DEFAULT
    from risk.models.gbm import fit_gbm
    from risk.models.registry import promote, register_model

    trained_on = date(as_of.year - 1, as_of.month, min(as_of.day, 28))
    dataset = build_dataset(engine, graph, trained_on)
    assert dataset.label is not None
    model = fit_gbm(dataset.frame, dataset.label.astype(int), seed=0)
    model_id = register_model(
        engine, kind="gbm", payload=model.to_bytes(), feature_names=model.feature_names,
        target="default within 12 months",
        training={"as_of": trained_on.isoformat(), "definition": asdict(DEFAULT),
                  "graph_features": True}, metrics={}, scope="portfolio",
        code_version="benchmark")
    promote(engine, model_id, reason="benchmark", actor="benchmark")
    return model_id


def _steps(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile)
    found: dict[str, float] = {}
    for (_file, _line, name), (_cc, _nc, _tt, cumulative, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        for label, function in STEPS:
            if name == function:
                found[label] = found.get(label, 0.0) + cumulative
    return found


def measure(database: Path, as_of: date, *, batch: int, limit: int | None,
            profile_batches: int, model: bool, console: Console) -> dict[str, Any]:
    from graph.stores.embedded import EmbeddedGraphStore
    from loanwatch.migrations import migrate
    from portfolio.database import create_sql_engine
    from risk.reviews import due_reviews, review_basis, run_reviews
    from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
    from risk.scan import ScanSettings, run_scan

    engine = create_sql_engine(f"sqlite:///{database}")
    graph = EmbeddedGraphStore(engine)
    result: dict[str, Any] = {}
    try:
        migrate(engine)
        if model:
            started = time.perf_counter()
            result["model"] = _fit_model(engine, graph, as_of)
            result["model_seconds"] = time.perf_counter() - started
        console.print("scanning (the baseline) ...")
        started = time.perf_counter()
        outcome = run_scan(engine, graph, as_of, rules=load_rules(DEFAULT_RULES_FILE),
                           settings=ScanSettings(actor="benchmark"))
        result["scan_seconds"] = time.perf_counter() - started
        result["scan_loans"] = int(outcome.summary["loans"])
        started = time.perf_counter()
        loans: list[str] = []
        after: str | None = None
        while True:
            page = due_reviews(engine, as_of, 10_000, after=after)
            loans += [d.loan_id for d in page]
            if len(page) < 10_000:
                break
            after = page[-1].loan_id
        loans = loans[:limit] if limit else loans
        result["due_seconds"] = time.perf_counter() - started
        console.print(f"{len(loans):,} loans due; building the basis ...")
        started = time.perf_counter()
        basis = review_basis(engine, graph, as_of)
        result["basis_seconds"] = time.perf_counter() - started
        result["pd_source"] = basis.pd_source
        profile = cProfile.Profile()
        profiled = {"loans": 0, "seconds": 0.0}
        started = time.perf_counter()
        statuses: dict[str, int] = {}
        for index, start in enumerate(range(0, len(loans), batch)):
            chunk = loans[start:start + batch]
            if index < profile_batches:
                began = time.perf_counter()
                profile.enable()
                done = run_reviews(engine, graph, chunk, as_of, basis=basis)
                profile.disable()
                profiled["seconds"] += time.perf_counter() - began
                profiled["loans"] += len(chunk)
            else:
                done = run_reviews(engine, graph, chunk, as_of, basis=basis)
            for review in done:
                statuses[review.status] = statuses.get(review.status, 0) + 1
            if index % 20 == 0:
                console.print(f"  {start + len(chunk):,} reviewed, "
                              f"{time.perf_counter() - started:.0f} s", highlight=False)
        result["review_seconds"] = time.perf_counter() - started
        result["reviews"] = len(loans)
        result["statuses"] = statuses
        result["profiled"] = profiled
        result["steps"] = _steps(profile) if profiled["loans"] else {}
    finally:
        graph.close()
        engine.dispose()
    return result


def report(size: int, figures: dict[str, Any], console: Console) -> None:
    reviews, seconds = figures["reviews"], figures["review_seconds"]
    per_scan_loan = figures["scan_seconds"] / max(figures["scan_loans"], 1)
    rate = reviews / seconds if seconds else float("inf")
    table = Table(title=f"reviews of a {size:,}-borrower portfolio, one process (embedded "
                        "store, SQLite)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("scan (baseline): seconds", f"{figures['scan_seconds']:.1f}")
    table.add_row("scan: loans classified", f"{figures['scan_loans']:,}")
    table.add_row("scan: ms per live loan", f"{1000 * per_scan_loan:.2f}")
    table.add_row("scan: ms per loan of the book (the reviews' loans)",
                  f"{1000 * figures['scan_seconds'] / max(reviews, 1):.2f}")
    table.add_row("due_reviews: seconds (all pages)", f"{figures['due_seconds']:.2f}")
    table.add_row(f"review basis: seconds (PD: {figures['pd_source']})",
                  f"{figures['basis_seconds']:.1f}")
    table.add_row("reviews written", f"{reviews:,}")
    table.add_row("reviews: seconds", f"{seconds:.1f}")
    table.add_row("reviews/s, one process", f"{rate:.0f}", style="bold")
    table.add_row("ms per review", f"{1000 / rate:.2f}" if rate else "-")
    table.add_row("review ms / scan ms per loan of the book",
                  f"{seconds / figures['scan_seconds']:.1f}" if figures["scan_seconds"] else "-")
    table.add_row("100,000 reviews, two such workers: seconds (predicted)",
                  f"{figures['basis_seconds'] + 100_000 / rate / 2:.0f}" if rate else "-")
    console.print(table)
    profiled = figures["profiled"]
    if figures["steps"]:
        steps = Table(title=f"where the time goes: {profiled['loans']:,} reviews under "
                            f"cProfile ({profiled['seconds']:.1f} s, profiler overhead "
                            "included), cumulative")
        steps.add_column("step")
        steps.add_column("ms per review", justify="right")
        steps.add_column("share", justify="right")
        for label, _ in STEPS:
            spent = figures["steps"].get(label, 0.0)
            steps.add_row(label, f"{1000 * spent / profiled['loans']:.3f}",
                          f"{spent / profiled['seconds']:.0%}")
        console.print(steps)
    console.print(f"statuses: {figures['statuses']}", highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--limit", type=int, help="review at most this many loans")
    parser.add_argument("--profile-batches", type=int, default=10)
    parser.add_argument("--model", action="store_true",
                        help="fit and promote a PD model first (the scan scores with it)")
    parser.add_argument("--work-dir", type=Path, help="where the copy goes [a temp folder]")
    parser.add_argument("--broker-url", help="review through this Redis with worker processes, "
                        "against one process (benchmarks/reviews_broker.py)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes [2]")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker [1]")
    args = parser.parse_args(argv)
    console = Console(width=140)
    source = args.bench_dir / f"embedded-{args.size}.db"
    if not source.exists():
        ensure_embedded(args.size, bench=args.bench_dir, console=console)
    as_of = portfolio_as_of(args.bench_dir / f"portfolio-{args.size}")
    with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
        copy = Path(work) / source.name
        shutil.copyfile(source, copy)  # the reviews and the scan write; the original stays
        console.print(f"{args.size:,} borrowers, as of {as_of}, copy in {copy}")
        if args.broker_url:
            broker_figures = measure_broker(
                copy, as_of, broker_url=args.broker_url, workers=args.workers,
                threads=args.threads, batch=args.batch, limit=args.limit, console=console)
            report_broker(args.size, broker_figures, console)
            return 0
        figures = measure(copy, as_of, batch=args.batch, limit=args.limit,
                          profile_batches=args.profile_batches, model=args.model,
                          console=console)
    report(args.size, figures, console)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
