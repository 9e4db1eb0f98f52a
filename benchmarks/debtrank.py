"""DebtRank on a million-borrower-sized exposure network, against a networkx baseline.

    python -m benchmarks.debtrank [--nodes 1000000] [--exposures 5000000]
                                  [--sample-nodes 20000] [--seed 11]
    python -m benchmarks.debtrank --portfolio 1000000 [--reuse-stale]

``--portfolio N`` measures on the generated N-borrower portfolio itself (imported into the
embedded store once, :mod:`benchmarks.portfolios`): its exposure network as ``loanwatch
stress`` builds it (guarantee, ownership and supply links, buffers from the graph), shocked
by the default of its 20 most-borrowing parties, and the networkx baseline on that same
whole network (no sample: it fits in memory at a million). The times are DebtRank's alone;
reading the store and building the network are printed beside them.

The network is synthetic, shaped like a lending book's risk links: creditors drawn
uniformly, debtors from a heavy tail (a few large borrowers owe many), capital and amounts
log-normal, so that a shock spreads over a large part of it. The shock defaults the 20
most-borrowing nodes.

In the same run, on a sample network of the same kind and average degree (20,000 nodes by
default), it runs both the vectorised :func:`risk.contagion.debtrank.debtrank` and a
straightforward networkx implementation written here (each round a Python loop over the
graph's edges, passing on the distress of the nodes in state D), checks that they give the
same distress, and prints seconds and the speed-up. The baseline is timed propagating only
(its graph built beforehand); the vectorised time includes computing ``W`` from the
exposures. The full-size time is reported as
building the network (arrays to sparse matrices) and running DebtRank on it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import networkx as nx
import numpy as np
from rich.console import Console
from rich.table import Table

from risk.contagion.debtrank import DebtRankResult, debtrank
from risk.contagion.network import ExposureNetwork, build_network

T = TypeVar("T")

SHOCKED = 20


Arrays = tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def synthetic_arrays(nodes: int, exposures: int, seed: int) -> tuple[Arrays, np.ndarray]:
    """A random exposure network's arrays and its shock (the 20 biggest borrowers, at 1)."""
    rng = np.random.default_rng(seed)
    creditor = rng.integers(0, nodes, exposures)
    # Debtors from a heavy tail: position ~ nodes · u^3 (node 0 borrows most).
    debtor = (nodes * rng.random(exposures) ** 3).astype(np.int64)
    same = creditor == debtor
    debtor[same] = (debtor[same] + 1) % nodes
    capital = rng.lognormal(mean=3.0, sigma=1.0, size=nodes)
    value = rng.lognormal(mean=3.0, sigma=1.2, size=nodes)
    amount = rng.lognormal(mean=1.0, sigma=1.0, size=exposures)
    borrowed = np.bincount(debtor, weights=amount, minlength=nodes)
    shock = np.zeros(nodes)
    shock[np.argsort(-borrowed)[:SHOCKED]] = 1.0
    ids = [f"N{i}" for i in range(nodes)]
    return (ids, capital, value, creditor, debtor, amount), shock


