"""An event's re-scoring on the 100,000-borrower portfolio: the rules read on the part of
the graph the event's scope depends on (:mod:`risk.flow.local_graph`), against the same rules
on the whole graph (what the flow did before), in the same run, for the same events.

    python -m benchmarks.event_flow [--size 100000] [--bench-dir var/bench] [--events 6]

The imported embedded store (``<bench-dir>/embedded-<size>.db``, made by
:func:`benchmarks.portfolios.ensure_embedded` when absent) is copied into a temporary folder
and migrated (nothing is written to it: the rules only read). Events are centred on
parties picked evenly across the book's borrowers and guarantors. For each: the scope
(:func:`risk.flow.scope.scope_of`, 2 hops) and the neighbourhood's repayment history, then
the rules without the concentration rules on the local graph, reading the scope's parties'
bureau snapshots only, as the flow now runs them (the copy included in the time), and on the
whole graph with every party's snapshots, as it ran them before. The table gives both times
and whether the scope's alerts (signals and evidence paths) are the same.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ensure_embedded, portfolio_as_of
from graph.model import RelType
from graph.stores.embedded import EmbeddedGraphStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine
from risk.flow.history import neighbourhood_history
from risk.flow.local_graph import local_graph, node_count
from risk.flow.scope import Scope, scope_of
from risk.rules.evaluate import Evaluation, evaluate
from risk.rules.loader import DEFAULT_RULES_FILE, load_rules
from risk.rules.schema import Concentration

DEFAULT_SIZE: Final = 100_000
HOPS: Final = 2


def _in_scope(found: Evaluation, scope: Scope) -> dict[str, object]:
    return {d.key: (d.signals, d.evidence) for d in found.drafts
            if scope.covers(d.subject_kind, d.subject_id)}


def _centres(graph: EmbeddedGraphStore, events: int) -> list[str]:
    """Borrowers and guarantors spread evenly over the book, in id order."""
    borrowers: set[str] = set()
    guarantors: set[str] = set()
    for batch in graph.iter_edges([RelType.BORROWS, RelType.GUARANTEES]):
        for rel_type, source, _, _, _ in batch:
            (borrowers if rel_type == RelType.BORROWS.value else guarantors).add(source)
    picked: list[str] = []
    for pool, count in ((sorted(borrowers), events - events // 2),
                        (sorted(guarantors), events // 2)):
        step = len(pool) / max(count, 1)
        picked.extend(pool[int((i + 0.5) * step)] for i in range(count))
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--events", type=int, default=6)
    parser.add_argument("--work-dir", type=Path, help="where the copy goes [a temp folder]")
    args = parser.parse_args(argv)
    console = Console(width=150)
    source = args.bench_dir / f"embedded-{args.size}.db"
    if not source.exists():
        ensure_embedded(args.size, bench=args.bench_dir, console=console)
    as_of = portfolio_as_of(args.bench_dir / f"portfolio-{args.size}")
    rules = [rule for rule in load_rules(DEFAULT_RULES_FILE).rules
             if not isinstance(rule, Concentration)]
    table = Table(title=f"An event's re-scoring, {args.size:,} borrowers, as of {as_of}")
    for column in ("centre", "scope parties / loans", "scope + history s", "local nodes",
                   "local graph s", "whole graph s", "× faster", "same alerts"):
        table.add_column(column, justify="left" if column == "centre" else "right")
    with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
        copy = Path(work) / source.name
        console.print(f"copying {source} ...")
        shutil.copyfile(source, copy)
        engine = create_sql_engine(f"sqlite:///{copy}")
        migrate(engine)
        graph = EmbeddedGraphStore(engine)
        for centre in _centres(graph, args.events):
            started = time.perf_counter()
            scope = scope_of(graph, parties=(centre,), hops=HOPS)
            history = neighbourhood_history(engine, graph, scope, rules=rules, hops=HOPS,
                                            as_of=as_of)
            history.days_past_due(as_of)  # read now, not by whichever evaluation comes first
            prepared = time.perf_counter() - started
            started = time.perf_counter()
            with local_graph(graph, scope, rules=rules, flow_hops=HOPS) as local:
                nodes = "whole" if local is None else f"{node_count(local):,}"
                local_found = evaluate(rules, as_of=as_of, graph=local or graph, engine=engine,
                                       delinquency=history, parties=scope.parties)
            local_s = time.perf_counter() - started
            started = time.perf_counter()
            whole_found = evaluate(rules, as_of=as_of, graph=graph, engine=engine,
                                   delinquency=history)
            whole_s = time.perf_counter() - started
            same = _in_scope(local_found, scope) == _in_scope(whole_found, scope)
            table.add_row(centre, f"{len(scope.parties):,} / {len(scope.loans):,}",
                          f"{prepared:.2f}", nodes, f"{local_s:.2f}", f"{whole_s:.2f}",
                          f"{whole_s / local_s:.0f}×", "yes" if same else "NO")
            console.print(f"{centre}: local {local_s:.2f} s, whole {whole_s:.2f} s")
        engine.dispose()
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
