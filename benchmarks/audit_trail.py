"""What the audit trail costs: ``record()`` throughput, and the per-request overhead.

    python -m benchmarks.audit_trail [--events 50000] [--threads 8] [--borrowers 2000]
                                     [--requests 2000] [--postgres URL] [--reuse-stale]

1. ``record()``: ``--events`` events recorded by one thread, then by ``--threads`` threads
   at once, into a trail on a fresh SQLite file (and on ``--postgres URL``, a throwaway
   database: it is migrated and appended to). For each: the CPU time of one ``record()``
   call in the calling thread (what a request pays directly), the process's CPU time per
   event until the last one is chained and committed (the caller's and the writer's work
   together: what the trail costs the process), and the end-to-end rate. A list's
   ``append`` (a sink that keeps nothing) is the baseline of the same run.
2. Per request: a GraphQL read of one person (name, properties, loans: personal data shown,
   so a real request records one READ_PERSONAL event) on the embedded store of the
   ``--borrowers`` portfolio (a copy: the cached store is never written), ``--requests``
   times without audit and with one ``record()`` per request into a trail on the same
   database, interleaved in blocks so that both see the same machine. Median and p99 of the
   wall time per request, the process's CPU time per request (the writer's included), and
   the differences.

On a shared machine the wall times move with the neighbours' load; the CPU times do not
(much), so they are the figures to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from auth.audit import AuditTrail
from auth.audit_events import AuditAction, AuditEvent
from benchmarks.portfolios import BENCH_DIR, ensure_embedded
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from schema import build_context, build_schema

KEY: Final = b"benchmark-audit-key-not-a-secret-at-all"
BLOCK: Final = 100
PERSON_READ: Final = """
query Person($id: ID!) {
  party(id: $id) { id name city properties { key value } loans { id } }
}
"""


def _event(i: int) -> AuditEvent:
    return AuditEvent(at=datetime.now(UTC), action=AuditAction.READ_PERSONAL,
                      client_id="console", user="ann", operation="query Person party",
                      targets=(f"P{i:08d}",), source="10.0.0.7", request_id=f"req-{i}",
                      detail={"fields": ["name", "properties"]})


def _record_run(sink_record: Callable[[AuditEvent], None], events: int, threads: int,
                drain: Callable[[], None]) -> tuple[float, float, float]:
    """(CPU µs per record() call in the caller, process CPU µs per event until drained,
    events/s end to end)."""
    prepared = [_event(i) for i in range(events)]
    share = events // threads
    barrier = threading.Barrier(threads + 1)
    call_times: list[float] = []

    def work(part: list[AuditEvent]) -> None:
        barrier.wait()
        start = time.thread_time()
        for event in part:
            sink_record(event)
        call_times.append(time.thread_time() - start)

    workers = [threading.Thread(target=work, args=(prepared[n * share:(n + 1) * share],))
               for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.join()
    drain()
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    per_call_us = statistics.mean(call_times) / share * 1e6
    return per_call_us, cpu / (share * threads) * 1e6, share * threads / total


def _throughput(url: str | None, folder: Path, events: int, threads: int,
                console: Console) -> list[tuple[str, str, float, float, float]]:
    rows: list[tuple[str, str, float, float, float]] = []
    for count in sorted({1, threads}):
        kept: list[AuditEvent] = []
        rows.append(("list.append (baseline)", f"{count}",
                     *_record_run(kept.append, events, count, lambda: None)))
    targets = [("SQLite", f"sqlite:///{folder / 'audit.db'}")]
    if url:
        targets.append(("PostgreSQL", url))
    for name, target in targets:
        engine = create_sql_engine(target)
        migrate(engine)
        for count in sorted({1, threads}):
            trail = AuditTrail(engine, key=KEY)
            per_call, per_event, rate = _record_run(trail.record, events, count, trail.close)
            rows.append((f"AuditTrail on {name}", f"{count}", per_call, per_event, rate))
            console.print(f"  {name}, {count} thread(s): {per_call:.2f} µs CPU per record(), "
                          f"{per_event:.2f} µs CPU per event written, {rate:,.0f} events/s "
                          f"({trail.batches_written} batches)", highlight=False)
        engine.dispose()
    return rows


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _per_request(database: Path, requests: int, console: Console
                 ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall seconds of each request, and process CPU seconds per request of each block,
    with and without."""
    engine: Engine = create_sql_engine(f"sqlite:///{database}")
    migrate(engine)
    store = EmbeddedGraphStore(engine)
    schema = build_schema(mask_errors=True)
    person = "P00000001"
    trail = AuditTrail(engine, key=KEY)
    timings: dict[str, list[float]] = {"without audit": [], "with audit": []}
    cpu: dict[str, list[float]] = {"without audit": [], "with audit": []}

    async def one(audited: bool, i: int) -> float:
        start = time.perf_counter()
        result = await schema.execute(
            PERSON_READ, variable_values={"id": person},
            context_value=build_context(store, personal_data_visible=True, records=engine))
        if audited:
            trail.record(_event(i))
        elapsed = time.perf_counter() - start
        if result.errors:
            raise SystemExit(f"the benchmark query failed: {result.errors[0].message}")
        return elapsed

    async def run() -> None:
        for warm in range(BLOCK):
            await one(False, warm)
        done = 0
        while done < requests:
            # ABBA: neither mode always runs first (drift of the machine's load cancels).
            order = (False, True) if (done // BLOCK) % 2 == 0 else (True, False)
            for audited in order:
                key = "with audit" if audited else "without audit"
                started = time.process_time()
                for i in range(BLOCK):
                    timings[key].append(await one(audited, done + i))
                cpu[key].append((time.process_time() - started) / BLOCK)
            done += BLOCK

    asyncio.run(run())
    trail.close()
    store.close()
    engine.dispose()
    console.print(f"  {len(timings['with audit'])} requests each way", highlight=False)
    return timings, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--borrowers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL", default=None,
                        help="Also measure on this PostgreSQL database (a throwaway one).")
    parser.add_argument("--bench", type=Path, default=BENCH_DIR)
    parser.add_argument("--reuse-stale", action="store_true")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
        console.print("record() throughput", highlight=False)
        rows = _throughput(args.postgres, Path(folder), args.events, args.threads, console)
        table = Table(title=f"record(): {args.events:,} events")
        for column in ("sink", "threads", "CPU µs per record() call",
                       "process CPU µs per event", "events/s end to end"):
            table.add_column(column)
        for sink, threads, per_call, per_event, rate in rows:
            table.add_row(sink, threads, f"{per_call:.2f}", f"{per_event:.2f}", f"{rate:,.0f}")
        console.print(table)

        imported = ensure_embedded(args.borrowers, bench=args.bench, console=console,
                                   reuse_stale=args.reuse_stale)
        copy = Path(folder) / "store.db"
        shutil.copyfile(imported.database, copy)
        console.print(f"per request, on a copy of {imported.database}", highlight=False)
        timings, cpu = _per_request(copy, args.requests, console)
    table = Table(title=f"a person read over GraphQL, embedded {args.borrowers:,}")
    for column in ("", "wall median ms", "wall p99 ms", "CPU ms per request (median block)"):
        table.add_column(column)
    per_request_cpu = {name: statistics.median(blocks) for name, blocks in cpu.items()}
    for name, values in timings.items():
        table.add_row(name, f"{statistics.median(values) * 1e3:.3f}",
                      f"{_percentile(values, 0.99) * 1e3:.3f}",
                      f"{per_request_cpu[name] * 1e3:.3f}")
    without, with_ = (statistics.median(timings["without audit"]),
                      statistics.median(timings["with audit"]))
    cpu_without, cpu_with = per_request_cpu["without audit"], per_request_cpu["with audit"]
    table.add_row("overhead", f"{(with_ - without) * 1e3:+.3f}", "",
                  f"{(cpu_with - cpu_without) * 1e3:+.3f} "
                  f"({(cpu_with / cpu_without - 1) * 100:+.1f}%)")
    console.print(table)


if __name__ == "__main__":
    main()