def networkx_graph(network: ExposureNetwork) -> nx.DiGraph:
    """Edges debtor -> creditor with weight ``W = min(1, amount / creditor's capital)``."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.size))
    matrix = network.exposures.tocoo()
    for creditor, debtor, amount in zip(matrix.row.tolist(), matrix.col.tolist(),
                                        matrix.data.tolist(), strict=True):
        graph.add_edge(debtor, creditor, w=min(1.0, amount / network.capital[creditor]))
    return graph


def networkx_debtrank(graph: nx.DiGraph, shock: np.ndarray) -> tuple[np.ndarray, int]:
    """The baseline: DebtRank on a networkx DiGraph, one Python loop over the edges a round.

    A literal reading of the paper's rule: every round, every edge whose debtor is in state
    D passes ``W · h_debtor`` on; then D turns I and U with ``h > 0`` turns D.
    """
    h = {node: float(shock[node]) for node in graph}
    state = {node: ("D" if h[node] > 0 else "U") for node in graph}
    rounds = 0
    while any(s == "D" for s in state.values()):
        received = dict.fromkeys(graph, 0.0)
        for debtor, creditor, w in graph.edges(data="w"):
            if state[debtor] == "D":
                received[creditor] += w * h[debtor]
        raised = False
        for node in graph:
            after = min(1.0, h[node] + received[node])
            raised = raised or after > h[node]
            h[node] = after
        for node in graph:
            if state[node] == "D":
                state[node] = "I"
            elif state[node] == "U" and h[node] > 0:
                state[node] = "D"
        rounds += raised
    return np.array([h[node] for node in range(graph.number_of_nodes())]), rounds


def networkx_debtrank_by_node(graph: nx.DiGraph, shock: np.ndarray) -> np.ndarray:
    """A smarter baseline: each round loops over the out-edges of the D nodes only."""
    h = {node: float(shock[node]) for node in graph}
    active = [node for node in graph if h[node] > 0]
    seen = set(active)
    while active:
        received: dict[int, float] = {}
        for debtor in active:
            for creditor, w in graph[debtor].items():
                received[creditor] = received.get(creditor, 0.0) + w["w"] * h[debtor]
        newly = []
        for creditor, gain in received.items():
            h[creditor] = min(1.0, h[creditor] + gain)
            if creditor not in seen and h[creditor] > 0:
                seen.add(creditor)
                newly.append(creditor)
        active = newly
    return np.array([h[node] for node in range(graph.number_of_nodes())])


@dataclass(frozen=True)
class Timing:
    """Median wall-clock and CPU seconds of some runs.

    CPU seconds (this process) are what the ratios use: the development machine is shared,
    and other processes inflate wall-clock time, not CPU time.
    """

    wall: float
    cpu: float


def timed(run: Callable[[], T], repeat: int) -> tuple[Timing, T]:
    """Time ``repeat`` runs; the median of each clock, and the last result."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Timing(statistics.median(walls), statistics.median(cpus)), result


