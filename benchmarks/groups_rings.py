"""Detection quality of corporate groups and identity rings against the generator's truth.

    python -m benchmarks.groups_rings [--sizes 5000 20000 100000]

For each size, generates the portfolio (seed 7, kept under ``var/bench`` for the next run),
imports it into an embedded SQLite store of its own (kept too), then runs the detection in
a fresh child process, so that its peak memory is its own, and scores it against
``ground_truth/ground_truth.json``:

* a planted group is found when a reported group has the planted controller and exactly
  the planted member companies; a planted ring when a reported ring has exactly its
  members;
* recall is found / planted; precision is matched / reported;
* every reported structure that matches nothing planted is classified: a ring whose
  members are joined by ``RELATED`` edges (the generator's households of three sharing a
  home address) is a real shared address, found as the definition says; whatever fits no
  explanation is counted as unexplained;
* groups are also scored with the plurality rule off (``--plurality 0``), to show what a
  pure majority rule misses: controllers holding 30–50 % of their root company.

Times are split into reading the graph (``GraphStore.project`` into networkx, which the
CSR projection will replace) and the analysis on arrays.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import ensure_embedded
from graph.model import RelType
from graph.stores.embedded import EmbeddedGraphStore
from portfolio.database import create_sql_engine
from risk.network.control import (
    DEFAULT_PLURALITY,
    cash_flow_rights,
    control,
    ownership_matrix,
)
from risk.network.groups import groups_from_control, read_loan_book, read_ownership
from risk.network.rings import identity_rings, read_identifier_links

DEFAULT_SIZES = (5_000, 20_000, 100_000)


def _connected(graph: nx.MultiDiGraph, members: list[str]) -> bool:
    sub = nx.Graph()
    sub.add_nodes_from(members)
    sub.add_edges_from((a, b) for a, b in graph.subgraph(members).edges())
    return nx.is_connected(sub)


def _timed(work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _detect_groups(store: EmbeddedGraphStore) -> tuple[dict[float, set[tuple[str, ...]]],
                                                       float, float]:
    """Groups as ``(controller, *members)`` with and without the plurality rule; seconds
    reading the graph and seconds of analysis."""
    (arrays, book), read_s = _timed(lambda: (read_ownership(store), read_loan_book(store)))

    def analyse() -> dict[float, set[tuple[str, ...]]]:
        a = ownership_matrix(len(arrays.ids), arrays.holders, arrays.held, arrays.pct)
        cash_flow_rights(a)
        found: dict[float, set[tuple[str, ...]]] = {}
        for plurality in (DEFAULT_PLURALITY, 0.0):
            groups = groups_from_control(arrays.ids, arrays.labels,
                                         control(a, plurality=plurality), book)
            found[plurality] = {(g.controller, *g.members) for g in groups}
        return found

    found, analysis_s = _timed(analyse)
    return found, read_s, analysis_s


def measure(portfolio: Path, database: Path) -> dict[str, Any]:
    """Detect and score, in this process; returns the figures."""
    truth = orjson.loads((portfolio / "ground_truth" / "ground_truth.json").read_bytes())
    engine = create_sql_engine(f"sqlite:///{database}")
    store = EmbeddedGraphStore(engine)
    try:
        found, groups_read_s, groups_s = _detect_groups(store)
        links, rings_read_s = _timed(
            lambda: read_identifier_links(store))
        rings, rings_s = _timed(lambda: identity_rings(*links).rings)
        related = store.project([RelType.RELATED])
    finally:
        engine.dispose()
    planted_groups = {(g["controller"], *sorted(g["members"])) for g in truth["groups"]}
    found_groups = found[DEFAULT_PLURALITY]
    extra_groups = found_groups - planted_groups
    planted_rings = {tuple(sorted(r["members"])) for r in truth["identity_rings"]}
    found_rings = {tuple(r.members) for r in rings}
    extra_rings = found_rings - planted_rings
    households = sum(1 for members in extra_rings
                     if all(related.has_node(m) for m in members)
                     and _connected(related, list(members)))
    return {
        "groups_planted": len(planted_groups), "groups_found": len(found_groups),
        "groups_matched": len(planted_groups & found_groups),
        "groups_matched_majority_only": len(planted_groups & found[0.0]),
        "groups_extra": len(extra_groups),
        "rings_planted": len(planted_rings), "rings_found": len(found_rings),
        "rings_matched": len(planted_rings & found_rings),
        "rings_extra_household": households,
        "rings_extra_unexplained": len(extra_rings) - households,
        "groups_read_s": groups_read_s, "groups_s": groups_s,
        "rings_read_s": rings_read_s, "rings_s": rings_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("PORTFOLIO", "DATABASE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        json.dump(measure(*args.measure), sys.stdout)
        return 0
    console = Console()
    table = Table(title="Corporate groups and identity rings against the ground truth")
    for column in ("borrowers", "structure", "planted", "found", "recall", "precision",
                   "extra: explained", "extra: unexplained", "read graph (s)", "analysis (s)",
                   "peak RSS (MiB)"):
        table.add_column(column, justify="right")
    for size in args.sizes:
        store = ensure_embedded(size, console=console)
        portfolio, database = store.portfolio, store.database
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.groups_rings", "--measure", str(portfolio),
             str(database)], check=True, capture_output=True, text=True)
        r = json.loads(child.stdout)
        table.add_row(
            f"{size:,}", "groups", str(r["groups_planted"]), str(r["groups_found"]),
            f"{_ratio(r['groups_matched'], r['groups_planted'])} (majority only: "
            f"{_ratio(r['groups_matched_majority_only'], r['groups_planted'])})",
            _ratio(r["groups_matched"], r["groups_found"]), "-", str(r["groups_extra"]),
            f"{r['groups_read_s']:.2f}", f"{r['groups_s']:.2f}", f"{r['peak_rss_mib']:.0f}")
        table.add_row(
            "", "identity rings", str(r["rings_planted"]), str(r["rings_found"]),
            _ratio(r["rings_matched"], r["rings_planted"]),
            _ratio(r["rings_matched"], r["rings_found"]),
            f"{r['rings_extra_household']} households", str(r["rings_extra_unexplained"]),
            f"{r['rings_read_s']:.2f}", f"{r['rings_s']:.2f}", "")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
