"""Detection quality of guarantee circles, mutual pairs and joint groups against the
generator's ground truth, with the time and peak memory of projection and detection.

    python -m benchmarks.detection [--sizes 2000 20000 100000] [--max-cycle-length 12]

For each size: generate a portfolio (seed 7) under ``var/bench/detect-N``, import the files
the guarantee graph is made of (persons, companies, loans, guarantees) into a fresh SQLite
database (the embedded store), then in a fresh process (so its peak memory is its own):

* project the graph into arrays (:func:`risk.projection.project_portfolio`) and, as the
  baseline in the same run, into networkx (``GraphStore.project``, then the party graph);
* find circles, mutual pairs, joint groups (:func:`risk.network.circles.find_circles`) and
  chains (:func:`risk.network.chains.find_chains`);
* score against ``ground_truth.json``: recall and precision per kind, matching by member set.

Every finding not in the ground truth is classified and checked against the raw CSV files
(not the store): a cycle's every edge, a component's strong connection, a pair's two
directions and a group's every ordered pair must be real guarantees in the data.
Time is measured without tracing; peak memory is a second run under ``tracemalloc``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
from rich.console import Console
from rich.table import Table

from benchmarks.portfolios import BENCH_DIR, ImportedStore, ensure_embedded

GRAPH_FILES = ("persons.csv", "companies.csv", "loans.csv", "guarantees.csv")
KINDS = ("circle", "mutual", "joint")


# -- the parent: generate, import, run each size in its own process, print -----------------

def prepare(borrowers: int) -> ImportedStore:
    """The generated portfolio and the import of its party and guarantee files (made once,
    reused while the generator and importer are unchanged)."""
    return ensure_embedded(borrowers, name="detect", files=GRAPH_FILES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000, 100_000])
    parser.add_argument("--max-cycle-length", type=int, default=12)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--portfolio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        json.dump(measure(args.portfolio, args.database, args.max_cycle_length), sys.stdout)
        return 0
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    console = Console(width=180)
    results: list[tuple[int, dict[str, Any]]] = []
    for borrowers in sorted(args.sizes):
        console.print(f"preparing {borrowers:,} borrowers (generate, import) ...")
        store = prepare(borrowers)
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.detection", "--one", str(borrowers),
             "--portfolio", str(store.portfolio), "--database", str(store.database),
             "--max-cycle-length", str(args.max_cycle_length)],
            check=True, capture_output=True, text=True)
        results.append((borrowers, json.loads(completed.stdout)))
    print_tables(console, results)
    return 0


def print_tables(console: Console, results: list[tuple[int, dict[str, Any]]]) -> None:
    quality = Table(title="Detection quality against the generator's ground truth (seed 7)")
    for column in ("borrowers", "kind", "planted", "found", "recall", "precision",
                   "extras verified in the raw files"):
        quality.add_column(column, justify="left" if column == "kind" else "right")
    for borrowers, r in results:
        for kind in KINDS:
            q = r["quality"][kind]
            quality.add_row(f"{borrowers:,}", kind, f"{q['planted']:,}", f"{q['found']:,}",
                            f"{q['recall']:.1%}", f"{q['precision']:.1%}",
                            f"{q['extras_verified']:,}/{q['extras']:,}")
    console.print(quality)

    why = Table(title="Why each extra finding is there (not in the ground truth)")
    for column in ("borrowers", "kind", "reason", "count"):
        why.add_column(column, justify="right" if column == "count" else "left")
    for borrowers, r in results:
        for kind in KINDS:
            for reason, count in sorted(r["quality"][kind]["reasons"].items()):
                why.add_row(f"{borrowers:,}", kind, reason, f"{count:,}")
    console.print(why)

    cost = Table(title="Projection and detection: time and peak traced memory "
                       "(baseline: GraphStore.project into networkx, same run)")
    for column in ("borrowers", "guarantee pairs", "SCCs ≥ 2", "largest SCC",
                   "projection s", "networkx s", "× faster", "projection MiB",
                   "networkx MiB", "× smaller", "circles s", "circles MiB", "chains",
                   "chains s", "peak RSS MiB"):
        cost.add_column(column, justify="right")
    for borrowers, r in results:
        t, m = r["seconds"], r["mib"]
        cost.add_row(
            f"{borrowers:,}", f"{r['pairs']:,}", f"{r['components']:,}",
            f"{r['largest_component']:,}",
            f"{t['projection']:.2f}", f"{t['networkx']:.2f}",
            f"{t['networkx'] / t['projection']:.1f}",
            f"{m['projection']:.1f}", f"{m['networkx']:.1f}",
            f"{m['networkx'] / max(m['projection'], 1e-9):.1f}",
            f"{t['circles']:.2f}", f"{m['circles']:.1f}", f"{r['chains']:,}",
            f"{t['chains']:.2f}", f"{r['peak_rss_mib']:,.0f}")
    console.print(cost)


# -- one size, in its own process ----------------------------------------------------------

def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _traced(work: Callable[[], Any]) -> float:
    """Peak traced memory of ``work`` in MiB, the result dropped afterwards."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    kept = work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak / 2**20