def portfolio_run(borrowers: int, repeat: int, reuse_stale: bool, console: Console) -> int:
    """DebtRank and the networkx baseline on the exposure network of a stored portfolio."""
    from benchmarks.portfolios import ensure_embedded
    from graph.stores.embedded import EmbeddedGraphStore
    from portfolio.database import create_sql_engine
    from risk.contagion.portfolio_network import read_portfolio_network

    store = ensure_embedded(borrowers, console=console, reuse_stale=reuse_stale)
    engine = create_sql_engine(f"sqlite:///{store.database}")
    try:
        read_s, pn = timed(lambda: read_portfolio_network(EmbeddedGraphStore(engine)), 1)
    finally:
        engine.dispose()
    network = pn.network
    borrowed = np.asarray(network.exposures.sum(axis=0)).ravel()  # owed by each debtor
    shock = np.zeros(network.size)
    shock[np.argsort(-borrowed)[:SHOCKED]] = 1.0
    fast_s, fast = timed(lambda: debtrank(network, shock), repeat)
    build_s, graph = timed(lambda: networkx_graph(network), 1)
    slow_s, (slow_h, slow_rounds) = timed(lambda: networkx_debtrank(graph, shock), 1)
    if not (np.allclose(fast.distress, slow_h, rtol=1e-9, atol=1e-12)
            and fast.rounds == slow_rounds):
        console.print("[bold red]the two implementations disagree[/]")
        return 1
    table = Table(title=f"DebtRank on the {borrowers:,}-borrower portfolio "
                        f"({network.size:,} parties, {network.exposures.nnz:,} exposures in "
                        f"{pn.currency}; shock: its {SHOCKED} most-borrowing parties default)")
    for column in ("implementation", "rounds", "distressed", "additional stress", "wall s",
                   "CPU s", "× networkx (CPU)"):
        table.add_column(column, justify="left" if column == "implementation" else "right")
    table.add_row("networkx, loop over edges", str(slow_rounds),
                  f"{int(np.count_nonzero(slow_h)):,}", "", f"{slow_s.wall:.3f}",
                  f"{slow_s.cpu:.3f}", "1×")
    table.add_row(f"vectorised (scipy.sparse), median of {repeat}", str(fast.rounds),
                  f"{int(np.count_nonzero(fast.distress)):,}",
                  f"{fast.additional_stress:.6f}", f"{fast_s.wall:.3f}", f"{fast_s.cpu:.3f}",
                  f"{slow_s.cpu / fast_s.cpu:,.0f}×")
    console.print(table)
    console.print(f"reading the store and building the exposure network: {read_s.wall:.1f} s "
                  f"wall ({read_s.cpu:.1f} CPU s); building the networkx graph "
                  f"{build_s.cpu:.1f} CPU s (not counted). Both give the same distress "
                  "(rtol 1e-9) in the same rounds.", highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--exposures", type=int, default=5_000_000)
    parser.add_argument("--sample-nodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--portfolio", type=int, metavar="BORROWERS",
                        help="measure on the generated portfolio of this size instead")
    parser.add_argument("--reuse-stale", action="store_true",
                        help="with --portfolio: reuse an import made by other code")
    args = parser.parse_args(argv)
    console = Console(width=170)
    if args.portfolio:
        return portfolio_run(args.portfolio, args.repeat, args.reuse_stale, console)
    degree = args.exposures / args.nodes
    sample_exposures = int(args.sample_nodes * degree)

    console.print(f"sample: {args.sample_nodes:,} nodes, {sample_exposures:,} exposures ...")
    sample_arrays, sample_shock = synthetic_arrays(args.sample_nodes, sample_exposures,
                                                   args.seed)
    sample = build_network(*sample_arrays)
    fast_s, fast = timed(lambda: debtrank(sample, sample_shock), max(args.repeat, 21))
    graph = networkx_graph(sample)  # not timed: the baseline is timed propagating only
    slow_s, (slow_h, slow_rounds) = timed(lambda: networkx_debtrank(graph, sample_shock), 3)
    smart_s, smart_h = timed(lambda: networkx_debtrank_by_node(graph, sample_shock), 3)
    if not (np.allclose(fast.distress, slow_h, rtol=1e-9, atol=1e-12)
            and np.allclose(fast.distress, smart_h, rtol=1e-9, atol=1e-12)
            and fast.rounds == slow_rounds):
        console.print("[bold red]the two implementations disagree[/]")
        return 1
    console.print(f"full size: {args.nodes:,} nodes, {args.exposures:,} exposures ...")
    arrays, shock = synthetic_arrays(args.nodes, args.exposures, args.seed)
    build_s, network = timed(lambda: build_network(*arrays), 1)
    run_s, full = timed(lambda: debtrank(network, shock), args.repeat)

    table = Table(title=f"DebtRank (seed {args.seed}; shock: the {SHOCKED} largest "
                        f"borrowers default; median of {args.repeat} runs at full size, of "
                        "21 and 3 on the sample)")
    for column in ("network", "implementation", "rounds", "distressed", "additional stress",
                   "wall s", "CPU s", "× networkx (CPU)"):
        table.add_column(column, justify="left" if column in ("network", "implementation")
                         else "right")

    def row(name: str, how: str, result: DebtRankResult | None, h: np.ndarray, rounds: int,
            seconds: Timing, ratio: str) -> None:
        stress = f"{result.additional_stress:.6f}" if result else ""
        table.add_row(name, how, str(rounds), f"{int(np.count_nonzero(h)):,}", stress,
                      f"{seconds.wall:.3f}", f"{seconds.cpu:.3f}", ratio)

    sample_name = f"sample {args.sample_nodes:,} / {sample_exposures:,}"
    row(sample_name, "networkx, loop over edges", None, slow_h, slow_rounds, slow_s, "1×")
    row(sample_name, "networkx, loop over D nodes' edges", None, smart_h, slow_rounds,
        smart_s, f"{slow_s.cpu / smart_s.cpu:,.1f}×")
    row(sample_name, "vectorised (scipy.sparse)", fast, fast.distress, fast.rounds, fast_s,
        f"{slow_s.cpu / fast_s.cpu:,.0f}×")
    full_name = f"full {args.nodes:,} / {network.exposures.nnz:,}"
    row(full_name, "vectorised, DebtRank only", full, full.distress, full.rounds, run_s, "")
    row(full_name, "vectorised, + building the network", full, full.distress, full.rounds,
        Timing(build_s.wall + run_s.wall, build_s.cpu + run_s.cpu), "")
    console.print(table)
    console.print(f"full size: building the network from arrays (checks, CSR, "
                  f"duplicates summed, the id index) {build_s.cpu:.2f} CPU s; DebtRank "
                  f"{run_s.cpu:.3f} CPU s. "
                  "The three implementations give the same distress on the sample "
                  "(rtol 1e-9).", highlight=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