def networkx_party_graph(store: Any) -> nx.DiGraph:
    """The baseline: the graph as networkx, then guarantor -> borrower by a Python join."""
    from graph.model import RelType

    graph = store.project([RelType.BORROWS, RelType.GUARANTEES])
    borrower_of: dict[str, list[str]] = {}
    for party, loan, data in graph.edges(data=True):
        if data["type"] == "BORROWS":
            borrower_of.setdefault(loan, []).append(party)
    parties = nx.DiGraph()
    for party, loan, data in graph.edges(data=True):
        if data["type"] == "GUARANTEES":
            for borrower in borrower_of.get(loan, []):
                if borrower != party:
                    parties.add_edge(party, borrower)
    return parties


def measure(out: Path, database: Path, max_cycle_length: int) -> dict[str, Any]:
    import resource

    from sqlalchemy import create_engine

    from graph.stores.embedded import EmbeddedGraphStore
    from risk.network.chains import find_chains
    from risk.network.circles import CircleOptions, find_circles
    from risk.projection import project_portfolio

    store = EmbeddedGraphStore(create_engine(f"sqlite:///{database}"))
    options = CircleOptions(max_cycle_length=max_cycle_length)
    projection, t_projection = _timed(lambda: project_portfolio(store))
    _, t_networkx = _timed(lambda: networkx_party_graph(store))
    report, t_circles = _timed(lambda: find_circles(projection, options))
    chains, t_chains = _timed(lambda: find_chains(projection))
    mib = {
        "projection": _traced(lambda: project_portfolio(store)),
        "networkx": _traced(lambda: networkx_party_graph(store)),
        "circles": _traced(lambda: find_circles(projection, options)),
    }
    truth = json.loads((out / "ground_truth" / "ground_truth.json").read_text())
    return {
        "seconds": {"projection": t_projection, "networkx": t_networkx,
                    "circles": t_circles, "chains": t_chains},
        "mib": mib,
        "pairs": int(projection.party_graph.nnz),
        "components": report.components,
        "largest_component": report.largest_component,
        "chains": len(chains.chains),
        "quality": score(report, truth, raw_guarantees(out)),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# -- scoring and explaining ----------------------------------------------------------------

def raw_guarantees(out: Path) -> set[tuple[str, str]]:
    """Guarantor -> borrower pairs read straight from the CSV files, not from the store."""
    with (out / "loans.csv").open(newline="", encoding="utf-8") as handle:
        borrower = {row["id"]: row["borrower_id"] for row in csv.DictReader(handle)}
    with (out / "guarantees.csv").open(newline="", encoding="utf-8") as handle:
        return {(row["guarantor_id"], borrower[row["loan_id"]])
                for row in csv.DictReader(handle)
                if borrower.get(row["loan_id"], row["guarantor_id"]) != row["guarantor_id"]}


def score(report: Any, truth: dict[str, Any], raw: set[tuple[str, str]]) -> dict[str, Any]:
    planted = {
        "circle": {frozenset(c["members"]) for c in truth["guarantee_circles"]},
        "mutual": {frozenset(p) for p in truth["mutual_pairs"]},
        "joint": {frozenset(g) for g in truth["joint_groups"]},
    }
    found: dict[str, dict[frozenset[str], Any]] = {kind: {} for kind in KINDS}
    for circle in report.circles:
        found[circle.kind].setdefault(frozenset(circle.members), circle)
    result: dict[str, Any] = {}
    for kind in KINDS:
        hits = planted[kind] & set(found[kind])
        extras = [f for key, f in found[kind].items() if key not in planted[kind]]
        reasons = Counter(explain(f, planted) for f in extras)
        result[kind] = {
            "planted": len(planted[kind]), "found": len(found[kind]),
            "recall": len(hits) / len(planted[kind]) if planted[kind] else 1.0,
            "precision": len(hits) / len(found[kind]) if found[kind] else 1.0,
            "extras": len(extras),
            "extras_verified": sum(verified(f, raw) for f in extras),
            "reasons": dict(reasons),
        }
    return result


def explain(finding: Any, planted: dict[str, set[frozenset[str]]]) -> str:
    """Why a finding the ground truth does not list is there."""
    members = frozenset(finding.members)
    if finding.kind == "circle":
        if any(members < circle for circle in planted["circle"]):
            return "shorter cycle through the chord of a planted circle"
        if len(members) == 3 and any(pair < members for pair in planted["mutual"]):
            return "planted mutual pair closed into a triangle (generator's triangle motif)"
        if finding.scope == "component":
            inside = sum(s <= members for k in ("circle", "mutual") for s in planted[k])
            if inside:
                return ("strongly connected part joining planted structures "
                        "by other guarantees")
            return "strongly connected part made by random (background) guarantees"
        return "chance cycle of random (background, owner, parent) guarantees"
    if finding.kind == "mutual":
        return "chance reciprocity: a background guarantee returned (the generator's echo)"
    return "chance clique of reciprocated guarantees"


def verified(finding: Any, raw: set[tuple[str, str]]) -> bool:
    """Whether the finding is a real structure of the raw data."""
    members = list(finding.members)
    if finding.kind == "circle" and finding.scope == "cycle":
        ring = zip(members, members[1:] + members[:1], strict=True)
        return all(pair in raw for pair in ring)
    if finding.kind == "circle":
        sub = nx.DiGraph([(a, b) for a in members for b in members if (a, b) in raw])
        return sub.number_of_nodes() == len(members) and nx.is_strongly_connected(sub)
    return all((a, b) in raw for a in members for b in members if a != b)


if __name__ == "__main__":
    raise SystemExit(main())
